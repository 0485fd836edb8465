import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AggregateKasaneError } from '../../src/errors.js';
import { parseDuration } from '../../src/environment/duration.js';
import { EnvironmentNotFoundError, loadEnvironment, parseEnvironment } from '../../src/environment/load.js';
import { writeRepo } from './repo.js';

const projectRoot = join(import.meta.dirname, '..', '..');

function problems(text: string): string[] {
  try {
    parseEnvironment(text, 'test', 'environments/test.yaml');
  } catch (err) {
    if (err instanceof AggregateKasaneError) return err.errors.map((e) => e.message);
    if (err instanceof Error) return [err.message];
  }
  throw new Error('expected the environment to be rejected');
}

describe('environment files', () => {
  it('fills in the documented defaults', () => {
    const env = parseEnvironment('releases:\n  - {name: web, chart: web}\n', 'test', 'environments/test.yaml');
    expect(env.cluster).toEqual({});
    expect(env.values).toEqual({});
    expect(env.releases[0]).toMatchObject({ name: 'web', chart: 'web', namespace: 'default', createNamespace: false, valuesFiles: [], values: {} });
    expect(env.sync).toEqual({ intervalMs: 60_000, windows: [], prune: false, selfHeal: false, timeoutMs: 300_000, rollbackOnFailure: false });
  });

  it('reads every field of the contract', () => {
    const env = parseEnvironment(
      [
        'cluster: {context: staging}',
        'values: {global: {domain: staging.example.com}}',
        'releases:',
        '  - name: web',
        '    chart: web',
        '    namespace: web',
        '    createNamespace: true',
        '    valuesFiles: [environments/staging/web.yaml]',
        '    values: {replicas: 2}',
        'sync:',
        '  interval: 90s',
        '  schedule: "*/5 * * * *"',
        '  windows:',
        '    - {kind: deny, schedule: "0 22 * * 5", duration: 60h}',
        '  prune: true',
        '  selfHeal: true',
        '  timeout: 1h30m',
        '  rollbackOnFailure: true',
      ].join('\n'),
      'staging',
      'environments/staging.yaml',
    );
    expect(env).toMatchObject({
      name: 'staging',
      file: 'environments/staging.yaml',
      cluster: { context: 'staging' },
      values: { global: { domain: 'staging.example.com' } },
      releases: [{ name: 'web', chart: 'web', namespace: 'web', createNamespace: true, valuesFiles: ['environments/staging/web.yaml'], values: { replicas: 2 } }],
      sync: {
        intervalMs: 90_000,
        schedule: '*/5 * * * *',
        windows: [{ kind: 'deny', schedule: '0 22 * * 5', durationMs: 60 * 3_600_000 }],
        prune: true,
        selfHeal: true,
        timeoutMs: 5_400_000,
        rollbackOnFailure: true,
      },
    });
  });

  it('reports every problem of the file at once, each with its line', () => {
    const text = [
      'cluster: {context: staging}', // 1
      'relases: []', // 2
      'releases:', // 3
      '  - name: Web_1', // 4
      '    chart: web', // 5
      '  - chart: api', // 6
      '    namespace: api', // 7
      '  - name: worker', // 8
      '    chart: worker', // 9
      '    createNamespace: "yes"', // 10
      'sync:', // 11
      '  interval: 60', // 12
      '  schedule: every five minutes', // 13
      '  windows:', // 14
      '    - {kind: maybe, schedule: "0 22 * * 5", duration: 2h}', // 15
    ].join('\n');
    expect(problems(text)).toEqual([
      'environments/test.yaml:2: relases: unknown key "relases" (known: cluster, values, releases, sync)',
      expect.stringMatching(/^environments\/test\.yaml:4: releases\[0\]\.name: release name "Web_1" must be a DNS label/),
      'environments/test.yaml:6: releases[1]: name is required',
      'environments/test.yaml:10: releases[2].createNamespace: must be true or false, not "yes"',
      'environments/test.yaml:12: sync.interval: 60 is not a duration; write it with a unit, e.g. 90s, 5m or 1h30m',
      expect.stringMatching(/^environments\/test\.yaml:13: sync\.schedule: "every five minutes" is not a cron expression/),
      'environments/test.yaml:15: sync.windows[0].kind: must be "allow" or "deny", not "maybe"',
    ]);
  });

  it('rejects two releases with one name', () => {
    expect(problems('releases:\n  - {name: web, chart: a}\n  - {name: web, chart: b}\n')).toEqual([
      'environments/test.yaml:3: releases[1].name: release "web" is declared twice (also releases[0])',
    ]);
  });

  it('reports YAML syntax errors with the line', () => {
    expect(problems('releases:\n  - name: web\n   chart: [unclosed\n')[0]).toMatch(/^environments\/test\.yaml:3: invalid YAML/);
  });

  it('an unknown environment says which exist', () => {
    const root = writeRepo({ 'environments/staging.yaml': 'releases: []\n', 'environments/production.yaml': 'releases: []\n' });
    expect(() => loadEnvironment(root, 'prod')).toThrow(EnvironmentNotFoundError);
    try {
      loadEnvironment(root, 'prod');
    } catch (err) {
      expect((err as EnvironmentNotFoundError).message).toBe('environment "prod" not found: there is no environments/prod.yaml');
      expect((err as EnvironmentNotFoundError).hint).toBe('environments that exist: production, staging');
    }
    expect(() => loadEnvironment(root, '../etc/passwd')).toThrow(EnvironmentNotFoundError);
  });

  it('the shipped environments are valid and really differ', () => {
    const demo = loadEnvironment(projectRoot, 'demo');
    const staging = loadEnvironment(projectRoot, 'staging');
    const production = loadEnvironment(projectRoot, 'production');
    expect(demo.releases.map((r) => r.chart)).toEqual(['demo-app']);
    expect(staging.releases.length).toBeGreaterThan(1);
    expect(production.sync.windows).toHaveLength(1);
    expect(production.cluster.context).toBe('production');
    expect(staging.cluster.context).toBe('staging');
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['0', 0],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['60', '5 m', 'm5', '', '1d', '-5m'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeUndefined());
});
