/**
 * Deep copies of JSON data (request bodies, stored objects). A plain walk copies such data several
 * times faster than structuredClone, which serializes and deserializes; anything that is not plain
 * data (a Buffer, a Date) still goes through structuredClone.
 */
import type { KubeObject } from '../model/object.js';

export function cloneJson<T>(value: T): T {
  return copy(value) as T;
}

function copy(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copy(v[i]);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) set(out, k, copy((v as Record<string, unknown>)[k]));
  return out;
}

/** `out[k] = value`, also for a key named __proto__ (JSON.parse makes it an own property). */
function set(out: Record<string, unknown>, k: string, value: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  else out[k] = value;
}

/**
 * A deep copy of a stored object that shares its managedFields entries: they are never changed in
 * place, and reading back the very fieldsV1 the apply engine wrote lets it reuse their encodings.
 */
export function copyStored(o: KubeObject): KubeObject {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    if (k !== 'metadata') {
      set(out, k, copy((o as Record<string, unknown>)[k]));
      continue;
    }
    const metadata: Record<string, unknown> = {};
    for (const m of Object.keys(o.metadata)) set(metadata, m, m === 'managedFields' ? o.metadata[m] : copy(o.metadata[m]));
    out['metadata'] = metadata;
  }
  return out as KubeObject;
}
