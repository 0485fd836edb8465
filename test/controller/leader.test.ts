import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/cluster/index.js';
import { LeaderElector } from '../../src/controller/index.js';
import { useDevcluster } from '../support/devcluster.js';
import { createRemote } from '../git/support/remote.js';
import { appFiles, getStatus, startDaemon, waitFor } from './support/fixture.js';
import { useCleanup } from '../support/cleanup.js';

const cluster = useDevcluster({ rolloutDelayMs: 50 });
const defer = useCleanup();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as { port: number };
  await new Promise<void>((res) => server.close(() => res()));
  return port;
}

describe('leader election on a Lease', () => {
  it('of three racing replicas exactly one leads; a crashed leader is replaced after the lease lapses, a released one at once', async () => {
    const client = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
    const electors = ['r1', 'r2', 'r3'].map(
      (identity) =>
        new LeaderElector(client, { namespace: 'default', name: 'race', identity, leaseDurationMs: 2_000, retryEveryMs: 100 }, { onStartedLeading: () => undefined, onStoppedLeading: () => undefined }),
    );
    defer(() => Promise.all(electors.map((e) => e.stop(false))).then(() => undefined));
    for (const e of electors) e.start();
    await waitFor('a leader', () => electors.some((e) => e.isLeader));
    // Sample for a while: never two leaders at once.
    for (let i = 0; i < 20; i++) {
      expect(electors.filter((e) => e.isLeader).length).toBe(1);
      await new Promise((res) => setTimeout(res, 100));
    }
    const first = electors.find((e) => e.isLeader)!;
    await first.stop(false);
    const crashedAt = Date.now();
    const second = await waitFor('a new leader after the lapse', () => electors.find((e) => e !== first && e.isLeader), 5_000, 20);
    expect(Date.now() - crashedAt).toBeLessThan(2_000 + 500);
    expect(electors.map((e) => e.isLeader)).toEqual(electors.map((e) => e === second));

    await second.stop(true);
    const releasedAt = Date.now();
    await waitFor('the last one leads', () => electors.find((e) => e !== first && e !== second && e.isLeader), 2_000, 20);
    // A released Lease is taken on the next look, not after the lease duration.
    expect(Date.now() - releasedAt).toBeLessThan(1_000);
  });

  it('a webhook that reaches the standby is forwarded to the leader', async () => {
    const r = createRemote();
    defer(() => r.remove());
    const secret = 'forwarded-webhook-secret';
    r.commit(appFiles({ namespace: 'fwd', message: 'one', interval: '1h' }));
    const election = { namespace: 'default', name: 'fwd-leader', leaseDurationMs: 3_000 };
    const portA = await freePort();
    const a = await startDaemon({
      kubeconfig: cluster().kubeconfigPath,
      repo: r.fileUrl,
      identity: 'fwd-a',
      webhookSecret: secret,
      extra: { leaderElection: election, listen: { host: '127.0.0.1', port: portA }, advertiseUrl: `http://127.0.0.1:${portA}` },
    });
    defer(() => a.stop());
    await waitFor('a leads and synced', async () => (await getStatus(a.url)).environments[0]?.state === 'Synced');
    const b = await startDaemon({ kubeconfig: cluster().kubeconfigPath, repo: r.fileUrl, identity: 'fwd-b', webhookSecret: secret, extra: { leaderElection: election } });
    defer(() => b.stop());
    await waitFor('b is a ready standby', async () => (await fetch(`${b.url}/readyz`)).status === 200);
    expect((await getStatus(b.url)).leader).toBe(false);

    r.commit(appFiles({ namespace: 'fwd', message: 'two', interval: '1h' }));
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const res = await fetch(`${b.url}/api/v1/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
      body,
    });
    expect(res.status).toBe(202);
    await waitFor(
      'applied by the leader',
      async () => (await cluster().kubectl(['get', 'configmap', 'web-config', '-n', 'fwd', '-o', 'jsonpath={.data.message}'])).stdout === 'two',
      5_000,
    );
    expect(b.logs.lines.some((l) => l['msg'] === 'syncing')).toBe(false);
  });
});
