/**
 * `kasane sync` killed with SIGKILL at a random moment, then run again: every trial converges; nothing
 * outside the inventory is deleted (a hand-made ConfigMap, one labelled for another release, and a
 * ConfigMap of the release handed over to another release stay); the inventory stays readable and
 * ends `deployed`; each hook Job runs once for the revision (counted by uid from a watch).
 *
 * Each trial has its own namespace and environment file and a seed that picks the kill delay, so a
 * failing trial can be replayed: the seed is in the failure message.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, lockRef, PID_NAMESPACE_ANNOTATION } from '../../src/inventory/lock.js';
import { kasane } from '../cli/in-process.js';
import { useDevcluster } from '../support/devcluster.js';
import { appChart, createRepo, creations, deletions, environmentFile, FULL, recordChanges, seededRandom, warmKasane, type Repo } from './support.js';

const TRIALS = Number(process.env['RELIABILITY_TRIALS'] ?? 20);
/**
 * Kill delays, counted from the sync's first line of output (the CLI's start-up time varies with the
 * machine's load, the sync's own steps do not): drawn from [0, MAX_KILL_MS), about as long as the
 * sync takes. One trial in five is killed within 500 ms of being given its arguments instead, often
 * before any output.
 */
const MAX_KILL_MS = FULL ? 3_000 : 1_000;

const cluster = useDevcluster({ rolloutDelayMs: 200, jobs: { defaultDurationMs: 250, rules: [] } });
let recorder: Awaited<ReturnType<typeof recordChanges>>;
const outcomes: { seed: number; when: string; killed: boolean; output: string; secondCode: number }[] = [];

beforeAll(async () => {
  recorder = await recordChanges(cluster().kubeconfigPath);
});
afterAll(() => {
  recorder?.stop();
  if (outcomes.length > 0) console.log(`SIGKILL trials: ${JSON.stringify(outcomes)}`);
});

const kube = () => ['--kubeconfig', cluster().kubeconfigPath];
const sync = (repo: Repo, env: string) => ['--repo-root', repo.dir, 'sync', '--env', env, ...kube()];
/** In this process: the syncs that are not killed, and the history reads. */
const syncHere = (repo: Repo, env: string) => kasane(['sync', '--env', env, ...kube()], repo.dir);
/** Trials run two at a time (each in its own repository and namespace): they mostly wait. */
const PARALLEL = 2;

async function configMaps(namespace: string): Promise<Record<string, Record<string, string>>> {
  const items = await recorder.client.list('v1', 'ConfigMap', { namespace });
  return Object.fromEntries(items.map((i) => [i.metadata.name ?? '', { ...((i['data'] ?? {}) as Record<string, string>), '@release': i.metadata.labels?.['kasane.io/release'] ?? '' }]));
}

const labels = (env: string, release: string) => ({ 'app.kubernetes.io/managed-by': 'kasane', 'kasane.io/environment': env, 'kasane.io/release': release });

async function history(repo: Repo, env: string): Promise<{ revision: number; status: string; gitRevision?: string }[]> {
  const res = await kasane(['history', '--env', env, '--release', 'app', '-o', 'json', ...kube()], repo.dir);
  expect(res.code, `history is readable: ${res.stderr}`).toBe(0);
  const parsed = JSON.parse(res.stdout) as unknown;
  return (Array.isArray(parsed) ? parsed : ((parsed as { revisions: unknown[] }).revisions ?? [])) as { revision: number; status: string; gitRevision?: string }[];
}

describe(`SIGKILL of kasane sync at random points (${TRIALS} trials)`, { timeout: 60_000 + TRIALS * 40_000 }, () => {
  it('every trial converges after a restart, nothing outside the inventory is deleted, the inventory survives, hooks run once', async () => {
    const runTrial = async (trial: number): Promise<void> => {
      const repo = createRepo(appChart);
      const next = warmKasane();
      try {
        const seed = 1000 + trial;
        const random = seededRandom(seed);
        const env = `t${trial}`;
        const ns = `kill-${trial}`;
        const why = `trial ${trial} (seed ${seed})`;

        // Revision A, synced to the end.
        repo.write(`environments/${env}.yaml`, environmentFile(ns, { mode: 'one', extras: ['a', 'b', 'c'] }));
        repo.commit(`${env}: one`);
        const first = await syncHere(repo, env);
        expect(first.code, `${why}: first sync\n${first.stderr}`).toBe(0);

        // What is not kasane's to delete.
        const c = recorder.client;
        await c.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hand-made', namespace: ns }, data: { owner: 'me' } });
        await c.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-release', namespace: ns, labels: labels(env, 'other') }, data: { owner: 'other' } });
        // extra-c is in the inventory but handed to another release: revision B drops it, prune must leave it.
        const relabel = await cluster().kubectl(['label', 'configmap', 'extra-c', '-n', ns, '--overwrite', 'kasane.io/release=other']);
        expect(relabel.code, relabel.stderr).toBe(0);

        // Revision B, killed at a random moment, then run again.
        repo.write(`environments/${env}.yaml`, environmentFile(ns, { mode: 'two', replicas: 2, extras: ['a', 'd'] }));
        const revisionB = repo.commit(`${env}: two`);
        const mark = recorder.changes.length;
        const early = random() < 0.2;
        const delayMs = Math.floor(random() * (early ? 500 : MAX_KILL_MS));
        const victim = next.start(sync(repo, env));
        const kill = () => setTimeout(() => victim.child.kill('SIGKILL'), delayMs);
        let timer = early ? kill() : undefined;
        const started = setInterval(() => {
          if (timer === undefined && victim.stdout.includes('release app')) timer = kill();
        }, 10);
        const firstCode = await victim.exited;
        clearInterval(started);
        clearTimeout(timer);
        const killed = firstCode === 'SIGKILL';
        // Whatever the kill left behind, the inventory reads.
        await history(repo, env);
        const again = await syncHere(repo, env);
        const lastLine = victim.stdout.trim().split('\n').at(-1) ?? '';
        outcomes.push({ seed, when: `${early ? 'start+' : 'output+'}${delayMs}ms`, killed, output: lastLine.trim(), secondCode: again.code });
        expect(again.code, `${why}: sync after the kill\n${again.stdout}\n${again.stderr}`).toBe(0);

        // Converged.
        const maps = await configMaps(ns);
        expect(maps['settings']?.['mode'], why).toBe('two');
        expect(maps['extra-a']?.['mode'], why).toBe('two');
        expect(maps['extra-d']?.['mode'], why).toBe('two');
        expect(maps['extra-b'], `${why}: extra-b pruned`).toBeUndefined();
        const deploy = await recorder.client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
        expect((deploy?.['spec'] as { replicas?: number } | undefined)?.replicas, why).toBe(2);

        // Nothing outside the inventory deleted; the foreign-labelled ones untouched.
        expect(maps['hand-made']?.['owner'], why).toBe('me');
        expect(maps['other-release']?.['@release'], why).toBe('other');
        expect(maps['extra-c']?.['@release'], `${why}: a ConfigMap handed to another release is not pruned`).toBe('other');
        const deleted = deletions(recorder.changes.slice(mark), 'ConfigMap', ns);
        expect(deleted.filter((n) => n !== 'extra-b'), why).toEqual([]);

        // The inventory: readable, newest deployed at revision B, nothing left pending.
        const records = await history(repo, env);
        expect(records[0]?.status, why).toBe('deployed');
        expect(records[0]?.gitRevision, why).toBe(revisionB);
        expect(records.filter((r) => r.status === 'pending'), why).toEqual([]);

        // Each hook Job of revision B created exactly once across the killed and the repeated sync.
        const since = recorder.changes.slice(mark);
        expect(creations(since, 'Job', ns, 'migrate').length, `${why}: pre-sync hook runs`).toBe(1);
        expect(creations(since, 'Job', ns, 'notify').length, `${why}: post-sync hook runs`).toBe(1);

        await recorder.client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
      } finally {
        next.kill();
        repo.remove();
      }
    };
    const queue = Array.from({ length: TRIALS }, (_, i) => i);
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) await runTrial(t);
    }));
    // The delays spread over the whole sync: some kills land early, some late, some after it finished.
    expect(outcomes.filter((o) => o.killed).length).toBeGreaterThan(TRIALS / 3);
  });

  it.skipIf(!existsSync('/proc/self/ns/pid'))('a lock left by a killed sync on this host is taken at once; one held by a live process is not', async () => {
    const { spawn } = await import('node:child_process');
    const client = recorder.client;
    const base = { namespace: 'default', environment: 'lock', release: 'app', waitMs: 0 };
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    const holder = `${hostname()}/pid-${sleeper.pid}/abc123`;
    const held = await acquireLock(client, { ...base, holder });
    const lease = await client.get(lockRef('default', 'lock', 'app'));
    expect(lease?.metadata.annotations?.[PID_NAMESPACE_ANNOTATION]).toMatch(/^pid:\[\d+\]$/);
    await expect(acquireLock(client, { ...base, holder: 'someone-else' })).rejects.toThrow(/being synced by .*abc123/);
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.on('exit', r));
    const taken = await acquireLock(client, { ...base, holder: 'someone-else' });
    expect(taken.holder).toBe('someone-else');
    await taken.release();
    void held;

    // Another host's holder with a dead-looking pid proves nothing: still waited for.
    await acquireLock(client, { ...base, holder: `elsewhere.example/pid-${sleeper.pid}/abc123` });
    await expect(acquireLock(client, { ...base, holder: 'someone-else' })).rejects.toThrow(/being synced by elsewhere/);
  });
});
