import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Writable } from 'node:stream';
import { connect } from '../../cluster/index.js';
import { parseDuration } from '../../environment/duration.js';
import type { KasaneError } from '../../errors.js';
import { resolveCommit } from '../../git/index.js';
import { formatRef, refKey } from '../../model/object.js';
import { renderEnvironment } from '../../render/render.js';
import { runSync } from '../../sync/engine.js';
import { hasChanges, type ReleaseResult, type SyncEvent, type SyncPhase } from '../../sync/events.js';
import type { HooksMode } from '../../sync/plan.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit.js';

interface SyncFlags {
  env: string;
  release: string[];
  dryRun?: boolean;
  prune?: boolean;
  hooks: HooksMode;
  timeout?: number;
  detailedExitcode?: boolean;
  output?: 'text' | 'json';
}

/** `kasane sync`: apply an environment's rendered releases to its cluster. */
export function registerSync(program: Command, ctx: CliContext, done: (code: number) => void): void {
  program
    .command('sync')
    .description('bring the cluster in step with an environment: hooks, apply wave by wave, prune')
    .requiredOption('--env <env>', 'environment: environments/<env>.yaml')
    .option('--release <name>', 'only this release (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--dry-run', 'show what would change; change nothing')
    .option('--prune', 'delete objects that left the desired state (default: the environment\'s sync.prune)')
    .addOption(new Option('--hooks <when>', 'run hooks when the desired state changed (auto), always, or never').choices(['auto', 'always', 'never']).default('auto'))
    .option('--timeout <duration>', 'wait for each hook and each wave, e.g. 90s, 5m (default: sync.timeout)', durationArg)
    .option('--detailed-exitcode', 'with --dry-run: exit 2 when there are changes')
    .addOption(new Option('-o, --output <format>', 'progress as lines for people (text) or one JSON event per line (json; as --log-format json)').choices(['text', 'json']))
    .action(async (flags: SyncFlags) => {
      const globals = ctx.globals();
      const env = renderEnvironment({ repoRoot: globals.repoRoot, environment: flags.env, releases: flags.release });
      const client = await connect({ kubeconfig: globals.kubeconfig, context: globals.context ?? env.cluster.context, env: ctx.env });
      const gitRevision = await resolveCommit(globals.repoRoot, 'HEAD').catch(() => undefined);
      const json = (flags.output ?? globals.logFormat) === 'json';
      const print = json ? jsonPrinter(ctx.stdout) : textPrinter(ctx.stdout, flags.dryRun === true);
      const result = await interruptible(ctx, (signal) =>
        runSync(
          client,
          env,
          {
            dryRun: flags.dryRun === true,
            hooks: flags.hooks,
            signal,
            ...(flags.prune ? { prune: true } : {}),
            ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }),
            ...(gitRevision === undefined ? {} : { gitRevision }),
          },
          print,
        ),
      );
      reportFailures(result.releases, ctx.stderr);
      if (result.status === 'failed') return done(ExitCode.Error);
      done(flags.detailedExitcode && result.dryRun && hasChanges(result) ? ExitCode.Changes : ExitCode.Ok);
    });
}

/**
 * Runs fn with a signal that the first Ctrl-C fires, so the sync stops between two steps, records
 * the revision and releases its lock; a second Ctrl-C ends the process at once.
 */
export async function interruptible<T>(ctx: CliContext, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onInterrupt = (): void => {
    process.off('SIGINT', onInterrupt);
    ctx.stderr.write('stopping after the current step (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('must be a duration such as 90s, 5m or 1h');
  return ms;
}

/** Each failed release's error on stderr, the way reportError prints errors. */
export function reportFailures(releases: readonly ReleaseResult[], stderr: Writable): void {
  for (const r of releases) {
    if (r.error === undefined) continue;
    stderr.write(`error: release ${r.release}: ${r.error.message}\n`);
    if (r.error.hint) stderr.write(`hint: ${r.error.hint}\n`);
  }
}

/** One JSON object per event and line, with the time it happened; errors as {name, message, hint}. */
export function jsonPrinter(out: Writable): (e: SyncEvent) => void {
  return (e) =>
    out.write(`${JSON.stringify({ ...e, time: new Date().toISOString() }, (_k, v: unknown) => (v instanceof Error ? errorJson(v as KasaneError) : v))}\n`);
}

/** `850ms`, `4.2s`, `2m05s`: how long a step took, for people. */
export function formatElapsed(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1_000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

const PHASE_TITLES: Record<SyncPhase, string> = {
  'pre-sync': 'pre-sync hooks',
  apply: 'apply',
  prune: 'prune',
  'post-sync': 'post-sync hooks',
  'sync-fail': 'sync-fail hooks',
  rollback: 'rollback',
};

function errorJson(err: KasaneError): Record<string, unknown> {
  return { name: err.name, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
}

/** How long the output stays silent before progress of a health wait is shown. */
const QUIET_MS = 3_000;

/** Lines a person reads as the sync goes: what changed, hooks, waves, and a summary per release. */
export function textPrinter(out: Writable, dryRun: boolean): (e: SyncEvent) => void {
  // Both verbs end in e: create → created, configure → configured.
  const would = (verb: string): string => (dryRun ? `would ${verb}` : `${verb}d`);
  let lastLine = Date.now();
  const line = (s: string): void => {
    lastLine = Date.now();
    out.write(`${s}\n`);
  };
  // The engine's events carry no times: the printer measures releases, phases, hooks and waves itself.
  const since = (start: number | undefined): string => (start === undefined ? '' : ` in ${formatElapsed(Date.now() - start)}`);
  let releaseStart: number | undefined;
  let stepStart: number | undefined;
  const hookStarts = new Map<string, number>();
  let unchanged = 0;
  return (e) => {
    switch (e.type) {
      case 'release-started': {
        releaseStart = stepStart = Date.now();
        unchanged = 0;
        const hooks = e.hooks.run ? `hooks run (${e.hooks.reason.replace(/-/g, ' ')})` : `no hooks (${e.hooks.reason})`;
        line(`release ${e.release} → namespace ${e.namespace}${e.dryRun ? ' (dry run)' : ''}: ${hooks}`);
        return;
      }
      case 'lock-waiting':
        line(`  waiting for ${e.holder}, which is syncing ${e.release} (its lock expires at ${e.expiresAt})`);
        return;
      case 'phase-started':
        stepStart = Date.now();
        line(`  ${PHASE_TITLES[e.phase]}`);
        return;
      case 'hook-started':
        hookStarts.set(refKey(e.ref), Date.now());
        line(`  ${e.phase} hook ${formatRef(e.ref)}${e.dryRun ? ' would run' : ' started'}`);
        return;
      case 'hook-succeeded':
        line(`  ${e.phase} hook ${formatRef(e.ref)} succeeded${since(hookStarts.get(refKey(e.ref)))}`);
        return;
      case 'hook-failed':
        line(`  ${e.phase} hook ${formatRef(e.ref)} FAILED${since(hookStarts.get(refKey(e.ref)))}: ${e.message}`);
        if (e.logs) for (const l of e.logs.trimEnd().split('\n')) line(`    | ${l}`);
        return;
      case 'object-applied': {
        const verb = e.action === 'created' ? would('create') : would('configure');
        const taken = e.conflicts.length > 0 ? ` (took over ${e.conflicts.join(', ')})` : '';
        line(`  ${verb.padEnd(16)} ${formatRef(e.ref)}${taken}`);
        return;
      }
      case 'object-unchanged':
        unchanged++;
        return;
      case 'object-failed':
        line(`  ${'failed'.padEnd(16)} ${formatRef(e.ref)}: ${e.error.message}`);
        return;
      case 'object-pruned':
        line(`  ${(e.dryRun ? 'would prune' : 'pruned').padEnd(16)} ${formatRef(e.ref)}`);
        return;
      case 'prune-skipped':
        line(`  ${'kept'.padEnd(16)} ${formatRef(e.ref)}: ${e.reason}`);
        return;
      case 'health-waiting':
        // Quiet while things move fast; on a slow rollout, say what is being waited for.
        if (Date.now() - lastLine >= QUIET_MS) line(`  ${'waiting'.padEnd(16)} ${formatRef(e.ref)}: ${e.message}`);
        return;
      case 'wave-healthy':
        line(`  ${e.wave === 'bootstrap' ? 'namespaces and CRDs' : `wave ${e.wave}`} healthy${since(stepStart)}`);
        stepStart = Date.now();
        return;
      case 'release-finished':
        line(`${summary(e.result, dryRun, unchanged)}${since(releaseStart)}`);
        return;
      case 'sync-finished':
        return;
    }
  };
}

function summary(r: ReleaseResult, dryRun: boolean, unchanged: number): string {
  const count = (action: string): number => r.changes.filter((c) => c.action === action).length;
  const parts = [`${count('created')} created`, `${count('configured')} configured`, `${count('pruned')} pruned`, `${unchanged} unchanged`, `${r.hooks.length} hooks run`];
  if (dryRun) {
    const planned = r.plannedHooks?.length ?? 0;
    const changes = r.changes.length;
    return `release ${r.release}: ${changes === 0 && planned === 0 ? 'in sync, nothing to do' : `${changes} changes, ${planned} hooks would run`} (dry run)`;
  }
  switch (r.status) {
    case 'unchanged':
      return `release ${r.release}: in sync, nothing to do`;
    case 'synced':
    case 'out-of-sync':
      return `release ${r.release}: synced, revision ${r.revision ?? '?'} (${parts.join(', ')})`;
    case 'failed':
      return `release ${r.release}: FAILED${r.revision === undefined ? '' : `, revision ${r.revision}`}${
        r.rolledBackTo === undefined ? '' : `; rolled back to revision ${r.rolledBackTo}`
      } (${parts.join(', ')})`;
  }
}
