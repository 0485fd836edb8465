/**
 * The daemon (a real `kasane daemon` process) killed with SIGKILL at a random moment of a sync, then
 * restarted: it converges on the new commit; nothing outside the inventory is deleted; the inventory
 * ends deployed with nothing pending; each hook Job runs once for the revision. 20 trials with
 * different seeds (RELIABILITY_TRIALS=N for another number), each in its own namespace and Git remote,
 * four at a time (each trial starts two daemon processes, one after the other); the CLI variant is
 * sigkill-sync.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kasane } from '../cli/in-process.js';
import { getStatus, spawnDaemon, waitFor, type ChildDaemon } from '../controller/support/fixture.js';
import { createRemote } from '../git/support/remote.js';
import { useDevcluster } from '../support/devcluster.js';
import { appChart, creations, deletions, environmentFile, recordChanges, seededRandom } from './support.js';

const TRIALS = Number(process.env['RELIABILITY_TRIALS'] ?? 20);
/** Trials running at once: they share the devcluster and the change recorder, and filter by namespace. */
const CONCURRENCY = 4;
const cluster = useDevcluster({ rolloutDelayMs: 200, jobs: { defaultDurationMs: 250, rules: [] } });
let recorder: Awaited<ReturnType<typeof recordChanges>>;
const outcomes: { seed: number; delayMs: number; lastLog: string }[] = [];

beforeAll(async () => {
  recorder = await recordChanges(cluster().kubeconfigPath);
});
afterAll(() => {
  recorder?.stop();
  if (outcomes.length > 0) console.log(`daemon SIGKILL trials: ${JSON.stringify(outcomes)}`);
});

const SYNC = 'prune: true\n  selfHeal: true\n  interval: 1s\n  timeout: 60s';

describe(`SIGKILL of the daemon mid-sync (${TRIALS} trials)`, { timeout: 60_000 + Math.ceil(TRIALS / CONCURRENCY) * 90_000 }, () => {
  it('restarted, it converges; nothing outside the inventory deleted; inventory intact; hooks once', async () => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < TRIALS) await runTrial(next++);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, TRIALS) }, worker));
    expect(outcomes).toHaveLength(TRIALS);
  });

  async function runTrial(trial: number): Promise<void> {
    const seed = 2000 + trial;
    const random = seededRandom(seed);
    const ns = `dkill-${trial}`;
    const why = `trial ${trial} (seed ${seed})`;
    const r = createRemote();
    const cache = mkdtempSync(join(tmpdir(), 'kasane-reliability-daemon-'));
    const daemons: ChildDaemon[] = [];
    const start = () => {
      const d = spawnDaemon(['--repo', r.fileUrl, '--env', 'demo', '--identity', 'killed-daemon', '--cache-dir', cache, '--no-leader-election', '--backoff-max', '1s'], {
        KUBECONFIG: cluster().kubeconfigPath,
      });
      daemons.push(d);
      return d;
    };
    try {
      r.commit({ ...appChart, 'environments/demo.yaml': environmentFile(ns, { mode: 'one', extras: ['a', 'b', 'c'] }, SYNC) });
      const first = start();
      const url = await first.url;
      await waitFor(`${why}: first sync`, async () => (await getStatus(url)).environments[0]?.state === 'Synced', 40_000);

      const c = recorder.client;
      await c.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hand-made', namespace: ns }, data: { owner: 'me' } });
      const labels = { 'app.kubernetes.io/managed-by': 'kasane', 'kasane.io/environment': 'demo', 'kasane.io/release': 'other' };
      await c.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-release', namespace: ns, labels }, data: { owner: 'other' } });

      const mark = recorder.changes.length;
      const logMark = first.logs.lines.length;
      const revisionB = r.commit({ 'environments/demo.yaml': environmentFile(ns, { mode: 'two', replicas: 2, extras: ['a', 'd'] }, SYNC) });
      await waitFor(`${why}: sync of B started`, () => first.logs.lines.slice(logMark).some((l) => l['msg'] === 'syncing' && l['revision'] === revisionB), 20_000, 10);
      const delayMs = Math.floor(random() * 1_200);
      await new Promise((res) => setTimeout(res, delayMs));
      const lastLog = String(first.logs.lines.at(-1)?.['msg'] ?? '');
      first.child.kill('SIGKILL');
      await first.exited;
      outcomes.push({ seed, delayMs, lastLog });

      const second = start();
      const url2 = await second.url;
      await waitFor(`${why}: converged after the restart`, async () => {
        const s = await getStatus(url2);
        return s.environments[0]?.state === 'Synced' && s.environments[0].revision === revisionB;
      }, 40_000);

      const maps = Object.fromEntries((await c.list('v1', 'ConfigMap', { namespace: ns })).map((m) => [m.metadata.name ?? '', m]));
      expect((maps['settings']?.['data'] as Record<string, string>)['mode'], why).toBe('two');
      expect(maps['extra-d'], why).toBeDefined();
      expect(maps['extra-b'], why).toBeUndefined();
      expect(maps['hand-made'], why).toBeDefined();
      expect(maps['other-release'], why).toBeDefined();
      const since = recorder.changes.slice(mark);
      expect(deletions(since, 'ConfigMap', ns).filter((n) => !['extra-b', 'extra-c'].includes(n)), why).toEqual([]);
      expect(creations(since, 'Job', ns, 'migrate'), `${why}: pre-sync hook`).toHaveLength(1);
      expect(creations(since, 'Job', ns, 'notify'), `${why}: post-sync hook`).toHaveLength(1);
      const history = await kasane(['history', '--env', 'demo', '--release', 'app', '-o', 'json', '--kubeconfig', cluster().kubeconfigPath], r.work);
      expect(history.code, history.stderr).toBe(0);
      expect(history.stdout).not.toContain('"pending"');
    } finally {
      for (const d of daemons) {
        if (d.child.exitCode === null && d.child.signalCode === null) {
          d.child.kill('SIGKILL');
          await d.exited;
        }
      }
      rmSync(cache, { recursive: true, force: true });
      r.remove();
    }
  }
});
