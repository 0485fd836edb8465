import { FIELD_MANAGER, provablyUnchanged, type ClusterClient } from '../cluster/index.js';
import { ConflictError, InvalidError } from '../cluster/errors.js';
import { refKey, refOf, type KubeObject } from '../model/object.js';
import { ImmutableFieldError } from './errors.js';
import type { ApplyAction } from './events.js';

export interface ApplyOutcome {
  readonly action: ApplyAction;
  /** Fields other managers owned that this apply took over (`.spec.replicas (owned by kubectl-edit)`). */
  readonly conflicts: readonly string[];
  /** The object as the server has it after the apply (or would, in a dry run). */
  readonly live: KubeObject;
}

/**
 * Server-side apply of one object, skipping the write when a dry run shows the server would end
 * up with what it already has: a sync with nothing to do writes nothing. Conflicts with other
 * field managers are forced (kasane owns what it renders) and reported.
 */
export async function applyObject(
  client: ClusterClient,
  desired: KubeObject,
  opts: { dryRun: boolean; /** The live object when already read (null: known absent). */ live?: KubeObject | null },
): Promise<ApplyOutcome> {
  const ref = refOf(desired);
  const existing = opts.live === undefined ? await client.get(ref) : (opts.live ?? undefined);
  // The fields kasane owns already hold the desired values, and no others: nothing to ask the server.
  if (existing !== undefined && provablyUnchanged(desired, existing, FIELD_MANAGER)) {
    return { action: 'unchanged', conflicts: [], live: existing };
  }
  // A new object has no other managers to conflict with and nothing to compare: apply it at once.
  if (existing === undefined && !opts.dryRun) {
    try {
      return { action: 'created', conflicts: [], live: await client.apply(desired, { force: true }) };
    } catch (err) {
      throw immutableFieldError(err, desired) ?? err;
    }
  }
  let conflicts: string[] = [];
  let preview: KubeObject;
  try {
    try {
      preview = await client.apply(desired, { dryRun: true, force: false });
    } catch (err) {
      if (!(err instanceof ConflictError) || err.conflicts.length === 0) throw err;
      conflicts = err.conflicts.map((c) => (c.manager ? `${c.field} (owned by ${c.manager})` : c.field));
      preview = await client.apply(desired, { dryRun: true, force: true });
    }
    if (existing !== undefined && !drifted(existing, preview)) {
      return { action: 'unchanged', conflicts: [], live: existing };
    }
    const live = opts.dryRun ? preview : await client.apply(desired, { force: true });
    return { action: existing === undefined ? 'created' : 'configured', conflicts, live };
  } catch (err) {
    throw immutableFieldError(err, desired) ?? err;
  }
}

/** Below this many objects of one kind in one namespace, a get each is cheaper than a list. */
const LIST_THRESHOLD = 5;

/**
 * Reads the live objects of many desired objects with one list per kind and namespace (where
 * enough of them share one), instead of one get each. Keyed by refKey; null: does not exist.
 * Objects not covered are left out, to be read one by one.
 */
export async function readLive(client: ClusterClient, objects: readonly KubeObject[]): Promise<Map<string, KubeObject | null>> {
  const groups = new Map<string, KubeObject[]>();
  for (const o of objects) {
    const key = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const live = new Map<string, KubeObject | null>();
  for (const group of groups.values()) {
    const first = group[0];
    if (first === undefined || group.length < LIST_THRESHOLD) continue;
    const namespace = first.metadata.namespace;
    const items = await client.list(first.apiVersion, first.kind, namespace === undefined ? {} : { namespace });
    const byName = new Map(items.map((i) => [i.metadata.name ?? '', i]));
    for (const o of group) live.set(refKey(refOf(o)), byName.get(o.metadata.name ?? '') ?? null);
  }
  return live;
}

/** A 422 whose causes say a field is immutable, as its own error with what to do. */
function immutableFieldError(err: unknown, desired: KubeObject): ImmutableFieldError | undefined {
  if (!(err instanceof InvalidError)) return undefined;
  const immutable = err.causes.filter((c) => /immutable/i.test(c.message));
  if (immutable.length === 0 && !/immutable/i.test(err.serverMessage ?? '')) return undefined;
  const fields = immutable.map((c) => c.field ?? '').filter((f) => f !== '');
  return new ImmutableFieldError(refOf(desired), fields.length > 0 ? fields : ['(unnamed)'], err);
}

/**
 * Whether applying would change the stored object: the dry-run result differs from what is
 * stored, ignoring what every write touches (resourceVersion, managedFields timestamps).
 */
export function drifted(existing: KubeObject, preview: KubeObject): boolean {
  return JSON.stringify(comparable(existing)) !== JSON.stringify(comparable(preview));
}

function comparable(obj: KubeObject): unknown {
  const { resourceVersion: _rv, managedFields, ...meta } = obj.metadata;
  // Ownership counts, not the order of the entries or when they were last touched.
  const fields = Array.isArray(managedFields)
    ? (managedFields as Record<string, unknown>[]).map(({ time: _time, ...rest }) => JSON.stringify(sortKeys(rest))).sort()
    : undefined;
  return sortKeys({ ...obj, metadata: { ...meta, managedFields: fields } });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
  return out;
}
