/**
 * Runs the real Helm (extracted into .tools/bin by `npm run tools`) as the reference renderer.
 * Helm's home, config, cache and data directories point into a fresh temp dir, so nothing of the
 * user's Helm setup (repositories, plugins, registry logins) takes part, and nothing is written there.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HelmTemplateOptions {
  namespace: string;
  /** `-f` files, applied in order. */
  valuesFiles?: readonly string[];
  /** `--set` assignments (`key.path=value`), applied in order after the files. */
  set?: readonly string[];
  /** `--set-string` assignments, applied after the `--set`s (Helm's order). */
  setString?: readonly string[];
  timeoutMs?: number;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function helmPath(): string {
  const path = join(repoRoot, '.tools', 'bin', 'helm');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run tools\` to extract the reference helm`);
  return path;
}

export function runHelm(args: readonly string[], timeoutMs = 60_000): Promise<HelmResult> {
  const home = mkdtempSync(join(tmpdir(), 'kasane-helm-home-'));
  const child = spawn(helmPath(), args, {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
      LANG: 'C',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolveRun, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** `helm template RELEASE CHART_DIR --namespace NS [-f FILE]… [--set K=V]…`; throws when Helm fails. */
export async function helmTemplate(release: string, chartDir: string, options: HelmTemplateOptions): Promise<string> {
  const args = ['template', release, chartDir, '--namespace', options.namespace];
  for (const file of options.valuesFiles ?? []) args.push('-f', file);
  for (const assignment of options.set ?? []) args.push('--set', assignment);
  for (const assignment of options.setString ?? []) args.push('--set-string', assignment);
  const result = await runHelm(args, options.timeoutMs);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed (exit ${result.code}):\n${result.stderr}`);
  return result.stdout;
}
