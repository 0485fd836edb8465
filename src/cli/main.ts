import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { takeDeferredExtraCaCerts } from '../cluster/extra-ca.js';
import { resolveGlobals, type CliContext } from './context.js';
import { ExitCode } from './exit.js';
import { reportError } from './report.js';

type Register = (program: Command, ctx: CliContext, done: (code: number) => void) => void;
// Each command lives in its own file and registers itself here (one entry below). The modules are
// imported only when their command is named on the command line (all of them for help or a typo):
// a cold `kasane render` then never loads client-node, lint's schemas or the daemon's libraries.
const commands: readonly (readonly [name: string, load: () => Promise<Register>])[] = [
  ['render', async () => (await import('./commands/render.js')).registerRender],
  ['lint', async () => (await import('./commands/lint.js')).registerLint],
  ['devcluster', async () => (await import('./commands/devcluster.js')).registerDevcluster],
  ['diff', async () => (await import('./commands/diff.js')).registerDiff],
  ['sync', async () => (await import('./commands/sync.js')).registerSync],
  ['history', async () => (await import('./commands/history.js')).registerHistory],
  ['rollback', async () => (await import('./commands/rollback.js')).registerRollback],
  ['daemon', async () => (await import('./commands/daemon.js')).registerDaemon],
];

/**
 * The commands to register: those whose name appears in argv (a superset is harmless), none for a
 * bare `--version`, else all (for help or a typo).
 */
function commandsFor(argv: readonly string[]): (() => Promise<Register>)[] {
  const args = new Set(argv.slice(2));
  const named = commands.filter(([name]) => args.has(name));
  if (named.length === 0 && args.size === 1 && args.has('--version')) return [];
  return (named.length > 0 ? named : commands).map(([, load]) => load);
}

/** kasane's version from its package.json (two levels above dist/cli/ and dist/bundle/ alike, and src/cli/). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface MainOptions {
  stdout?: Writable;
  stderr?: Writable;
  env?: NodeJS.ProcessEnv;
}

/** Runs the CLI and resolves to the process exit code; never calls process.exit. */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  takeDeferredExtraCaCerts(env);
  let exitCode: number = ExitCode.Ok;

  const program = new Command('kasane')
    .description('GitOps deployment manager for Kubernetes: render, diff, sync, and keep clusters in step with Git.')
    .version(packageVersion(), '--version', "print kasane's version")
    .option('--repo-root <dir>', 'repository root holding charts/ and environments/', '.')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the environment\'s cluster.context, then the current context)')
    .option('--no-color', 'never colour the output')
    .addOption(new Option('--log-format <format>', 'log format').choices(['text', 'json']).default('text'))
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => stdout.write(s),
      writeErr: (s) => stderr.write(s),
    })
    .exitOverride();

  const ctx: CliContext = {
    stdout,
    stderr,
    env,
    globals: () => resolveGlobals(program.opts(), stdout, env),
  };
  const done = (code: number): void => {
    exitCode = code;
  };
  for (const register of await Promise.all(commandsFor(argv).map((load) => load()))) register(program, ctx, done);
  for (const sub of program.commands) sub.exitOverride().configureOutput(program.configureOutput());

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are successes; any other parse failure is a usage error.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    reportError(err, ctx);
    return ExitCode.Error;
  }
  return exitCode;
}
