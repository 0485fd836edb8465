/**
 * Proving "unchanged" without asking the server: a live object whose fields owned by kasane's
 * server-side apply (its managedFields entry) hold exactly the desired values, and no more fields,
 * would be left as it is by applying the desired object again. Reading the owned fields out of the
 * live object (not out of what kasane sent last time) means any change made since, by anyone, shows.
 *
 * Only a sufficient test: when in doubt (another shape of fieldsV1, a list element that matches no or
 * several live elements, a kasane Update entry) it answers false, and the caller asks the server with a
 * dry run. It must never answer true for an object an apply would change.
 */
import type { KubeObject } from '../model/object.js';

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

const UNPROVABLE = Symbol('unprovable');
type Projected = unknown | typeof UNPROVABLE;

/** Whether applying `desired` with field manager `manager` would leave `live` exactly as it is. */
export function provablyUnchanged(desired: KubeObject, live: KubeObject, manager: string): boolean {
  if (desired.apiVersion !== live.apiVersion || desired.kind !== live.kind) return false;
  const entries = (Array.isArray(live.metadata.managedFields) ? live.metadata.managedFields : []) as ManagedFieldsEntry[];
  const mine = entries.filter((e) => e.manager === manager && (e.subresource ?? '') === '');
  const entry = mine[0];
  if (mine.length !== 1 || entry === undefined || entry.operation !== 'Apply' || entry.apiVersion !== desired.apiVersion) return false;
  if (entry.fieldsType !== 'FieldsV1' || !isPlainObject(entry.fieldsV1)) return false;
  const owned = project(live as unknown as Record<string, unknown>, entry.fieldsV1);
  if (owned === UNPROVABLE) return false;
  return deepEqual(owned, withoutIdentity(desired));
}

/** apiVersion, kind, metadata.name and metadata.namespace identify the object; managedFields never list them. */
function withoutIdentity(obj: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata, ...rest } = obj as unknown as Record<string, unknown> & { metadata: Record<string, unknown> };
  const { name: _n, namespace: _ns, ...meta } = metadata;
  return Object.keys(meta).length > 0 ? { ...rest, metadata: meta } : rest;
}

/** The parts of `value` that the field set names, in the shape of `value`. */
function project(value: unknown, fields: Record<string, unknown>): Projected {
  const keys = Object.keys(fields).filter((k) => k !== '.');
  // A leaf: the whole value is owned (a scalar, an atomic list or map, or an empty map such as emptyDir: {}).
  if (keys.length === 0) return value;
  if (keys.every((k) => k.startsWith('f:'))) {
    if (!isPlainObject(value)) return UNPROVABLE;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const name = key.slice(2);
      // An owned field gone from the live object: an apply would at least change the ownership.
      if (!Object.prototype.hasOwnProperty.call(value, name)) return UNPROVABLE;
      const sub = fields[key];
      if (!isPlainObject(sub)) return UNPROVABLE;
      const projected = project(value[name], sub);
      if (projected === UNPROVABLE) return UNPROVABLE;
      out[name] = projected;
    }
    return out;
  }
  if (keys.every((k) => k.startsWith('k:') || k.startsWith('v:'))) {
    if (!Array.isArray(value)) return UNPROVABLE;
    const picked: { index: number; value: unknown }[] = [];
    const used = new Set<number>();
    for (const key of keys) {
      let wanted: unknown;
      try {
        wanted = JSON.parse(key.slice(2));
      } catch {
        return UNPROVABLE;
      }
      const matches = value.flatMap((element, index) =>
        (key.startsWith('k:') ? isPlainObject(wanted) && isPlainObject(element) && Object.entries(wanted).every(([k, v]) => deepEqual(element[k], v)) : deepEqual(element, wanted)) ? [index] : [],
      );
      const index = matches[0];
      if (matches.length !== 1 || index === undefined || used.has(index)) return UNPROVABLE;
      used.add(index);
      const sub = fields[key];
      if (!isPlainObject(sub)) return UNPROVABLE;
      const projected = key.startsWith('v:') ? value[index] : project(value[index], sub);
      if (projected === UNPROVABLE) return UNPROVABLE;
      picked.push({ index, value: projected });
    }
    return picked.sort((a, b) => a.index - b.index).map((p) => p.value);
  }
  // i:N (positional) keys or a mix: not worth proving.
  return UNPROVABLE;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}
