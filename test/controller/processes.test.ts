/**
 * Daemons as real processes: leader election between two, kill -9 in the middle of a sync, and a
 * graceful SIGTERM. Deployments take 2 s to roll out here, so a sync is in flight long enough to
 * interrupt.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDevcluster } from '../support/devcluster.js';
import { remoteFactory, type TestRemote } from '../git/support/remote.js';
import { appFiles, getStatus, spawnDaemon, waitFor, type ChildDaemon } from './support/fixture.js';
import { useCleanup } from '../support/cleanup.js';

const cluster = useDevcluster({ rolloutDelayMs: 2_000 });
const defer = useCleanup();

const remote = remoteFactory(defer);

function daemon(r: TestRemote, identity: string, extra: string[] = [], cacheDir?: string): ChildDaemon {
  const cache = cacheDir ?? mkdtempSync(join(tmpdir(), 'kasane-daemon-cache-'));
  const d = spawnDaemon(['--repo', r.fileUrl, '--env', 'demo', '--identity', identity, '--cache-dir', cache, '--backoff-max', '1s', ...extra], {
    KUBECONFIG: cluster().kubeconfigPath,
  });
  defer(async () => {
    if (d.child.exitCode === null && d.child.signalCode === null) {
      d.child.kill('SIGKILL');
      await d.exited;
    }
    if (cacheDir === undefined) rmSync(cache, { recursive: true, force: true });
  });
  return d;
}

async function lease(name = 'kasane-daemon'): Promise<Record<string, any> | undefined> {
  const res = await cluster().kubectl(['get', 'lease', name, '-n', 'default', '-o', 'json']);
  return res.code === 0 ? (JSON.parse(res.stdout) as Record<string, any>) : undefined;
}

async function configMaps(namespace: string): Promise<Record<string, string | undefined>> {
  const res = await cluster().kubectl(['get', 'configmaps', '-n', namespace, '-o', 'json']);
  if (res.code !== 0) return {};
  const items = (JSON.parse(res.stdout) as { items: { metadata: { name: string }; data?: Record<string, string> }[] }).items;
  return Object.fromEntries(items.map((i) => [i.metadata.name, i.data?.['message'] ?? i.data?.['name']]));
}

/** Whether, after log line `from`, the daemon started syncing `revision` and has applied an object of it. */
function applying(d: ChildDaemon, from: number, revision: string): boolean {
  const lines = d.logs.lines.slice(from);
  const start = lines.findIndex((l) => l['msg'] === 'syncing' && l['revision'] === revision);
  return start >= 0 && lines.slice(start).some((l) => l['msg'] === 'object configured' || l['msg'] === 'object created');
}

const syncs = (d: ChildDaemon): number => d.logs.lines.filter((l) => l['msg'] === 'syncing' || l['msg'] === 'checking for drift').length;

describe('kasane daemon as processes', { timeout: 240_000 }, () => {
  it('two daemons: exactly one syncs; when the leader is killed the standby takes over within the lease duration', async () => {
    const r = remote();
    r.commit(appFiles({ namespace: 'ha', message: 'one' }));
    const lease3s = ['--lease-duration', '3s', '--lease-name', 'ha-leader'];
    const a = daemon(r, 'replica-a', lease3s);
    const urlA = await a.url;
    await waitFor('a leads', async () => (await getStatus(urlA)).leader);
    const b = daemon(r, 'replica-b', lease3s);
    const urlB = await b.url;
    await waitFor('first sync', async () => (await configMaps('ha'))['web-config'] === 'one', 20_000);
    await waitFor('b sees the lease', async () => (await fetch(`${urlB}/readyz`)).status === 200);

    // A few intervals with both running: only the leader works.
    await new Promise((res) => setTimeout(res, 3_000));
    expect((await getStatus(urlB)).leader).toBe(false);
    expect(syncs(a)).toBeGreaterThan(0);
    expect(syncs(b)).toBe(0);
    const held = await lease('ha-leader');
    expect(held?.['spec']).toMatchObject({ holderIdentity: 'replica-a', leaseDurationSeconds: 3 });
    const transitions = Number(held?.['spec']['leaseTransitions'] ?? 0);

    // Crash the leader: nothing is released, the Lease has to lapse.
    const lastRenew = Date.parse(String(held?.['spec']['renewTime']));
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await a.exited;
    await waitFor('b leads', async () => (await getStatus(urlB)).leader, 15_000, 50);
    const taken = await lease('ha-leader');
    expect(taken?.['spec']['holderIdentity']).toBe('replica-b');
    expect(taken?.['spec']['leaseTransitions']).toBe(transitions + 1);
    // Not before the Lease lapsed, and within the lease duration of the crash (plus one look of the standby).
    const acquired = Date.parse(String(taken?.['spec']['acquireTime']));
    expect(acquired).toBeGreaterThanOrEqual(lastRenew + 3_000);
    expect(acquired - killedAt).toBeLessThan(3_000 + 750 + 1_000);

    r.commit(appFiles({ namespace: 'ha', message: 'two' }));
    await waitFor('the new leader syncs', async () => (await configMaps('ha'))['web-config'] === 'two', 20_000);
    expect(syncs(b)).toBeGreaterThan(0);
  });

  it('kill -9 in the middle of a sync, restart: the environment converges and nothing is pruned wrongly', async () => {
    const r = remote();
    r.commit(appFiles({ namespace: 'crash', message: 'one', extras: ['a', 'b'] }));
    const cache = mkdtempSync(join(tmpdir(), 'kasane-daemon-cache-'));
    defer(() => rmSync(cache, { recursive: true, force: true }));
    const first = daemon(r, 'crash-replica', ['--no-leader-election'], cache);
    const url = await first.url;
    await waitFor('first sync', async () => (await getStatus(url)).environments[0]?.state === 'Synced', 30_000);

    const mark = first.logs.lines.length;
    const second = r.commit(appFiles({ namespace: 'crash', message: 'two', replicas: 2, extras: ['a', 'c'] }));
    // Wait until the new revision is being applied (the rollout takes 2 s), then kill.
    await waitFor('sync of the second commit in flight', () => applying(first, mark, second), 20_000, 20);
    expect(first.logs.lines.slice(mark).some((l) => l['msg'] === 'synced')).toBe(false);
    first.child.kill('SIGKILL');
    await first.exited;

    const restarted = daemon(r, 'crash-replica', ['--no-leader-election'], cache);
    const url2 = await restarted.url;
    await waitFor(
      'converged',
      async () => {
        const s = await getStatus(url2);
        return s.environments[0]?.state === 'Synced' && s.environments[0].revision === second;
      },
      30_000,
    );
    const maps = await configMaps('crash');
    expect(maps['web-config']).toBe('two');
    expect(maps['extra-a']).toBe('a');
    expect(maps['extra-c']).toBe('c');
    expect(maps['extra-b']).toBeUndefined();
    const deploy = await cluster().kubectl(['get', 'deployment', 'web', '-n', 'crash', '-o', 'jsonpath={.spec.replicas}']);
    expect(deploy.stdout).toBe('2');
    // History tells the truth: the interrupted revision is marked failed, a later one is deployed.
    const records = await cluster().kubectl(['get', 'secrets', '-n', 'crash', '-l', 'owner=kasane', '-o', 'jsonpath={range .items[*]}{.metadata.labels.kasane\\.io/status}{"\\n"}{end}']);
    const statuses = records.stdout.trim().split('\n');
    expect(statuses).toContain('deployed');
    expect(statuses).not.toContain('pending');
  });

  it('SIGTERM: the sync in flight stops at a safe point, the Lease is released, exit 0; a standby takes over at once', async () => {
    const r = remote();
    r.commit(appFiles({ namespace: 'term', message: 'one' }));
    const leaseArgs = ['--lease-duration', '20s', '--lease-name', 'term-leader'];
    const a = daemon(r, 'term-a', leaseArgs);
    const urlA = await a.url;
    await waitFor('a leads', async () => (await getStatus(urlA)).leader);
    const b = daemon(r, 'term-b', leaseArgs);
    await b.url;
    await waitFor('first sync', async () => (await getStatus(urlA)).environments[0]?.state === 'Synced', 30_000);
    const mark = a.logs.lines.length;
    const second = r.commit(appFiles({ namespace: 'term', message: 'two', replicas: 3 }));
    await waitFor('second sync in flight', () => applying(a, mark, second), 20_000, 20);

    const termAt = Date.now();
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(a.logs.lines.some((l) => l['msg'] === 'stopped')).toBe(true);
    // It stopped between two steps instead of finishing the sync.
    expect(a.logs.lines.slice(mark).some((l) => l['msg'] === 'synced')).toBe(false);
    const released = await lease('term-leader');
    expect(released?.['spec']['holderIdentity'] === 'term-b' || released?.['spec']['holderIdentity'] === '').toBe(true);
    // The standby does not wait 20 s for the Lease to lapse: it takes the released Lease on its next look (every 5 s).
    const urlB = await b.url;
    await waitFor('b leads', async () => (await getStatus(urlB)).leader, 18_000, 100);
    const taken = await lease('term-leader');
    expect(Date.parse(String(taken?.['spec']['acquireTime'])) - termAt).toBeLessThan(20_000);
    await waitFor('b finishes the sync', async () => (await configMaps('term'))['web-config'] === 'two' && (await getStatus(urlB)).environments[0]?.state === 'Synced', 30_000);
  });
});
