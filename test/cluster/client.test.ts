/**
 * The cluster layer against the devcluster over HTTP: verbs, typed errors, discovery with pending
 * CRDs, watches, and retries through a server that throttles, fails and drops connections.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ConflictError,
  connect,
  InvalidError,
  NotFoundError,
  UnknownKindError,
  UnreachableError,
  type ClusterClient,
  type WatchEventType,
} from '../../src/cluster/index.js';
import type { KubeObject } from '../../src/model/object.js';
import { useDevcluster } from '../support/devcluster.js';

const cluster = useDevcluster();
let client: ClusterClient;

beforeEach(async () => {
  cluster().cluster.reset();
  cluster().cluster.setConfig({});
  client = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
});

const cm = (name: string, data: Record<string, string> = { a: '1' }, namespace = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

const deployment = (replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
});

const widgetCrd: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Cluster',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

describe('cluster client', () => {
  it('applies with field manager kasane, reads, lists and deletes', async () => {
    const applied = await client.apply(cm('one'));
    const managers = (applied.metadata['managedFields'] as { manager: string }[]).map((m) => m.manager);
    expect(managers).toEqual(['kasane']);
    expect((await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'one' }))?.['data']).toEqual({ a: '1' });
    await client.apply(cm('two'));
    const listed = await client.list('v1', 'ConfigMap', { namespace: 'default' });
    expect(listed.map((o) => [o.apiVersion, o.kind, o.metadata.name])).toEqual(
      expect.arrayContaining([
        ['v1', 'ConfigMap', 'one'],
        ['v1', 'ConfigMap', 'two'],
      ]),
    );
    expect(await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'one' })).toBe(true);
    expect(await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'one' })).toBe(false);
    expect(await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'one' })).toBeUndefined();
  });

  it('a dry run changes nothing and counts no write', async () => {
    await client.apply(deployment(2));
    const before = client.stats.writes;
    const preview = await client.apply(deployment(3), { dryRun: true });
    expect((preview['spec'] as { replicas: number }).replicas).toBe(3);
    const live = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' });
    expect((live?.['spec'] as { replicas: number }).replicas).toBe(2);
    expect(client.stats.writes).toBe(before);
  });

  it('lists follow pages', async () => {
    for (let i = 0; i < 12; i++) await client.apply(cm(`page-${i}`));
    expect((await client.list('v1', 'ConfigMap', { namespace: 'default', labelSelector: '' })).filter((o) => o.metadata.name?.startsWith('page-'))).toHaveLength(12);
  });

  it('a label selector with spaces, commas, parentheses and an equals sign reaches the server intact', async () => {
    const labelled = (name: string, tier: string): KubeObject => ({ ...cm(name), metadata: { name, namespace: 'default', labels: { tier, 'app.kubernetes.io/name': 'web' } } });
    await client.apply(labelled('front', 'front'));
    await client.apply(labelled('back', 'back'));
    await client.apply(labelled('batch', 'batch'));
    const names = async (labelSelector: string): Promise<string[]> =>
      (await client.list('v1', 'ConfigMap', { namespace: 'default', labelSelector })).map((o) => o.metadata.name ?? '').sort();
    expect(await names('tier in (front, back),app.kubernetes.io/name=web')).toEqual(['back', 'front']);
    expect(await names('tier notin (front),app.kubernetes.io/name!=other')).toEqual(['back', 'batch']);
  });

  it('a field another manager changed is a ConflictError naming the field and the manager; force takes it', async () => {
    await client.apply(deployment(2));
    const scaled = await cluster().kubectl(['scale', 'deployment', 'web', '-n', 'default', '--replicas=5']);
    expect(scaled.code, scaled.stderr).toBe(0);
    const err = await client.apply(deployment(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    const conflict = err as ConflictError;
    expect(conflict.conflicts.map((c) => c.field)).toEqual(['.spec.replicas']);
    expect(conflict.conflicts[0]?.manager).toBeTruthy();
    expect(conflict.message).toContain('apps/v1 Deployment default/web');
    expect(conflict.message).toContain('.spec.replicas');
    const forced = await client.apply(deployment(3), { force: true });
    expect((forced['spec'] as { replicas: number }).replicas).toBe(3);
  });

  it('typed errors for invalid objects, existing objects and missing namespaces', async () => {
    const invalid = await client.apply(cm('Not_A_Name')).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidError);
    expect((invalid as InvalidError).causes.some((c) => c.field === 'metadata.name')).toBe(true);
    expect((invalid as InvalidError).message).toContain('v1 ConfigMap default/Not_A_Name');

    await client.create(cm('once'));
    expect(await client.create(cm('once')).catch((e: unknown) => e)).toBeInstanceOf(AlreadyExistsError);

    const missing = (await client.apply(cm('x', {}, 'ghost'), { dryRun: true }).catch((e: unknown) => e)) as NotFoundError;
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.isMissingNamespace).toBe(true);
    expect(missing.hint).toContain('createNamespace');
  });

  it('an unknown kind is an UnknownKindError; a pending CRD makes it known with its scope until the cluster serves it', async () => {
    const ref = { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w' };
    const err = await client.get(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownKindError);
    expect((err as Error).message).toContain('example.com/v1 Widget w');

    client.addPendingCrds([widgetCrd]);
    expect(await client.resourceFor('example.com/v1', 'Widget')).toMatchObject({ plural: 'widgets', namespaced: false, pending: true });
    expect(await client.list('example.com/v1', 'Widget')).toEqual([]);

    await client.apply(widgetCrd);
    // The same client learns that the cluster now serves the kind (a miss refreshes discovery at most once a second).
    await new Promise((r) => setTimeout(r, 1100));
    expect(await client.resourceFor('example.com/v1', 'Widget')).toMatchObject({ plural: 'widgets', namespaced: false, pending: false });
    await client.apply({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } });
    expect((await client.get(ref))?.['spec']).toEqual({ size: 1 });
  });

  it('watches deliver changes in order and end once when stopped', async () => {
    const rv = (await client.apply(cm('seed'))).metadata['resourceVersion'] as string;
    const events: string[] = [];
    let ended = 0;
    const watch = await client.watch('v1', 'ConfigMap', { namespace: 'default', resourceVersion: rv }, (type: WatchEventType, obj) => events.push(`${type} ${obj.kind} ${obj.metadata.name}`), () => ended++);
    await client.apply(cm('w1'));
    await client.apply(cm('w1', { a: '2' }));
    await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'w1' });
    const deadline = Date.now() + 5000;
    while (events.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    watch.stop();
    watch.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual(['ADDED ConfigMap w1', 'MODIFIED ConfigMap w1', 'DELETED ConfigMap w1']);
    expect(ended).toBe(1);
  });

  it('reads pod logs; a missing pod is a NotFoundError', async () => {
    await client.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } });
    expect(typeof (await client.podLogs('default', 'p'))).toBe('string');
    expect(await client.podLogs('default', 'absent').catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
  });
});

describe('retries', () => {
  it('rides out throttling, 500/503 and dropped connections, a bounded number of times', async () => {
    await client.apply(cm('steady'));
    cluster().cluster.setConfig({ faults: { seed: 7, throttleRate: 0.15, errorRate: 0.15, dropRate: 0.1, retryAfterSeconds: 0 } });
    const flaky = await connect({ kubeconfig: cluster().kubeconfigPath, env: {}, retry: { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 50, maxRetryAfterMs: 50 } });
    const calls = 40;
    for (let i = 0; i < calls; i++) {
      expect((await flaky.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'steady' }))?.metadata.name).toBe('steady');
    }
    // every failed try was retried: more tries than calls
    expect(flaky.stats.requests).toBeGreaterThan(calls);
  });

  it('honours Retry-After on 429', async () => {
    cluster().cluster.setConfig({ faults: { throttleRate: 1, retryAfterSeconds: 1 } });
    const throttled = await connect({ kubeconfig: cluster().kubeconfigPath, env: {}, retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 5000 } });
    const started = Date.now();
    const pending = throttled.list('v1', 'ConfigMap', { namespace: 'default' });
    setTimeout(() => cluster().cluster.setConfig({}), 300);
    await pending;
    // backoff alone would have retried after ~10 ms; the server asked for a second
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the bounded number of tries with the server error', async () => {
    cluster().cluster.setConfig({ faults: { errorRate: 1 } });
    const failing = await connect({ kubeconfig: cluster().kubeconfigPath, env: {}, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 } });
    const err = await failing.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(failing.stats.requests).toBe(3);
  });
});

describe('creates over a connection that drops after the server acted', () => {
  /** A loopback proxy to the devcluster that loses the connection of the first POST after forwarding it. */
  async function droppingProxy(): Promise<{ kubeconfig: string; close(): Promise<void> }> {
    const upstream = new URL(cluster().cluster.url);
    let dropped = false;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const forward = http.request(
          { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
          (up) => {
            const body: Buffer[] = [];
            up.on('data', (c: Buffer) => body.push(c));
            up.on('end', () => {
              if (req.method === 'POST' && !dropped) {
                dropped = true;
                req.socket.destroy();
                return;
              }
              res.writeHead(up.statusCode ?? 500, up.headers);
              res.end(Buffer.concat(body));
            });
          },
        );
        forward.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const kubeconfig = cluster().writeFile(`proxy-${port}.yaml`, cluster().cluster.kubeconfig().replace(/http:\/\/127\.0\.0\.1:\d+/, `http://127.0.0.1:${port}`));
    return { kubeconfig, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it('a named create tried again returns the object the first try made', async () => {
    const proxy = await droppingProxy();
    try {
      const viaProxy = await connect({ kubeconfig: proxy.kubeconfig, env: {}, retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 } });
      const created = await viaProxy.create(cm('made-once'));
      expect(created.metadata.name).toBe('made-once');
      expect(viaProxy.stats.requests).toBeGreaterThan(2);
    } finally {
      await proxy.close();
    }
  });

  it('a generateName create is not tried again: no second object', async () => {
    const proxy = await droppingProxy();
    try {
      const viaProxy = await connect({ kubeconfig: proxy.kubeconfig, env: {} });
      const err = await viaProxy
        .create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'hook-', namespace: 'default' }, data: {} })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnreachableError);
      const made = (await client.list('v1', 'ConfigMap', { namespace: 'default' })).filter((o) => o.metadata.name?.startsWith('hook-'));
      expect(made).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});
