import { InvalidArgumentError, type Command } from 'commander';
import { connect } from '../../cluster/index.js';
import { loadEnvironment } from '../../environment/load.js';
import { findRelease } from '../../environment/releases.js';
import { runRollback } from '../../sync/engine.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit.js';
import { interruptible, jsonPrinter, reportFailures, textPrinter } from './sync.js';

interface RollbackFlags {
  env: string;
  release: string;
  to?: number;
}

/**
 * `kasane rollback`: re-apply a stored revision as a new one. Reads only the environment file, not
 * the charts, so a broken chart in Git cannot stand in the way of going back.
 */
export function registerRollback(program: Command, ctx: CliContext, done: (code: number) => void): void {
  program
    .command('rollback')
    .description('re-apply an earlier revision of a release (see `kasane history`); hooks do not run')
    .requiredOption('--env <env>', 'environment: environments/<env>.yaml')
    .requiredOption('--release <name>', 'the release')
    .option('--to <revision>', 'the revision to return to (default: the successful one before the current)', revisionArg)
    .action(async (flags: RollbackFlags) => {
      const globals = ctx.globals();
      const env = loadEnvironment(globals.repoRoot, flags.env);
      const release = findRelease(env, flags.release);
      const client = await connect({ kubeconfig: globals.kubeconfig, context: globals.context ?? env.cluster.context, env: ctx.env });
      const print = globals.logFormat === 'json' ? jsonPrinter(ctx.stdout) : textPrinter(ctx.stdout, false);
      const result = await interruptible(ctx, (signal) =>
        runRollback(client, { environment: env, release }, { signal, ...(flags.to === undefined ? {} : { toRevision: flags.to }) }, print),
      );
      reportFailures([result], ctx.stderr);
      done(result.status === 'failed' ? ExitCode.Error : ExitCode.Ok);
    });
}

function revisionArg(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('must be a revision number from `kasane history`');
  return Number(value);
}
