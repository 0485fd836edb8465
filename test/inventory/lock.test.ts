/** The per-release lock against the devcluster: holders, waiting, expiry, takeover races. */
import { beforeEach, describe, expect, it } from 'vitest';
import { connect, type ClusterClient } from '../../src/cluster/index.js';
import { acquireLock, LockHeldError, lockRef } from '../../src/inventory/lock.js';
import { useDevcluster } from '../support/devcluster.js';

const cluster = useDevcluster();
const base = { namespace: 'default', environment: 'staging', release: 'web' };
let c: ClusterClient;

beforeEach(async () => {
  cluster().cluster.reset();
  c = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
});

async function plantLease(holder: string, renewedAgoMs: number): Promise<void> {
  const at = new Date(Date.now() - renewedAgoMs).toISOString().replace('Z', '000Z');
  await c.create({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'kasane.staging.web', namespace: 'default' },
    spec: { holderIdentity: holder, leaseDurationSeconds: 120, acquireTime: at, renewTime: at },
  });
}

describe('release lock', () => {
  it('is a Lease naming its holder, gone once released', async () => {
    const lock = await acquireLock(c, { ...base, holder: 'me', waitMs: 0 });
    const lease = await c.get(lockRef('default', 'staging', 'web'));
    expect((lease?.['spec'] as { holderIdentity: string }).holderIdentity).toBe('me');
    await lock.release();
    expect(await c.get(lockRef('default', 'staging', 'web'))).toBeUndefined();
  });

  it('a second taker waits up to its bound, then fails naming the holder and the expiry', async () => {
    await plantLease('host-a/pid-1', 0);
    const waited: string[] = [];
    const started = Date.now();
    const err = await acquireLock(c, { ...base, holder: 'me', waitMs: 700, pollMs: 100, onWait: (h) => waited.push(h) }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).message).toContain('host-a/pid-1');
    expect((err as LockHeldError).hint).toMatch(/expires at \d{4}-/);
    expect(waited).toEqual(['host-a/pid-1']);
  });

  it('gets the lock as soon as the holder releases it', async () => {
    const first = await acquireLock(c, { ...base, holder: 'first', waitMs: 0 });
    setTimeout(() => void first.release(), 300);
    const second = await acquireLock(c, { ...base, holder: 'second', waitMs: 5_000, pollMs: 50 });
    expect(second.holder).toBe('second');
    await second.release();
  });

  it('takes over a lock whose holder stopped renewing it more than its duration ago', async () => {
    await plantLease('crashed/pid-9', 121_000);
    const lock = await acquireLock(c, { ...base, holder: 'me', waitMs: 0 });
    const lease = await c.get(lockRef('default', 'staging', 'web'));
    expect((lease?.['spec'] as { holderIdentity: string }).holderIdentity).toBe('me');
    await lock.release();
  });

  it('of two processes taking over an expired lock at once, exactly one wins', async () => {
    await plantLease('crashed/pid-9', 600_000);
    const c2 = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
    const outcomes = await Promise.allSettled([
      acquireLock(c, { ...base, holder: 'a', waitMs: 300, pollMs: 50 }),
      acquireLock(c2, { ...base, holder: 'b', waitMs: 300, pollMs: 50 }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const loser = outcomes.find((o) => o.status === 'rejected');
    expect(loser?.status === 'rejected' && loser.reason).toBeInstanceOf(LockHeldError);
  });
});
