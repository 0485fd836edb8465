/**
 * The sync engine against the devcluster over HTTP: what a user would see in the cluster after
 * `kasane sync` — order of creation, no writes when nothing changed, hooks, prune, rollback, locks.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { connect, type ClusterClient, type WatchEventType } from '../../src/cluster/index.js';
import { health } from '../../src/health/index.js';
import { acquireLock, LockHeldError } from '../../src/inventory/lock.js';
import { readInventory, writeRecord } from '../../src/inventory/store.js';
import type { KubeObject, ObjectRef } from '../../src/model/object.js';
import type { RenderedObject } from '../../src/model/rendered.js';
import { runRollback, runSync, type SyncOptions } from '../../src/sync/engine.js';
import { HookFailedError, ImmutableFieldError } from '../../src/sync/errors.js';
import type { SyncEvent } from '../../src/sync/events.js';
import { useDevcluster } from '../support/devcluster.js';
import { configMap, deployment, environment, job, release, rendered } from './fixtures.js';

const cluster = useDevcluster({ rolloutDelayMs: 100, jobs: { defaultDurationMs: 150, rules: [] } });

beforeEach(() => {
  cluster().cluster.reset();
  cluster().cluster.setConfig({ rolloutDelayMs: 100, jobs: { defaultDurationMs: 150, rules: [] } });
});

async function client(): Promise<ClusterClient> {
  return connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
}

const ref = (apiVersion: string, kind: string, name: string, namespace: string | undefined = 'shop'): ObjectRef => ({ apiVersion, kind, name, namespace });
const cmRef = (name: string) => ref('v1', 'ConfigMap', name);
const deployRef = ref('apps/v1', 'Deployment', 'web');

async function sync(c: ClusterClient, objects: RenderedObject[], opts: SyncOptions = {}, envSync = {}) {
  const events: SyncEvent[] = [];
  const result = await runSync(c, environment([release(objects, { createNamespace: true })], envSync), opts, (e) => events.push(e));
  const r = result.releases[0];
  if (r === undefined) throw new Error('no release result');
  return { result, release: r, events };
}

/** Every change to Jobs, ConfigMaps, Services and Deployments, with the resourceVersion it happened at. */
async function recordChanges(c: ClusterClient) {
  const seen: { type: WatchEventType; kind: string; name: string; rv: number; obj: KubeObject }[] = [];
  const watches = await Promise.all(
    [
      ['batch/v1', 'Job'],
      ['v1', 'ConfigMap'],
      ['v1', 'Service'],
      ['apps/v1', 'Deployment'],
    ].map(([apiVersion, kind]) =>
      c.watch(apiVersion!, kind!, { namespace: 'shop' }, (type, obj) => {
        seen.push({ type, kind: kind!, name: obj.metadata.name ?? '', rv: Number(obj.metadata['resourceVersion']), obj });
      }, () => undefined),
    ),
  );
  return {
    seen,
    stop: () => watches.forEach((w) => w.stop()),
    first: (kind: string, name: string, pred: (e: (typeof seen)[number]) => boolean = () => true) => {
      const e = seen.find((s) => s.kind === kind && s.name === name && pred(s));
      if (e === undefined) throw new Error(`no matching event for ${kind} ${name}`);
      return e.rv;
    },
  };
}

const app = (mode: string): RenderedObject[] => [
  job('migrate', { hook: { phases: ['pre-sync'] } }),
  configMap('settings', { mode }),
  rendered('Service', 'web', { wave: 1, body: { spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } }),
  deployment('web', { wave: 1 }),
  job('notify', { hook: { phases: ['post-sync'] } }),
];

describe('runSync against the devcluster', () => {
  it('first sync: pre-sync hook done before the first main object, waves in order, post-sync after the last wave is healthy', async () => {
    const c = await client();
    const watcher = await recordChanges(c);
    const { release: r } = await sync(c, [
      ...app('blue'),
      job('smoke-', { hook: { phases: ['post-sync'], weight: 1, deletePolicies: ['hook-succeeded'] } }),
    ].map((o) => (o.object.metadata.name === 'smoke-' ? { ...o, object: { ...o.object, metadata: { ...o.object.metadata, name: undefined, generateName: 'smoke-' } } } : o)));
    await new Promise((res) => setTimeout(res, 200));
    watcher.stop();

    expect(r.status).toBe('synced');
    expect(r.revision).toBe(1);
    const isDone = (e: { obj: KubeObject }) => health(e.obj).status === 'Healthy';
    const migrateDone = watcher.first('Job', 'migrate', isDone);
    const settingsCreated = watcher.first('ConfigMap', 'settings');
    const serviceCreated = watcher.first('Service', 'web');
    const deploymentCreated = watcher.first('Deployment', 'web');
    const deploymentHealthy = watcher.first('Deployment', 'web', isDone);
    const notifyCreated = watcher.first('Job', 'notify');
    expect(migrateDone).toBeLessThan(settingsCreated);
    expect(settingsCreated).toBeLessThan(serviceCreated); // wave 0 before wave 1
    expect(serviceCreated).toBeLessThan(deploymentCreated); // install order within a wave
    expect(deploymentHealthy).toBeLessThan(notifyCreated);

    // The generateName hook got its own name, ran after notify (weight 1) and was deleted on success.
    const smoke = r.hooks.find((h) => h.ref.name.startsWith('smoke-'));
    expect(smoke?.ref.name).toMatch(/^smoke-[a-z0-9]{5}$/);
    expect(smoke?.status).toBe('Succeeded');
    expect(r.hooks.map((h) => h.ref.name.slice(0, 6))).toEqual(['migrat', 'notify', 'smoke-']);
    expect(await c.get(smoke!.ref)).toBeUndefined();
    expect(await c.get(ref('batch/v1', 'Job', 'notify'))).toBeDefined();
    expect(await c.get(ref('coordination.k8s.io/v1', 'Lease', 'kasane.staging.web'))).toBeUndefined();
  });

  it('a second sync of the same state writes nothing and runs no hooks', async () => {
    const c = await client();
    await sync(c, app('blue'));
    const cmBefore = await c.get(cmRef('settings'));
    const writes = c.stats.writes;
    const { release: r } = await sync(c, app('blue'));
    expect(r.status).toBe('unchanged');
    expect(r.hooks).toEqual([]);
    expect(c.stats.writes).toBe(writes);
    expect((await c.get(cmRef('settings')))?.metadata['resourceVersion']).toBe(cmBefore?.metadata['resourceVersion']);
    expect((await readInventory(c, 'shop', 'staging', 'web')).records.map((x) => x.revision)).toEqual([1]);
  });

  it('a change writes only the changed objects and runs each hook once', async () => {
    const c = await client();
    await sync(c, app('blue'));
    const deployBefore = await c.get(deployRef);
    const migrateBefore = await c.get(ref('batch/v1', 'Job', 'migrate'));

    const { release: r } = await sync(c, app('green'));
    expect(r.status).toBe('synced');
    expect(r.changes).toEqual([{ ref: cmRef('settings'), action: 'configured' }]);
    expect(r.hooks.map((h) => `${h.phase} ${h.ref.name} ${h.status}`)).toEqual(['pre-sync migrate Succeeded', 'post-sync notify Succeeded']);
    expect((await c.get(deployRef))?.metadata['resourceVersion']).toBe(deployBefore?.metadata['resourceVersion']);
    // before-hook-creation: the previous run was deleted and the hook created anew.
    expect((await c.get(ref('batch/v1', 'Job', 'migrate')))?.metadata['uid']).not.toBe(migrateBefore?.metadata['uid']);
    expect(((await c.get(cmRef('settings')))?.['data'] as Record<string, string>)['mode']).toBe('green');

    const again = await sync(c, app('green'));
    expect(again.release.status).toBe('unchanged');
    const inv = await readInventory(c, 'shop', 'staging', 'web');
    expect(inv.records.map((x) => `${x.revision} ${x.status}`)).toEqual(['2 deployed', '1 superseded']);
  });

  it('a failing pre-sync hook touches no main object, runs sync-fail hooks and reports the pod logs', async () => {
    const c = await client();
    const withCleanup = (mode: string) => [...app(mode), job('cleanup', { hook: { phases: ['sync-fail'] } })];
    await sync(c, withCleanup('blue'));
    const cmBefore = await c.get(cmRef('settings'));
    cluster().cluster.setConfig({
      rolloutDelayMs: 100,
      jobs: { defaultDurationMs: 150, rules: [{ name: 'migrate', result: 'fail', logs: 'ERROR: migration 0042 failed: column exists\n' }] },
    });

    const { result, release: r, events } = await sync(c, withCleanup('green'));
    expect(result.status).toBe('failed');
    expect(r.status).toBe('failed');
    expect(r.error).toBeInstanceOf(HookFailedError);
    expect(r.error?.message).toContain('pre-sync hook batch/v1 Job shop/migrate failed');
    expect(r.hooks.map((h) => `${h.phase} ${h.ref.name} ${h.status}`)).toEqual(['pre-sync migrate Failed', 'sync-fail cleanup Succeeded']);
    expect(r.hooks[0]?.logs).toContain('migration 0042 failed');
    const failed = events.find((e) => e.type === 'hook-failed');
    expect(failed?.type === 'hook-failed' && failed.logs).toContain('migration 0042 failed');
    expect(events.some((e) => e.type === 'object-applied')).toBe(false);
    expect((await c.get(cmRef('settings')))?.metadata['resourceVersion']).toBe(cmBefore?.metadata['resourceVersion']);
    const inv = await readInventory(c, 'shop', 'staging', 'web');
    expect(inv.records[0]?.status).toBe('failed');
    expect(inv.records[0]?.hooks[0]?.logs).toContain('migration 0042');
  });

  it('a wave that fails runs the sync-fail hooks; hook-failed deletes a failed hook after its logs were taken', async () => {
    const c = await client();
    cluster().cluster.setConfig({
      rolloutDelayMs: 100,
      jobs: { defaultDurationMs: 150, rules: [{ name: 'report', result: 'fail', logs: 'could not reach the pager\n' }, { name: 'check', result: 'fail' }] },
    });
    const { release: r } = await sync(c, [
      configMap('settings', { mode: 'blue' }),
      job('check', { wave: 1 }),
      configMap('after', { v: '1' }, { wave: 2 }),
      job('report', { hook: { phases: ['sync-fail'], deletePolicies: ['hook-failed'] } }),
    ]);
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(/batch\/v1 Job shop\/check failed/);
    expect(await c.get(cmRef('settings'))).toBeDefined();
    expect(await c.get(cmRef('after'))).toBeUndefined();
    expect(r.hooks.map((h) => `${h.phase} ${h.ref.name} ${h.status}`)).toEqual(['sync-fail report Failed']);
    expect(r.hooks[0]?.logs).toContain('could not reach the pager');
    expect(await c.get(ref('batch/v1', 'Job', 'report'))).toBeUndefined();
  });

  it('prune deletes what left the chart, keeps prune:false objects and never touches an unlabelled object of the same name', async () => {
    const c = await client();
    const kept = configMap('precious', { v: '1' }, { pruneDisabled: true });
    kept.object.metadata.annotations = { 'kasane.io/prune': 'false' };
    await sync(c, [configMap('a', { v: '1' }), configMap('b', { v: '1' }), configMap('d', { v: '1' }), kept]);

    // Someone replaces d by hand with an object kasane does not manage.
    await c.delete(cmRef('d'));
    await c.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd', namespace: 'shop' }, data: { mine: 'yes' } });
    const foreign = await c.get(cmRef('d'));

    const { release: r, events } = await sync(c, [configMap('a', { v: '1' })]);
    expect(r.status).toBe('synced');
    expect(r.changes).toEqual([{ ref: cmRef('b'), action: 'pruned' }]);
    expect(await c.get(cmRef('b'))).toBeUndefined();
    expect(await c.get(cmRef('precious'))).toBeDefined();
    expect((await c.get(cmRef('d')))?.metadata['resourceVersion']).toBe(foreign?.metadata['resourceVersion']);
    expect(events.some((e) => e.type === 'prune-skipped' && e.ref.name === 'd')).toBe(true);
  });

  it('without prune, what left the chart stays and stays tracked until a sync with prune', async () => {
    const c = await client();
    await sync(c, [configMap('a', { v: '1' }), configMap('b', { v: '1' })], {}, { prune: false });
    const { release: r } = await sync(c, [configMap('a', { v: '1' })], {}, { prune: false });
    expect(r.changes).toEqual([]);
    expect(await c.get(cmRef('b'))).toBeDefined();
    const { release: pruned } = await sync(c, [configMap('a', { v: '1' })], { prune: true }, { prune: false });
    expect(pruned.changes).toEqual([{ ref: cmRef('b'), action: 'pruned' }]);
  });

  it('rollback re-applies revision 1 as a new revision and prunes what revision 1 did not have', async () => {
    const c = await client();
    const v1 = [configMap('settings', { mode: 'blue' })];
    const v2 = [configMap('settings', { mode: 'green' }), configMap('extra', { added: 'in v2' })];
    await sync(c, v1);
    await sync(c, v2);
    const env = environment([release(v2, { createNamespace: true })]);

    const r = await runRollback(c, { environment: env, release: env.releases[0]! }, { toRevision: 1 }, () => undefined);
    expect(r.status).toBe('synced');
    expect(r.revision).toBe(3);
    expect(((await c.get(cmRef('settings')))?.['data'] as Record<string, string>)['mode']).toBe('blue');
    expect(await c.get(cmRef('extra'))).toBeUndefined();
    const inv = await readInventory(c, 'shop', 'staging', 'web');
    expect(inv.records.map((x) => `${x.revision} ${x.status} ${x.description}`)).toEqual([
      '3 deployed rollback to revision 1',
      '2 superseded sync',
      '1 superseded sync',
    ]);
  });

  it('rollbackOnFailure re-applies the last good revision when a wave fails', async () => {
    const c = await client();
    cluster().cluster.setConfig({ rolloutDelayMs: 100, jobs: { defaultDurationMs: 150, rules: [{ name: 'check', result: 'fail', logs: 'nope' }] } });
    await sync(c, [configMap('settings', { mode: 'blue' })]);
    const { release: r } = await sync(c, [configMap('settings', { mode: 'green' }), job('check', { wave: 1 })], {}, { rollbackOnFailure: true });
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(/Job shop\/check failed/);
    expect(r.rolledBackTo).toBe(1);
    expect(((await c.get(cmRef('settings')))?.['data'] as Record<string, string>)['mode']).toBe('blue');
    expect(await c.get(ref('batch/v1', 'Job', 'check'))).toBeUndefined();
    const inv = await readInventory(c, 'shop', 'staging', 'web');
    expect(inv.records.map((x) => `${x.revision} ${x.status}`)).toEqual(['3 deployed', '2 failed', '1 superseded']);
  });

  it('a hook Job that runs out of time fails the sync and is deleted', async () => {
    const c = await client();
    cluster().cluster.setConfig({ rolloutDelayMs: 100, jobs: { defaultDurationMs: 150, rules: [{ name: 'slow', result: 'complete', durationMs: 10_000 }] } });
    const { release: r } = await sync(c, [job('slow', { hook: { phases: ['pre-sync'], timeoutMs: 300 } }), configMap('settings', { mode: 'blue' })]);
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(/did not finish within 300ms/);
    expect(await c.get(ref('batch/v1', 'Job', 'slow'))).toBeUndefined();
    expect(await c.get(cmRef('settings'))).toBeUndefined();
  });

  it('an immutable field change is reported naming the object and the field, with what to do', async () => {
    const c = await client();
    const batch = (cmd: string) => job('once', { body: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'run', image: 'busybox:1.36', command: [cmd] }] } } } } });
    await sync(c, [batch('true')]);
    const { release: r } = await sync(c, [batch('false')]);
    expect(r.status).toBe('failed');
    expect(r.error?.message).toContain('batch/v1 Job shop/once');
    expect(r.error?.message).toContain('spec.template');
    expect(r.error?.hint).toMatch(/delete .* and sync again|new name/);
    const cause = (r.error as { errors?: unknown[] }).errors?.[0];
    expect(cause).toBeInstanceOf(ImmutableFieldError);
  });

  it('a dry run reports what would change and writes nothing', async () => {
    const c = await client();
    const writes = c.stats.writes;
    const { release: r } = await sync(c, app('blue'), { dryRun: true });
    expect(c.stats.writes).toBe(writes);
    expect(r.status).toBe('out-of-sync');
    expect(r.changes.map((x) => `${x.action} ${x.ref.kind}/${x.ref.name}`)).toEqual([
      'created Namespace/shop',
      'created ConfigMap/settings',
      'created Service/web',
      'created Deployment/web',
    ]);
    expect(r.plannedHooks?.map((h) => h.name)).toEqual(['migrate', 'notify']);
    expect(await c.get(ref('v1', 'Namespace', 'shop', undefined))).toBeUndefined();

    await sync(c, app('blue'));
    const { release: after } = await sync(c, app('green'), { dryRun: true });
    expect(after.changes).toEqual([{ ref: cmRef('settings'), action: 'configured' }]);
    expect(((await c.get(cmRef('settings')))?.['data'] as Record<string, string>)['mode']).toBe('blue');
  });

  it('fields another manager took are taken back and reported', async () => {
    const c = await client();
    await sync(c, [configMap('settings', { mode: 'blue' })]);
    const patched = await cluster().kubectl(['patch', 'configmap', 'settings', '-n', 'shop', '--type', 'merge', '-p', '{"data":{"mode":"red"}}']);
    expect(patched.code).toBe(0);
    const { release: r, events } = await sync(c, [configMap('settings', { mode: 'blue' })]);
    expect(r.changes).toEqual([{ ref: cmRef('settings'), action: 'configured' }]);
    const applied = events.find((e) => e.type === 'object-applied' && e.ref.kind === 'ConfigMap');
    expect(applied?.type === 'object-applied' && applied.conflicts.join()).toContain('.data.mode');
    expect(((await c.get(cmRef('settings')))?.['data'] as Record<string, string>)['mode']).toBe('blue');
  });

  it('a revision left pending by a sync that died is marked failed by the next sync', async () => {
    const c = await client();
    await sync(c, [configMap('settings', { mode: 'blue' })]);
    const [first] = (await readInventory(c, 'shop', 'staging', 'web')).records;
    await writeRecord(c, { ...first!, revision: 2, status: 'pending', digest: 'sha256:other' });
    const { release: r } = await sync(c, [configMap('settings', { mode: 'green' })]);
    expect(r.revision).toBe(3);
    const inv = await readInventory(c, 'shop', 'staging', 'web');
    expect(inv.records.map((x) => `${x.revision} ${x.status}`)).toEqual(['3 deployed', '2 failed', '1 superseded']);
    expect(inv.records[1]?.description).toMatch(/^interrupted/);
  });

  it('an interrupted sync stops between steps, records the revision as failed and releases its lock', async () => {
    const c = await client();
    cluster().cluster.setConfig({ rolloutDelayMs: 100, jobs: { defaultDurationMs: 150, rules: [{ name: 'slow', result: 'complete', durationMs: 30_000 }] } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 400);
    const started = Date.now();
    const { result, release: r } = await sync(c, [job('slow', { hook: { phases: ['pre-sync'] } }), configMap('settings', { mode: 'blue' }), job('cleanup', { hook: { phases: ['sync-fail'] } })], { signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.status).toBe('failed');
    expect(r.error?.name).toBe('SyncInterruptedError');
    expect(r.hooks).toEqual([]);
    expect(await c.get(cmRef('settings'))).toBeUndefined();
    expect(await c.get(ref('batch/v1', 'Job', 'cleanup'))).toBeUndefined();
    expect(await c.get(ref('coordination.k8s.io/v1', 'Lease', 'kasane.staging.web'))).toBeUndefined();
    expect((await readInventory(c, 'shop', 'staging', 'web')).records.map((x) => `${x.revision} ${x.status}`)).toEqual(['1 failed']);
  });

  it('a release whose namespace does not exist and is not created fails with what to do', async () => {
    const c = await client();
    for (const dryRun of [true, false]) {
      const result = await runSync(c, environment([release([configMap('settings', { mode: 'blue' })])]), { dryRun }, () => undefined);
      const error = result.releases[0]?.error;
      expect(error?.message).toBe('namespace shop of release web does not exist');
      expect(error?.hint).toContain('createNamespace: true');
    }
    // A chart that renders its own namespace needs no createNamespace.
    const own = release([configMap('settings', { mode: 'blue' }), rendered('Namespace', 'shop', { namespace: null })]);
    const synced = await runSync(c, environment([own]), {}, () => undefined);
    expect(synced.releases[0]?.error).toBeUndefined();
    expect(await c.get(cmRef('settings'))).toBeDefined();
  });

  it('keeps only the newest revisions', async () => {
    const c = await client();
    for (const mode of ['a', 'b', 'c', 'd']) await sync(c, [configMap('settings', { mode })], { historyLimit: 2 });
    const inv = await readInventory(c, 'shop', 'staging', 'web');
    expect(inv.records.map((x) => x.revision)).toEqual([4, 3]);
  });
});

describe('custom resources and an unreliable API server', () => {
  const crd = rendered('CustomResourceDefinition', 'widgets.example.com', {
    namespace: null,
    body: {
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    },
  });
  const widget = rendered('Widget', 'w1', { apiVersion: 'example.com/v1', body: { spec: { size: 3 } } });

  it('applies a CRD before the custom resources it defines, also in a dry run', async () => {
    const c = await client();
    const dry = await sync(c, [widget, crd], { dryRun: true });
    expect(dry.release.error).toBeUndefined();
    expect(dry.release.changes.map((x) => `${x.action} ${x.ref.kind}/${x.ref.name}`)).toEqual([
      'created Namespace/shop',
      'created CustomResourceDefinition/widgets.example.com',
      'created Widget/w1',
    ]);
    const { release: r } = await sync(c, [widget, crd]);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('synced');
    expect((await c.get(ref('example.com/v1', 'Widget', 'w1')))?.['spec']).toEqual({ size: 3 });
    const again = await sync(c, [widget, crd]);
    expect(again.release.status).toBe('unchanged');
  });

  it('converges through 5xx answers, throttling and dropped connections, and then has nothing to do', async () => {
    cluster().cluster.setConfig({
      rolloutDelayMs: 100,
      jobs: { defaultDurationMs: 150, rules: [] },
      faults: { seed: 7, errorRate: 0.1, throttleRate: 0.05, retryAfterSeconds: 0, dropRate: 0.05, latencyMs: { min: 0, max: 5 } },
    });
    const c = await client();
    const { release: r } = await sync(c, app('blue'));
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('synced');
    const writes = c.stats.writes;
    const again = await sync(c, app('blue'));
    expect(again.release.status).toBe('unchanged');
    expect(c.stats.writes).toBe(writes);
  });
});

describe('the release lock', () => {
  const lockOpts = { namespace: 'shop', environment: 'staging', release: 'web' };

  it('a second sync waits for the holder, then fails naming it', async () => {
    const c = await client();
    await sync(c, [configMap('settings', { mode: 'blue' })]);
    const held = await acquireLock(c, { ...lockOpts, holder: 'ci-runner-7/pid-42', waitMs: 0 });
    const { release: r, events } = await sync(c, [configMap('settings', { mode: 'green' })], { lockWaitMs: 1_200 });
    expect(r.status).toBe('failed');
    expect(r.error).toBeInstanceOf(LockHeldError);
    expect(r.error?.message).toContain('ci-runner-7/pid-42');
    expect(events.some((e) => e.type === 'lock-waiting' && e.holder === 'ci-runner-7/pid-42')).toBe(true);
    expect(((await c.get(cmRef('settings')))?.['data'] as Record<string, string>)['mode']).toBe('blue');
    await held.release();
    const { release: after } = await sync(c, [configMap('settings', { mode: 'green' })]);
    expect(after.status).toBe('synced');
  });

  it('a lock left by a crashed process expires', async () => {
    const c = await client();
    await sync(c, [configMap('settings', { mode: 'blue' })]);
    const longAgo = new Date(Date.now() - 10 * 60_000).toISOString().replace('Z', '000Z');
    await c.apply({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'kasane.staging.web', namespace: 'shop' },
      spec: { holderIdentity: 'crashed-host/pid-1', leaseDurationSeconds: 120, acquireTime: longAgo, renewTime: longAgo },
    });
    const { release: r } = await sync(c, [configMap('settings', { mode: 'green' })], { lockWaitMs: 500 });
    expect(r.status).toBe('synced');
  });
});
