import { InvalidArgumentError, Option, type Command } from 'commander';
import { connect } from '../../cluster/index.js';
import { diffAgainstCluster, diffRendered, hasChanges, printReport, pruneCandidates, type DiffReport, type OutputFormat } from '../../diff/index.js';
import { KasaneError } from '../../errors.js';
import type { ExportedTree } from '../../git/index.js';
import { EnvironmentNotFoundError } from '../../environment/load.js';
import { renderEnvironment } from '../../render/render.js';
import type { RenderedEnvironment } from '../../model/rendered.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit.js';

interface DiffFlags {
  env: string;
  release: string[];
  detailedExitcode?: boolean;
  output: OutputFormat;
  showSecrets?: boolean;
  diffContext: number;
  from?: string;
  to?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function lines(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number of lines, e.g. 3');
  return Number(value);
}

/**
 * `kasane diff`: what a sync would change, as a unified YAML diff per object (or JSON, or Markdown
 * for pull requests). Against the cluster, or with --from between two Git revisions, offline.
 */
export function registerDiff(program: Command, ctx: CliContext, done: (code: number) => void): void {
  program
    .command('diff')
    .description('show what a sync would change: against the cluster, or between two Git revisions with --from')
    .requiredOption('--env <env>', 'environment: environments/<env>.yaml')
    .option('--release <name>', 'only this release (repeatable)', collect, [])
    .option('--detailed-exitcode', 'exit 2 when there are changes, 0 when there are none (1 on errors)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--show-secrets', 'show Secret values instead of masks')
    .option('--diff-context <lines>', 'lines of unchanged YAML around each change', lines, 3)
    .option('--from <ref>', 'offline: compare the rendering at this Git revision (no cluster needed)')
    .option('--to <ref>', 'with --from: the revision to compare with (default: the work tree as it is)')
    .action(async (flags: DiffFlags) => {
      const globals = ctx.globals();
      const compare = { showSecrets: flags.showSecrets === true, context: flags.diffContext, releases: flags.release };
      let report: DiffReport;
      let command = `kasane diff --env ${flags.env}`;
      if (flags.from !== undefined) {
        command += ` --from ${flags.from}${flags.to === undefined ? '' : ` --to ${flags.to}`}`;
        report = await diffRevisions(globals.repoRoot, flags.env, flags.from, flags.to, compare);
      } else {
        if (flags.to !== undefined) throw new KasaneError('--to compares with the revision of --from; add --from REF');
        const rendered = renderEnvironment({ repoRoot: globals.repoRoot, environment: flags.env, releases: flags.release });
        const client = await connect({ kubeconfig: globals.kubeconfig, context: globals.context ?? rendered.cluster.context, env: ctx.env });
        const prune = rendered.sync.prune ? await pruneCandidates(client, rendered, []) : [];
        report = await diffAgainstCluster(client, rendered, { ...compare, releases: [], prune });
      }
      // Printed only once the whole diff is known: an error leaves stdout empty.
      ctx.stdout.write(printReport(report, flags.output, { color: globals.color, command }));
      done(flags.detailedExitcode && hasChanges(report.summary) ? ExitCode.Changes : ExitCode.Ok);
    });
}

/** Renders the environment at two revisions (the second defaults to the work tree) and compares them. */
async function diffRevisions(
  repoRoot: string,
  environment: string,
  fromRef: string,
  toRef: string | undefined,
  compare: { showSecrets: boolean; context: number; releases: string[] },
): Promise<DiffReport> {
  // Git is loaded only for this mode: simple-git costs a diff against the cluster ~9 ms of start-up.
  const { exportTree } = await import('../../git/index.js');
  const trees: ExportedTree[] = [];
  try {
    const from = await exportTree(repoRoot, fromRef);
    trees.push(from);
    const to = toRef === undefined ? undefined : await exportTree(repoRoot, toRef);
    if (to) trees.push(to);
    // Every release is rendered on both sides: one named may exist on one side only.
    const before = renderAt(from.root, environment, fromRef);
    const after = renderAt(to?.root ?? repoRoot, environment, toRef ?? 'the work tree');
    // An environment added (or removed) between the two revisions: everything is created (or pruned).
    if (!before && !after) {
      throw new KasaneError(`environment ${environment} exists neither at ${fromRef} nor at ${toRef ?? 'the work tree'}`, {
        hint: `check --env; the environment file is environments/${environment}.yaml`,
      });
    }
    return diffRendered(before ?? absent(after), after ?? absent(before), {
      ...compare,
      fromLabel: `${fromRef} (${from.commit.slice(0, 12)})`,
      toLabel: to && toRef !== undefined ? `${toRef} (${to.commit.slice(0, 12)})` : 'work tree',
    });
  } finally {
    await Promise.all(trees.map((t) => t.dispose()));
  }
}

/** The rendering at one revision; undefined when the environment file does not exist there. */
function renderAt(root: string, environment: string, where: string): RenderedEnvironment | undefined {
  try {
    return renderEnvironment({ repoRoot: root, environment });
  } catch (err) {
    if (err instanceof EnvironmentNotFoundError) return undefined;
    if (!(err instanceof KasaneError)) throw err;
    throw new KasaneError(`environment ${environment} does not render at ${where}: ${err.message}`, {
      ...(err.hint === undefined ? {} : { hint: err.hint }),
      cause: err,
    });
  }
}

/** The other side's environment with no releases: what a revision without the environment file renders. */
function absent(other: RenderedEnvironment | undefined): RenderedEnvironment {
  if (!other) throw new Error('absent() needs the environment of the other revision');
  return { ...other, releases: [] };
}
