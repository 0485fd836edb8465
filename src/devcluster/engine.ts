/**
 * The merge engine as the server uses it. Temporary: simple merges until the real engine in
 * apply/ lands; the signatures are the engine's.
 */
import jsonpatch from 'fast-json-patch';
import type { KubeObject } from '../model/object.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class PatchError extends Error {
  override readonly name = 'PatchError';
}

function merge(live: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Obj = isObj(live) ? structuredClone(live) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

export function mergePatch(live: KubeObject, patch: unknown): KubeObject {
  if (!isObj(patch)) throw new PatchError('merge patch must be a JSON object');
  return merge(live, patch) as KubeObject;
}

export function strategicMergePatch(live: KubeObject, patch: unknown): KubeObject {
  return mergePatch(live, patch);
}

export function jsonPatch(live: KubeObject, ops: unknown): KubeObject {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations');
  try {
    return jsonpatch.applyPatch(structuredClone(live), ops as jsonpatch.Operation[], true, false).newDocument;
  } catch (err) {
    throw new PatchError(err instanceof Error ? err.message : String(err));
  }
}

function upsertManager(obj: KubeObject, entry: Obj): KubeObject {
  const existing = Array.isArray(obj.metadata['managedFields']) ? (obj.metadata['managedFields'] as Obj[]) : [];
  const others = existing.filter((e) => !(e['manager'] === entry['manager'] && e['operation'] === entry['operation'] && e['subresource'] === entry['subresource']));
  return { ...obj, metadata: { ...obj.metadata, managedFields: [...others, entry] } };
}

export function serverSideApply(input: {
  live: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  now: string;
  apiVersion: string;
}): { ok: true; object: KubeObject } | { ok: false; conflicts: { manager: string; apiVersion: string; field: string }[] } {
  const merged = input.live === undefined ? structuredClone(input.applied) : (merge(input.live, input.applied) as KubeObject);
  const object = upsertManager(merged, {
    manager: input.manager,
    operation: 'Apply',
    apiVersion: input.apiVersion,
    time: input.now,
    fieldsType: 'FieldsV1',
    fieldsV1: {},
  });
  return { ok: true, object };
}

export function recordUpdate(input: {
  before: KubeObject | undefined;
  after: KubeObject;
  manager: string;
  now: string;
  apiVersion: string;
  subresource?: 'status';
}): KubeObject {
  const entry: Obj = {
    manager: input.manager,
    operation: 'Update',
    apiVersion: input.apiVersion,
    time: input.now,
    fieldsType: 'FieldsV1',
    fieldsV1: {},
  };
  if (input.subresource !== undefined) entry['subresource'] = input.subresource;
  return upsertManager(input.after, entry);
}
