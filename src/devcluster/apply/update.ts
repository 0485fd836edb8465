/**
 * managedFields bookkeeping for create, update and patch (operation Update): the writer owns what
 * it added or changed; other managers lose what changed under them or was removed.
 */
import type { KubeObject } from '../../model/object.js';
import { withManagedFields, withoutManagedFields, withoutManagedFieldsBody } from './apply.js';
import { SERVER_FIELDS, identityOf, type ManagerEntry, type Managers } from './managed.js';
import { schemaFor, withZeroValues, zeroObject } from './schema.js';
import { compare, deepEqual } from './typed.js';

export interface UpdateInput {
  readonly before: KubeObject | undefined;
  readonly after: KubeObject;
  readonly manager: string;
  readonly now: string;
  readonly apiVersion: string;
  readonly subresource?: 'status';
}

/**
 * `after` with the managedFields this write makes. Reads its inputs without changing them; the
 * result shares everything below metadata with `after`.
 */
export function recordUpdate(input: UpdateInput): KubeObject {
  // A status write keeps the managedFields it was sent: only the main resource takes them from the client.
  const after = input.subresource === undefined ? withoutManagedFields(input.after) : { body: withoutManagedFieldsBody(input.after), managers: undefined };
  const sent = input.after.metadata['managedFields'];
  // A client may write managedFields itself; `[{}]` (entries that say nothing) clears them.
  if (Array.isArray(sent) && sent.length > 0 && after.managers !== undefined) {
    if (after.managers.size === 0) return after.body;
  }
  const before = input.before ? withoutManagedFields(input.before) : undefined;
  const managers: Managers =
    after.managers !== undefined && after.managers.size > 0 ? after.managers : (before?.managers ?? new Map());

  const schema = schemaFor(after.body.apiVersion, after.body.kind);
  const { apiVersion, kind } = after.body;
  const beforeBody = before ? withZeroValues(before.body, apiVersion, kind) : zeroObject(apiVersion, kind);
  const { added, modified, removed } = compare(beforeBody, withZeroValues(after.body, apiVersion, kind), schema);
  const changed = added.union(modified).difference(SERVER_FIELDS);

  const selfKey = {
    manager: input.manager,
    operation: 'Update' as const,
    apiVersion: input.apiVersion,
    subresource: input.subresource,
  };
  const selfId = identityOf(selfKey);
  for (const [id, m] of managers) {
    if (id === selfId || !(m.set.intersects(changed) || m.set.intersects(removed))) continue;
    managers.set(id, { ...m, set: m.set.difference(changed).difference(removed) });
  }
  const previous = managers.get(selfId);
  if (!changed.isEmpty() || previous) {
    const set = (previous?.set.difference(removed) ?? changed).union(changed);
    const self: ManagerEntry = {
      ...selfKey,
      time: changed.isEmpty() ? previous?.time : input.now,
      set,
    };
    managers.set(selfId, self);
  }
  return withManagedFields(after.body, managers);
}

/**
 * True when `after` differs from `before` only in managedFields timestamps: the server then keeps
 * the stored object (same resourceVersion) and sends no watch event.
 */
export function isSemanticNoOp(before: KubeObject, after: KubeObject): boolean {
  return deepEqual(withoutTimes(before), withoutTimes(after));
}

function withoutTimes(obj: KubeObject): unknown {
  const mf = obj.metadata['managedFields'];
  if (!Array.isArray(mf)) return obj;
  const stripped = mf.map((e: unknown) => {
    if (typeof e !== 'object' || e === null) return e;
    const { time: _time, ...rest } = e as Record<string, unknown>;
    return rest;
  });
  return { ...obj, metadata: { ...obj.metadata, managedFields: stripped } };
}
