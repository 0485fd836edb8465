/**
 * How the merge engine sees an object's shape: which lists merge by key, which are sets, which
 * values are replaced as a whole. Built-in kinds are a table (from the upstream OpenAPI
 * x-kubernetes-list-type / x-kubernetes-list-map-keys / structType markers); custom resources
 * register theirs from the CRD's openAPIV3Schema. Anything not described is "deduced": maps merge
 * field by field, lists are atomic — the same default the real server uses.
 */
import { groupOf } from '../../model/object.js';

export interface SchemaNode {
  /** Named fields of a struct. */
  readonly fields?: Readonly<Record<string, SchemaNode>>;
  /** Values of a map whose keys are data (additionalProperties); such entries own themselves. */
  readonly values?: SchemaNode;
  /** Replaced and owned as one field (structType/mapType atomic). */
  readonly atomic?: boolean;
  readonly list?: ListSchema;
}

export interface ListSchema {
  readonly type: 'atomic' | 'set' | 'map';
  /** For `map` lists: the fields that identify an item. */
  readonly keys?: readonly string[];
  /** Values a missing key field takes for keying (container port protocol → TCP). */
  readonly keyDefaults?: Readonly<Record<string, unknown>>;
  readonly items?: SchemaNode;
  /** Strategic merge patch: how this list merges (defaults: map/set → merge, atomic → replace). */
  readonly patchStrategy?: 'merge' | 'replace';
  /** Strategic merge patch key (defaults to the first SSA key). */
  readonly patchMergeKey?: string;
}

// ---- builders, so the table below reads as data ----

const struct = (fields: Record<string, SchemaNode>): SchemaNode => ({ fields });
const ATOMIC: SchemaNode = { atomic: true };
const listMap = (keys: string[], items?: SchemaNode, extra: Partial<ListSchema> = {}): SchemaNode => ({
  list: { type: 'map', keys, ...(items ? { items } : {}), ...extra },
});
const SET: SchemaNode = { list: { type: 'set' } };
/** Atomic for apply, merged by `type` for strategic merge patch (e.g. Job conditions). */
const conditionsAtomicSmp: SchemaNode = { list: { type: 'atomic', patchStrategy: 'merge', patchMergeKey: 'type' } };
const conditions = listMap(['type']);

const objectMeta = struct({
  ownerReferences: listMap(['uid']),
  finalizers: SET,
  managedFields: { list: { type: 'atomic' } },
});

const volumeMounts = listMap(['mountPath']);
const container = struct({
  ports: listMap(['containerPort', 'protocol'], undefined, {
    keyDefaults: { protocol: 'TCP' },
    patchMergeKey: 'containerPort',
  }),
  env: listMap(['name']),
  volumeMounts,
  volumeDevices: listMap(['devicePath']),
  resources: struct({ claims: listMap(['name']) }),
});

const podSpec = struct({
  containers: listMap(['name'], container),
  initContainers: listMap(['name'], container),
  ephemeralContainers: listMap(['name'], container),
  volumes: listMap(['name']),
  imagePullSecrets: listMap(['name']),
  hostAliases: listMap(['ip']),
  topologySpreadConstraints: listMap(['topologyKey', 'whenUnsatisfiable'], undefined, { patchMergeKey: 'topologyKey' }),
  resourceClaims: listMap(['name']),
  schedulingGates: listMap(['name']),
});

const podTemplate = struct({ metadata: objectMeta, spec: podSpec });
const withStatusConditions = struct({ conditions });

const workload = (extra: Record<string, SchemaNode> = {}): SchemaNode =>
  struct({
    metadata: objectMeta,
    spec: struct({ selector: ATOMIC, template: podTemplate, ...extra }),
    status: withStatusConditions,
  });

const jobSpec = struct({ selector: ATOMIC, template: podTemplate });

const BUILTIN: Record<string, SchemaNode> = {
  '/Pod': struct({
    metadata: objectMeta,
    spec: podSpec,
    status: struct({ conditions, podIPs: listMap(['ip']), hostIPs: listMap(['ip']) }),
  }),
  '/PodTemplate': struct({ metadata: objectMeta, template: podTemplate }),
  '/ReplicationController': struct({
    metadata: objectMeta,
    spec: struct({ template: podTemplate }),
    status: withStatusConditions,
  }),
  '/Service': struct({
    metadata: objectMeta,
    spec: struct({
      ports: listMap(['port', 'protocol'], undefined, { keyDefaults: { protocol: 'TCP' }, patchMergeKey: 'port' }),
      selector: ATOMIC,
    }),
    status: withStatusConditions,
  }),
  '/Namespace': struct({ metadata: objectMeta, status: withStatusConditions }),
  '/PersistentVolumeClaim': struct({
    metadata: objectMeta,
    spec: struct({ selector: ATOMIC }),
    status: withStatusConditions,
  }),
  '/ServiceAccount': struct({ metadata: objectMeta, secrets: listMap(['name']) }),
  'apps/Deployment': workload(),
  'apps/ReplicaSet': workload(),
  'apps/DaemonSet': workload(),
  'apps/StatefulSet': workload(),
  'batch/Job': struct({ metadata: objectMeta, spec: jobSpec, status: struct({ conditions: conditionsAtomicSmp }) }),
  'batch/CronJob': struct({
    metadata: objectMeta,
    spec: struct({ jobTemplate: struct({ metadata: objectMeta, spec: jobSpec }) }),
  }),
  'policy/PodDisruptionBudget': struct({
    metadata: objectMeta,
    spec: struct({ selector: ATOMIC }),
    status: withStatusConditions,
  }),
  'autoscaling/HorizontalPodAutoscaler': struct({ metadata: objectMeta, status: withStatusConditions }),
  'networking.k8s.io/NetworkPolicy': struct({ metadata: objectMeta, spec: struct({ podSelector: ATOMIC }) }),
  'apiextensions.k8s.io/CustomResourceDefinition': struct({ metadata: objectMeta, status: withStatusConditions }),
};

const FALLBACK: SchemaNode = struct({ metadata: objectMeta });

const registered = new Map<string, SchemaNode>();

/** The schema the engine uses for an object of this apiVersion and kind. */
export function schemaFor(apiVersion: string, kind: string): SchemaNode {
  const key = `${groupOf(apiVersion)}/${kind}`;
  return registered.get(key) ?? BUILTIN[key] ?? FALLBACK;
}

/**
 * Makes the engine merge a custom resource the way its CRD says: `openAPIV3Schema` is the
 * schema of one version (the storage version) of the CRD. Lists without
 * `x-kubernetes-list-type` are atomic, as on a real server.
 */
export function registerListSchema(group: string, kind: string, openAPIV3Schema: unknown): void {
  const node = fromOpenAPI(openAPIV3Schema) ?? {};
  registered.set(`${group}/${kind}`, { ...node, fields: { ...node.fields, metadata: objectMeta } });
}

/** Forgets a custom resource's schema (its CRD was deleted). */
export function unregisterListSchema(group: string, kind: string): void {
  registered.delete(`${group}/${kind}`);
}

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fromOpenAPI(s: unknown): SchemaNode | undefined {
  if (!isJson(s)) return undefined;
  if (s['x-kubernetes-int-or-string'] === true) return undefined;
  if (s['type'] === 'array') {
    const type = s['x-kubernetes-list-type'];
    const items = fromOpenAPI(s['items']);
    const listType = type === 'map' || type === 'set' ? type : 'atomic';
    const keys = Array.isArray(s['x-kubernetes-list-map-keys']) ? (s['x-kubernetes-list-map-keys'] as string[]) : undefined;
    const keyDefaults: Json = {};
    const itemProps = isJson(s['items']) && isJson(s['items']['properties']) ? s['items']['properties'] : {};
    for (const k of keys ?? []) {
      const prop = itemProps[k];
      if (isJson(prop) && prop['default'] !== undefined) keyDefaults[k] = prop['default'];
    }
    return {
      list: {
        type: listType,
        ...(keys ? { keys } : {}),
        ...(Object.keys(keyDefaults).length ? { keyDefaults } : {}),
        ...(items ? { items } : {}),
      },
    };
  }
  const atomic = s['x-kubernetes-map-type'] === 'atomic';
  const fields: Record<string, SchemaNode> = {};
  if (isJson(s['properties'])) {
    for (const [name, prop] of Object.entries(s['properties'])) fields[name] = fromOpenAPI(prop) ?? {};
  }
  if (s['x-kubernetes-embedded-resource'] === true) fields['metadata'] = objectMeta;
  const values = fromOpenAPI(s['additionalProperties']);
  return {
    ...(Object.keys(fields).length ? { fields } : {}),
    ...(values ? { values } : isJson(s['additionalProperties']) ? { values: {} } : {}),
    ...(atomic ? { atomic } : {}),
  };
}

/** The schema of a named field or map value below `node` (undefined: deduced). */
export function childSchema(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  return node?.fields?.[key] ?? node?.values;
}

/** Whether `key` is an entry of a data map (it then owns itself, `.`), not a named field. */
export function isMapEntry(node: SchemaNode | undefined, key: string): boolean {
  return node?.values !== undefined && node.fields?.[key] === undefined;
}

/**
 * Go zero values the real server starts a create from: fields of non-pointer structs exist
 * before the first write, so creating an object does not own them as nodes of their own.
 */
const ZERO_PATHS: Record<string, string[][]> = {
  '/Pod': [['spec'], ['status']],
  '/Service': [['spec'], ['status', 'loadBalancer']],
  '/Namespace': [['spec'], ['status']],
  '/PersistentVolumeClaim': [['spec'], ['status']],
  'apps/Deployment': [['spec', 'template', 'metadata'], ['spec', 'template', 'spec'], ['spec', 'strategy'], ['status']],
  'apps/ReplicaSet': [['spec', 'template', 'metadata'], ['spec', 'template', 'spec'], ['status']],
  'apps/DaemonSet': [['spec', 'template', 'metadata'], ['spec', 'template', 'spec'], ['spec', 'updateStrategy'], ['status']],
  'apps/StatefulSet': [['spec', 'template', 'metadata'], ['spec', 'template', 'spec'], ['spec', 'updateStrategy'], ['status']],
  'batch/Job': [['spec', 'template', 'metadata'], ['spec', 'template', 'spec'], ['status']],
  'batch/CronJob': [['spec', 'jobTemplate', 'spec', 'template', 'metadata'], ['spec', 'jobTemplate', 'spec', 'template', 'spec'], ['status']],
};

/**
 * `obj` as the real server's typed decoding sees it: zero-valued structs present where the object
 * leaves them out. Comparisons use this so a first write below such a struct does not own it.
 */
export function withZeroValues(obj: Json, apiVersion: string, kind: string): Json {
  return underlay(obj, zeroObject(apiVersion, kind)) as Json;
}

function underlay(value: unknown, zero: unknown): unknown {
  if (value === undefined) return zero;
  if (!isJson(value) || !isJson(zero)) return value;
  const out: Json = { ...value };
  for (const [k, z] of Object.entries(zero)) out[k] = underlay(out[k], z);
  return out;
}

/** The empty object a create is compared against. */
export function zeroObject(apiVersion: string, kind: string): Json {
  const zero: Json = { metadata: {} };
  for (const path of ZERO_PATHS[`${groupOf(apiVersion)}/${kind}`] ?? []) {
    let at = zero;
    for (const seg of path) {
      if (!isJson(at[seg])) at[seg] = {};
      at = at[seg] as Json;
    }
    // A pod spec's containers list has no omitempty: it starts out as null.
    if (path[path.length - 1] === 'spec' && path.length > 1) at['containers'] = null;
  }
  if (groupOf(apiVersion) === '' && kind === 'Pod' && isJson(zero['spec'])) zero['spec']['containers'] = null;
  return zero;
}
