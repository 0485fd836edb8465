/**
 * The three classic patch types: strategic merge patch (lists merged by their patchMergeKey,
 * `$patch`, `$retainKeys`, `$setElementOrder`, `$deleteFromPrimitiveList`), JSON merge patch
 * (RFC 7386) and JSON patch (RFC 6902).
 */
import jsonpatch from 'fast-json-patch';
import type { KubeObject } from '../../model/object.js';
import { PatchError } from './errors.js';
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
  const directive = patch['$patch'];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return clean(patch, s, where) as Obj;
  if (directive !== undefined && directive !== 'merge') {
    throw new PatchError(`unknown patch type: ${String(directive)} in map: ${where}`);
  }
  const out: Obj = { ...(original ?? {}) };
  const orders = new Map<string, unknown[]>();
  const deletions = new Map<string, unknown[]>();
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith(SET_ORDER)) {
      if (Array.isArray(value)) orders.set(key.slice(SET_ORDER.length), value);
      continue;
    }
    if (key.startsWith(DELETE_FROM)) {
      if (Array.isArray(value)) deletions.set(key.slice(DELETE_FROM.length), value);
      continue;
    }
    const cs = childSchema(s, key);
    const at = `${where}.${key}`;
    if (value === null) delete out[key];
    else if (isObj(value)) {
      const merged = smpMap(isObj(out[key]) ? (out[key] as Obj) : undefined, value, cs, at);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else if (Array.isArray(value)) out[key] = smpList(out[key], value, cs, at);
    else out[key] = value;
  }
  for (const [key, gone] of deletions) {
    const list = out[key];
    if (Array.isArray(list)) out[key] = list.filter((v) => !gone.some((g) => g === v));
  }
  for (const [key, order] of orders) {
    const list = out[key];
    if (Array.isArray(list)) out[key] = applyOrder(list, order, listStrategy(childSchema(s, key)).key);
  }
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  }
  return out;
}

function smpList(original: unknown, patch: unknown[], s: SchemaNode | undefined, where: string): unknown[] {
  const { merge, key } = listStrategy(s);
  const items = s?.list?.items;
  const replaceAll = patch.some((p) => isObj(p) && p['$patch'] === 'replace' && Object.keys(p).length === 1);
  if (!merge || !Array.isArray(original) || replaceAll) {
    return patch.filter((p) => !(isObj(p) && p['$patch'] !== undefined && Object.keys(p).length === 1)).map((p) => clean(p, items, where));
  }
  if (!key) {
    const out = [...original];
    for (const v of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(v))) out.push(v);
    return out;
  }
  const out = [...original];
  for (const item of patch) {
    if (!isObj(item)) throw new PatchError(`${where}: list items must be maps with the merge key "${key}", got ${describe(item)}`);
    const id = item[key];
    if (id === undefined) throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    const at = out.findIndex((o) => isObj(o) && o[key] === id);
    if (item['$patch'] === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    const merged = smpMap(at >= 0 ? (out[at] as Obj) : undefined, item, items, `${where}[${key}=${JSON.stringify(id)}]`);
    if (at >= 0) {
      if (merged === undefined) out.splice(at, 1);
      else out[at] = merged;
    } else if (merged !== undefined) out.push(merged);
  }
  return out;
}

/** Reorders the items `order` names among the slots they occupy; other items stay where they are. */
function applyOrder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const idOf = (v: unknown): string => JSON.stringify(key !== undefined && isObj(v) ? v[key] : v);
  const rank = new Map(order.map((o, i) => [idOf(o), i]));
  const slots = list.map((v, i) => [i, rank.get(idOf(v))] as const).filter(([, r]) => r !== undefined);
  const sorted = slots.map(([i]) => list[i]).sort((a, b) => rank.get(idOf(a))! - rank.get(idOf(b))!);
  const out = [...list];
  slots.forEach(([i], n) => (out[i] = sorted[n]));
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
