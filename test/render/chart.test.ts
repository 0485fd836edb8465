import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AggregateKasaneError } from '../../src/errors.js';
import { ChartNotFoundError, loadChart, parseChartMetadata } from '../../src/chart/load.js';
import { chartYaml, objectsOf, oneRelease, problemsOf, render, writeRepo } from './repo.js';

function metadataProblems(text: string): string[] {
  try {
    parseChartMetadata(text, 'charts/web/Chart.yaml');
  } catch (err) {
    if (err instanceof AggregateKasaneError) return err.errors.map((e) => e.message);
    if (err instanceof Error) return [err.message];
  }
  throw new Error('expected Chart.yaml to be rejected');
}

describe('Chart.yaml', () => {
  it('reads name, version, appVersion, description', () => {
    expect(parseChartMetadata('name: web\nversion: 1.2.3\nappVersion: "4.5"\ndescription: A web app\n', 'charts/web/Chart.yaml')).toEqual({
      name: 'web',
      version: '1.2.3',
      appVersion: '4.5',
      description: 'A web app',
    });
  });

  it('requires name and version, naming the file and line', () => {
    expect(metadataProblems('description: no name\n')).toEqual([
      'charts/web/Chart.yaml:1: name is required',
      'charts/web/Chart.yaml:1: version is required',
    ]);
    expect(metadataProblems('name: web\ndescription: x\nversion: one\n')).toEqual([
      'charts/web/Chart.yaml:3: version "one" is not a SemVer 2 version (e.g. 1.2.3)',
    ]);
    expect(metadataProblems('name: web\nversion: 1.0.0\nappVersion: 1.10\n')).toEqual([
      'charts/web/Chart.yaml:3: appVersion must be a non-empty string, not 1.1 (quote it)',
    ]);
  });

  it('refuses Helm dependencies instead of silently rendering without them', () => {
    expect(metadataProblems('apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - {name: redis, version: 1.x}\n')).toEqual([
      'charts/web/Chart.yaml:4: kasane charts have no dependencies: make each subchart a chart of its own and give it a release',
    ]);
  });

  it('reports malformed YAML with the line', () => {
    expect(metadataProblems('name: web\nversion: [1.0.0\n')[0]).toMatch(/^charts\/web\/Chart\.yaml:\d+: invalid YAML/);
  });

  it('loads templates and partials (templates/_x.hbs is partial x), ignoring other files', () => {
    const root = writeRepo({
      'charts/web/Chart.yaml': chartYaml('web'),
      'charts/web/templates/b.yaml': '',
      'charts/web/templates/a.yaml': '',
      'charts/web/templates/_labels.hbs': 'x: y',
      'charts/web/templates/NOTES.txt': 'hello',
      'charts/web/templates/_helpers.tpl': '{{ define }}',
    });
    const chart = loadChart(root, 'web');
    expect(chart.templates.map((t) => t.file)).toEqual(['charts/web/templates/a.yaml', 'charts/web/templates/b.yaml']);
    expect(chart.partials.map((p) => [p.partial, p.file])).toEqual([['labels', 'charts/web/templates/_labels.hbs']]);
    expect(chart.values).toEqual({});
    expect(chart.schema).toBeUndefined();
  });

  it('an unknown chart lists the charts that exist', () => {
    const root = writeRepo({ 'charts/web/Chart.yaml': chartYaml('web'), 'charts/api/Chart.yaml': chartYaml('api') });
    expect(() => loadChart(root, 'wbe')).toThrow(ChartNotFoundError);
    expect(() => loadChart(root, '../charts/web')).toThrow(ChartNotFoundError);
    try {
      loadChart(root, 'wbe');
    } catch (err) {
      expect((err as ChartNotFoundError).hint).toBe('charts that exist: api, web');
    }
  });
});

describe('the file helper reads inside the chart only', () => {
  function repoReading(path: string): string {
    return writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/files/app.conf': 'listen 80;\n',
      'charts/app/templates/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  conf: {{ quote (file "${path}") }}\n`,
      'environments/test.yaml': oneRelease(),
      'secret.txt': 'top secret\n',
    });
  }

  it('reads a chart-relative file', () => {
    const [cm] = objectsOf(render(repoReading('files/app.conf')));
    expect((cm as { data: { conf: string } }).data.conf).toBe('listen 80;\n');
  });

  it.each([
    ['../../secret.txt', /\.\./],
    ['files/../../../secret.txt', /\.\./],
    ['/etc/passwd', /relative/],
    ['files/missing.conf', /no such file/],
  ])('refuses %s, naming the template', (path, reason) => {
    const [problem, ...rest] = problemsOf(repoReading(path));
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^charts\/app\/templates\/cm\.yaml:6: /);
    expect(problem).toMatch(reason);
    expect(problem).not.toContain('top secret');
  });

  it('refuses a symlink that leads outside the chart', () => {
    const root = repoReading('files/escape.txt');
    symlinkSync(join(root, 'secret.txt'), join(root, 'charts/app/files/escape.txt'));
    const [problem] = problemsOf(root);
    expect(problem).toMatch(/^charts\/app\/templates\/cm\.yaml:6: .*outside the chart/);
    expect(problem).not.toContain('top secret');
  });

  it('follows a symlink that stays inside the chart', () => {
    const root = repoReading('files/alias.conf');
    mkdirSync(join(root, 'charts/app/files/sub'), { recursive: true });
    writeFileSync(join(root, 'charts/app/files/sub/real.conf'), 'inside\n');
    symlinkSync(join(root, 'charts/app/files/sub/real.conf'), join(root, 'charts/app/files/alias.conf'));
    const [cm] = objectsOf(render(root));
    expect((cm as { data: { conf: string } }).data.conf).toBe('inside\n');
  });
});

describe('templates cannot reach outside their data', () => {
  it.each([
    '{{constructor.constructor}}',
    '{{Values.constructor.name}}',
    '{{lookup this "constructor"}}',
    '{{#with Values}}{{__proto__}}{{/with}}',
    '{{Values.__proto__.polluted}}',
    '{{process.env.HOME}}{{env.HOME}}',
  ])('%s renders nothing', (expression) => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/values.yaml': 'a: 1\n',
      'charts/app/templates/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  probe: "[${expression}]"\n`,
      'environments/test.yaml': oneRelease(),
    });
    const [cm] = objectsOf(render(root));
    expect((cm as { data: { probe: string } }).data.probe).toBe('[]');
  });

  it('has no log helper writing to the console', () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  x: {{log "leak"}}\n',
      'environments/test.yaml': oneRelease(),
    });
    expect(problemsOf(root)[0]).toMatch(/cm\.yaml:5: unknown helper "log"/);
  });
});
