import { describe, expect, it } from 'vitest';
import { tryRenderEnvironment } from '../../src/render/render.js';
import { chartYaml, objectsOf, oneRelease, problemsOf, render, writeRepo } from './repo.js';

const configMap = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

function repoWith(templates: Record<string, string>, values = 'image: {}\nitems: [a, b, c]\n'): string {
  const files: Record<string, string> = {
    'charts/app/Chart.yaml': chartYaml(),
    'charts/app/values.yaml': values,
    'environments/test.yaml': oneRelease(),
  };
  for (const [name, text] of Object.entries(templates)) files[`charts/app/templates/${name}`] = text;
  return writeRepo(files);
}

describe('render errors name the template file and the line in the template', () => {
  it('required: the line of the call', () => {
    const root = repoWith({
      'deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  image: {{ required "image.tag is required" Values.image.tag }}\n',
    });
    const [problem, ...rest] = problemsOf(root);
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^charts\/app\/templates\/deployment\.yaml:6: .*image\.tag is required/);
  });

  it('a helper given the wrong arguments: the line of the call', () => {
    const root = repoWith({ 'a.yaml': `${configMap('a')}data:\n  x: |{{ nindent "four" Values.x }}\n` });
    expect(problemsOf(root)).toEqual([expect.stringMatching(/^charts\/app\/templates\/a\.yaml:6: nindent: .*integer/)]);
  });

  it('Handlebars syntax errors, with the line', () => {
    const root = repoWith({ 'broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Values.x }\n' });
    expect(problemsOf(root)[0]).toMatch(/^charts\/app\/templates\/broken\.yaml:4: template syntax error/);
  });

  it('a block that is never closed: the line where it opens', () => {
    const root = repoWith({
      'open.yaml': `${configMap('a')}data:\n{{#each Values.items}}\n  {{#if this}}\n  k: v\n  {{/if}}\n\n`,
    });
    expect(problemsOf(root)).toEqual([expect.stringMatching(/^charts\/app\/templates\/open\.yaml:6: template syntax error: \{\{#each\}\} is never closed/)]);
  });

  it('unknown helpers and partials, each with its line, all of them', () => {
    const root = repoWith({
      'a.yaml': `${configMap('a')}data:\n  x: {{ frobnicate Values.x }}\n  y: {{> nothere}}\n  z: {{ include "alsomissing" this }}\n`,
    });
    const problems = problemsOf(root);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^charts\/app\/templates\/a\.yaml:6: unknown helper "frobnicate"/);
    expect(problems[1]).toMatch(/^charts\/app\/templates\/a\.yaml:7: unknown partial "nothere"/);
    expect(problems[2]).toMatch(/^charts\/app\/templates\/a\.yaml:8: unknown partial "alsomissing"/);
  });

  it("Go template whitespace trimming gets a hint towards Handlebars' ~", () => {
    const root = repoWith({ 'a.yaml': `${configMap('a')}data:\n  x: {{- nindent 2 Values.x }}\n` });
    expect(problemsOf(root)[0]).toMatch(/a\.yaml:6: unknown helper "-"/);
  });

  it('rendered text that is not YAML: the template line it came from, and the rendered lines', () => {
    const root = repoWith({
      'list.yaml': `${configMap('list')}data:\n{{#each Values.items}}\n  k{{@index}}: {{this}}\n{{/each}}\n  broken: : here\n`,
    });
    const [problem] = problemsOf(root);
    // Template line 9 holds `broken: : here`; in the rendered output it is line 8 (the each block expands to three lines, its tags vanish).
    expect(problem).toMatch(/^charts\/app\/templates\/list\.yaml:9: the template renders invalid YAML/);
    expect(problem).toContain('broken: : here');
  });

  it('a document without apiVersion, kind or metadata.name: the template line of that document', () => {
    const root = repoWith({
      'two.yaml': `${configMap('first')}---\n{{#if Values.items}}\nkind: Secret\nmetadata:\n  name: second\n{{/if}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n`,
    });
    const problems = problemsOf(root);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^charts\/app\/templates\/two\.yaml:7: a Secret without apiVersion/);
    expect(problems[1]).toMatch(/^charts\/app\/templates\/two\.yaml:12: a ConfigMap without metadata\.name/);
  });

  it('two objects with the same identity: names both templates', () => {
    const root = repoWith({ 'a.yaml': configMap('same'), 'b.yaml': `\n\n${configMap('same')}` });
    const problems = problemsOf(root);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^charts\/app\/templates\/b\.yaml:3: v1 ConfigMap shop\/same: defined twice: also rendered by charts\/app\/templates\/a\.yaml:1/);
  });

  it('the same name in another namespace or of another kind is not a duplicate', () => {
    const root = repoWith({
      'a.yaml': configMap('same'),
      'b.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n  namespace: other\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: same\n`,
      'c.yaml': '{{#if Values.nothing}}\napiVersion: v1\n{{/if}}\n',
    });
    expect(() => problemsOf(root)).toThrow(/succeeded/);
  });

  it('malformed hook annotations name the object and the template', () => {
    const root = repoWith({
      'hooks.yaml': [
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    kasane.io/hook: pre-deploy\n',
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: smoke\n  annotations:\n    kasane.io/hook: post-sync\n    kasane.io/hook-weight: high\n',
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: legacy\n  annotations:\n    helm.sh/hook: pre-instal\n',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: waved\n  annotations:\n    kasane.io/sync-wave: "1.5"\n',
      ].join('---\n'),
    });
    const problems = problemsOf(root);
    expect(problems).toEqual([
      expect.stringMatching(/^charts\/app\/templates\/hooks\.yaml:1: batch\/v1 Job shop\/migrate: annotation kasane\.io\/hook: unknown hook "pre-deploy"/),
      expect.stringMatching(/^charts\/app\/templates\/hooks\.yaml:8: batch\/v1 Job shop\/smoke: annotation kasane\.io\/hook-weight: "high" is not an integer/),
      expect.stringMatching(/^charts\/app\/templates\/hooks\.yaml:16: batch\/v1 Job shop\/legacy: annotation helm\.sh\/hook: unknown hook "pre-instal"/),
      expect.stringMatching(/^charts\/app\/templates\/hooks\.yaml:23: v1 ConfigMap shop\/waved: annotation kasane\.io\/sync-wave: "1\.5" is not an integer/),
    ]);
  });

  it('label and annotation values must be strings, namespaces too', () => {
    const root = repoWith({
      'a.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {version: 1.0, team: core}\n  annotations: {enabled: true}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: 5\n`,
    });
    expect(problemsOf(root)).toEqual([
      'charts/app/templates/a.yaml:1: v1 ConfigMap shop/a: label and annotation values must be strings; quote them (label version: 1, annotation enabled: true)',
      'charts/app/templates/a.yaml:8: v1 ConfigMap 5/b: metadata.namespace must be a non-empty string, not 5',
    ]);
  });

  it('generateName is for hooks only', () => {
    const root = repoWith({ 'a.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: web-\n' });
    expect(problemsOf(root)[0]).toMatch(/a\.yaml:1: v1 Pod shop\/web-: metadata\.generateName is only allowed on hooks/);
  });

  it('errors inside a partial name the partial file', () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/templates/_name.hbs': 'x-\n{{ required "name.suffix is required" Values.suffix }}',
      'charts/app/templates/a.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include "name" this }}\n`,
      'environments/test.yaml': oneRelease(),
    });
    expect(problemsOf(root)[0]).toMatch(/^charts\/app\/templates\/_name\.hbs:2: .*name\.suffix is required/);
  });

  it('errors inside a {{> partial}} name the partial file too', () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/templates/_labels.hbs': 'a: b\nc: {{ nindent "x" Values.c }}\n',
      'charts/app/templates/a.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    {{> labels}}\n`,
      'environments/test.yaml': oneRelease(),
    });
    expect(problemsOf(root)[0]).toMatch(/^charts\/app\/templates\/_labels\.hbs:2: nindent: /);
  });

  it('@root inside an included partial or a tpl string is the root of the template', () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/values.yaml': 'services: {api: {port: 80}}\nt: "{{ @root.Release.Name }}-{{ port }}"\n',
      'charts/app/templates/_svc.hbs': '{{ @root.Release.Name }}-{{ port }}',
      'charts/app/templates/a.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n{{#each Values.services}}\n  {{@key}}: {{ include "svc" this }}\n  {{@key}}-tpl: {{ tpl @root.Values.t this }}\n{{/each}}\n`,
      'environments/test.yaml': oneRelease(),
    });
    const [cm] = objectsOf(render(root)) as { data: Record<string, string> }[];
    expect(cm?.data).toEqual({ api: 'web-80', 'api-tpl': 'web-80' });
  });

  it('{{> partial}} on its own line is indented like the line', () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/templates/_labels.hbs': 'a: b\nrelease: {{ Release.Name }}\n',
      'charts/app/templates/a.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    {{> labels}}\ndata: {}\n`,
      'environments/test.yaml': oneRelease(),
    });
    const [cm] = objectsOf(render(root)) as { metadata: { labels: Record<string, string> } }[];
    expect(cm?.metadata.labels).toMatchObject({ a: 'b', release: 'web' });
  });

  it('errors inside a tpl string are reported at the tpl call of the template', () => {
    const root = repoWith(
      { 'a.yaml': `${configMap('a')}data:\n  host: {{ tpl Values.hostTemplate this }}\n` },
      'hostTemplate: "{{ required \\"global.domain is required\\" Values.global.domain }}"\n',
    );
    expect(problemsOf(root)).toEqual([
      expect.stringMatching(/^charts\/app\/templates\/a\.yaml:6: tpl ".*": required value missing: global\.domain is required/),
    ]);
    const broken = repoWith({ 'a.yaml': `${configMap('a')}data:\n  host: {{ tpl Values.t this }}\n` }, 't: "{{ oops"\n');
    expect(problemsOf(broken)[0]).toMatch(/^charts\/app\/templates\/a\.yaml:6: tpl "\{\{ oops": template syntax error/);
  });

  it('an unknown chart says which charts exist', () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/other/Chart.yaml': chartYaml('other'),
      'environments/test.yaml': 'releases:\n  - name: web\n    chart: ap\n',
    });
    const outcome = tryRenderEnvironment({ repoRoot: root, environment: 'test' });
    expect(outcome.ok).toBe(false);
    const [problem] = outcome.ok ? [] : outcome.problems;
    expect(problem?.message).toMatch(/^environments\/test\.yaml:3: release web: chart "ap" not found/);
    expect(problem?.hint).toBe('charts that exist: app, other');
  });
});
