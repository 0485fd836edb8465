/**
 * `kasane sync` of a release of 500 objects with hooks while the API server misbehaves: 10% 500/503,
 * 5% 429 with Retry-After, latency and dropped connections. It converges with every object right
 * and each hook Job created once (counted by uid from a watch the faults spare); and when the faults
 * never stop, the command ends with a clear error after a bounded number of jittered, backed-off tries.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kasane } from '../cli/in-process.js';
import { useDevcluster } from '../support/devcluster.js';
import { appChart, createRepo, creations, environmentFile, FULL, recordChanges, type Repo } from './support.js';

const OBJECTS = FULL ? 2_000 : 500;
const cluster = useDevcluster({ rolloutDelayMs: 100, jobs: { defaultDurationMs: 150, rules: [] } });
let repo: Repo;
let recorder: Awaited<ReturnType<typeof recordChanges>>;

beforeAll(async () => {
  repo = createRepo(appChart);
  repo.write('environments/big.yaml', environmentFile('big', { mode: 'faulty', count: OBJECTS, extras: ['a'] }, 'prune: true\n  timeout: 120s'));
  repo.commit('big');
  recorder = await recordChanges(cluster().kubeconfigPath);
});
afterAll(() => {
  recorder?.stop();
  repo?.remove();
});

const kube = () => ['--kubeconfig', cluster().kubeconfigPath];

describe('sync under API server faults', { timeout: 600_000 }, () => {
  it(`${OBJECTS} objects and two hook Jobs: converges, every object right, each hook created once`, async () => {
    const mark = recorder.changes.length;
    cluster().cluster.setConfig({
      rolloutDelayMs: 100,
      jobs: { defaultDurationMs: 150, rules: [] },
      faults: {
        seed: 8,
        errorRate: 0.1,
        throttleRate: 0.05,
        retryAfterSeconds: 1,
        dropRate: 0.02,
        latencyMs: { min: 0, max: 15 },
        watchCutAfterMs: { min: 1_000, max: 3_000 },
        // Only the recorder's cluster-wide watches are spared (kasane reads and writes per namespace).
        exempt: ['/apis/batch/v1/jobs', '/api/v1/configmaps'],
      },
    });
    const attempts: { code: number; ms: number; tail: string }[] = [];
    try {
      // A sync that still fails after its bounded retries is run again, as a person or the daemon would.
      for (let i = 0; i < 4; i++) {
        const started = Date.now();
        const res = await kasane(['sync', '--env', 'big', ...kube()], repo.dir);
        attempts.push({ code: res.code, ms: Date.now() - started, tail: `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-3).join(' | ') });
        if (res.code === 0) break;
      }
    } finally {
      cluster().cluster.setConfig({ rolloutDelayMs: 100, jobs: { defaultDurationMs: 150, rules: [] } });
    }
    console.log(`faults sync of ${OBJECTS} objects: ${JSON.stringify(attempts)}`);
    expect(attempts.at(-1)?.code, JSON.stringify(attempts)).toBe(0);

    // Every object right, read without faults.
    const maps = await recorder.client.list('v1', 'ConfigMap', { namespace: 'big' });
    const items = maps.filter((m) => m.metadata.name?.startsWith('item-'));
    expect(items).toHaveLength(OBJECTS);
    for (const m of items) {
      const data = m['data'] as Record<string, string>;
      expect(data['mode']).toBe('faulty');
      expect(`item-${data['index']}`).toBe(m.metadata.name);
      expect(m.metadata.labels?.['kasane.io/release']).toBe('app');
    }
    const deploy = await recorder.client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'big', name: 'web' });
    expect(deploy).toBeDefined();
    // Nothing left to do: a dry run finds no change.
    const check = await kasane(['sync', '--env', 'big', '--dry-run', '--detailed-exitcode', ...kube()], repo.dir);
    expect(check.code, check.stdout + check.stderr).toBe(0);

    // Each hook Job created once for the revision, however many tries and syncs it took.
    const since = recorder.changes.slice(mark);
    expect(creations(since, 'Job', 'big', 'migrate')).toHaveLength(1);
    expect(creations(since, 'Job', 'big', 'notify')).toHaveLength(1);
    const history = await kasane(['history', '--env', 'big', '--release', 'app', '-o', 'json', ...kube()], repo.dir);
    expect(history.code).toBe(0);
    expect(history.stdout).toContain('"deployed"');
  });

  it('faults that never stop: a clear error after a bounded number of tries, spaced by jittered backoff', async () => {
    // A server that answers every request 503, recording when each try arrived.
    const arrivals: { key: string; at: number }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      arrivals.push({ key: `${req.method} ${req.url}`, at: Date.now() });
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'the server is currently unable to handle the request', reason: 'ServiceUnavailable', code: 503 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const kubeconfig = cluster().writeFile('down.yaml', cluster().cluster.kubeconfig().replace(/http:\/\/127\.0\.0\.1:\d+/, `http://127.0.0.1:${port}`));
    try {
      const runs: { code: number; stderr: string }[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await kasane(['sync', '--env', 'big', '--kubeconfig', kubeconfig], repo.dir);
        runs.push({ code: res.code, stderr: res.stderr });
      }
      for (const run of runs) {
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/503|unavailable|unable to handle/i);
        expect(run.stderr).toContain(`127.0.0.1:${port}`);
        expect(run.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
      }
      const byRequest = new Map<string, number[]>();
      for (const a of arrivals) byRequest.set(a.key, [...(byRequest.get(a.key) ?? []), a.at]);
      const first = [...byRequest.values()][0]!;
      // Both runs made the same first request 6 times each: 12 arrivals, never more.
      expect(first.length).toBe(12);
      const gaps = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]!);
      const a = gaps(first.slice(0, 6));
      const b = gaps(first.slice(6));
      // The waits add up to more than a fixed short retry would, and jitter makes the two runs differ.
      expect(a.reduce((x, y) => x + y, 0) + b.reduce((x, y) => x + y, 0)).toBeGreaterThan(500);
      expect(a).not.toEqual(b);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
