/**
 * API semantics a careful client relies on, checked on the wire: resourceVersion and generation rules,
 * optimistic concurrency, watch expiry, and the fault injector as seen by a client.
 */
import { describe, expect, it } from 'vitest';
import { useDevcluster } from '../support/devcluster.js';
import { api, openWatch, outgrowWatchHistory, watchExpired } from '../support/http.js';

// Persistent, so a restart keeps the objects and only loses the watch history.
const getCluster = useDevcluster({ rolloutDelayMs: 50 }, { persistent: true });

const cmPath = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
const deployPath = (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments`;

async function createNamespace(url: string, name: string): Promise<void> {
  const res = await api(url, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  expect(res.status, res.text).toBe(201);
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function applyPatch(url: string, path: string, manager: string, body: object) {
  return api(url, 'PATCH', `${path}?fieldManager=${manager}`, JSON.stringify(body), 'application/apply-patch+yaml');
}

describe('devcluster API semantics', () => {
  it('a no-op apply keeps the resourceVersion and sends no watch event', async () => {
    const { cluster } = getCluster();
    await createNamespace(cluster.url, 'noop');
    const list = await api(cluster.url, 'GET', cmPath('noop'));
    expect(list.json).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1', items: [] });
    const watch = await openWatch(cluster.url, cmPath('noop'), { resourceVersion: list.json.metadata.resourceVersion });
    try {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'noop' }, data: { mode: 'fast' } };
      const first = await applyPatch(cluster.url, `${cmPath('noop')}/settings`, 'ci', cm);
      expect(first.status, first.text).toBe(201);
      const second = await applyPatch(cluster.url, `${cmPath('noop')}/settings`, 'ci', cm);
      expect(second.status, second.text).toBe(200);
      expect(second.json.metadata.resourceVersion).toBe(first.json.metadata.resourceVersion);
      expect(second.json.metadata.managedFields).toEqual(first.json.metadata.managedFields);

      const changed = await applyPatch(cluster.url, `${cmPath('noop')}/settings`, 'ci', { ...cm, data: { mode: 'safe' } });
      expect(Number(changed.json.metadata.resourceVersion)).toBeGreaterThan(Number(first.json.metadata.resourceVersion));
      // The change proves the stream is live; everything before it is what the two applies produced.
      await watch.waitFor((e) => e.type === 'MODIFIED' && e.object.data.mode === 'safe');
      expect(watch.events.map((e) => `${e.type} ${e.object.metadata.resourceVersion}`)).toEqual([
        `ADDED ${first.json.metadata.resourceVersion}`,
        `MODIFIED ${changed.json.metadata.resourceVersion}`,
      ]);
    } finally {
      watch.close();
    }
  });

  it('increments generation only when the spec changes', async () => {
    const { cluster } = getCluster();
    await createNamespace(cluster.url, 'gen');
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'gen' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
    };
    const created = await api(cluster.url, 'POST', deployPath('gen'), deploy);
    expect(created.status, created.text).toBe(201);
    expect(created.json.metadata.generation).toBe(1);
    expect(created.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.json.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const merge = (patch: object) => api(cluster.url, 'PATCH', `${deployPath('gen')}/web`, patch, 'application/merge-patch+json');
    const labelled = await merge({ metadata: { labels: { team: 'a' } } });
    expect(labelled.json.metadata.generation).toBe(1);
    expect(Number(labelled.json.metadata.resourceVersion)).toBeGreaterThan(Number(created.json.metadata.resourceVersion));

    const scaled = await merge({ spec: { replicas: 2 } });
    expect(scaled.json.metadata.generation).toBe(2);
    const sameSpec = await merge({ spec: { replicas: 2 } });
    expect(sameSpec.json.metadata.generation).toBe(2);

    // Status written on the main resource is ignored; through /status it is kept and spec is not touched.
    const statusOnMain = await merge({ status: { replicas: 99 } });
    expect(statusOnMain.json.status?.replicas).not.toBe(99);
    const status = await api(cluster.url, 'PATCH', `${deployPath('gen')}/web/status`, { status: { observedGeneration: 2 }, spec: { replicas: 7 } }, 'application/merge-patch+json');
    expect(status.status, status.text).toBe(200);
    expect(status.json.status.observedGeneration).toBe(2);
    expect(status.json.spec.replicas).toBe(2);
    expect(status.json.metadata.generation).toBe(2);
  });

  it('removes a field its only applier dropped, but keeps one another manager also applied', async () => {
    const { cluster } = getCluster();
    const path = `${cmPath('default')}/owned`;
    const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned' }, data });
    expect((await applyPatch(cluster.url, path, 'team-a', cm({ a: '1', b: '2', c: '3' }))).status).toBe(201);
    expect((await applyPatch(cluster.url, path, 'team-b', cm({ c: '3' }))).status).toBe(200);
    const after = await applyPatch(cluster.url, path, 'team-a', cm({ a: '1' }));
    expect(after.status, after.text).toBe(200);
    expect(after.json.data).toEqual({ a: '1', c: '3' });
    const owners = Object.fromEntries(
      (after.json.metadata.managedFields as Array<{ manager: string; fieldsV1: { 'f:data'?: Record<string, unknown> } }>).map((m) => [m.manager, Object.keys(m.fieldsV1['f:data'] ?? {}).sort()]),
    );
    expect(owners).toEqual({ 'team-a': ['f:a'], 'team-b': ['f:c'] });

    const noManager = await api(cluster.url, 'PATCH', path, JSON.stringify(cm({ a: '1' })), 'application/apply-patch+yaml');
    expect(noManager.status).toBe(422);
    expect(noManager.json).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(noManager.json.message).toContain('fieldManager');
    const withManagedFields = await applyPatch(cluster.url, path, 'team-a', { ...cm({ a: '1' }), metadata: { name: 'owned', managedFields: [{ manager: 'x' }] } });
    expect(withManagedFields.status).toBe(400);
  });

  it('drops unknown fields of built-in kinds with a warning, or refuses them under fieldValidation=Strict', async () => {
    const { cluster } = getCluster();
    const typo = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typo' }, dataa: { a: '1' } };
    const warned = await api(cluster.url, 'POST', cmPath('default'), typo);
    expect(warned.status, warned.text).toBe(201);
    expect(warned.json.dataa).toBeUndefined();
    expect(warned.headers.get('warning')).toBe('299 - "unknown field \\"dataa\\""');
    expect((await api(cluster.url, 'GET', `${cmPath('default')}/typo`)).json.dataa).toBeUndefined();

    const strict = await api(cluster.url, 'POST', `${cmPath('default')}?fieldValidation=Strict`, { ...typo, metadata: { name: 'typo-strict' } });
    expect(strict.status).toBe(400);
    expect(strict.json).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      code: 400,
      message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dataa"',
    });
  });

  it('names generateName objects, persists nothing on dryRun, and garbage-collects owned objects (Background, Foreground, Orphan)', async () => {
    const { cluster } = getCluster();
    const generated = await api(cluster.url, 'POST', cmPath('default'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'run-' } });
    expect(generated.status, generated.text).toBe(201);
    expect(generated.json.metadata.name).toMatch(/^run-[a-z0-9]{5}$/);

    const dry = await api(cluster.url, 'POST', `${cmPath('default')}?dryRun=All`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } });
    expect(dry.status, dry.text).toBe(201);
    expect(dry.json.metadata.name).toBe('dry');
    expect((await api(cluster.url, 'GET', `${cmPath('default')}/dry`)).status).toBe(404);

    const owner = (await api(cluster.url, 'POST', cmPath('default'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } })).json;
    const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid };
    for (const name of ['child-1', 'child-2']) {
      expect((await api(cluster.url, 'POST', cmPath('default'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ownerReferences: [ownerRef] } })).status).toBe(201);
    }
    expect((await api(cluster.url, 'DELETE', `${cmPath('default')}/owner?propagationPolicy=Background`)).status).toBe(200);
    const childrenGone = async (): Promise<boolean> =>
      (await Promise.all(['child-1', 'child-2'].map((n) => api(cluster.url, 'GET', `${cmPath('default')}/${n}`)))).every((r) => r.status === 404);
    expect(await waitUntil(childrenGone)).toBe(true);

    // Foreground: the owner stays, marked, until its dependents are gone.
    const owner3 = (await api(cluster.url, 'POST', cmPath('default'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner3' } })).json;
    await api(cluster.url, 'POST', cmPath('default'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'child-3', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner3', uid: owner3.metadata.uid, blockOwnerDeletion: true }] },
    });
    const foreground = await api(cluster.url, 'DELETE', `${cmPath('default')}/owner3?propagationPolicy=Foreground`);
    expect(foreground.status).toBe(200);
    expect(foreground.json.metadata.finalizers).toContain('foregroundDeletion');
    expect(foreground.json.metadata.deletionTimestamp).toBeTruthy();
    const bothGone = async (): Promise<boolean> =>
      (await Promise.all(['owner3', 'child-3'].map((n) => api(cluster.url, 'GET', `${cmPath('default')}/${n}`)))).every((r) => r.status === 404);
    expect(await waitUntil(bothGone)).toBe(true);

    const owner2 = (await api(cluster.url, 'POST', cmPath('default'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner2' } })).json;
    await api(cluster.url, 'POST', cmPath('default'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kept', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner2', uid: owner2.metadata.uid }] },
    });
    expect((await api(cluster.url, 'DELETE', `${cmPath('default')}/owner2?propagationPolicy=Orphan`)).status).toBe(200);
    await waitUntil(async () => (await api(cluster.url, 'GET', `${cmPath('default')}/owner2`)).status === 404);
    const kept = await api(cluster.url, 'GET', `${cmPath('default')}/kept`);
    expect(kept.status).toBe(200);
    expect(kept.json.metadata.ownerReferences ?? []).toEqual([]);
  });

  it('filters watches by label selector and ends them after timeoutSeconds', async () => {
    const { cluster } = getCluster();
    await createNamespace(cluster.url, 'watchsel');
    const rv = (await api(cluster.url, 'GET', cmPath('watchsel'))).json.metadata.resourceVersion as string;
    const started = Date.now();
    const watch = await openWatch(cluster.url, cmPath('watchsel'), { resourceVersion: rv, labelSelector: 'app=web', timeoutSeconds: '1' });
    for (const [name, app] of [['one', 'db'], ['two', 'web']]) {
      await api(cluster.url, 'POST', cmPath('watchsel'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app } } });
    }
    await watch.ended;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(watch.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED two']);
  });

  it('merges strategic patches by their merge keys and honours the patch directives kubectl sends', async () => {
    const { cluster } = getCluster();
    await createNamespace(cluster.url, 'smp');
    const smp = (path: string, patch: object) => api(cluster.url, 'PATCH', path, patch, 'application/strategic-merge-patch+json');
    const svcPath = '/api/v1/namespaces/smp/services';
    await api(cluster.url, 'POST', svcPath, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } });
    const svc = await smp(`${svcPath}/web`, { spec: { ports: [{ name: 'https', port: 443 }] } });
    expect(svc.status, svc.text).toBe(200);
    expect(svc.json.spec.ports.map((p: { name: string; port: number }) => `${p.name}:${p.port}`)).toEqual(['https:443', 'http:80']);

    const container = (name: string, extra: object = {}) => ({ name, image: `${name}:1`, ...extra });
    await api(cluster.url, 'POST', deployPath('smp'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', finalizers: ['example.com/a', 'example.com/b'] },
      spec: {
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app' } },
          spec: {
            containers: [
              container('app', { volumeMounts: [{ name: 'data', mountPath: '/data' }], env: [{ name: 'A', value: '1' }] }),
              container('sidecar'),
            ],
            volumes: [{ name: 'data', emptyDir: {} }],
          },
        },
      },
    });
    const patched = await smp(`${deployPath('smp')}/app`, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['example.com/a'] },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'log' }, { name: 'app' }],
            // Items of the patch list come in $setElementOrder's order, as kubectl writes them.
            containers: [
              container('log'),
              { name: 'app', volumeMounts: [{ mountPath: '/cache', name: 'cache' }], env: [{ name: 'B', value: '2' }] },
              { name: 'sidecar', $patch: 'delete' },
            ],
            volumes: [{ name: 'cache', emptyDir: {} }],
          },
        },
      },
    });
    expect(patched.status, patched.text).toBe(200);
    const pod = patched.json.spec.template.spec;
    expect(pod.containers.map((c: { name: string }) => c.name)).toEqual(['log', 'app']);
    const app = pod.containers[1];
    expect(app.image).toBe('app:1');
    expect(app.volumeMounts.map((m: { mountPath: string }) => m.mountPath).sort()).toEqual(['/cache', '/data']);
    expect(app.env.map((e: { name: string }) => e.name).sort()).toEqual(['A', 'B']);
    expect(pod.volumes.map((v: { name: string }) => v.name).sort()).toEqual(['cache', 'data']);
    expect(patched.json.metadata.finalizers).toEqual(['example.com/b']);

    const replaced = await smp(`${deployPath('smp')}/app`, { spec: { template: { metadata: { labels: { $patch: 'replace', app: 'app', tier: 'x' } } } } });
    expect(replaced.json.spec.template.metadata.labels).toEqual({ app: 'app', tier: 'x' });
  });

  it('refuses an update with a stale resourceVersion with 409 Conflict', async () => {
    const { cluster } = getCluster();
    const created = await api(cluster.url, 'POST', cmPath('default'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'occ' }, data: { v: '1' } });
    expect(created.status, created.text).toBe(201);
    const stale = created.json;
    const fresh = await api(cluster.url, 'PUT', `${cmPath('default')}/occ`, { ...stale, data: { v: '2' } });
    expect(fresh.status, fresh.text).toBe(200);
    expect(fresh.json.metadata.resourceVersion).not.toBe(stale.metadata.resourceVersion);

    const conflict = await api(cluster.url, 'PUT', `${cmPath('default')}/occ`, { ...stale, data: { v: '3' } });
    expect(conflict.status).toBe(409);
    expect(conflict.json).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      message: 'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'occ', kind: 'configmaps' },
    });
    expect((await api(cluster.url, 'GET', `${cmPath('default')}/occ`)).json.data).toEqual({ v: '2' });
  });

  it('answers 410 Expired to a watch from a resourceVersion older than the kept history', async () => {
    const { cluster } = getCluster();
    await createNamespace(cluster.url, 'compacted');
    const start = (await api(cluster.url, 'GET', cmPath('compacted'))).json.metadata.resourceVersion as string;
    await api(cluster.url, 'POST', cmPath('compacted'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first' } });
    const replay = await openWatch(cluster.url, cmPath('compacted'), { resourceVersion: start });
    expect((await replay.waitFor(() => true)).type).toBe('ADDED');
    replay.close();

    const writes = await outgrowWatchHistory(cluster.url, 'compacted', start);
    expect(writes).toBeLessThan(1_000);
    const watch = await openWatch(cluster.url, cmPath('compacted'), { resourceVersion: start });
    try {
      const status = watch.status === 410 ? (await watch.ended, JSON.parse(watch.errorBody)) : (await watch.waitFor(() => true)).object;
      expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
      expect(status.message).toMatch(/too old resource version/);
    } finally {
      watch.close();
    }
  });

  it('answers 410 Expired to a watch from before a restart, whose history is gone', async () => {
    const c = getCluster();
    await createNamespace(c.cluster.url, 'history');
    const before = (await api(c.cluster.url, 'GET', cmPath('history'))).json.metadata.resourceVersion as string;
    await api(c.cluster.url, 'POST', cmPath('history'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'survivor' } });
    expect(await watchExpired(c.cluster.url, cmPath('history'), before)).toBe(false);

    await c.restart();
    expect((await api(c.cluster.url, 'GET', `${cmPath('history')}/survivor`)).status).toBe(200);
    const watch = await openWatch(c.cluster.url, cmPath('history'), { resourceVersion: before });
    try {
      const status = watch.status === 410 ? (await watch.ended, JSON.parse(watch.errorBody)) : (await watch.waitFor(() => true)).object;
      expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    } finally {
      watch.close();
    }
    // A resourceVersion from after the restart still watches fine.
    const now = (await api(c.cluster.url, 'GET', cmPath('history'))).json.metadata.resourceVersion as string;
    expect(await watchExpired(c.cluster.url, cmPath('history'), now)).toBe(false);
  });

  it('injects errors, throttling, drops and watch cuts set through setConfig, and recovers when cleared', async () => {
    const { cluster } = getCluster();
    const path = `${cmPath('default')}?limit=1`;
    try {
      cluster.setConfig({ faults: { throttleRate: 1, retryAfterSeconds: 2, exempt: ['/version'] } });
      const throttled = await api(cluster.url, 'GET', path);
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('2');
      expect(throttled.json).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
      expect((await api(cluster.url, 'GET', '/version')).status).toBe(200);

      cluster.setConfig({ faults: { seed: 11, errorRate: 1 } });
      const codes = new Set<number>();
      for (let i = 0; i < 12; i++) {
        const res = await api(cluster.url, 'GET', path);
        codes.add(res.status);
        expect(res.json).toMatchObject({ kind: 'Status', status: 'Failure', code: res.status });
      }
      expect(codes).toEqual(new Set([500, 503]));

      cluster.setConfig({ faults: { dropRate: 1 } });
      await expect(api(cluster.url, 'GET', path)).rejects.toThrow();

      cluster.setConfig({ faults: { watchCutAfterMs: 200 } });
      const rv = (await api(cluster.url, 'GET', cmPath('default'))).json.metadata.resourceVersion as string;
      const started = Date.now();
      const watch = await openWatch(cluster.url, cmPath('default'), { resourceVersion: rv });
      await watch.ended;
      const lived = Date.now() - started;
      expect(lived).toBeGreaterThanOrEqual(150);
      expect(lived).toBeLessThan(3_000);

      cluster.setConfig({ faults: { latencyMs: 250 } });
      const slowStart = Date.now();
      expect((await api(cluster.url, 'GET', path)).status).toBe(200);
      expect(Date.now() - slowStart).toBeGreaterThanOrEqual(240);
    } finally {
      cluster.setConfig({ rolloutDelayMs: 50 });
    }
    expect((await api(cluster.url, 'GET', path)).status).toBe(200);
  });

  it('lets the real kubectl ride out throttling by honouring Retry-After', async () => {
    const c = getCluster();
    const cacheDir = c.freshCacheDir();
    // Discovery is cached first, so the faulted run makes one request plus its retries.
    expect((await c.kubectl(['get', 'namespaces', '-o', 'name'], { cacheDir })).code).toBe(0);
    try {
      // With seed 7 the very first request is throttled, so kubectl's retry path is always taken.
      c.cluster.setConfig({ rolloutDelayMs: 50, faults: { seed: 7, throttleRate: 0.5, retryAfterSeconds: 1 } });
      const started = Date.now();
      const res = await c.kubectl(['get', 'namespaces', '-o', 'name', '-v=6'], { cacheDir });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('namespace/default');
      expect(res.stderr).toContain('429 Too Many Requests');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    } finally {
      c.cluster.setConfig({ rolloutDelayMs: 50 });
    }
  });
});
