/**
 * Drives the hostile corpus (./corpus.ts) through `kasane render`, `diff` and `sync` against a
 * devcluster: every case ends in exit code 1 with a message naming the file/line or object, no stack
 * trace, and the cluster's resourceVersion unchanged (nothing was written, not even a namespace).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kasane } from '../cli/in-process.js';
import { runCli } from '../support/cli.js';
import { useDevcluster } from '../support/devcluster.js';
import { base, cases, type HostileCase } from './corpus.js';

const cluster = useDevcluster();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

export function materialize(c: Pick<HostileCase, 'files' | 'symlinks'>): string {
  const root = mkdtempSync(join(tmpdir(), 'kasane-hostile-'));
  dirs.push(root);
  for (const [path, text] of Object.entries({ ...base, ...c.files })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  for (const [path, target] of Object.entries(c.symlinks ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  }
  return root;
}

/** The cluster's current resourceVersion: any write anywhere moves it. */
async function clusterVersion(): Promise<string> {
  const res = await fetch(`${cluster().cluster.url}/api/v1/namespaces`, { headers: { authorization: 'Bearer devcluster' } });
  return String(((await res.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
}

const commandArgs = { render: ['render', '--env', 'h'], diff: ['diff', '--env', 'h'], sync: ['sync', '--env', 'h'] } as const;

describe('hostile corpus: refused with exit 1, named, nothing applied', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const root = materialize(c);
    for (const command of c.commands ?? (['render', 'diff', 'sync'] as const)) {
      const before = await clusterVersion();
      const args = [...commandArgs[command], ...(command === 'render' ? [] : ['--kubeconfig', cluster().kubeconfigPath]), ...(c.args ?? [])];
      const res = await kasane(args, root);
      const what = `${command}: ${res.stderr}`;
      expect(res.code, what).toBe(1);
      expect(res.stderr, what).toMatch(c.expect);
      expect(res.stderr, what).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
      expect(res.stderr, what).not.toMatch(/internal error/i);
      expect(await clusterVersion(), `${command} wrote to the cluster`).toBe(before);
    }
  }, 60_000);

  it('a 50 MB values file: refused with a limit or rendered within bounded memory, never a crash; nothing applied', async () => {
    // Generated here, never committed: 50 MB of ordinary values (many keys, long strings).
    const line = (i: number) => `k${i}: "${'v'.repeat(90)}"\n`;
    const chunk = Array.from({ length: 1_000 }, (_, i) => line(i)).join('');
    const big = `mode: one\nbulk:\n${Array.from({ length: 520 }, (_, j) => chunk.replace(/^k/gm, `  b${j}k`)).join('')}`;
    expect(big.length).toBeGreaterThan(50 * 1024 * 1024);
    const root = materialize({ files: { 'charts/app/values.yaml': big } });
    const before = await clusterVersion();
    // The built CLI in a child with a 512 MB heap: running out of it would be a crash (exit 134), not exit 0 or 1.
    const res = await runCli(['sync', '--env', 'h', '--kubeconfig', cluster().kubeconfigPath, '--dry-run'], {
      repoRoot: root,
      timeoutMs: 120_000,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir(), LANG: 'C', NODE_OPTIONS: '--max-old-space-size=512' },
    });
    expect(res.timedOut).toBe(false);
    console.log(`50 MB values file: exit ${res.code}: ${res.stderr.split('\n')[0] ?? ''}`);
    expect([0, 1], res.stderr.slice(0, 2_000)).toContain(res.code);
    if (res.code === 1) expect(res.stderr).toMatch(/charts\/app\/values\.yaml/);
    expect(res.stderr).not.toMatch(/heap out of memory|\n\s+at .+:\d+:\d+\)?\n/);
    expect(await clusterVersion()).toBe(before);
  }, 180_000);

  it('a Namespace that a release of another environment owns in the cluster is not taken over', async () => {
    const c = cluster();
    await c.kubectl(['create', 'namespace', 'owned']);
    await c.kubectl(['label', 'namespace', 'owned', 'app.kubernetes.io/managed-by=kasane', 'kasane.io/environment=prod', 'kasane.io/release=db']);
    const root = materialize({ files: { [`charts/app/templates/ns.yaml`]: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: owned\n' } });
    const before = await clusterVersion();
    const res = await kasane(['sync', '--env', 'h', '--kubeconfig', c.kubeconfigPath], root);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout + res.stderr).toMatch(/Namespace owned/);
    const labels = JSON.parse((await c.kubectl(['get', 'namespace', 'owned', '-o', 'jsonpath={.metadata.labels}'])).stdout) as Record<string, string>;
    expect(labels['kasane.io/release']).toBe('db');
    expect(labels['kasane.io/environment']).toBe('prod');
    expect(await clusterVersion()).toBe(before);
  }, 60_000);
});
