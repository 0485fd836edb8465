import { Option, type Command } from 'commander';
import { relative, sep } from 'node:path';
import { KasaneError } from '../../errors.js';
import { listEnvironments } from '../../environment/load.js';
import { countBySeverity, lintEnvironment, type LintReport } from '../../lint/lint.js';
import { findingLine, githubAnnotation, summaryLine, toJsonReport } from '../../lint/print.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit.js';

interface LintFlags {
  env?: string;
  allEnvs?: boolean;
  output: 'text' | 'json';
}

/**
 * `kasane lint`: everything render checks, plus every rendered object against the Kubernetes 1.34 schema
 * of its kind or its CRD, names, labels and annotations; offline, reporting every problem instead of the first.
 */
export function registerLint(program: Command, ctx: CliContext, done: (code: number) => void): void {
  program
    .command('lint')
    .description('check environments, values, charts and rendered objects offline; report every problem found')
    .option('--env <env>', 'environment: environments/<env>.yaml')
    .option('--all-envs', 'lint every environment under environments/')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: LintFlags) => {
      const repoRoot = ctx.globals().repoRoot;
      const envs = flags.allEnvs ? listEnvironments(repoRoot) : flags.env !== undefined ? [flags.env] : [];
      if (envs.length === 0) {
        throw new KasaneError(flags.allEnvs ? 'no environments found under environments/' : 'lint needs --env ENV or --all-envs');
      }
      const github = ctx.env['GITHUB_ACTIONS'] === 'true';
      const workspace = ctx.env['GITHUB_WORKSPACE'];
      const inWorkspace = workspace === undefined ? '' : relative(workspace, repoRoot).split(sep).join('/');
      const prefix = inWorkspace === '' || inWorkspace.startsWith('..') ? '' : `${inWorkspace}/`;
      const reports: LintReport[] = [];
      for (const env of envs) {
        const report = await lintEnvironment(repoRoot, env);
        reports.push(report);
        if (flags.output === 'json') continue;
        // Findings go to stderr, like every error; the verdict of a clean environment to stdout.
        for (const f of report.findings) ctx.stderr.write(`${findingLine(f)}\n`);
        if (github) for (const f of report.findings) ctx.stdout.write(`${githubAnnotation(f, env, prefix)}\n`);
        const failed = countBySeverity(report.findings).errors > 0;
        (failed ? ctx.stderr : ctx.stdout).write(`${summaryLine(report)}\n`);
      }
      if (flags.output === 'json') ctx.stdout.write(`${JSON.stringify(toJsonReport(reports), null, 2)}\n`);
      const errors = reports.reduce((n, r) => n + countBySeverity(r.findings).errors, 0);
      done(errors > 0 ? ExitCode.Error : ExitCode.Ok);
    });
}
