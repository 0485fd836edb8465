import type { Writable } from 'node:stream';
import { resolve } from 'node:path';

/** Options every command accepts (the contract's "common flags"). */
export interface GlobalOptions {
  repoRoot: string;
  kubeconfig?: string;
  context?: string;
  color: boolean;
  logFormat: 'text' | 'json';
}

/** What a command may touch of the outside world: streams and the global options. */
export interface CliContext {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  globals(): GlobalOptions;
}

export function resolveGlobals(raw: Record<string, unknown>, stdout: Writable, env: NodeJS.ProcessEnv): GlobalOptions {
  const isTty = (stdout as { isTTY?: boolean }).isTTY === true;
  const logFormat = raw['logFormat'] === 'json' ? 'json' : 'text';
  const globals: GlobalOptions = {
    repoRoot: resolve(typeof raw['repoRoot'] === 'string' ? raw['repoRoot'] : '.'),
    color: raw['color'] !== false && isTty && env['NO_COLOR'] === undefined,
    logFormat,
  };
  if (typeof raw['kubeconfig'] === 'string') globals.kubeconfig = raw['kubeconfig'];
  if (typeof raw['context'] === 'string') globals.context = raw['context'];
  return globals;
}
