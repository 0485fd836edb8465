import type { Command } from 'commander';
import { KasaneError } from '../../errors.js';
import { listEnvironments } from '../../environment/load.js';
import { tryRenderEnvironment } from '../../render/render.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit.js';
import { reportError } from '../report.js';

interface LintFlags {
  env?: string;
  allEnvs?: boolean;
}

/** `kasane lint`: everything render checks, offline, reporting every problem instead of the first. */
export function registerLint(program: Command, ctx: CliContext, done: (code: number) => void): void {
  program
    .command('lint')
    .description('check environments, values and charts offline; report every problem found')
    .option('--env <env>', 'environment: environments/<env>.yaml')
    .option('--all-envs', 'lint every environment under environments/')
    .action((flags: LintFlags) => {
      const repoRoot = ctx.globals().repoRoot;
      const envs = flags.allEnvs ? listEnvironments(repoRoot) : flags.env !== undefined ? [flags.env] : [];
      if (envs.length === 0) {
        throw new KasaneError(flags.allEnvs ? 'no environments found under environments/' : 'lint needs --env ENV or --all-envs');
      }
      let failed = 0;
      for (const env of envs) {
        const outcome = tryRenderEnvironment({ repoRoot, environment: env });
        if (outcome.ok) {
          const releases = outcome.environment.releases;
          const objects = releases.reduce((n, r) => n + r.objects.length, 0);
          ctx.stdout.write(`environment ${env}: ok (${count(releases.length, 'release')}, ${count(objects, 'object')})\n`);
          continue;
        }
        failed++;
        for (const problem of outcome.problems) reportError(problem, ctx);
        ctx.stderr.write(`environment ${env}: ${count(outcome.problems.length, 'problem')}\n`);
      }
      done(failed > 0 ? ExitCode.Error : ExitCode.Ok);
    });
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
