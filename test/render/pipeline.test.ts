import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INSTALL_ORDER } from '../../src/model/kinds.js';
import { toJsonList, toOutputFiles, toYamlStream, yamlStreamChunks } from '../../src/render/output.js';
import { chartYaml, objectsOf, oneRelease, problemsOf, render, writeRepo } from './repo.js';

const projectRoot = join(import.meta.dirname, '..', '..');

describe('values layering', () => {
  // Each layer sets the keys from its own level up; the rendered value of key N shows which layer won.
  const keys = ['chart', 'env', 'file1', 'file2', 'release', 'cli1', 'cli2', 'set1', 'set2'];
  const layer = (from: number): string => keys.slice(from).map((k) => `${k}: ${keys[from]}`).join('\n') + '\n';
  const repo = (): string =>
    writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/values.yaml': `${layer(0)}dropme: present\nnested: {a: chart, b: chart}\nlist: [1, 2, 3]\n`,
      'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata: {{ toJson Values }}\n',
      'environments/test.yaml': [
        'values:',
        ...layer(1).trim().split('\n').map((l) => `  ${l}`),
        '  nested: {b: env}',
        '  list: [9]',
        'releases:',
        '  - name: web',
        '    chart: app',
        '    valuesFiles: [values/one.yaml, values/two.yaml]',
        '    values:',
        ...layer(4).trim().split('\n').map((l) => `      ${l}`),
        '      dropme: null',
      ].join('\n'),
      'values/one.yaml': layer(2),
      'values/two.yaml': layer(3),
    });

  it('applies chart → environment → valuesFiles → release → --values → --set, in order', () => {
    const env = render(repo(), {
      overrides: {
        valuesFiles: [
          { name: 'cli1.yaml', text: layer(5) },
          { name: 'cli2.yaml', text: layer(6) },
        ],
        set: [
          { expression: 'set1=set1', asString: false },
          { expression: 'set2=set1', asString: false },
          { expression: 'set2=set2', asString: true },
        ],
      },
    });
    const data = objectsOf(env)[0]?.['data'] as Record<string, unknown>;
    for (const key of keys) expect(data[key], key).toBe(key);
    expect(data['nested']).toEqual({ a: 'chart', b: 'env' });
    expect(data['list']).toEqual([9]);
    expect(data).not.toHaveProperty('dropme');
  });

  it('--set-string keeps a string, --set parses it', () => {
    const env = render(repo(), {
      overrides: { set: [{ expression: 'asNumber=5', asString: false }, { expression: 'asString=5', asString: true }] },
    });
    const data = objectsOf(env)[0]?.['data'] as Record<string, unknown>;
    expect(data['asNumber']).toBe(5);
    expect(data['asString']).toBe('5');
  });

  it('a template that changes its values (merge) changes them for itself only', () => {
    // Templates render in file order: a.yaml merges into Values.extra, b.yaml and the next release must not see it.
    const mutate = '{{#with (merge Values.extra (dict "added" "yes"))}}{{/with}}';
    const show = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}-{{Release.Name}}\ndata:\n  added: "{{Values.extra.added}}"\n`;
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/values.yaml': 'extra: {kept: "1"}\n',
      'charts/app/templates/a.yaml': `${mutate}${show('a')}`,
      'charts/app/templates/b.yaml': show('b'),
      'charts/app/templates/c.yaml': `${show('c')}${mutate}`,
      'environments/test.yaml': 'releases:\n  - name: one\n    chart: app\n  - name: two\n    chart: app\n',
    });
    const added = Object.fromEntries(
      objectsOf(render(root)).map((o) => [(o['metadata'] as { name: string }).name, (o['data'] as { added: string }).added]),
    );
    expect(added).toEqual({ 'a-one': 'yes', 'b-one': '', 'c-one': '', 'a-two': 'yes', 'b-two': '', 'c-two': '' });
  });

  it('a missing values file is an error at its line in the environment file', () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'environments/test.yaml': 'releases:\n  - name: web\n    chart: app\n    valuesFiles:\n      - values/there.yaml\n      - values/missing.yaml\n',
      'values/there.yaml': 'a: 1\n',
    });
    expect(problemsOf(root)).toEqual(['environments/test.yaml:6: values file "values/missing.yaml" does not exist']);
  });

  it('values files must stay inside the repository', () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'environments/test.yaml': 'releases:\n  - name: web\n    chart: app\n    valuesFiles: [../outside.yaml]\n',
    });
    expect(problemsOf(root)[0]).toMatch(/^environments\/test\.yaml:4: values file "\.\.\/outside\.yaml" must be a path inside the repository/);
  });

  it('checks the merged values against values.schema.json, reporting every failing path', () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/values.yaml': 'replicas: 1\nimage: {tag: "1.0"}\n',
      'charts/app/values.schema.json': JSON.stringify({
        type: 'object',
        properties: { replicas: { type: 'integer', minimum: 1 }, image: { type: 'object', properties: { tag: { type: 'string' } } } },
      }),
      'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n',
      'environments/test.yaml': oneRelease('    values: {replicas: 0, image: {tag: 2}}\n'),
    });
    const problems = problemsOf(root).join('\n');
    expect(problems).toContain('charts/app/values.schema.json');
    expect(problems).toMatch(/replicas/);
    expect(problems).toMatch(/image[./]tag/);
  });
});

const templates = {
  // Deliberately out of install order and out of name order.
  'z-workloads.yaml': [
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b-web\n',
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a-web\n',
    'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n',
    'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n',
    'apiVersion: example.com/v1\nkind: Tenant\nmetadata:\n  name: t\n',
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n',
  ].join('---\n'),
  'a-base.yaml': [
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n  namespace: ignored\n',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: elsewhere\n  namespace: other\n  labels: {team: a, kasane.io/release: spoofed}\n',
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n',
    'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n',
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: tenants.example.com\nspec:\n  group: example.com\n  scope: Cluster\n  names: {kind: Tenant, plural: tenants}\n',
  ].join('---\n'),
  'hooks.yaml': [
    'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: smoke\n  annotations:\n    kasane.io/hook: post-sync\n',
    'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    kasane.io/hook: pre-sync,sync-fail\n    kasane.io/hook-weight: "-5"\n    kasane.io/hook-delete-policy: hook-succeeded, before-hook-creation\n    kasane.io/hook-timeout: 10m\n',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: helm-\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: "3"\n    helm.sh/hook-delete-policy: hook-failed\n',
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: helm-test\n  annotations:\n    helm.sh/hook: test\n',
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: waved\n  annotations:\n    kasane.io/sync-wave: "-2"\n    kasane.io/prune: "false"\n',
  ].join('---\n'),
};

function fullRepo(): string {
  const files: Record<string, string> = {
    'charts/app/Chart.yaml': chartYaml(),
    'environments/test.yaml': oneRelease(),
  };
  for (const [name, text] of Object.entries(templates)) files[`charts/app/templates/${name}`] = text;
  return writeRepo(files);
}

describe('rendered objects', () => {
  const repo = fullRepo();
  const env = render(repo);
  const objects = env.releases[0]!.objects;
  const find = (kind: string, name: string) => {
    const found = objects.find((o) => o.object.kind === kind && (o.object.metadata.name ?? o.object.metadata.generateName) === name);
    if (found === undefined) throw new Error(`${kind} ${name} not rendered`);
    return found;
  };

  it('every object carries kasane labels, keeping its own', () => {
    for (const { object } of objects) {
      expect(object.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'kasane',
        'kasane.io/environment': 'test',
        'kasane.io/release': 'web',
      });
    }
    expect(find('ConfigMap', 'elsewhere').object.metadata.labels?.['team']).toBe('a');
  });

  it('namespaced kinds get the release namespace; cluster-scoped kinds (built in or by CRD) have none', () => {
    expect(find('Deployment', 'a-web').object.metadata.namespace).toBe('shop');
    expect(find('ConfigMap', 'elsewhere').object.metadata.namespace).toBe('other');
    expect(find('Widget', 'w').object.metadata.namespace).toBe('shop');
    expect(find('ClusterRole', 'reader').object.metadata).not.toHaveProperty('namespace');
    expect(find('Namespace', 'extra').object.metadata).not.toHaveProperty('namespace');
    expect(find('CustomResourceDefinition', 'tenants.example.com').object.metadata).not.toHaveProperty('namespace');
    expect(find('Tenant', 't').object.metadata).not.toHaveProperty('namespace');
  });

  it('reads hooks, Helm aliases, waves and prune', () => {
    expect(find('Job', 'migrate').hook).toEqual({ phases: ['pre-sync', 'sync-fail'], weight: -5, deletePolicies: ['hook-succeeded', 'before-hook-creation'], timeoutMs: 600_000 });
    expect(find('Job', 'smoke').hook).toEqual({ phases: ['post-sync'], weight: 0, deletePolicies: ['before-hook-creation'] });
    expect(find('ConfigMap', 'helm-').hook).toEqual({ phases: ['pre-sync'], weight: 3, deletePolicies: ['hook-failed'] });
    expect(find('Pod', 'helm-test').hook).toEqual({ phases: [], weight: 0, deletePolicies: ['before-hook-creation'] });
    expect(find('Secret', 'waved')).toMatchObject({ wave: -2, pruneDisabled: true });
    expect(find('Deployment', 'a-web')).toMatchObject({ wave: 0, pruneDisabled: false });
    expect(find('Deployment', 'a-web').hook).toBeUndefined();
  });

  it("orders main objects by Helm's install order then name, unknown kinds after (alphabetically), then hooks by weight", () => {
    const order = objects.map((o) => `${o.object.kind}/${o.object.metadata.name ?? o.object.metadata.generateName}`);
    expect(order).toEqual([
      'Namespace/extra',
      'ServiceAccount/web',
      'Secret/waved',
      'ConfigMap/elsewhere',
      'CustomResourceDefinition/tenants.example.com',
      'ClusterRole/reader',
      'Service/web',
      'Deployment/a-web',
      'Deployment/b-web',
      'Gadget/g',
      'Tenant/t',
      'Widget/w',
      'Job/migrate',
      'Pod/helm-test',
      'Job/smoke',
      'ConfigMap/helm-',
    ]);
    expect(INSTALL_ORDER.indexOf('Namespace')).toBeLessThan(INSTALL_ORDER.indexOf('Deployment'));
  });

  it('records the template of each object, and its line when lines are asked for', () => {
    expect(find('Job', 'smoke').template).toBe('charts/app/templates/hooks.yaml');
    expect(find('Service', 'web').line).toBeUndefined();
    const withLines = render(repo, { lines: true }).releases[0]!.objects;
    const service = withLines.find((o) => o.object.kind === 'Service' && o.object.metadata.name === 'web');
    expect(service).toMatchObject({ template: 'charts/app/templates/z-workloads.yaml', line: 26 });
    // Tracing lines changes nothing else.
    expect(withLines.map((o) => o.object)).toEqual(objects.map((o) => o.object));
  });
});

describe('output', () => {
  it('prints a YAML stream with # Source lines, JSON, and helm-like output files', () => {
    const env = render(fullRepo());
    const yaml = toYamlStream(env);
    expect(yaml.startsWith('---\n# Source: charts/app/templates/a-base.yaml\napiVersion: v1\nkind: Namespace\n')).toBe(true);
    expect(yaml.match(/^# Source: /gm)).toHaveLength(16);
    const list = JSON.parse(toJsonList(env)) as { kind: string }[];
    expect(list.map((o) => o.kind)).toEqual(env.releases[0]!.objects.map((o) => o.object.kind));
    const files = toOutputFiles(env);
    expect([...files.keys()]).toEqual(['web/app/templates/a-base.yaml', 'web/app/templates/hooks.yaml', 'web/app/templates/z-workloads.yaml']);
    expect(files.get('web/app/templates/hooks.yaml')?.match(/^---\n# Source: charts\/app\/templates\/hooks\.yaml$/gm)).toHaveLength(5);
  });
});

describe('a large stream', () => {
  it('is printed in pieces that add up to every document, in order', () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/values.yaml': `names: [${Array.from({ length: 600 }, (_, i) => `cm-${String(i).padStart(3, '0')}`).join(', ')}]\n`,
      'charts/app/templates/cm.yaml': '{{#each Values.names}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{this}}\ndata:\n  text: "{{this}} {{this}} {{this}} {{this}} {{this}} {{this}} {{this}} {{this}} {{this}}"\n{{/each}}\n',
      'environments/test.yaml': oneRelease(),
    });
    const env = render(root);
    const chunks = [...yamlStreamChunks(env)];
    expect(chunks.length).toBeGreaterThan(1);
    const names = chunks.join('').match(/^  name: (cm-\d+)$/gm)?.map((l) => l.slice('  name: '.length));
    expect(names).toEqual(Array.from({ length: 600 }, (_, i) => `cm-${String(i).padStart(3, '0')}`));
    expect(chunks.join('')).toBe(toYamlStream(env));
  });
});

describe('determinism', () => {
  it('the same inputs give byte-identical output', () => {
    const first = toYamlStream(render(projectRoot.length > 0 ? fullRepo() : ''));
    const second = toYamlStream(render(fullRepo()));
    expect(second).toBe(first);
  });

  it('the shipped environments render identically twice', () => {
    for (const environment of ['demo', 'staging', 'production']) {
      const a = toYamlStream(render(projectRoot, { environment }));
      const b = toYamlStream(render(projectRoot, { environment }));
      expect(b).toBe(a);
    }
  });

  it('{{#each}} visits map keys in Go order, so the order keys are written in never shows', () => {
    const rendered = (values: string) =>
      toYamlStream(
        render(
          writeRepo({
            'charts/app/Chart.yaml': chartYaml(),
            'charts/app/values.yaml': values,
            'charts/app/templates/cm.yaml':
              'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  annotations:\n    order: "{{#each Values.env}}{{@index}}{{@key}}={{this}}{{#if @last}}.{{/if}};{{/each}}"\ndata:\n{{#each Values.env as |value name|}}\n  {{name}}: {{quote value}}\n{{/each}}\n',
            'environments/test.yaml': oneRelease(),
          }),
        ),
      );
    const a = rendered('env: {b: 2, a: 1, B: 3, "10": x, "9": yy}\n');
    const b = rendered('env: {"9": yy, a: 1, B: 3, b: 2, "10": x}\n');
    expect(b).toBe(a);
    expect(a).toContain('order: 010=x;19=yy;2B=3;3a=1;4b=2.;');
  });

  it('reordering the keys of a values file changes no checksum', () => {
    const config = (text: string) =>
      writeRepo({
        'charts/app/Chart.yaml': chartYaml(),
        'charts/app/values.yaml': text,
        'charts/app/templates/d.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n    checksum/config: {{ sha256sum (toYaml Values.config) }}\n',
        'environments/test.yaml': oneRelease(),
      });
    const checksum = (root: string): string => {
      const [d] = objectsOf(render(root)) as { metadata: { annotations: Record<string, string> } }[];
      return d!.metadata.annotations['checksum/config']!;
    };
    const a = checksum(config('config:\n  b: 2\n  a: {y: 1, x: [1, 2]}\n'));
    const b = checksum(config('config:\n  a: {x: [1, 2], y: 1}\n  b: 2\n'));
    const changed = checksum(config('config:\n  a: {x: [2, 1], y: 1}\n  b: 2\n'));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(changed).not.toBe(a);
  });
});

describe('the demo chart', () => {
  it('renders different environments differently', () => {
    const deployment = (environment: string) =>
      render(projectRoot, { environment })
        .releases.find((r) => r.name === 'web')!
        .objects.find((o) => o.object.kind === 'Deployment')!.object as unknown as {
        spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
      };
    expect(deployment('demo').spec.replicas).toBe(1);
    expect(deployment('staging').spec.replicas).toBe(2);
    expect(deployment('production').spec.replicas).toBe(4);
    expect(deployment('staging').spec.template.spec.containers[0]!.image).toBe('nginx:1.27.1');
    expect(deployment('production').spec.template.spec.containers[0]!.image).toBe('nginx:1.26.2');
  });

  it('has a pre-sync migration and a post-sync smoke test', () => {
    const hooks = render(projectRoot, { environment: 'demo' }).releases[0]!.objects.filter((o) => o.hook !== undefined);
    expect(hooks.map((h) => [h.object.kind, h.hook?.phases])).toEqual([
      ['Job', ['pre-sync']],
      ['Job', ['post-sync']],
    ]);
  });
});
