import { NotFoundError, settleLimit, type ClusterClient } from '../cluster/index.js';
import { KasaneError } from '../errors.js';
import { refKey, refOf, type KubeObject, type ObjectRef } from '../model/object.js';
import { LABEL_ENVIRONMENT, LABEL_MANAGED_BY, LABEL_RELEASE, MANAGED_BY_KASANE, type HookPhase, type RenderedEnvironment, type RenderedObject, type RenderedRelease } from '../model/rendered.js';
import { hasHealthRule } from '../health/index.js';
import { releaseDigest } from '../inventory/digest.js';
import { acquireLock, defaultHolder } from '../inventory/lock.js';
import { lastDeployed, type HookResult, type Inventory, type InventoryEntry, type InventoryRecord } from '../inventory/record.js';
import { DEFAULT_HISTORY_LIMIT, readInventory, trimHistory, writeRecord } from '../inventory/store.js';
import { applyObject, readLive, type ApplyOutcome } from './apply.js';
import { ApplyFailedError, HealthTimeoutError, HookFailedError, ObjectUnhealthyError, OwnedElsewhereError, ReleaseNamespaceMissingError, SyncInterruptedError, throwIfAborted } from './errors.js';
import { selectReleases } from '../environment/releases.js';
import type { ObjectChange, ReleaseResult, SyncEvent, SyncPhase, SyncResult } from './events.js';
import { runHook, type HookRun } from './hooks.js';
import { planSync, type ApplyStep, type HooksMode, type SyncPlan } from './plan.js';
import { pruneRefusal } from './prune.js';
import { waitHealthy } from './wait.js';

export interface SyncOptions {
  /** Sync only these releases (default: all of the environment). */
  readonly releases?: readonly string[];
  /** Plan and report what would change; write nothing. */
  readonly dryRun?: boolean;
  /** Delete what left the desired state; default: the environment's sync.prune. */
  readonly prune?: boolean;
  readonly hooks?: HooksMode;
  /** Wait for each hook and each wave; default: the environment's sync.timeout. */
  readonly timeoutMs?: number;
  /** Git commit of the desired state, stored with the revision. */
  readonly gitRevision?: string;
  /** Default: the environment's sync.rollbackOnFailure. */
  readonly rollbackOnFailure?: boolean;
  /** How long to wait for another sync of the same release (default 60s). */
  readonly lockWaitMs?: number;
  /** Revisions kept per release (default 10). */
  readonly historyLimit?: number;
  /** Lock holder identity (default: host, pid and a random tag). */
  readonly holder?: string;
  /**
   * Stops the sync between two steps (Ctrl-C, daemon shutdown): the revision is recorded as
   * failed, the lock released, no further release started; sync-fail hooks and rollback are skipped.
   */
  readonly signal?: AbortSignal;
}

export type Emit = (e: SyncEvent) => void;

const DEFAULT_LOCK_WAIT_MS = 60_000;

/** What every step of one release's sync shares. */
interface ReleaseRun {
  readonly client: ClusterClient;
  readonly environment: string;
  readonly emit: Emit;
  readonly dryRun: boolean;
  readonly prune: boolean;
  readonly timeoutMs: number;
  readonly holder: string;
  readonly lockWaitMs: number;
  readonly historyLimit: number;
  readonly rollbackOnFailure: boolean;
  readonly signal: AbortSignal | undefined;
}

function releaseRun(client: ClusterClient, env: Pick<RenderedEnvironment, 'name' | 'sync'>, opts: SyncOptions, emit: Emit): ReleaseRun {
  return {
    client,
    environment: env.name,
    emit,
    dryRun: opts.dryRun ?? false,
    prune: opts.prune ?? env.sync.prune,
    timeoutMs: opts.timeoutMs ?? env.sync.timeoutMs,
    holder: opts.holder ?? defaultHolder(),
    lockWaitMs: opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
    historyLimit: opts.historyLimit ?? DEFAULT_HISTORY_LIMIT,
    rollbackOnFailure: opts.rollbackOnFailure ?? env.sync.rollbackOnFailure,
    signal: opts.signal,
  };
}

/** How a revision comes about: a sync of rendered state, or a rollback to a stored one. */
interface RevisionSource {
  readonly kind: 'sync' | 'rollback';
  readonly hooks: HooksMode;
  readonly description: string;
  readonly gitRevision: string | undefined;
}

/**
 * Brings the cluster in step with an environment's rendered releases, one release at a time:
 * pre-sync hooks, the main apply wave by wave (waiting for health in between), prune, post-sync
 * hooks; sync-fail hooks (and, if asked, a rollback) when something fails. Reports through
 * `emit`; a failing release does not stop the others.
 */
export async function runSync(client: ClusterClient, env: RenderedEnvironment, opts: SyncOptions, emit: Emit): Promise<SyncResult> {
  const releases = selectReleases(env, opts.releases);
  const run = releaseRun(client, env, opts, emit);
  const source: RevisionSource = { kind: 'sync', hooks: opts.hooks ?? 'auto', description: 'sync', gitRevision: opts.gitRevision };
  const results: ReleaseResult[] = [];
  for (const release of releases) {
    if (run.signal?.aborted) break;
    results.push(await syncRelease(run, release, source));
  }
  const result: SyncResult = {
    status: results.length === releases.length && results.every((r) => r.status !== 'failed') ? 'succeeded' : 'failed',
    dryRun: run.dryRun,
    releases: results,
  };
  emit({ type: 'sync-finished', result });
  return result;
}

export interface RollbackOptions extends Omit<SyncOptions, 'releases' | 'hooks' | 'gitRevision' | 'rollbackOnFailure'> {
  /** The revision to return to; default: the successful revision before the current one. */
  readonly toRevision?: number;
}

export class NoRevisionError extends KasaneError {
  override readonly name: string = 'NoRevisionError';
}

/** What a rollback needs to know of the environment: no rendering, so a broken chart cannot block it. */
export interface RollbackScope {
  readonly environment: Pick<RenderedEnvironment, 'name' | 'sync'>;
  readonly release: Omit<RenderedRelease, 'objects'>;
}

/**
 * Re-applies a stored revision's objects as a new revision (Helm's rollback): the objects of
 * that revision are applied, what it did not have is pruned (when pruning is on), no hooks run.
 */
export async function runRollback(client: ClusterClient, scope: RollbackScope, opts: RollbackOptions, emit: Emit): Promise<ReleaseResult> {
  const { environment: env, release } = scope;
  const inventory = await readInventory(client, release.namespace, env.name, release.name);
  const target = rollbackTarget(inventory, opts.toRevision);
  if (target === undefined) {
    const known = inventory.records.map((r) => `${r.revision} (${r.status})`).join(', ');
    throw new NoRevisionError(
      opts.toRevision === undefined
        ? `release ${release.name} has no earlier successful revision to roll back to`
        : `release ${release.name} has no stored revision ${opts.toRevision}`,
      { hint: known ? `stored revisions: ${known}` : `it has never been synced into namespace ${release.namespace}` },
    );
  }
  const run = releaseRun(client, env, { ...opts, rollbackOnFailure: false }, emit);
  return syncRelease(run, storedRelease(release, target), {
    kind: 'rollback',
    hooks: 'never',
    description: `rollback to revision ${target.revision}`,
    gitRevision: target.gitRevision,
  });
}

function rollbackTarget(inventory: Inventory, toRevision: number | undefined): InventoryRecord | undefined {
  if (toRevision !== undefined) {
    const record = inventory.records.find((r) => r.revision === toRevision);
    if (record?.renderedOmitted) {
      throw new NoRevisionError(`revision ${toRevision} of release ${record.release} is too large to have kept its objects; it cannot be rolled back to`, {
        hint: 'check out its Git commit and run kasane sync instead',
      });
    }
    return record;
  }
  const current = lastDeployed(inventory);
  return inventory.records.find(
    (r) => r !== current && (r.status === 'deployed' || r.status === 'superseded') && r.revision < (current?.revision ?? Infinity),
  );
}

function storedRelease(release: Omit<RenderedRelease, 'objects'>, record: InventoryRecord): RenderedRelease {
  return { name: release.name, chart: release.chart, namespace: release.namespace, createNamespace: release.createNamespace, objects: record.rendered };
}

async function syncRelease(run: ReleaseRun, release: RenderedRelease, source: RevisionSource): Promise<ReleaseResult> {
  const state = new ReleaseState(run, release);
  let result: ReleaseResult;
  try {
    result = await (run.dryRun ? previewRelease(state, source) : applyRelease(state, source));
  } catch (err) {
    result = state.result('failed', { error: run.signal?.aborted ? new SyncInterruptedError() : asKasaneError(err) });
  }
  run.emit({ type: 'release-finished', release: release.name, result });
  return result;
}

/** What one release's sync has done so far, for its result. */
class ReleaseState {
  readonly changes: ObjectChange[] = [];
  readonly hooks: HookResult[] = [];
  plannedHooks: ObjectRef[] = [];

  constructor(
    readonly run: ReleaseRun,
    readonly release: RenderedRelease,
  ) {}

  emit(e: SyncEvent): void {
    this.run.emit(e);
  }

  phase(phase: SyncPhase): void {
    this.emit({ type: 'phase-started', release: this.release.name, phase });
  }

  /** releaseDigest of the release, computed once: hashing every rendered object is not free. */
  private digest: string | undefined;

  plan(inventory: Inventory | undefined, hooks: HooksMode): SyncPlan {
    this.digest ??= releaseDigest(this.release);
    return planSync(this.release, inventory, { prune: this.run.prune, hooks, desiredDigest: this.digest });
  }

  result(status: ReleaseResult['status'], extra: { revision?: number; error?: KasaneError; rolledBackTo?: number } = {}): ReleaseResult {
    return {
      release: this.release.name,
      namespace: this.release.namespace,
      status,
      changes: [...this.changes],
      hooks: [...this.hooks],
      ...(this.plannedHooks.length > 0 ? { plannedHooks: [...this.plannedHooks] } : {}),
      ...extra,
    };
  }
}

/** --dry-run: every object through a server-side dry run, prune candidates checked, hooks listed. */
async function previewRelease(state: ReleaseState, source: RevisionSource): Promise<ReleaseResult> {
  const { run, release } = state;
  const inventory = await readInventory(run.client, release.namespace, run.environment, release.name);
  const plan = state.plan(inventory, source.hooks);
  run.emit({ type: 'release-started', release: release.name, namespace: release.namespace, dryRun: true, hooks: plan.hooks });
  run.client.addPendingCrds(crdsOf(plan));

  // Objects in a namespace or of a kind this sync would create cannot be dry-run on the server.
  const missingNamespace = (await run.client.get(namespaceRef(release))) === undefined;
  if (missingNamespace && releaseNamespaceSource(plan, release) === undefined) throw new ReleaseNamespaceMissingError(run.environment, release.name, release.namespace);
  if (plan.createNamespace && missingNamespace) state.changes.push({ ref: refOf(plan.createNamespace), action: 'created' });

  state.plannedHooks = [...plan.preSync, ...plan.postSync].map((h) => refOf(h.object));
  for (const hook of plan.preSync) state.emit({ type: 'hook-started', release: release.name, phase: 'pre-sync', ref: refOf(hook.object), dryRun: true });
  await applySteps(state, plan.apply, { dryRun: true, missingNamespace: missingNamespace ? release.namespace : undefined });
  await prune(state, plan, true);
  for (const hook of plan.postSync) state.emit({ type: 'hook-started', release: release.name, phase: 'post-sync', ref: refOf(hook.object), dryRun: true });
  return state.result(state.changes.length > 0 || state.plannedHooks.length > 0 ? 'out-of-sync' : 'unchanged');
}

async function applyRelease(state: ReleaseState, source: RevisionSource): Promise<ReleaseResult> {
  const { run, release } = state;
  const { client } = run;

  // Read-only first: a release already in its desired state takes no lock and writes nothing.
  const before = await readInventory(client, release.namespace, run.environment, release.name);
  const prePlan = state.plan(before, source.hooks);
  client.addPendingCrds(crdsOf(prePlan));
  run.emit({ type: 'release-started', release: release.name, namespace: release.namespace, dryRun: false, hooks: prePlan.hooks });
  if (source.kind === 'sync' && (await inDesiredState(state, prePlan, before))) return state.result('unchanged');
  // Another release's objects are refused before anything is written, the release namespace included.
  await refuseForeignObjects(state, prePlan.apply.flatMap((step) => step.objects.map((o) => o.object)));

  // The lock and the inventory live in the release namespace: it has to exist first.
  const namespace = releaseNamespaceSource(prePlan, release);
  if (namespace !== undefined) {
    report(state, refOf(namespace), await applyObject(client, namespace, { dryRun: false }), false);
  } else if ((await client.get(namespaceRef(release))) === undefined) {
    throw new ReleaseNamespaceMissingError(run.environment, release.name, release.namespace);
  }
  const lock = await acquireLock(client, {
    namespace: release.namespace,
    environment: run.environment,
    release: release.name,
    holder: run.holder,
    waitMs: run.lockWaitMs,
    onWait: (holder, expiresAt) =>
      run.emit({ type: 'lock-waiting', release: release.name, holder, expiresAt: expiresAt.toISOString() }),
    signal: run.signal,
  });
  try {
    // Under the lock, what the cluster says now is what counts.
    const inventory = await readInventory(client, release.namespace, run.environment, release.name);
    return await applyRevision(state, inventory, source);
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/** One revision under the lock: a pending record, the phases, then the record's final status. */
async function applyRevision(state: ReleaseState, inventory: Inventory, source: RevisionSource): Promise<ReleaseResult> {
  const { run, release } = state;
  const plan = state.plan(inventory, source.hooks);
  const revision = (inventory.records[0]?.revision ?? 0) + 1;
  await markInterrupted(run, inventory);
  const record = (status: InventoryRecord['status'], objects: readonly InventoryEntry[], description: string): InventoryRecord => ({
    environment: run.environment,
    release: release.name,
    namespace: release.namespace,
    revision,
    status,
    ...(source.gitRevision === undefined ? {} : { gitRevision: source.gitRevision }),
    digest: plan.desiredDigest,
    time: new Date().toISOString(),
    description,
    objects,
    hooks: [...state.hooks],
    rendered: release.objects,
  });
  // Pending records list what was applied before too, so a crash leaves nothing untracked.
  await writeRecord(run.client, record('pending', [...plan.entries, ...plan.prune], source.description));
  const hookRun = hookEvidence(inventory, plan.desiredDigest, source.hooks === 'always', async (result) => {
    state.hooks.push(result);
    // Recorded before the hook object may be deleted, so a crash cannot lose the proof that it ran.
    await writeRecord(run.client, record('pending', [...plan.entries, ...plan.prune], source.description));
  });

  try {
    await runHooks(state, plan.preSync, 'pre-sync', hookRun);
    throwIfAborted(run.signal);
    state.phase('apply');
    await applySteps(state, plan.apply, { dryRun: false, missingNamespace: undefined });
    throwIfAborted(run.signal);
    const kept = await prune(state, plan, false);
    throwIfAborted(run.signal);
    await runHooks(state, plan.postSync, 'post-sync', hookRun);

    await writeRecord(run.client, record('deployed', [...plan.entries, ...kept], source.description));
    await supersede(run, inventory);
    await trimHistory(run.client, [revision, ...inventory.records.map((r) => r.revision)], release.namespace, run.environment, release.name, run.historyLimit);
    return state.result('synced', { revision });
  } catch (err) {
    const interrupted = run.signal?.aborted === true;
    const error = interrupted ? new SyncInterruptedError() : asKasaneError(err);
    if (plan.syncFail.length > 0 && !interrupted) {
      try {
        await runHooks(state, plan.syncFail, 'sync-fail', hookRun);
      } catch {
        // The sync's own error is the one to report; a failing sync-fail hook is in the events and hooks.
      }
    }
    await writeRecord(run.client, record('failed', [...plan.entries, ...plan.prune], error.message));
    await trimHistory(run.client, [revision, ...inventory.records.map((r) => r.revision)], release.namespace, run.environment, release.name, run.historyLimit);
    const target = run.rollbackOnFailure && source.kind === 'sync' && !interrupted ? lastDeployed(inventory) : undefined;
    if (target === undefined || target.rendered.length === 0) return state.result('failed', { revision, error });

    state.phase('rollback');
    const after = await readInventory(run.client, release.namespace, run.environment, release.name);
    const rollback = new ReleaseState(run, storedRelease(release, target));
    const rolled = await applyRevision(rollback, after, {
      kind: 'rollback',
      hooks: 'never',
      description: `rollback to revision ${target.revision} after revision ${revision} failed`,
      gitRevision: target.gitRevision,
    });
    state.changes.push(...rolled.changes);
    if (rolled.status !== 'synced') {
      const why = rolled.error?.message ?? 'unknown error';
      return state.result('failed', {
        revision,
        error: new KasaneError(`${error.message}\nrolling back to revision ${target.revision} failed too: ${why}`, {
          cause: error,
          ...(rolled.error?.hint === undefined ? {} : { hint: rolled.error.hint }),
        }),
      });
    }
    return state.result('failed', { revision, error, rolledBackTo: target.revision });
  }
}

/**
 * Whether the release needs nothing: no hooks to run, the last revision succeeded with this very
 * desired state, every object a dry run leaves as it is, nothing to prune. Reads only.
 */
async function inDesiredState(state: ReleaseState, plan: SyncPlan, inventory: Inventory): Promise<boolean> {
  const { client } = state.run;
  const latest = inventory.records[0];
  if (plan.hooks.run || latest?.status !== 'deployed' || latest.digest !== plan.desiredDigest) return false;
  if (plan.createNamespace && (await client.get(refOf(plan.createNamespace))) === undefined) return false;
  const objects = plan.apply.flatMap((step) => step.objects);
  const live = await readLive(client, objects.map((o) => o.object)).catch(() => undefined);
  if (live === undefined) return false;
  const previews = await settleLimit(objects, OBJECT_CONCURRENCY, (o) =>
    applyObject(client, o.object, { dryRun: true, live: live.get(refKey(refOf(o.object))) }),
  );
  if (previews.some((p) => !p.ok || p.value.action !== 'unchanged')) return false;
  if (plan.pruneEnabled) {
    for (const entry of plan.prune) {
      const live = await client.get(entry);
      if (live !== undefined && pruneRefusal(live, state.run.environment, state.release.name) === undefined) return false;
    }
  }
  return true;
}

/**
 * What proves that a hook already ran for this desired state, so that a sync repeated after a crash
 * or a failure does not run it again (see docs/sync.md, "Hooks after a crash"). A run is identified by
 * the release digest and the last deployed revision it builds on: the same desired state reached again
 * later (X, then Y, then X) is a new run.
 */
function hookEvidence(inventory: Inventory, digest: string, forced: boolean, onResult: (r: HookResult) => Promise<void>): HookRun {
  const base = lastDeployed(inventory)?.revision ?? 0;
  const succeeded = new Set<string>();
  if (!forced) {
    for (const r of inventory.records) {
      if (r.revision <= base || r.digest !== digest) continue;
      for (const h of r.hooks) if (h.status === 'Succeeded') succeeded.add(`${h.phase}|${refKey(h.ref)}`);
    }
  }
  return {
    runId: forced ? undefined : `${digest}/${base}`,
    alreadySucceeded: (phase, ref) => succeeded.has(`${phase}|${refKey(ref)}`),
    onResult,
  };
}

async function runHooks(state: ReleaseState, hooks: readonly RenderedObject[], phase: HookPhase, hookRun: HookRun): Promise<void> {
  if (hooks.length === 0) return;
  state.phase(phase);
  const ctx = { client: state.run.client, release: state.release.name, emit: state.run.emit, defaultTimeoutMs: state.run.timeoutMs, signal: state.run.signal, run: hookRun };
  for (const hook of hooks) {
    throwIfAborted(state.run.signal);
    const result = await runHook(ctx, hook, phase);
    if (result.status === 'Failed') throw new HookFailedError(phase, result.ref, result.message, result.logs);
  }
}

interface StepOptions {
  readonly dryRun: boolean;
  /** In a dry run: the namespace this sync would create, where nothing can be dry-run yet. */
  readonly missingNamespace: string | undefined;
}

/** Applies step after step; after each, waits until its objects are healthy (not in a dry run). */
async function applySteps(state: ReleaseState, steps: readonly ApplyStep[], opts: StepOptions): Promise<void> {
  const { run, release } = state;
  for (const step of steps) {
    const errors: KasaneError[] = [];
    // Objects of one kind go out together; kinds follow each other in install order.
    for (const group of byKind(step.objects)) {
      throwIfAborted(run.signal);
      const live = await readLive(run.client, group.map((o) => o.object)).catch(() => new Map<string, KubeObject | null>());
      const outcomes = await settleLimit(group, OBJECT_CONCURRENCY, (o) => applyOne(state, o.object, { ...opts, live }));
      outcomes.forEach((outcome, i) => {
        const ref = refOf(group[i]!.object);
        if (outcome.ok) {
          report(state, ref, outcome.value, opts.dryRun);
        } else {
          const error = asKasaneError(outcome.error);
          errors.push(error);
          state.emit({ type: 'object-failed', release: release.name, ref, error });
        }
      });
    }
    if (errors.length > 0) throw new ApplyFailedError(errors);
    if (opts.dryRun) continue;

    // Kinds without a health rule are healthy once applied, which they just were: no need to look.
    const watched = step.objects.filter((o) => hasHealthRule(o.object.apiVersion, o.object.kind)).map((o) => refOf(o.object));
    const outcome = await waitHealthy(
      run.client,
      watched,
      {
        timeoutMs: run.timeoutMs,
        signal: run.signal,
        onProgress: (ref, h) => state.emit({ type: 'health-waiting', release: release.name, wave: step.wave, ref, message: h.message }),
      },
    );
    if (outcome.kind === 'failed') throw new ObjectUnhealthyError(outcome.ref, outcome.message);
    if (outcome.kind === 'timeout') throw new HealthTimeoutError(step.wave, outcome.pending, run.timeoutMs);
    state.emit({ type: 'wave-healthy', release: release.name, wave: step.wave });
  }
}

/** API calls in flight at once while applying or checking one kind's objects. */
const OBJECT_CONCURRENCY = 8;

function byKind(objects: readonly RenderedObject[]): RenderedObject[][] {
  const groups: RenderedObject[][] = [];
  for (const o of objects) {
    const last = groups[groups.length - 1];
    if (last && last[0]?.object.kind === o.object.kind) last.push(o);
    else groups.push([o]);
  }
  return groups;
}

async function applyOne(
  state: ReleaseState,
  object: KubeObject,
  opts: StepOptions & { live: ReadonlyMap<string, KubeObject | null> },
): Promise<Pick<ApplyOutcome, 'action' | 'conflicts'>> {
  const created = { action: 'created', conflicts: [] } as const;
  // Objects in a namespace or of a kind this sync would create cannot be dry-run on the server.
  if (opts.dryRun && opts.missingNamespace !== undefined && object.metadata.namespace === opts.missingNamespace) return created;
  refuseForeign(state, object, opts.live.get(refKey(refOf(object))) ?? undefined);
  try {
    return await applyObject(state.run.client, object, { dryRun: opts.dryRun, live: opts.live.get(refKey(refOf(object))) });
  } catch (err) {
    if (opts.dryRun && err instanceof NotFoundError && isPendingKind(state, object)) return created;
    throw err;
  }
}

/** One list per kind and namespace (labelled objects only), then refuseForeign for each object. */
async function refuseForeignObjects(state: ReleaseState, objects: readonly KubeObject[]): Promise<void> {
  const groups = new Map<string, KubeObject[]>();
  for (const o of objects) {
    const key = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    const namespace = first.metadata.namespace;
    const items = await state.run.client
      .list(first.apiVersion, first.kind, { ...(namespace === undefined ? {} : { namespace }), labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_KASANE}` })
      .catch(() => [] as KubeObject[]);
    const byName = new Map(items.map((i) => [i.metadata.name ?? '', i]));
    for (const o of group) refuseForeign(state, o, byName.get(o.metadata.name ?? ''));
  }
}

/** Throws when the live object is labelled as another kasane release's (or another environment's). */
function refuseForeign(state: ReleaseState, object: KubeObject, live: KubeObject | undefined): void {
  const labels = live?.metadata.labels ?? {};
  const ownerEnvironment = labels[LABEL_ENVIRONMENT];
  const ownerRelease = labels[LABEL_RELEASE];
  if (labels[LABEL_MANAGED_BY] !== MANAGED_BY_KASANE || ownerEnvironment === undefined || ownerRelease === undefined) return;
  if (ownerEnvironment !== state.run.environment || ownerRelease !== state.release.name) {
    throw new OwnedElsewhereError(refOf(object), ownerEnvironment, ownerRelease);
  }
}

function report(state: ReleaseState, ref: ObjectRef, outcome: Pick<ApplyOutcome, 'action' | 'conflicts'>, dryRun: boolean): void {
  const release = state.release.name;
  if (outcome.action === 'unchanged') {
    state.emit({ type: 'object-unchanged', release, ref });
    return;
  }
  state.changes.push({ ref, action: outcome.action });
  state.emit({ type: 'object-applied', release, ref, action: outcome.action, dryRun, conflicts: outcome.conflicts });
}

function isPendingKind(state: ReleaseState, object: KubeObject): boolean {
  return state.release.objects.some((o) => {
    if (o.object.kind !== 'CustomResourceDefinition') return false;
    const spec = (o.object['spec'] ?? {}) as { group?: string; names?: { kind?: string } };
    return spec.names?.kind === object.kind && object.apiVersion.startsWith(`${spec.group ?? ''}/`);
  });
}

/**
 * Deletes the prune candidates that are still kasane's (see pruneRefusal), newest wave first.
 * Returns the entries left in place that kasane still owns (pruning off), to stay in the inventory.
 */
async function prune(state: ReleaseState, plan: SyncPlan, dryRun: boolean): Promise<InventoryEntry[]> {
  const { run, release } = state;
  const kept: InventoryEntry[] = [];
  if (plan.prune.length === 0) return kept;
  state.phase('prune');
  for (const entry of plan.prune) {
    throwIfAborted(run.signal);
    const ref: ObjectRef = { apiVersion: entry.apiVersion, kind: entry.kind, namespace: entry.namespace, name: entry.name };
    const live = await run.client.get(ref);
    if (live === undefined) continue;
    const refusal = pruneRefusal(live, run.environment, release.name);
    if (refusal !== undefined) {
      state.emit({ type: 'prune-skipped', release: release.name, ref, reason: refusal });
      continue;
    }
    if (!plan.pruneEnabled) {
      kept.push(entry);
      state.emit({ type: 'prune-skipped', release: release.name, ref, reason: 'no longer rendered; pruning is off (sync.prune, --prune)' });
      continue;
    }
    if (!dryRun) await run.client.delete(ref, { propagationPolicy: 'Background' });
    state.changes.push({ ref, action: 'pruned' });
    state.emit({ type: 'object-pruned', release: release.name, ref, dryRun });
  }
  return kept;
}

function namespaceRef(release: RenderedRelease): ObjectRef {
  return { apiVersion: 'v1', kind: 'Namespace', name: release.namespace };
}

/** The Namespace object that creates the release namespace: kasane's (createNamespace) or the chart's own. */
function releaseNamespaceSource(plan: SyncPlan, release: RenderedRelease): KubeObject | undefined {
  return (
    plan.createNamespace ??
    release.objects.find((o) => o.hook === undefined && o.object.kind === 'Namespace' && o.object.metadata.name === release.namespace)?.object
  );
}

/**
 * Records still pending when the lock is ours belong to a sync that died midway (the lock
 * guarantees no other is running): they are marked failed so history tells the truth.
 */
async function markInterrupted(run: ReleaseRun, inventory: Inventory): Promise<void> {
  for (const r of inventory.records) {
    if (r.status === 'pending') {
      await writeRecord(run.client, { ...r, status: 'failed', description: `interrupted before it finished (${r.description})` });
    }
  }
}

/** The revision that was deployed before this one is superseded now. */
async function supersede(run: ReleaseRun, inventory: Inventory): Promise<void> {
  for (const old of inventory.records) {
    if (old.status === 'deployed') await writeRecord(run.client, { ...old, status: 'superseded' });
  }
}

function crdsOf(plan: SyncPlan): KubeObject[] {
  return plan.apply.flatMap((s) => s.objects.map((o) => o.object)).filter((o) => o.kind === 'CustomResourceDefinition');
}

function asKasaneError(err: unknown): KasaneError {
  if (err instanceof KasaneError) return err;
  return new KasaneError(err instanceof Error ? err.message : String(err), { cause: err });
}
