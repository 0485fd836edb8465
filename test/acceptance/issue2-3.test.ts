// Issue 3 acceptance: the built `kasane devcluster` command itself (the other devcluster tests start it
// in-process). It writes a kubeconfig the real kubectl uses, answers quickly, and keeps --state across
// a restart. Issue 2: `kasane render --env demo --output-dir` writes one file per template.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'bin/kasane.js');
const kubectl = join(root, '.tools/bin/kubectl');
const dirs: string[] = [];
const procs: ChildProcess[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kasane-issue23-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const p of procs.splice(0)) p.kill('SIGTERM');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts the built CLI; resolves once the kubeconfig is written and /version answers. */
async function startCli(args: string[], kubeconfig: string): Promise<{ proc: ChildProcess; server: string }> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [cli, 'devcluster', '--kubeconfig-out', kubeconfig, ...args], { stdio: 'ignore' });
  procs.push(proc);
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`kasane devcluster exited with ${proc.exitCode}`);
    if (existsSync(kubeconfig) && statSync(kubeconfig).size > 0) {
      const server = /server:\s*(\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1];
      if (server) {
        const res = await fetch(`${server}/version`).catch(() => undefined);
        if (res?.ok) return { proc, server };
      }
    }
    if (performance.now() - t0 > 10_000) throw new Error('kasane devcluster did not answer within 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (proc.exitCode !== null) return r();
    proc.once('exit', () => r());
    proc.kill('SIGTERM');
  });
}

describe('kasane devcluster (the built CLI)', () => {
  it('starts and writes a kubeconfig the real kubectl uses', async () => {
    // How fast it starts is measured by hand, never asserted: these machines are noisy.
    const dir = tempDir();
    await startCli([], join(dir, 'kc2'));
    const kc = join(dir, 'kc2');
    const ns = await run(kubectl, ['--kubeconfig', kc, 'create', 'namespace', 'issue3']);
    expect(ns.stdout).toContain('namespace/issue3 created');
    const got = await run(kubectl, ['--kubeconfig', kc, 'get', 'namespace', 'issue3', '-o', 'name']);
    expect(got.stdout.trim()).toBe('namespace/issue3');
  }, 30_000);

  it('keeps its objects in --state across a restart', async () => {
    const dir = tempDir();
    const state = join(dir, 'state.json');
    const kc = join(dir, 'kc');
    const first = await startCli(['--state', state], kc);
    await run(kubectl, ['--kubeconfig', kc, 'create', 'configmap', 'kept', '-n', 'default', '--from-literal=a=b']);
    await stop(first.proc);
    rmSync(kc);
    await startCli(['--state', state], kc);
    const got = await run(kubectl, ['--kubeconfig', kc, 'get', 'configmap', 'kept', '-n', 'default', '-o', 'jsonpath={.data.a}']);
    expect(got.stdout).toBe('b');
  }, 30_000);
});

describe('kasane render --output-dir', () => {
  it('writes one file per template, like helm template --output-dir', async () => {
    const out = tempDir();
    await run(process.execPath, [cli, 'render', '--env', 'demo', '--output-dir', out], { cwd: root });
    const files = readdirSync(join(out, 'web/demo-app/templates')).sort();
    // A template that renders nothing (the demo's disabled ingress) gets no file, as with helm.
    const stream = (await run(process.execPath, [cli, 'render', '--env', 'demo'], { cwd: root })).stdout;
    const sources = [...new Set([...stream.matchAll(/^# Source: charts\/demo-app\/templates\/(.+)$/gm)].map((m) => m[1]))];
    expect(files).toEqual(sources.sort());
    expect(files.length).toBeGreaterThanOrEqual(6);
    const deployment = readFileSync(join(out, 'web/demo-app/templates/deployment.yaml'), 'utf8');
    expect(deployment).toContain('# Source: charts/demo-app/templates/deployment.yaml');
    expect(deployment).toContain('kind: Deployment');
  }, 30_000);
});
