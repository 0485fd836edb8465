import { Option, type Command } from 'commander';
import { connect } from '../../cluster/index.js';
import { loadEnvironment } from '../../environment/load.js';
import { findRelease } from '../../environment/releases.js';
import { readInventory } from '../../inventory/store.js';
import type { InventoryRecord } from '../../inventory/record.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit.js';

interface HistoryFlags {
  env: string;
  release: string;
  output: 'table' | 'json';
}

/** `kasane history`: the stored revisions of one release, newest first. */
export function registerHistory(program: Command, ctx: CliContext, done: (code: number) => void): void {
  program
    .command('history')
    .description('list the stored revisions of a release (what `kasane rollback --to` accepts)')
    .requiredOption('--env <env>', 'environment: environments/<env>.yaml')
    .requiredOption('--release <name>', 'the release')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (flags: HistoryFlags) => {
      const globals = ctx.globals();
      const env = loadEnvironment(globals.repoRoot, flags.env);
      const release = findRelease(env, flags.release);
      const client = await connect({ kubeconfig: globals.kubeconfig, context: globals.context ?? env.cluster.context, env: ctx.env });
      const { records } = await readInventory(client, release.namespace, env.name, release.name);
      if (flags.output === 'json') {
        ctx.stdout.write(`${JSON.stringify(records.map(summaryOf), null, 2)}\n`);
      } else if (records.length === 0) {
        ctx.stdout.write(`release ${release.name} has no revisions in namespace ${release.namespace}: it has not been synced\n`);
      } else {
        ctx.stdout.write(table(records));
      }
      done(ExitCode.Ok);
    });
}

function summaryOf(r: InventoryRecord): Record<string, unknown> {
  return {
    revision: r.revision,
    status: r.status,
    time: r.time,
    gitRevision: r.gitRevision ?? null,
    digest: r.digest,
    description: r.description,
    objects: r.objects.length,
    hooks: r.hooks.map((h) => ({ phase: h.phase, name: h.ref.name, status: h.status, message: h.message })),
  };
}

function table(records: readonly InventoryRecord[]): string {
  const rows = [
    ['REVISION', 'STATUS', 'TIME', 'GIT', 'OBJECTS', 'HOOKS', 'DESCRIPTION'],
    ...records.map((r) => [
      String(r.revision),
      r.status,
      r.time.replace(/\.\d+Z$/, 'Z'),
      r.gitRevision?.slice(0, 12) ?? '-',
      String(r.objects.length),
      r.hooks.length === 0 ? '-' : r.hooks.map((h) => `${h.ref.name}:${h.status === 'Succeeded' ? 'ok' : 'failed'}`).join(','),
      r.description.split('\n')[0] ?? '',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
