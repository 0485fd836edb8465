/**
 * Issue 5's "what it must show", end to end through the CLI (the real command code, in process):
 * a chart in a real Git repository, the devcluster over HTTP, and the cluster itself (watch events,
 * resourceVersions, kubectl) as the judge of what happened. The cases build on each other, in order.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ClusterClient, type WatchEventType } from '../../src/cluster/index.js';
import { health } from '../../src/health/index.js';
import { acquireLock } from '../../src/inventory/lock.js';
import type { KubeObject } from '../../src/model/object.js';
import { kasane } from '../cli/in-process.js';
import { useDevcluster } from '../support/devcluster.js';

const TIMING = { rolloutDelayMs: 100, jobs: { defaultDurationMs: 200, rules: [] } };
const cluster = useDevcluster(TIMING);

let repo: string;
let client: ClusterClient;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
}

function git(...args: string[]): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env }).trim();
}

const commits: string[] = [];
function setValues(values: { mode: string; extra?: boolean; selector?: string }, sync: Record<string, unknown> = {}): string {
  write('charts/app/values.yaml', `mode: ${values.mode}\nextra: ${values.extra ?? false}\nselector: ${values.selector ?? 'web'}\n`);
  const syncYaml = Object.entries({ prune: true, timeout: '20s', ...sync }).map(([k, v]) => `  ${k}: ${String(v)}\n`).join('');
  write('environments/dev.yaml', `releases:\n  - name: app\n    chart: app\n    namespace: shop\n    createNamespace: true\nsync:\n${syncYaml}`);
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', `mode ${values.mode}`);
  const commit = git('rev-parse', 'HEAD');
  commits.push(commit);
  return commit;
}

const hookJob = (name: string, phase: string) =>
  [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${name}`,
    '  annotations:',
    `    kasane.io/hook: ${phase}`,
    'spec:',
    '  backoffLimit: 0',
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    '      containers:',
    `        - name: ${name}`,
    '          image: busybox:1.36',
    '          command: ["sh", "-c", "echo {{ Values.mode }}"]',
    '',
  ].join('\n');

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'kasane-accept-sync-'));
  git('init', '-q', '-b', 'main');
  write('charts/app/Chart.yaml', 'name: app\nversion: 0.1.0\nappVersion: "1.0"\n');
  write('charts/app/templates/migrate.yaml', hookJob('migrate', 'pre-sync'));
  write('charts/app/templates/notify.yaml', hookJob('notify', 'post-sync'));
  write(
    'charts/app/templates/failed.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sync-failed\n  annotations:\n    kasane.io/hook: sync-fail\ndata:\n  mode: {{ Values.mode }}\n',
  );
  write('charts/app/templates/settings.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: {{ Values.mode }}\n');
  write(
    'charts/app/templates/web.yaml',
    [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: web',
      '  annotations:',
      '    kasane.io/sync-wave: "1"',
      'spec:',
      '  selector: {app: web}',
      '  ports: [{port: 80}]',
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  annotations:',
      '    kasane.io/sync-wave: "1"',
      'spec:',
      '  replicas: 2',
      '  selector:',
      '    matchLabels:',
      '      app: {{ Values.selector }}',
      '  template:',
      '    metadata:',
      '      labels:',
      '        app: {{ Values.selector }}',
      '    spec:',
      '      containers: [{name: web, image: "nginx:1.27"}]',
      '',
    ].join('\n'),
  );
  write(
    'charts/app/templates/extra.yaml',
    [
      '{{#if Values.extra}}',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: extra}',
      'data: {n: "1"}',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: keep',
      '  annotations: {kasane.io/prune: "false"}',
      'data: {n: "2"}',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: legacy}',
      'data: {n: "3"}',
      '{{/if}}',
      '',
    ].join('\n'),
  );
  setValues({ mode: 'blue' });
  client = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

const run = (...args: string[]) => kasane([...args, '--kubeconfig', cluster().kubeconfigPath], repo);

const cm = (name: string) => client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name });
const mode = async (): Promise<string | undefined> => ((await cm('settings'))?.['data'] as Record<string, string> | undefined)?.['mode'];

/** name → resourceVersion of every ConfigMap, Service, Deployment and Job in the namespace. */
async function versions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [apiVersion, kind] of [['v1', 'ConfigMap'], ['v1', 'Service'], ['apps/v1', 'Deployment'], ['batch/v1', 'Job']] as const) {
    for (const o of await client.list(apiVersion, kind, { namespace: 'shop' })) out[`${kind}/${o.metadata.name ?? ''}`] = String(o.metadata['resourceVersion']);
  }
  return out;
}

interface JsonEvent {
  type: string;
  time?: string;
  phase?: string;
  ref?: { kind: string; name: string };
  action?: string;
  holder?: string;
  result?: { status: string; revision?: number; rolledBackTo?: number };
}
const events = (stdout: string): JsonEvent[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as JsonEvent);

describe('kasane sync through the CLI', () => {
  it('first sync creates everything in order: pre-sync Job complete before the first main object, post-sync after the last wave is healthy', async () => {
    const seen: { type: WatchEventType; kind: string; name: string; rv: number; obj: KubeObject }[] = [];
    const watches = await Promise.all(
      (
        [
          ['batch/v1', 'Job'],
          ['v1', 'ConfigMap'],
          ['v1', 'Service'],
          ['apps/v1', 'Deployment'],
        ] as const
      ).map(([apiVersion, kind]) =>
        client.watch(apiVersion, kind, { namespace: 'shop' }, (type, obj) => {
          seen.push({ type, kind, name: obj.metadata.name ?? '', rv: Number(obj.metadata['resourceVersion']), obj });
        }, () => undefined),
      ),
    );
    const first = await run('sync', '--env', 'dev');
    await new Promise((r) => setTimeout(r, 200));
    watches.forEach((w) => w.stop());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    const at = (kind: string, name: string, done = false): number => {
      const e = seen.find((s) => s.kind === kind && s.name === name && (!done || health(s.obj).status === 'Healthy'));
      if (e === undefined) throw new Error(`no event for ${kind} ${name}`);
      return e.rv;
    };
    const mainCreated = Math.min(at('ConfigMap', 'settings'), at('Service', 'web'), at('Deployment', 'web'));
    expect(at('Job', 'migrate', true)).toBeLessThan(mainCreated);
    expect(at('ConfigMap', 'settings')).toBeLessThan(at('Service', 'web')); // wave 0 before wave 1
    expect(at('Deployment', 'web', true)).toBeLessThan(at('Job', 'notify'));

    // Progress a person can follow: phases, hooks and waves with durations, counts per release.
    const out = first.stdout;
    expect(out).toMatch(/^release app → namespace shop: hooks run/m);
    for (const phase of ['pre-sync hooks', 'apply', 'post-sync hooks']) expect(out).toContain(`\n  ${phase}\n`);
    expect(out).toMatch(/pre-sync hook batch\/v1 Job shop\/migrate succeeded in \d+(\.\d)?m?s/);
    expect(out).toMatch(/wave 1 healthy in \d+(\.\d)?m?s/);
    expect(out).toMatch(/release app: synced, revision 1 \(4 created, 0 configured, 0 pruned, 0 unchanged, 2 hooks run\) in \d/);
    expect(out.indexOf('  pre-sync hooks')).toBeLessThan(out.indexOf('  apply'));
    expect(out.indexOf('wave 1 healthy')).toBeLessThan(out.indexOf('  post-sync hooks'));
  });

  it('a second sync with no change writes nothing and runs no hook', async () => {
    const before = await versions();
    const again = await run('sync', '--env', 'dev');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('release app: in sync, nothing to do');
    expect(again.stdout).toMatch(/^release app → namespace shop: no hooks/m);
    expect(again.stdout).not.toMatch(/hook batch\/v1 Job/);
    expect(await versions()).toEqual(before);
  });

  it('a change writes only the changed objects and runs each hook once; -o json gives timed events', async () => {
    const before = await versions();
    setValues({ mode: 'green' });
    const changed = await run('sync', '--env', 'dev', '-o', 'json');
    expect(changed.code).toBe(0);
    const evs = events(changed.stdout);
    expect(evs.every((e) => typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time)))).toBe(true);
    expect(evs.filter((e) => e.type === 'phase-started').map((e) => e.phase)).toEqual(['pre-sync', 'apply', 'post-sync']);
    expect(evs.filter((e) => e.type === 'object-applied').map((e) => `${e.ref?.kind}/${e.ref?.name} ${e.action}`)).toEqual(['ConfigMap/settings configured']);
    expect(evs.filter((e) => e.type === 'hook-started').map((e) => e.ref?.name)).toEqual(['migrate', 'notify']);
    expect(evs.find((e) => e.type === 'release-finished')?.result).toMatchObject({ status: 'synced', revision: 2 });
    const after = await versions();
    expect(await mode()).toBe('green');
    expect(after['Service/web']).toBe(before['Service/web']);
    expect(after['Deployment/web']).toBe(before['Deployment/web']);
  });

  it('removing a template prunes its objects, keeps prune: "false", never touches an unlabelled object of the same name', async () => {
    setValues({ mode: 'green', extra: true });
    expect((await run('sync', '--env', 'dev')).code).toBe(0);
    expect(await cm('legacy')).toBeDefined();
    // Someone re-creates "legacy" by hand, without kasane's labels.
    expect((await cluster().kubectl(['delete', 'configmap', 'legacy', '-n', 'shop'])).code).toBe(0);
    expect((await cluster().kubectl(['create', 'configmap', 'legacy', '-n', 'shop', '--from-literal=owner=ops'])).code).toBe(0);

    setValues({ mode: 'green', extra: false });
    const pruned = await run('sync', '--env', 'dev');
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain('pruned           v1 ConfigMap shop/extra');
    expect(pruned.stdout).toMatch(/kept\s+v1 ConfigMap shop\/legacy/);
    expect(await cm('extra')).toBeUndefined();
    expect(await cm('keep')).toBeDefined();
    expect((await cm('legacy'))?.['data']).toEqual({ owner: 'ops' });
  });

  it('an immutable-field change fails naming the object and the field, and says what to do', async () => {
    setValues({ mode: 'green', selector: 'web-v2' });
    const r = await run('sync', '--env', 'dev');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apps/v1 Deployment shop/web');
    expect(r.stderr).toContain('spec.selector');
    expect(r.stderr).toMatch(/hint: .*(delete|recreate|rename)/i);
    setValues({ mode: 'green' });
    expect((await run('sync', '--env', 'dev')).code).toBe(0);
  });

  it('a failing pre-sync hook: no main object changed, sync-fail hooks ran, exit 1, the hook logs in the output', async () => {
    cluster().cluster.setConfig({ ...TIMING, jobs: { ...TIMING.jobs, rules: [{ name: 'migrate', result: 'fail', logs: 'ERROR: column "total" does not exist\n' }] } });
    try {
      const before = await versions();
      setValues({ mode: 'red' });
      const r = await run('sync', '--env', 'dev');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('    | ERROR: column "total" does not exist');
      expect(r.stderr).toContain('pre-sync hook batch/v1 Job shop/migrate failed');
      const after = await versions();
      for (const key of ['ConfigMap/settings', 'Service/web', 'Deployment/web']) expect(after[key]).toBe(before[key]);
      expect(await mode()).toBe('green');
      expect(((await cm('sync-failed'))?.['data'] as Record<string, string>)['mode']).toBe('red');
    } finally {
      cluster().cluster.setConfig(TIMING);
    }
  });

  it('a failing post-sync hook fails the sync; with rollbackOnFailure the previous revision is restored', async () => {
    cluster().cluster.setConfig({ ...TIMING, jobs: { ...TIMING.jobs, rules: [{ name: 'notify', result: 'fail', logs: 'smoke test failed\n' }] } });
    try {
      setValues({ mode: 'yellow' }, { rollbackOnFailure: true });
      const r = await run('sync', '--env', 'dev');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/release app: FAILED, revision \d+; rolled back to revision \d+/);
      expect(r.stderr).toContain('post-sync hook batch/v1 Job shop/notify failed');
      expect(await mode()).toBe('green');
    } finally {
      cluster().cluster.setConfig(TIMING);
    }
  });

  it('rollback --to 1 restores revision 1; history lists every revision with its Git revision', async () => {
    const back = await run('rollback', '--env', 'dev', '--release', 'app', '--to', '1');
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(await mode()).toBe('blue');
    const history = JSON.parse((await run('history', '--env', 'dev', '--release', 'app', '-o', 'json')).stdout) as { revision: number; gitRevision?: string; description: string }[];
    const revisions = history.map((h) => h.revision);
    expect(revisions).toEqual([...revisions].sort((a, b) => b - a));
    expect(revisions[revisions.length - 1]).toBe(1);
    expect(history[0]?.description).toBe('rollback to revision 1');
    // Every revision names a commit of this repository; revision 1 the first one.
    const text = (await run('history', '--env', 'dev', '--release', 'app')).stdout;
    const rows = text.trim().split('\n').slice(1);
    expect(rows).toHaveLength(history.length);
    for (const row of rows) expect(commits.some((c) => row.includes(c.slice(0, 12)))).toBe(true);
    expect(rows[rows.length - 1]).toContain(commits[0]!.slice(0, 12));
  });

  it('a second sync of the release waits for the holder of the lock, naming it, and then runs', async () => {
    const held = await acquireLock(client, { namespace: 'shop', environment: 'dev', release: 'app', holder: 'ci-runner-7/pid-42', waitMs: 0 });
    setValues({ mode: 'violet' });
    const releaseLater = new Promise<void>((resolve) => setTimeout(() => void held.release().then(resolve), 2_500));
    const waiting = await run('sync', '--env', 'dev');
    await releaseLater;
    expect(waiting.stdout).toMatch(/waiting for ci-runner-7\/pid-42, which is syncing app \(its lock expires at /);
    expect(waiting.code).toBe(0);
    expect(await mode()).toBe('violet');
  });

  it('two syncs of one release at the same time: one waits for the other, hooks run once', async () => {
    setValues({ mode: 'indigo' });
    const [a, b] = await Promise.all([run('sync', '--env', 'dev', '-o', 'json'), run('sync', '--env', 'dev', '-o', 'json')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const all = [...events(a.stdout), ...events(b.stdout)];
    expect(all.filter((e) => e.type === 'lock-waiting').length).toBeGreaterThanOrEqual(1);
    expect(all.filter((e) => e.type === 'hook-started' && e.ref?.name === 'migrate')).toHaveLength(1);
    expect(await mode()).toBe('indigo');
  });
});
