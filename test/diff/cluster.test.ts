/**
 * `kasane diff` against a real API server (the devcluster over HTTP), with the real kubectl making
 * the changes a person would make, and kubectl's own server-side diff as the reference.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { connect, ForbiddenError, UnknownKindError, UnreachableError, type ClusterClient } from '../../src/cluster/index.js';
import {
  desiredObjects,
  diffAgainstCluster,
  MissingNamespaceError,
  printJson,
  printMarkdown,
  printText,
  pruneCandidates,
  type DiffReport,
} from '../../src/diff/index.js';
import { runSync } from '../../src/sync/engine.js';
import { formatRef, refOf } from '../../src/model/object.js';
import type { RenderedEnvironment } from '../../src/model/rendered.js';
import { useDevcluster } from '../support/devcluster.js';
import { kasane } from './cli.js';
import { applyEnvironment, makeRepo } from './fixture.js';

const cluster = useDevcluster();
const repo = makeRepo();
afterAll(() => repo.dispose());

let client: ClusterClient;
beforeEach(async () => {
  cluster().cluster.reset();
  repo.setEnvironment({});
  client = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
  await applyEnvironment(client, repo.render());
});

function changed(report: DiffReport): string[] {
  return report.objects.filter((o) => o.action !== 'unchanged').map((o) => `${o.action} ${formatRef(o.ref)}`);
}

async function diffWith(values: Record<string, unknown>, opts: { showSecrets?: boolean; context?: number } = {}): Promise<DiffReport> {
  repo.setEnvironment(values);
  return diffAgainstCluster(client, repo.render(), opts);
}

describe('kasane diff against the cluster', () => {
  it('reports nothing right after an apply, server defaults included', async () => {
    const report = await diffWith({});
    expect(changed(report)).toEqual([]);
    // namespace, Secret, ConfigMap, Service, Deployment
    expect(report.summary).toEqual({ create: 0, update: 0, prune: 0, unchanged: 5 });
    expect(printText(report, { color: false })).toBe('0 to create, 0 to update, 0 to prune, 5 unchanged\n');
  });

  it('shows a changed value as an update with the changed line', async () => {
    const report = await diffWith({ replicas: 3 });
    expect(changed(report)).toEqual(['update apps/v1 Deployment shop/web']);
    const diff = report.objects.find((o) => o.action === 'update')?.diffText ?? '';
    expect(diff).toContain('-  replicas: 2\n+  replicas: 3\n');
  });

  it('shows an added object as a create', async () => {
    const report = await diffWith({ extra: true });
    expect(changed(report)).toEqual(['create v1 ConfigMap shop/extra']);
    const diff = report.objects.find((o) => o.action === 'create')?.diffText ?? '';
    expect(diff).toMatch(/^@@ -0,0 \+1,\d+ @@\n/);
    expect(diff).toContain('+  added: "yes"');
  });

  it('shows a removed container port', async () => {
    const report = await diffWith({ ports: [80] });
    expect(changed(report)).toEqual(['update apps/v1 Deployment shop/web']);
    const removed = (report.objects.find((o) => o.action === 'update')?.diffText ?? '').split('\n').filter((l) => l.startsWith('-'));
    expect(removed.join('\n')).toContain('containerPort: 9090');
    expect(removed.join('\n')).not.toContain('containerPort: 80\n');
  });

  it('masks a changed Secret value everywhere; the plain value appears in no output', async () => {
    const report = await diffWith({ password: 'correct-horse-battery' });
    expect(changed(report)).toEqual(['update v1 Secret shop/db']);
    const outputs = [printText(report, { color: false }), printJson(report), printMarkdown(report)];
    for (const secret of ['hunter2-original', 'correct-horse-battery', 'shop']) {
      for (const out of outputs) {
        expect(out).not.toContain(Buffer.from(secret).toString('base64'));
      }
    }
    for (const out of outputs) {
      expect(out).not.toContain('hunter2-original');
      expect(out).not.toContain('correct-horse-battery');
    }
    const diff = report.objects.find((o) => o.action === 'update')?.diffText ?? '';
    expect(diff).toMatch(/-\s+password: '\*\*\* value 1 \*\*\*'\n\+\s+password: '\*\*\* value 2 \*\*\*'/);
    // the unchanged key keeps one mask and is no diff line
    expect(diff).not.toMatch(/^[-+]\s+user:/m);

    const shown = await diffWith({ password: 'correct-horse-battery' }, { showSecrets: true });
    expect(printText(shown, { color: false })).toContain(Buffer.from('correct-horse-battery').toString('base64'));
  });

  it('does not report a label someone added with kubectl label', async () => {
    const labelled = await cluster().kubectl(['label', 'deployment', 'web', '-n', 'shop', 'team=payments']);
    expect(labelled.code, labelled.stderr).toBe(0);
    const live = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' });
    expect(live?.metadata.labels?.['team']).toBe('payments');
    expect(changed(await diffWith({}))).toEqual([]);
  });

  it('reports kubectl scale of a Deployment whose replicas kasane applies', async () => {
    const scaled = await cluster().kubectl(['scale', 'deployment', 'web', '-n', 'shop', '--replicas=5']);
    expect(scaled.code, scaled.stderr).toBe(0);
    const report = await diffWith({});
    expect(changed(report)).toEqual(['update apps/v1 Deployment shop/web']);
    expect(report.objects.find((o) => o.action === 'update')?.diffText).toContain('-  replicas: 5\n+  replicas: 2\n');
  });

  /** The objects real `kubectl diff --server-side --field-manager kasane --force-conflicts` reports as changed. */
  async function kubectlDiffChanged(env: RenderedEnvironment): Promise<string[]> {
    const desired = desiredObjects(env.releases, { includeHooks: false }).map((d) => d.object);
    // kubectl names each object `<group.>version.Kind.namespace.name`.
    const byKubectlName = new Map(
      desired.map((o) => {
        const ref = refOf(o);
        const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : ['', ref.apiVersion];
        return [`${group ? `${group}.` : ''}${version}.${ref.kind}.${ref.namespace ?? ''}.${ref.name}`, formatRef(ref)];
      }),
    );
    const file = cluster().writeFile('desired.yaml', desired.map((o) => stringify(o)).join('---\n'));
    const result = await cluster().kubectl(['diff', '--server-side', '--field-manager', 'kasane', '--force-conflicts', '-f', file]);
    // kubectl diff exits 0 without differences, 1 with, above 1 on errors.
    expect(result.code, result.stderr).toBeLessThanOrEqual(1);
    const names = [...result.stdout.matchAll(/^diff -u -N \S+ \S+\/([^/\s]+)$/gm)].map((m) => m[1] ?? '');
    expect(result.code === 1).toBe(names.length > 0);
    return names.map((n) => byKubectlName.get(n) ?? n).sort();
  }

  async function oursChanged(env: RenderedEnvironment): Promise<string[]> {
    return (await diffAgainstCluster(client, env)).objects
      .filter((o) => o.action !== 'unchanged')
      .map((o) => formatRef(o.ref))
      .sort();
  }

  it('reports the same changed objects as kubectl diff --server-side --field-manager kasane', async () => {
    const k = cluster().kubectl;
    // untouched: neither reports anything (server defaults are no drift for either)
    expect(await kubectlDiffChanged(repo.render())).toEqual([]);
    expect(await oursChanged(repo.render())).toEqual([]);

    expect((await k(['scale', 'deployment', 'web', '-n', 'shop', '--replicas=4'])).code).toBe(0);
    expect((await k(['label', 'service', 'web', '-n', 'shop', 'owner=someone'])).code).toBe(0);
    expect((await k(['annotate', 'secret', 'db', '-n', 'shop', 'note=by-hand'])).code).toBe(0);
    expect((await k(['patch', 'configmap', 'greeting', '-n', 'shop', '--type=merge', '-p', '{"data":{"other":"x"}}'])).code).toBe(0);
    const drifted = repo.render();
    expect(await oursChanged(drifted)).toEqual(await kubectlDiffChanged(drifted));
    expect(await oursChanged(drifted)).toEqual(['apps/v1 Deployment shop/web']);

    repo.setEnvironment({ greeting: 'bonjour', extra: true, password: 'rotated', ports: [80] });
    const changedEnv = repo.render();
    const ours = await oursChanged(changedEnv);
    expect(ours).toEqual(await kubectlDiffChanged(changedEnv));
    expect(ours).toEqual(['apps/v1 Deployment shop/web', 'v1 ConfigMap shop/extra', 'v1 ConfigMap shop/greeting', 'v1 Secret shop/db'].sort());
  });

  it('shows everything as create in a namespace that the release will create', async () => {
    cluster().cluster.reset();
    // two ConfigMaps: read with one list in the namespace that does not exist yet
    const report = await diffWith({ extra: true });
    expect(report.summary).toEqual({ create: 6, update: 0, prune: 0, unchanged: 0 });
    expect(changed(report)).toContain('create v1 Namespace shop');
  });

  it('fails, naming the object, for a namespace that neither exists nor is created', async () => {
    const elsewhere = makeRepo({ namespace: 'nowhere', createNamespace: false });
    try {
      const err = await diffAgainstCluster(client, elsewhere.render()).catch((e: unknown) => e);
      // one error for the namespace, naming the objects that would go there
      expect(err).toBeInstanceOf(MissingNamespaceError);
      const missing = err as MissingNamespaceError;
      expect(missing.message).toContain('namespace nowhere does not exist and no release of the environment creates it; 4 objects');
      expect(missing.refs.map(formatRef)).toContain('apps/v1 Deployment nowhere/web');
      expect(missing.hint).toContain('createNamespace: true');
    } finally {
      elsewhere.dispose();
    }
  });

  it('an unknown kind without its CRD names the object and suggests installing the CRD', async () => {
    const err = await diffWith({ widget: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownKindError);
    expect((err as UnknownKindError).message).toContain('example.com/v1 Widget shop/gizmo');
    expect((err as UnknownKindError).hint).toContain('CustomResourceDefinition');
  });

  it('a custom resource whose CRD the environment renders shows as create', async () => {
    const report = await diffWith({ widget: true, widgetCrd: true });
    expect(changed(report).sort()).toEqual([
      'create apiextensions.k8s.io/v1 CustomResourceDefinition widgets.example.com',
      'create example.com/v1 Widget shop/gizmo',
    ]);
  });

  it('names server and context when the cluster is unreachable', async () => {
    const kubeconfig = cluster().writeFile(
      'unreachable.yaml',
      cluster().cluster.kubeconfig({ context: 'far-away' }).replace(/http:\/\/127\.0\.0\.1:\d+/, 'http://127.0.0.1:9'),
    );
    const far = await connect({ kubeconfig, env: {} });
    const err = await diffAgainstCluster(far, repo.render()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toContain('http://127.0.0.1:9');
    expect((err as Error).message).toContain('context "far-away"');
    expect((err as UnreachableError).hint).toMatch(/kubeconfig/i);
  });

  it('reports 403 Forbidden with the verb and resource (a namespace being deleted refuses new objects)', async () => {
    // The devcluster has no RBAC; its one 403 is a real API server's too: new content in a terminating namespace.
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'closing', finalizers: ['example.com/hold'] } }, { force: true });
    expect(await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'closing' })).toBe(true);
    const closing = makeRepo({ namespace: 'closing', createNamespace: true });
    try {
      const err = await diffAgainstCluster(client, closing.render()).catch((e: unknown) => e);
      const first = ((err as { errors?: unknown[] }).errors?.[0] ?? err) as ForbiddenError;
      expect(first).toBeInstanceOf(ForbiddenError);
      expect(first.message).toMatch(/forbidden to patch \S+ in namespace closing/);
      expect(first.hint).toContain('being deleted');
    } finally {
      closing.dispose();
    }
  });

  it('reports an RBAC denial with the verb and resource, and the context whose user lacks them', async () => {
    cluster().cluster.setConfig({ authorization: { user: 'ci-bot', deny: [{ verb: 'patch', resource: 'deployments', group: 'apps', namespace: 'shop' }] } });
    try {
      const err = await diffWith({ replicas: 3 }).catch((e: unknown) => e);
      const first = ((err as { errors?: unknown[] }).errors?.[0] ?? err) as ForbiddenError;
      expect(first).toBeInstanceOf(ForbiddenError);
      expect(first.message).toContain('apps/v1 Deployment shop/web');
      expect(first.message).toMatch(/forbidden to patch deployments\.apps in namespace shop/);
      expect(first.message).toContain('User "ci-bot" cannot patch resource "deployments" in API group "apps"');
      expect(first.hint).toMatch(/grant the user of context "devcluster" the RBAC permission to patch deployments\.apps/);

      // Reading is checked too: a user who may not read Secrets gets no diff at all.
      cluster().cluster.setConfig({ authorization: { deny: [{ verb: 'get', resource: 'secrets' }] } });
      const reading = await diffWith({}).catch((e: unknown) => e);
      const denied = ((reading as { errors?: unknown[] }).errors?.[0] ?? reading) as ForbiddenError;
      expect(denied).toBeInstanceOf(ForbiddenError);
      expect(denied.message).toMatch(/v1 Secret shop\/\S+: forbidden to get secrets in namespace shop/);
    } finally {
      cluster().cluster.setConfig({});
    }
  });

  it('gives the same report through a server that throttles, fails and drops connections', async () => {
    const calm = changed(await diffWith({ replicas: 3, extra: true }));
    cluster().cluster.setConfig({ faults: { seed: 11, throttleRate: 0.1, errorRate: 0.15, dropRate: 0.1, retryAfterSeconds: 0 } });
    try {
      const flaky = await connect({ kubeconfig: cluster().kubeconfigPath, env: {}, retry: { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 50, maxRetryAfterMs: 50 } });
      expect(changed(await diffAgainstCluster(flaky, repo.render()))).toEqual(calm);
      expect(flaky.stats.writes).toBe(0);
    } finally {
      cluster().cluster.setConfig({});
    }
  });

  it('reads each kind and namespace with one list instead of a GET per object', async () => {
    const many = makeRepo({ namespace: 'bulk' });
    try {
      const templates = Array.from({ length: 30 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  n: "${i}"\n`);
      many.write('charts/web/templates/many.yaml', templates.join('---\n'));
      const env = many.render();
      await applyEnvironment(client, env);
      const fresh = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
      const report = await diffAgainstCluster(fresh, env);
      // 31 ConfigMaps, the Secret, Service, Deployment and Namespace
      expect(report.summary.unchanged).toBe(35);
      // one dry-run apply each, a few discovery documents and one list per kind and namespace; no GET per object
      expect(fresh.stats.requests).toBeLessThan(35 + 10);
      expect(fresh.stats.writes).toBe(0);
    } finally {
      many.dispose();
    }
  });
});

describe('prune entries from the release inventory', () => {
  it('an object an earlier sync applied and the chart no longer renders is reported as prune', async () => {
    cluster().cluster.reset();
    repo.setEnvironment({ extra: true }, { sync: { prune: true } });
    const synced = await runSync(client, repo.render(), { timeoutMs: 30_000 }, () => undefined);
    expect(synced.status).toBe('succeeded');
    repo.setEnvironment({}, { sync: { prune: true } });
    const env = repo.render();
    const report = await diffAgainstCluster(client, env, { prune: await pruneCandidates(client, env, []) });
    expect(changed(report)).toEqual(['prune v1 ConfigMap shop/extra']);
    expect(report.objects.at(-1)?.diffText).toContain('-  added: "yes"');
    // labelled by hand for another release: not kasane's to delete, not reported
    expect((await cluster().kubectl(['label', '--overwrite', 'configmap', 'extra', '-n', 'shop', 'kasane.io/release=other'])).code).toBe(0);
    expect(changed(await diffAgainstCluster(client, env, { prune: await pruneCandidates(client, env, []) }))).toEqual([]);
  });
});

describe('the kasane diff command', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => kasane(['--repo-root', repo.root, ...args], env);

  it('exit 0 with no changes; with --detailed-exitcode 2 when there are changes', async () => {
    repo.setEnvironment({});
    const same = await run(['--kubeconfig', cluster().kubeconfigPath, 'diff', '--env', 'dev', '--detailed-exitcode']);
    expect(same.stderr).toBe('');
    expect(same).toMatchObject({ code: 0, stdout: '0 to create, 0 to update, 0 to prune, 5 unchanged\n' });

    repo.setEnvironment({ replicas: 4 });
    const plain = await run(['--kubeconfig', cluster().kubeconfigPath, 'diff', '--env', 'dev']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('apps/v1 Deployment shop/web: update (release web)\n@@');
    const detailed = await run(['--kubeconfig', cluster().kubeconfigPath, 'diff', '--env', 'dev', '--detailed-exitcode', '-o', 'json']);
    expect(detailed.code).toBe(2);
    expect(JSON.parse(detailed.stdout)).toMatchObject({ format: 'kasane.diff/v1', changes: true, summary: { update: 1, unchanged: 4 } });
  });

  it('--diff-context sets the lines around a change', async () => {
    repo.setEnvironment({ replicas: 4 });
    const narrow = await run(['--kubeconfig', cluster().kubeconfigPath, 'diff', '--env', 'dev', '--diff-context', '0']);
    expect(narrow.stdout).toContain('@@ -');
    expect(narrow.stdout.split('\n').filter((l) => l.startsWith(' '))).toEqual([]);
    const bad = await run(['--kubeconfig', cluster().kubeconfigPath, 'diff', '--env', 'dev', '--diff-context', 'many']);
    expect(bad.code).toBe(1);
  });

  it('an error exits 1 with nothing on stdout and the object and hint on stderr', async () => {
    repo.setEnvironment({ widget: true });
    const r = await run(['--kubeconfig', cluster().kubeconfigPath, 'diff', '--env', 'dev', '--detailed-exitcode']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('example.com/v1 Widget shop/gizmo');
    expect(r.stderr).toContain('hint: install the CustomResourceDefinition');
  });

  it('forbidden by RBAC: exit 1, nothing on stdout, the verb and resource on stderr', async () => {
    repo.setEnvironment({ replicas: 5 });
    cluster().cluster.setConfig({ authorization: { deny: [{ verb: 'patch', resource: 'deployments' }] } });
    try {
      const r = await run(['--kubeconfig', cluster().kubeconfigPath, 'diff', '--env', 'dev', '--detailed-exitcode', '-o', 'json']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('apps/v1 Deployment shop/web');
      expect(r.stderr).toContain('forbidden to patch deployments.apps in namespace shop');
      expect(r.stderr).toMatch(/hint: grant the user of context "devcluster" the RBAC permission/);
    } finally {
      cluster().cluster.setConfig({});
    }
  });

  it('finds the cluster through KUBECONFIG and picks the context: --context, else cluster.context, else current', async () => {
    // current-context points at a dead server; the live one is only reachable by name.
    const live = cluster().cluster.kubeconfig({ context: 'live' });
    const dead = cluster().cluster.kubeconfig({ context: 'dead' }).replace(/http:\/\/127\.0\.0\.1:\d+/, 'http://127.0.0.1:9');
    const deadFile = cluster().writeFile('dead.yaml', dead.replace(/devcluster/g, 'gone'));
    const liveFile = cluster().writeFile('live.yaml', live.replace(/^current-context:.*$/m, ''));
    const env = { KUBECONFIG: `${deadFile}:${liveFile}` };
    repo.setEnvironment({});

    const current = await run(['diff', '--env', 'dev'], env);
    expect(current.code).toBe(1);
    expect(current.stderr).toContain('context "dead"');
    expect(current.stderr).toContain('http://127.0.0.1:9');

    expect((await run(['--context', 'live', 'diff', '--env', 'dev'], env)).code).toBe(0);

    repo.setEnvironment({}, { cluster: { context: 'live' } });
    const fromEnvironment = await run(['diff', '--env', 'dev'], env);
    expect(fromEnvironment.stderr).toBe('');
    expect(fromEnvironment.code).toBe(0);
    // --context beats the environment's cluster.context
    expect((await run(['--context', 'dead', 'diff', '--env', 'dev'], env)).code).toBe(1);
  });
});
