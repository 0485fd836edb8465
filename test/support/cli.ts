/**
 * Runs the built CLI (`node bin/kasane.js …`) as a user would, in a child process, and collects what it
 * printed. Build first (`npm run build`); the helper refuses to run a missing build rather than test
 * stale or absent code silently.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CliResult {
  /** The exit code; -1 when the process was killed (see `timedOut`). */
  code: number;
  stdout: string;
  stderr: string;
  /** The process outlived `timeoutMs` and was killed. */
  timedOut: boolean;
}

export interface CliOptions {
  /** Working directory of the child; default: the repository of this checkout. */
  cwd?: string;
  /** Passed as the global `--repo-root DIR` flag, before the command's own arguments. */
  repoRoot?: string;
  /** The child's environment; default: PATH, HOME and LANG=C only, so the caller's variables stay out. */
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin. */
  stdin?: string;
  /** Kill the child after this long. Default 30 s. */
  timeoutMs?: number;
}

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = join(projectRoot, 'bin', 'kasane.js');
const built = join(projectRoot, 'dist', 'cli', 'main.js');

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` before the CLI tests`);
  const argv = [entry, ...(options.repoRoot === undefined ? [] : ['--repo-root', options.repoRoot]), ...args];
  const env = options.env ?? {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/',
    LANG: 'C',
  };
  const child = spawn(process.execPath, argv, {
    cwd: options.cwd ?? projectRoot,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.on('error', () => undefined).end(options.stdin ?? '');
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 30_000);
  return new Promise((resolveRun, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? -1, stdout, stderr, timedOut });
    });
  });
}
