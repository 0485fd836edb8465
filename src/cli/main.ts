import { Command, CommanderError, Option } from 'commander';
import type { Writable } from 'node:stream';
import { resolveGlobals, type CliContext } from './context.js';
import { ExitCode } from './exit.js';
import { reportError } from './report.js';
// Each command lives in its own file and registers itself here (one import, one entry below).
import { registerRender } from './commands/render.js';
import { registerLint } from './commands/lint.js';
import { registerDevcluster } from './commands/devcluster.js';
import { registerDiff } from './commands/diff.js';
import { registerSync } from './commands/sync.js';
import { registerHistory } from './commands/history.js';
import { registerRollback } from './commands/rollback.js';
import { registerDaemon } from './commands/daemon.js';

type Register = (program: Command, ctx: CliContext, done: (code: number) => void) => void;
const commands: Register[] = [registerRender, registerLint, registerDevcluster, registerDiff, registerSync, registerHistory, registerRollback, registerDaemon];

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
  let exitCode: number = ExitCode.Ok;

  const program = new Command('kasane')
    .description('GitOps deployment manager for Kubernetes: render, diff, sync, and keep clusters in step with Git.')
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
  for (const register of commands) register(program, ctx, done);
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
