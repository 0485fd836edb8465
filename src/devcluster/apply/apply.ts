/**
 * Server-side apply: merge an applied configuration into the live object, give its fields to the
 * applying manager, drop what it applied before and no longer does, and refuse (or, forced, take
 * over) changes to fields other managers own.
 */
import type { KubeObject } from '../../model/object.js';
import { cloneJson, copyStored } from '../clone.js';
import { PatchError } from './errors.js';
import { FieldSet, pathString } from './fieldset.js';
import {
  SERVER_FIELDS,
  SERVER_METADATA,
  decodeManagedFields,
  encodeManagedFields,
  identityOf,
  type ManagerEntry,
  type Managers,
  type Operation,
} from './managed.js';
import { schemaFor, withZeroValues } from './schema.js';
import { compare, merge, prune, toFieldSet } from './typed.js';

export interface ApplyConflict {
  readonly manager: string;
  readonly apiVersion: string;
  /** The path as kubectl prints it: `.spec.replicas`, `.spec.template.spec.containers[name="web"].image`. */
  readonly field: string;
  readonly operation: Operation;
  readonly subresource?: string;
}

export type ApplyResult = { ok: true; object: KubeObject } | { ok: false; conflicts: ApplyConflict[] };

export interface ApplyInput {
  readonly live: KubeObject | undefined;
  readonly applied: KubeObject;
  readonly manager: string;
  readonly force: boolean;
  readonly now: string;
  readonly apiVersion: string;
  /** Top-level fields this endpoint resets, e.g. `['status']` on the main resource of a kind with a status subresource. */
  readonly resetFields?: readonly string[];
  /** Apply through a subresource (`kubectl apply --subresource=status`). */
  readonly subresource?: 'status';
}

/** Splits an object into its body (no managedFields) and its managers. */
export function withoutManagedFields(obj: KubeObject): { body: KubeObject; managers: Managers } {
  return { body: withoutManagedFieldsBody(obj), managers: decodeManagedFields(obj.metadata.managedFields) };
}

/** The object without its managedFields. */
export function withoutManagedFieldsBody(obj: KubeObject): KubeObject {
  const { managedFields: _managedFields, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

export function withManagedFields(body: KubeObject, managers: Managers): KubeObject {
  const entries = encodeManagedFields(managers);
  const metadata = { ...body.metadata };
  if (entries.length > 0) metadata['managedFields'] = entries;
  return { ...body, metadata };
}

export function serverSideApply(input: ApplyInput): ApplyResult {
  const applied = cloneJson(input.applied);
  for (const field of SERVER_METADATA) delete applied.metadata[field];
  // Fields the endpoint resets are neither written nor owned, as upstream's reset-fields strategies do.
  for (const field of input.resetFields ?? []) if (field !== 'metadata') delete applied[field];
  const schema = schemaFor(applied.apiVersion, applied.kind);

  const live = input.live ? withoutManagedFields(copyStored(input.live)) : undefined;
  const liveBody: KubeObject = live?.body ?? { apiVersion: applied.apiVersion, kind: applied.kind, metadata: {} };
  const managers: Managers = live?.managers ?? new Map();
  if (live && managers.size === 0) {
    // An object nobody tracks yet: what it holds belongs to a placeholder, as on a real server.
    const holder: ManagerEntry = {
      manager: 'before-first-apply',
      operation: 'Update',
      apiVersion: input.apiVersion,
      time: undefined,
      subresource: undefined,
      set: toFieldSet(liveBody, schema, false).difference(SERVER_FIELDS),
    };
    managers.set(identityOf(holder), holder);
  }

  const configSet = typedOrThrow(applied, () => toFieldSet(applied, schema));
  const self: ManagerEntry = {
    manager: input.manager,
    operation: 'Apply',
    apiVersion: input.apiVersion,
    time: input.now,
    subresource: input.subresource,
    set: configSet.difference(SERVER_FIELDS),
  };
  const selfId = identityOf(self);
  const lastSet = managers.get(selfId)?.set;
  managers.set(selfId, self);

  let result = merge(liveBody, applied, schema) as KubeObject;
  if (lastSet) {
    // The configuration holds on to what it names even where the server keeps the field (metadata.name).
    const owned = [...managers.values()].reduce((acc, m) => acc.union(m.set), configSet);
    result = prune(result, schema, lastSet, owned) as KubeObject;
  }

  const { apiVersion, kind } = applied;
  const { added, modified, removed } = compare(
    withZeroValues(liveBody, apiVersion, kind),
    withZeroValues(result, apiVersion, kind),
    schema,
  );
  // An applied null removes the field, yet is a change of its value like any other.
  const changed = added.union(modified).union(removed.intersection(self.set));
  const conflicts: ApplyConflict[] = [];
  const taken = new Map<string, FieldSet>();
  for (const [id, m] of managers) {
    if (id === selfId) continue;
    const clash = m.set.intersection(changed);
    if (clash.isEmpty()) continue;
    taken.set(id, clash);
    for (const path of clash.paths()) {
      conflicts.push({
        manager: m.manager,
        apiVersion: m.apiVersion,
        field: pathString(path),
        operation: m.operation,
        ...(m.subresource ? { subresource: m.subresource } : {}),
      });
    }
  }
  if (conflicts.length > 0 && !input.force) return { ok: false, conflicts };

  for (const [id, m] of managers) {
    if (id === selfId) continue;
    const lost = taken.get(id);
    if (lost === undefined && !m.set.intersects(removed)) continue;
    const set = m.set.difference(lost ?? new FieldSet()).difference(removed);
    managers.set(id, { ...m, set });
  }
  return { ok: true, object: withManagedFields(result, managers) };
}

/** Runs `f` on the applied configuration, failing as the real server does when it cannot type it. */
function typedOrThrow<T>(applied: KubeObject, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (!(err instanceof PatchError)) throw err;
    const { namespace = '', name = '' } = applied.metadata;
    const slash = applied.apiVersion.indexOf('/');
    const gvk = `${slash < 0 ? '' : applied.apiVersion.slice(0, slash)}/${applied.apiVersion.slice(slash + 1)}, Kind=${applied.kind}`;
    throw new PatchError(`failed to create typed patch object (${namespace}/${name}; ${gvk}): ${err.message}`, 500);
  }
}

/** How the real server names a manager in conflict messages. */
function printManager(c: ApplyConflict): string {
  let s = JSON.stringify(c.manager);
  if (c.subresource) s += ` with subresource ${JSON.stringify(c.subresource)}`;
  if (c.operation === 'Update') s += ` using ${c.apiVersion}`;
  return s;
}

/** The Status message of a 409 apply conflict, word for word as the real API server writes it. */
export function conflictMessage(conflicts: readonly ApplyConflict[]): string {
  const [only] = conflicts;
  if (conflicts.length === 1 && only) {
    return `Apply failed with 1 conflict: conflict with ${printManager(only)}: ${only.field}`;
  }
  const byManager = new Map<string, ApplyConflict[]>();
  for (const c of conflicts) {
    const id = identityOf({ ...c, subresource: c.subresource });
    byManager.set(id, [...(byManager.get(id) ?? []), c]);
  }
  const lines: string[] = [];
  for (const id of [...byManager.keys()].sort()) {
    const group = byManager.get(id)!;
    lines.push(`conflicts with ${printManager(group[0]!)}:`);
    for (const c of group) lines.push(`- ${c.field}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** The Status `details.causes` of a 409 apply conflict. */
export function conflictCauses(
  conflicts: readonly ApplyConflict[],
): { reason: 'FieldManagerConflict'; message: string; field: string }[] {
  return conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c)}`, field: c.field }));
}
