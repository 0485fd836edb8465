/**
 * What a diff compares: an object without what only the API server writes, so bookkeeping is never
 * reported as a change. Server defaults are not removed here: the cluster diff compares the live
 * object with a server-side dry run of the apply, and both carry the same defaults.
 */
import type { KubeObject } from '../model/object.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Metadata the server maintains; deletionTimestamp and finalizers stay: they mean something. */
const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'selfLink'] as const;

/** Where a kind keeps its pod spec, for the deprecated fields the server mirrors there. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Deprecated pod spec fields the server fills from their successors: [deprecated, successor]. */
const MIRRORED_POD_FIELDS: readonly (readonly [string, string])[] = [['serviceAccount', 'serviceAccountName']];

type Json = Record<string, unknown>;

function isMap(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function at(obj: Json, path: readonly string[]): Json | undefined {
  let node: unknown = obj;
  for (const key of path) {
    if (!isMap(node)) return undefined;
    node = node[key];
  }
  return isMap(node) ? node : undefined;
}

/** A deep copy of obj without server-written fields, status, and kubectl's last-applied annotation. */
export function normalize(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj) as KubeObject & Json;
  delete copy['status'];
  const meta = copy.metadata ?? {};
  for (const field of SERVER_METADATA) delete meta[field];
  if (meta.annotations) {
    delete meta.annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  if (meta.labels && Object.keys(meta.labels).length === 0) delete meta.labels;
  copy.metadata = meta;

  const podPath = POD_SPEC_PATHS[copy.kind];
  const podSpec = podPath ? at(copy, podPath) : undefined;
  if (podSpec) {
    for (const [deprecated, successor] of MIRRORED_POD_FIELDS) {
      if (podSpec[deprecated] !== undefined && podSpec[deprecated] === podSpec[successor]) delete podSpec[deprecated];
    }
  }
  return copy;
}

/** Key-order-independent JSON, for equality of normalized objects. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isMap(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}
