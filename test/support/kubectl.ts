/**
 * Runs the real kubectl (extracted into .tools/bin by `npm run tools`) as a second, independent client.
 * Every call names its kubeconfig and discovery cache explicitly, so nothing is read from or written to
 * the user's ~/.kube, and tests never see each other's cached discovery.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  kubeconfig: string;
  /** Discovery cache directory; one per test file (or per test when discovery changes under it). */
  cacheDir: string;
  /** Written to kubectl's stdin, e.g. manifests for `apply -f -`. */
  stdin?: string;
  /** Kill kubectl after this long; the result then has code -1. Default 30 s. */
  timeoutMs?: number;
  /** HOME for the child; defaults to cacheDir's parent so no ~/.kube/kuberc of the user applies. */
  home?: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function kubectlPath(): string {
  const path = join(repoRoot, '.tools', 'bin', 'kubectl');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run tools\` to extract the reference kubectl`);
  return path;
}

export function runKubectl(args: readonly string[], options: KubectlOptions): Promise<KubectlResult> {
  const home = options.home ?? dirname(options.cacheDir);
  const child = spawn(kubectlPath(), [...args, '--kubeconfig', options.kubeconfig, '--cache-dir', options.cacheDir], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, KUBERC: 'off', LANG: 'C' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  return new Promise((resolveRun, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? -1, stdout, stderr });
    });
  });
}
