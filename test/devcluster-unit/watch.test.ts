import * as k8s from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDevcluster, type Devcluster } from '../../src/devcluster/index.js';

let cluster: Devcluster;

beforeAll(async () => {
  cluster = await startDevcluster();
});
afterAll(async () => {
  await cluster.stop();
});
beforeEach(() => cluster.reset());

type Json = Record<string, any>;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Json> {
  const res = await fetch(`${cluster.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Json;
}

/** Reads watch events until `count` arrived or the stream ends; then closes it. */
async function watchEvents(path: string, count: number, during?: () => Promise<void>): Promise<Json[]> {
  const controller = new AbortController();
  const res = await fetch(`${cluster.url}${path}`, { signal: controller.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const events: Json[] = [];
  let buffer = '';
  const pending = during?.();
  const deadline = setTimeout(() => controller.abort(), 3000);
  try {
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += new TextDecoder().decode(value);
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buffer.slice(0, nl)) as Json);
        buffer = buffer.slice(nl + 1);
      }
    }
  } catch {
    // aborted at the deadline: return what arrived
  } finally {
    clearTimeout(deadline);
    controller.abort();
  }
  await pending;
  return events;
}

const CMS = '/api/v1/namespaces/default/configmaps';

describe('watch', () => {
  it('replays every change after a resourceVersion, then live ones, honouring the label selector', async () => {
    const start = (await call('GET', CMS))['metadata']['resourceVersion'];
    await call('POST', CMS, { metadata: { name: 'a', labels: { app: 'x' } } });
    await call('POST', CMS, { metadata: { name: 'b', labels: { app: 'y' } } });
    const events = await watchEvents(`${CMS}?watch=true&resourceVersion=${start}&labelSelector=app%3Dx`, 3, async () => {
      await call('PATCH', `${CMS}/a`, { data: { k: 'v' } }, 'application/merge-patch+json');
      await call('DELETE', `${CMS}/a`);
    });
    expect(events.map((e) => [e['type'], e['object']['metadata']['name']])).toEqual([
      ['ADDED', 'a'],
      ['MODIFIED', 'a'],
      ['DELETED', 'a'],
    ]);
  });

  it('a no-op write sends no event', async () => {
    await call('POST', CMS, { metadata: { name: 'a' }, data: { k: 'v' } });
    const rv = (await call('GET', CMS))['metadata']['resourceVersion'];
    const events = await watchEvents(`${CMS}?watch=true&resourceVersion=${rv}`, 1, async () => {
      await call('PATCH', `${CMS}/a`, { data: { k: 'v' } }, 'application/merge-patch+json');
      await call('PATCH', `${CMS}/a`, { data: { k: 'w' } }, 'application/merge-patch+json');
    });
    expect(events.map((e) => [e['type'], e['object']['data']])).toEqual([['MODIFIED', { k: 'w' }]]);
  });

  it('a resourceVersion older than the kept history is 410 Expired', async () => {
    const old = (await call('POST', CMS, { metadata: { name: 'a' } }))['metadata']['resourceVersion'];
    cluster.reset();
    const [event] = await watchEvents(`${CMS}?watch=true&resourceVersion=${Number(old) - 1}`, 1);
    expect(event?.['type']).toBe('ERROR');
    expect(event?.['object']).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('initial events end with a bookmark when asked', async () => {
    await call('POST', CMS, { metadata: { name: 'a' } });
    const events = await watchEvents(`${CMS}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`, 2);
    expect(events[0]?.['type']).toBe('ADDED');
    expect(events[1]?.['type']).toBe('BOOKMARK');
    expect(events[1]?.['object']['metadata']['annotations']).toEqual({ 'k8s.io/initial-events-end': 'true' });
  });

  it('timeoutSeconds ends the stream', async () => {
    const started = Date.now();
    const events = await watchEvents(`${CMS}?watch=true&resourceVersion=${(await call('GET', CMS))['metadata']['resourceVersion']}&timeoutSeconds=1`, 1);
    expect(events).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2500);
  });
});

describe('@kubernetes/client-node', () => {
  it('an informer lists, then sees changes', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cluster.kubeconfig());
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'first' } } });
    const seen: string[] = [];
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    await informer.start();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'second' } } });
    await core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'second', body: { data: { a: 'b' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'first' });
    await expect.poll(() => seen).toEqual(['add first', 'add second', 'update second', 'delete first']);
    await informer.stop();
    const missing = await core.readNamespacedConfigMap({ namespace: 'default', name: 'first' }).catch((e: unknown) => e);
    expect((missing as { code?: number }).code).toBe(404);
  });
});

describe('--state', () => {
  it('objects survive a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcluster-state-'));
    try {
      const stateFile = join(dir, 'state.json');
      const first = await startDevcluster({ stateFile });
      await fetch(`${first.url}${CMS}`, { method: 'POST', body: JSON.stringify({ metadata: { name: 'kept' }, data: { a: '1' } }) });
      await first.stop();
      const second = await startDevcluster({ stateFile });
      try {
        const res = await fetch(`${second.url}${CMS}/kept`);
        expect(((await res.json()) as Json)['data']).toEqual({ a: '1' });
        const ns = (await (await fetch(`${second.url}/api/v1/namespaces`)).json()) as Json;
        expect((ns['items'] as Json[]).map((n) => n['metadata']['name'])).toContain('kube-system');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
