/**
 * The daemon against a misbehaving Git remote and API server. Git: a history thousands of commits
 * deep (made with `git fast-import`), a slow remote, a force push, a corrupt local clone, the remote
 * down — each time the last applied state stays, the error is reported in status, and it recovers.
 * API server: watch streams cut every second or two and a few failing requests — drift made with
 * kubectl is still corrected, again and again.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/cluster/index.js';
import { Daemon } from '../../src/controller/index.js';
import { GitSource } from '../../src/git/index.js';
import { appFiles, getStatus, LogSink, waitFor } from '../controller/support/fixture.js';
import { createRemote, git, serveHttp, type TestRemote } from '../git/support/remote.js';
import { useDevcluster } from '../support/devcluster.js';
import { FULL } from './support.js';

const DEPTH = FULL ? 20_000 : 3_000;
const cluster = useDevcluster({ rolloutDelayMs: 50, jobs: { defaultDurationMs: 100, rules: [] } });
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Writes `depth` commits straight into the bare repository with fast-import; the last one holds `files`. */
function deepHistory(r: TestRemote, depth: number, files: Record<string, string>): string {
  const parts: string[] = [];
  const when = 1_700_000_000;
  for (let i = 1; i <= depth; i++) {
    const message = `commit ${i}`;
    const content = `line ${i}\n`;
    parts.push(`commit refs/heads/main\nmark :${i}\ncommitter t <t@example.com> ${when + i} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`);
    if (i > 1) parts.push(`from :${i - 1}\n`);
    parts.push(`M 644 inline history.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`);
    if (i === depth) for (const [path, text] of Object.entries(files)) parts.push(`M 644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: r.bare, input: parts.join(''), maxBuffer: 256 * 1024 * 1024 });
  git(r.work, ['fetch', '-q', 'origin', 'main']);
  git(r.work, ['reset', '-q', '--hard', 'origin/main']);
  return git(r.bare, ['rev-parse', 'main']);
}

/** An HTTP proxy in front of the Git server that holds every request for `delayMs`. */
async function slowProxy(target: string, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    setTimeout(() => {
      const forward = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: target.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`), close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function startDaemon(repo: string, cacheDir: string, intervalEnv = ['demo']) {
  const logs = new LogSink();
  const source = new GitSource({ url: repo, ref: 'main', cacheDir, env: process.env });
  const client = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
  const daemon = new Daemon({
    client,
    source,
    environments: intervalEnv,
    log: pino(logs),
    identity: 'reliability',
    listen: { host: '127.0.0.1', port: 0 },
    backoffBaseMs: 200,
    backoffMaxMs: 1_000,
    lockWaitMs: 5_000,
  });
  const { port } = await daemon.start();
  cleanup.push(() => daemon.shutdown());
  return { url: `http://127.0.0.1:${port}`, logs };
}

async function message(namespace: string): Promise<string | undefined> {
  const res = await cluster().kubectl(['get', 'configmap', 'web-config', '-n', namespace, '-o', 'jsonpath={.data.message}']);
  return res.code === 0 ? res.stdout : undefined;
}

describe('daemon under Git and API server trouble', { timeout: 240_000 }, () => {
  it(`deep history (${DEPTH} commits), slow remote, force push, corrupt clone, remote down: last state stays, error reported, recovers`, async () => {
    const r = createRemote();
    cleanup.push(() => r.remove());
    const started = Date.now();
    const head = deepHistory(r, DEPTH, appFiles({ namespace: 'gitrel', message: 'deep', interval: '1s' }));
    const importMs = Date.now() - started;
    const http = await serveHttp(r.dir);
    cleanup.push(() => http.close());
    const slow = await slowProxy(http.url, 300);
    cleanup.push(() => slow.close());
    const cache = mkdtempSync(join(tmpdir(), 'kasane-reliability-cache-'));
    cleanup.push(() => rmSync(cache, { recursive: true, force: true }));
    const d = await startDaemon(slow.url, cache);

    const syncStart = Date.now();
    await waitFor('the deep history synced over the slow remote', async () => {
      const s = await getStatus(d.url);
      return s.environments[0]?.state === 'Synced' && s.environments[0].revision === head;
    }, 60_000);
    const firstSyncMs = Date.now() - syncStart;
    expect(await message('gitrel')).toBe('deep');

    // Force push: history rewritten; the daemon follows the branch to the new commit.
    const rewritten = r.forcePush(appFiles({ namespace: 'gitrel', message: 'rewritten', interval: '1s' }));
    await waitFor('the force-pushed commit applied', async () => (await getStatus(d.url)).environments[0]?.revision === rewritten && (await message('gitrel')) === 'rewritten', 30_000);

    // Corrupt clone: the object store of the daemon's clone is damaged.
    const objects = join(cache, 'clone', '.git', 'objects');
    for (const entry of readdirSync(objects)) if (/^[0-9a-f]{2}$/.test(entry) || entry === 'pack') rmSync(join(objects, entry), { recursive: true, force: true });
    writeFileSync(join(cache, 'clone', '.git', 'HEAD'), 'garbage\n');
    const afterCorruption = r.commit(appFiles({ namespace: 'gitrel', message: 'after-corruption', interval: '1s' }));
    await waitFor('recovered from the corrupt clone', async () => (await getStatus(d.url)).environments[0]?.revision === afterCorruption && (await message('gitrel')) === 'after-corruption', 30_000);

    // Remote down: the last applied state stays and the error is in status; then it recovers.
    http.up = false;
    const whileDown = r.commit(appFiles({ namespace: 'gitrel', message: 'while-down', interval: '1s' }));
    const down = await waitFor('the fetch error reported', async () => {
      const s = await getStatus(d.url);
      return s.source.lastFetchError !== null ? s : undefined;
    }, 30_000);
    expect(down.source.lastFetchError).toMatch(/127\.0\.0\.1/);
    expect(await message('gitrel')).toBe('after-corruption');
    http.up = true;
    await waitFor('recovered after the remote came back', async () => (await getStatus(d.url)).environments[0]?.revision === whileDown && (await message('gitrel')) === 'while-down', 30_000);
    await waitFor('the error cleared', async () => (await getStatus(d.url)).source.lastFetchError === null, 10_000);
    console.log(`git: ${DEPTH} commits imported in ${importMs} ms; first sync over a 300 ms-per-request remote in ${firstSyncMs} ms`);
  });

  it('watch streams cut every 1–2 s and 5% of requests failing: drift is still corrected, again and again', async () => {
    const r = createRemote();
    cleanup.push(() => r.remove());
    r.commit(appFiles({ namespace: 'cuts', message: 'desired', interval: '1s', replicas: 2 }));
    const c = cluster();
    c.cluster.setConfig({
      rolloutDelayMs: 50,
      jobs: { defaultDurationMs: 100, rules: [] },
      faults: { seed: 3, watchCutAfterMs: { min: 1_000, max: 2_000 }, errorRate: 0.03, throttleRate: 0.02, retryAfterSeconds: 0, latencyMs: { min: 0, max: 10 }, exempt: ['/version'] },
    });
    cleanup.push(() => c.cluster.setConfig({ rolloutDelayMs: 50, jobs: { defaultDurationMs: 100, rules: [] } }));
    const cache = mkdtempSync(join(tmpdir(), 'kasane-reliability-cache-'));
    cleanup.push(() => rmSync(cache, { recursive: true, force: true }));
    const d = await startDaemon(r.fileUrl, cache);
    await waitFor('first sync', async () => (await getStatus(d.url)).environments[0]?.state === 'Synced' && (await message('cuts')) === 'desired', 60_000);

    const corrected: number[] = [];
    for (let round = 0; round < 3; round++) {
      const edit = await c.kubectl(['patch', 'configmap', 'web-config', '-n', 'cuts', '--type', 'merge', '-p', `{"data":{"message":"drift-${round}"}}`]);
      expect(edit.code, edit.stderr).toBe(0);
      await c.kubectl(['scale', 'deployment', 'web', '-n', 'cuts', '--replicas', '5']);
      const at = Date.now();
      await waitFor(`drift ${round} corrected`, async () => {
        const replicas = await c.kubectl(['get', 'deployment', 'web', '-n', 'cuts', '-o', 'jsonpath={.spec.replicas}']);
        return (await message('cuts')) === 'desired' && replicas.stdout === '2';
      }, 30_000, 200);
      corrected.push(Date.now() - at);
      // Let a few watch streams be cut before the next round.
      await new Promise((res) => setTimeout(res, 2_500));
    }
    expect(d.logs.lines.filter((l) => l['msg'] === 'drift corrected').length).toBeGreaterThanOrEqual(3);
    console.log(`drift corrected under watch cuts after ${corrected.join(', ')} ms`);
  });
});
