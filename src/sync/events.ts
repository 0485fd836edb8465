import type { KasaneError } from '../errors.js';
import type { ObjectRef } from '../model/object.js';
import type { HookPhase } from '../model/rendered.js';
import type { HookResult } from '../inventory/record.js';
import type { HooksDecision } from './plan.js';

/** The steps of one release's sync, in the order they run (sync-fail and rollback only on failure). */
export type SyncPhase = 'pre-sync' | 'apply' | 'prune' | 'post-sync' | 'sync-fail' | 'rollback';

export type ApplyAction = 'created' | 'configured' | 'unchanged';

/**
 * What the engine reports while it works. It never prints: the CLI renders these as lines, the
 * daemon logs them and counts them. Every event names its release; objects travel as refs.
 */
export type SyncEvent =
  | { readonly type: 'release-started'; readonly release: string; readonly namespace: string; readonly dryRun: boolean; readonly hooks: HooksDecision }
  | { readonly type: 'lock-waiting'; readonly release: string; readonly holder: string; readonly expiresAt: string }
  | { readonly type: 'phase-started'; readonly release: string; readonly phase: SyncPhase }
  | { readonly type: 'hook-started'; readonly release: string; readonly phase: HookPhase; readonly ref: ObjectRef; readonly dryRun: boolean }
  | { readonly type: 'hook-succeeded'; readonly release: string; readonly phase: HookPhase; readonly ref: ObjectRef; readonly message: string }
  | { readonly type: 'hook-failed'; readonly release: string; readonly phase: HookPhase; readonly ref: ObjectRef; readonly message: string; readonly logs?: string }
  | { readonly type: 'object-applied'; readonly release: string; readonly ref: ObjectRef; readonly action: 'created' | 'configured'; readonly dryRun: boolean; readonly conflicts: readonly string[] }
  | { readonly type: 'object-unchanged'; readonly release: string; readonly ref: ObjectRef }
  | { readonly type: 'object-failed'; readonly release: string; readonly ref: ObjectRef; readonly error: KasaneError }
  | { readonly type: 'object-pruned'; readonly release: string; readonly ref: ObjectRef; readonly dryRun: boolean }
  | { readonly type: 'prune-skipped'; readonly release: string; readonly ref: ObjectRef; readonly reason: string }
  | { readonly type: 'health-waiting'; readonly release: string; readonly wave: number | 'bootstrap'; readonly ref: ObjectRef; readonly message: string }
  | { readonly type: 'wave-healthy'; readonly release: string; readonly wave: number | 'bootstrap' }
  | { readonly type: 'release-finished'; readonly release: string; readonly result: ReleaseResult }
  | { readonly type: 'sync-finished'; readonly result: SyncResult };

/** `out-of-sync` only in a dry run: a real sync would change something or run hooks. */
export type ReleaseStatus = 'synced' | 'unchanged' | 'out-of-sync' | 'failed';

export interface ObjectChange {
  readonly ref: ObjectRef;
  readonly action: 'created' | 'configured' | 'pruned';
}

export interface ReleaseResult {
  readonly release: string;
  readonly namespace: string;
  readonly status: ReleaseStatus;
  /** The inventory revision this sync wrote; absent for dry runs and syncs with nothing to do. */
  readonly revision?: number;
  /** Objects written (or, in a dry run, that would be). */
  readonly changes: readonly ObjectChange[];
  readonly hooks: readonly HookResult[];
  /** In a dry run: the hooks a real sync would run. */
  readonly plannedHooks?: readonly ObjectRef[];
  readonly error?: KasaneError;
  /** Set when rollbackOnFailure re-applied an earlier revision: its number. */
  readonly rolledBackTo?: number;
}

export interface SyncResult {
  readonly status: 'succeeded' | 'failed';
  readonly dryRun: boolean;
  readonly releases: readonly ReleaseResult[];
}

/** Whether a result leaves changes behind (or, for a dry run, would make some): exit code 2's question. */
export function hasChanges(result: SyncResult): boolean {
  return result.releases.some((r) => r.changes.length > 0 || r.hooks.length > 0 || (r.plannedHooks?.length ?? 0) > 0);
}
