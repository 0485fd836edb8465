/**
 * The three classic patch types: strategic merge patch (lists merged by their patchMergeKey,
 * `$patch`, `$retainKeys`, `$setElementOrder`, `$deleteFromPrimitiveList`), JSON merge patch
 * (RFC 7386) and JSON patch (RFC 6902).
 */
import jsonpatch from 'fast-json-patch';
import type { KubeObject } from '../../model/object.js';
import { PatchError } from './errors.js';
import { goSliceStable } from './go-sort.js';
import { childSchema, schemaFor, type SchemaNode } from './schema.js';
import { isObj } from './typed.js';

type Obj = Record<string, unknown>;

function requireObject(patch: unknown, what: string): Obj {
  if (!isObj(patch)) throw new PatchError(`${what} must be a JSON object, got ${describe(patch)}`, 400);
  return patch;
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

function asObject(result: unknown): KubeObject {
  if (!isObj(result) || !isObj(result['metadata'])) {
    throw new PatchError('the patched object is not a Kubernetes object (it has no metadata)', 422);
  }
  return result as KubeObject;
}

// ---- JSON merge patch ----

function mergeValue(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergeValue(out[k], v);
  }
  return out;
}

export function mergePatch(live: KubeObject, patch: unknown): KubeObject {
  return asObject(mergeValue(live, requireObject(patch, 'a merge patch')));
}

// ---- JSON patch ----

export function jsonPatch(live: KubeObject, ops: unknown): KubeObject {
  if (!Array.isArray(ops)) throw new PatchError(`a json patch must be an array of operations, got ${describe(ops)}`, 400);
  const invalid = jsonpatch.validate(ops as jsonpatch.Operation[]);
  if (invalid) throw new PatchError(firstLine(invalid.message), 400);
  try {
    return asObject(jsonpatch.applyPatch(structuredClone(live), ops as jsonpatch.Operation[], true, false).newDocument);
  } catch (err) {
    if (err instanceof PatchError) throw err;
    if (err instanceof jsonpatch.JsonPatchError) {
      const op = err.operation as { op?: string; path?: string } | undefined;
      if (err.name === 'TEST_OPERATION_FAILED') throw new PatchError(`testing value ${op?.path ?? ''} failed: test failed`);
      if (err.name === 'OPERATION_PATH_UNRESOLVABLE' || err.name === 'OPERATION_FROM_UNRESOLVABLE') {
        throw new PatchError(`jsonpatch ${op?.op ?? ''} operation does not apply: doc is missing path: "${op?.path ?? ''}": missing value`);
      }
      throw new PatchError(firstLine(err.message));
    }
    throw new PatchError(err instanceof Error ? firstLine(err.message) : String(err));
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

// ---- strategic merge patch ----

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

export function strategicMergePatch(live: KubeObject, patch: unknown): KubeObject {
  const p = requireObject(patch, 'a strategic merge patch');
  return asObject(smpMap(live, p, schemaFor(live.apiVersion, live.kind), 'body'));
}

interface ListStrategy {
  readonly merge: boolean;
  readonly key: string | undefined;
}

function listStrategy(s: SchemaNode | undefined): ListStrategy {
  const list = s?.list;
  if (!list) return { merge: false, key: undefined };
  const merge = (list.patchStrategy ?? (list.type === 'atomic' ? 'replace' : 'merge')) === 'merge';
  return { merge, key: list.patchMergeKey ?? list.keys?.[0] };
}

/** Returns undefined when the patch deletes the map. */
function smpMap(original: Obj | undefined, patch: Obj, s: SchemaNode | undefined, where: string): Obj | undefined {
  // Upstream quirks kept on purpose: a deleted map is left empty, and a directive on a map the
  // original does not have adds nothing.
  const directive = patch['$patch'];
  if (directive === 'delete') return original ? {} : undefined;
  if (directive === 'replace') return original ? (clean(patch, s, where) as Obj) : undefined;
  if (directive !== undefined && directive !== 'merge') {
    throw new PatchError(`unknown patch type: ${String(directive)} in map: ${where}`);
  }
  const out: Obj = { ...(original ?? {}) };
  const orders = new Map<string, unknown[]>();
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(SET_ORDER) && Array.isArray(value)) orders.set(key.slice(SET_ORDER.length), value);
  }
  // Deletions from primitive lists apply after the merge. (Upstream's order varies with Go's map
  // iteration when a patch both adds and deletes one value; this is its usual outcome.)
  const deletions = new Map<string, unknown[]>();
  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith(DELETE_FROM) || !Array.isArray(value)) continue;
    const field = key.slice(DELETE_FROM.length);
    const list = out[field];
    if (Array.isArray(patch[field])) deletions.set(field, value);
    else if (Array.isArray(list)) out[field] = list.filter((v) => !value.some((g) => g === v));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith(SET_ORDER) || key.startsWith(DELETE_FROM)) continue;
    const cs = childSchema(s, key);
    const at = `${where}.${key}`;
    if (value === null) delete out[key];
    else if (isObj(value)) {
      const merged = smpMap(isObj(out[key]) ? (out[key] as Obj) : undefined, value, cs, at);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else if (Array.isArray(value)) out[key] = smpList(out[key], value, cs, at, orders.get(key), deletions.get(key));
    else out[key] = value;
  }
  // An order for a list the patch leaves alone still reorders it.
  for (const [key, order] of orders) {
    const list = out[key];
    if (Array.isArray(list) && !Array.isArray(patch[key])) out[key] = smpList(list, [], childSchema(s, key), `${where}.${key}`, order);
  }
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  }
  return out;
}

function smpList(
  original: unknown,
  patch: unknown[],
  s: SchemaNode | undefined,
  where: string,
  order?: unknown[],
  deleted: unknown[] = [],
): unknown[] {
  const { merge, key } = listStrategy(s);
  const items = s?.list?.items;
  const isDirective = (p: unknown): boolean => isObj(p) && p['$patch'] !== undefined && Object.keys(p).length === 1;
  // A list the original lacks is taken from the patch without nulls or deletions.
  if (!Array.isArray(original)) {
    return patch.filter((p) => !isDirective(p) && !(isObj(p) && p['$patch'] === 'delete')).map((p) => clean(p, items, where));
  }
  // A replaced list is taken exactly as the patch has it.
  if (!merge) return structuredClone(patch);
  if (patch.some((p) => isObj(p) && p['$patch'] === 'replace' && Object.keys(p).length === 1)) {
    return structuredClone(patch.filter((p) => !isDirective(p)));
  }
  const idOf = (v: unknown): string => JSON.stringify(key !== undefined && isObj(v) ? v[key] : v);
  let merged: unknown[];
  let patchIds: string[];
  // The order the merge keeps the server's items in, and the one a `$setElementOrder` orders by.
  let serverOrder = original.map(idOf);
  let orderedBy = serverOrder;
  if (!key) {
    merged = [...original];
    for (const v of patch) if (!merged.some((o) => idOf(o) === idOf(v))) merged.push(v);
    merged = merged.filter((v) => !deleted.some((d) => d === v));
    patchIds = patch.map(idOf);
  } else {
    for (const item of patch) {
      if (!isObj(item)) throw new PatchError(`${where}: list items must be maps with the merge key "${key}", got ${describe(item)}`);
      if (item[key] === undefined) throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    }
    // Upstream deletes first (every item with the key), then merges and adds, all in the original
    // list's own storage: a deletion shifts the items after it left and leaves the last place as it
    // was, an addition fills the next free place. A `$setElementOrder` then orders the result by
    // that storage as it stands, so `backing` keeps it the same way.
    const backing = [...original];
    let length = backing.length;
    const find = (id: string): number => backing.slice(0, length).findIndex((o) => idOf(o) === id);
    const removeAt = (at: number): void => {
      backing.copyWithin(at, at + 1, length);
      length--;
    };
    for (const item of patch as Obj[]) {
      if (item['$patch'] !== 'delete') continue;
      for (let at = find(idOf(item)); at >= 0; at = find(idOf(item))) removeAt(at);
    }
    serverOrder = backing.slice(0, length).map(idOf);
    patchIds = [];
    for (const item of patch as Obj[]) {
      if (item['$patch'] === 'delete') continue;
      patchIds.push(idOf(item));
      const at = find(idOf(item));
      // A new item goes in as the patch has it, nulls and all.
      if (at < 0) {
        backing[length++] = structuredClone(item);
        continue;
      }
      const m = smpMap(backing[at] as Obj, item, items, `${where}[${key}=${JSON.stringify(item[key])}]`);
      if (m === undefined) removeAt(at);
      else backing[at] = m;
    }
    merged = backing.slice(0, length);
    orderedBy = backing.slice(0, original.length).map(idOf);
  }
  // The merge puts the list in the patch's order; a `$setElementOrder` then orders that result
  // again, by its own list. Upstream checks a non-empty order only.
  const inPatchOrder = normalizeOrder(merged, patchIds, serverOrder, idOf);
  if (!order) return inPatchOrder;
  if (order.length > 0) checkOrder(patch, order, idOf);
  return normalizeOrder(inPatchOrder, order.map(idOf), orderedBy, idOf);
}

/** The patch's items must appear in `$setElementOrder` in the same order, as upstream insists. */
function checkOrder(patch: unknown[], order: unknown[], idOf: (v: unknown) => string): void {
  const items = patch.filter((p) => !(isObj(p) && p['$patch'] !== undefined));
  let i = 0;
  for (const o of order) if (i < items.length && idOf(items[i]) === idOf(o)) i++;
  if (i < items.length) {
    throw new PatchError(`The order in patch list:\n${goValue(patch)}\n doesn't match $setElementOrder list:\n${goValue(order)}\n`);
  }
}

/** Go's %v rendering of decoded JSON, which upstream messages quote. */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isObj(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goValue(v[k])}`)
      .join(' ')}]`;
  }
  return v === null ? '<nil>' : String(v);
}

/**
 * The order a strategic merge gives a list: the items the patch names (or `$setElementOrder`
 * lists) in that order, interleaved with the other items, which go first wherever the original
 * order puts them first.
 *
 * The other items are first sorted by their place in the original with upstream's comparison, under
 * which an item the original lacks (one the patch adds without listing it in an empty
 * `$setElementOrder`) counts as less than any other: Go's stable sort then moves it forward.
 */
function normalizeOrder(merged: unknown[], wanted: string[], serverOrder: string[], idOf: (v: unknown) => string): unknown[] {
  const rank = (v: unknown): number => {
    const i = wanted.indexOf(idOf(v));
    return i < 0 ? wanted.length : i;
  };
  const serverIndex = (v: unknown): number => serverOrder.indexOf(idOf(v));
  const named = merged.filter((v) => wanted.includes(idOf(v))).sort((a, b) => rank(a) - rank(b));
  const serverOnly = goSliceStable(
    merged.filter((v) => !wanted.includes(idOf(v))),
    (a, b) => {
      const ia = serverIndex(a);
      const ib = serverIndex(b);
      return ia >= 0 && ib >= 0 ? ia < ib : true;
    },
  );
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < named.length) {
    if (j >= named.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(named[j++]);
    else {
      const si = serverIndex(serverOnly[i]);
      const ni = serverIndex(named[j]);
      out.push(si >= 0 && ni >= 0 && si < ni ? serverOnly[i++] : named[j++]);
    }
  }
  return out;
}

/** A patch value placed where nothing was: directives and nulls stripped. */
function clean(v: unknown, s: SchemaNode | undefined, where: string): unknown {
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('$') || x === null) continue;
      out[k] = clean(x, childSchema(s, k), `${where}.${k}`);
    }
    return out;
  }
  if (Array.isArray(v)) return v.map((x) => clean(x, s?.list?.items, where));
  return v;
}
