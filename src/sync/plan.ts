import { refKey, refOf, type KubeObject, type ObjectRef } from '../model/object.js';
import type { HookPhase, RenderedObject, RenderedRelease } from '../model/rendered.js';
import { LABEL_MANAGED_BY, MANAGED_BY_KASANE } from '../model/rendered.js';
import { lastDeployed, type Inventory, type InventoryEntry, type InventoryRecord } from '../inventory/record.js';
import { compareKindsForInstall } from '../model/kinds.js';
import { compareApplyOrder, compareStrings, isBootstrapKind } from './order.js';

export type HooksMode = 'auto' | 'always' | 'never';

export interface PlanOptions {
  /** Delete what left the desired state; when false, candidates are only reported. */
  readonly prune: boolean;
  readonly hooks: HooksMode;
  /** releaseDigest of the release being planned. */
  readonly desiredDigest: string;
}

/** One step of the main apply: bootstrap kinds (Namespace, CRDs), then each wave in order. */
export interface ApplyStep {
  /** `bootstrap` for the namespace and CRDs, else the wave number. */
  readonly wave: number | 'bootstrap';
  readonly objects: readonly RenderedObject[];
}

/** Why hooks do or do not run in this sync, so the report can say it. */
export type HooksDecision =
  | { readonly run: true; readonly reason: 'first-sync' | 'desired-state-changed' | 'asked' }
  | { readonly run: false; readonly reason: 'unchanged' | 'disabled' };

export interface SyncPlan {
  readonly release: string;
  readonly namespace: string;
  readonly desiredDigest: string;
  /** The release namespace, when kasane creates it (createNamespace and not rendered). */
  readonly createNamespace: KubeObject | undefined;
  readonly hooks: HooksDecision;
  /** Empty unless hooks.run. */
  readonly preSync: readonly RenderedObject[];
  readonly apply: readonly ApplyStep[];
  /** Objects of the previous inventory no longer rendered, in reverse apply order. */
  readonly prune: readonly InventoryEntry[];
  readonly pruneEnabled: boolean;
  /** Empty unless hooks.run. */
  readonly postSync: readonly RenderedObject[];
  /** Run only when the sync fails. Empty unless hooks.run. */
  readonly syncFail: readonly RenderedObject[];
  /** The inventory entries of what this sync applies, in apply order. */
  readonly entries: readonly InventoryEntry[];
}

/**
 * The Namespace kasane creates for a release with createNamespace, as `helm --create-namespace`
 * does: not part of the release's inventory, so never pruned (deleting it would delete everything
 * in it, other releases' objects too).
 */
function releaseNamespaceObject(release: RenderedRelease): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: release.namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY_KASANE } },
  };
}

/**
 * What one sync of one release will do, from its rendered objects and what the cluster's
 * inventory says was applied before. Pure: no cluster, no clock.
 */
export function planSync(release: RenderedRelease, previous: Inventory | undefined, opts: PlanOptions): SyncPlan {
  const main = release.objects.filter((o) => o.hook === undefined);
  const hooks = release.objects.filter((o) => o.hook !== undefined);

  const sorted = [...main].sort((a, b) =>
    compareApplyOrder({ ref: refOf(a.object), wave: a.wave }, { ref: refOf(b.object), wave: b.wave }),
  );
  const apply = groupSteps(sorted);

  const desiredKeys = new Set(sorted.map((o) => refKey(refOf(o.object))));
  const prune = pruneCandidates(previous, desiredKeys);

  const decision = decideHooks(lastDeployed(previous), opts);
  const phase = (p: HookPhase): RenderedObject[] =>
    decision.run ? hooks.filter((h) => h.hook?.phases.includes(p)).sort(compareHooks) : [];

  const renderedNamespace = main.some((o) => o.object.kind === 'Namespace' && o.object.metadata.name === release.namespace);
  return {
    release: release.name,
    namespace: release.namespace,
    desiredDigest: opts.desiredDigest,
    createNamespace: release.createNamespace && !renderedNamespace ? releaseNamespaceObject(release) : undefined,
    hooks: decision,
    preSync: phase('pre-sync'),
    apply,
    prune,
    pruneEnabled: opts.prune,
    postSync: phase('post-sync'),
    syncFail: phase('sync-fail'),
    entries: sorted.map(entryOf),
  };
}

function groupSteps(sorted: readonly RenderedObject[]): ApplyStep[] {
  const steps: { wave: number | 'bootstrap'; objects: RenderedObject[] }[] = [];
  for (const o of sorted) {
    const wave = isBootstrapKind(o.object.kind) ? 'bootstrap' : o.wave;
    const last = steps[steps.length - 1];
    if (last && last.wave === wave) last.objects.push(o);
    else steps.push({ wave, objects: [o] });
  }
  return steps;
}

/**
 * Everything applied since the last successful revision (a failed sync may have created
 * objects too) that is no longer rendered, newest entry winning, deleted in reverse apply order.
 */
function pruneCandidates(previous: Inventory | undefined, desiredKeys: ReadonlySet<string>): InventoryEntry[] {
  const byKey = new Map<string, InventoryEntry>();
  for (const record of recordsSinceLastDeployed(previous)) {
    for (const entry of record.objects) {
      const key = refKey(entry);
      if (!desiredKeys.has(key) && !byKey.has(key)) byKey.set(key, entry);
    }
  }
  return [...byKey.values()]
    .filter((e) => e.pruneDisabled !== true)
    .sort((a, b) => compareApplyOrder({ ref: b, wave: b.wave }, { ref: a, wave: a.wave }));
}

function recordsSinceLastDeployed(previous: Inventory | undefined): InventoryRecord[] {
  const out: InventoryRecord[] = [];
  for (const record of previous?.records ?? []) {
    out.push(record);
    if (record.status === 'deployed' || record.status === 'superseded') break;
  }
  return out;
}

function decideHooks(last: InventoryRecord | undefined, opts: PlanOptions): HooksDecision {
  if (opts.hooks === 'never') return { run: false, reason: 'disabled' };
  if (opts.hooks === 'always') return { run: true, reason: 'asked' };
  if (last === undefined) return { run: true, reason: 'first-sync' };
  return last.digest === opts.desiredDigest
    ? { run: false, reason: 'unchanged' }
    : { run: true, reason: 'desired-state-changed' };
}

/** Hooks of one phase run by weight, then kind (install order), then name. */
function compareHooks(a: RenderedObject, b: RenderedObject): number {
  const ra = refOf(a.object);
  const rb = refOf(b.object);
  return (
    (a.hook?.weight ?? 0) - (b.hook?.weight ?? 0) ||
    compareKindsForInstall(ra.kind, rb.kind) ||
    compareStrings(ra.name, rb.name)
  );
}

function entryOf(o: RenderedObject): InventoryEntry {
  const ref: ObjectRef = refOf(o.object);
  const entry: InventoryEntry = { ...ref, wave: o.wave };
  return o.pruneDisabled ? { ...entry, pruneDisabled: true } : entry;
}
