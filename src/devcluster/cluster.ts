/**
 * The API server's semantics, without HTTP: create, update, patch, apply, delete, get and list on
 * typed resources, with the metadata, defaulting, validation, finalizer and garbage-collection rules
 * of a real server. Every write, including the simulated controllers' status writes, goes through
 * `write`, so they all look alike to watchers.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../model/object.js';
import { applyStructuralSchema } from './crschema.js';
import { cloneJson, copyStored } from './clone.js';
import { applyDefaults } from './defaults.js';
import { pruneUndeclaredFields, undeclaredFields } from './fields.js';
import {
  PatchError,
  conflictCauses,
  conflictMessage,
  isSemanticNoOp,
  jsonPatch,
  mergePatch,
  recordUpdate,
  registerListSchema,
  serverSideApply,
  strategicMergePatch,
  unregisterListSchema,
  type ApplyConflict,
} from './apply/index.js';
import { apiVersionOf, typeKey, type ResourceType } from './kinds.js';
import { Registry } from './registry.js';
import {
  ApiError,
  MODIFIED,
  alreadyExists,
  badRequest,
  conflict,
  fieldError,
  forbidden,
  invalid,
  notFound,
} from './status.js';
import { Store } from './store.js';
import { validateObject } from './validation.js';

type Obj = Record<string, unknown>;

export type PatchType = 'apply' | 'merge' | 'strategic' | 'json';
export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

export interface WriteOptions {
  dryRun?: boolean;
  manager: string;
  subresource?: 'status';
  /** Strict: fields the kind does not declare are an error; otherwise they are dropped (with a warning unless Ignore). */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Collects the warnings a real server would send in Warning headers. */
  warnings?: string[];
}

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WriteResult {
  object: KubeObject;
  created: boolean;
}

export type DeleteResult = { object: KubeObject; pending: boolean };

export const NAMESPACE_FINALIZER = 'kubernetes';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const CRD_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
export const INITIAL_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

const NAMESPACES = typeKey({ group: '', plural: 'namespaces' });
const NODES = typeKey({ group: '', plural: 'nodes' });
/** The one node every simulated Pod runs on. */
export const NODE_NAME = 'devcluster';
const NODE_LABELS = {
  'kubernetes.io/arch': 'amd64',
  'kubernetes.io/hostname': NODE_NAME,
  'kubernetes.io/os': 'linux',
  'node-role.kubernetes.io/control-plane': '',
};

function nodeStatus(): Obj {
  const at = now();
  const resources = { cpu: '4', 'ephemeral-storage': '100Gi', memory: '8Gi', pods: '110' };
  return {
    addresses: [
      { type: 'InternalIP', address: '10.0.0.1' },
      { type: 'Hostname', address: NODE_NAME },
    ],
    allocatable: resources,
    capacity: resources,
    conditions: [
      { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
      { type: 'DiskPressure', status: 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
      { type: 'PIDPressure', status: 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
      { type: 'Ready', status: 'True', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    ],
    nodeInfo: {
      architecture: 'amd64',
      containerRuntimeVersion: 'containerd://2.1.0',
      kernelVersion: '6.8.0',
      kubeProxyVersion: '',
      kubeletVersion: 'v1.34.0',
      operatingSystem: 'linux',
      osImage: 'kasane devcluster',
      bootID: '',
      machineID: '',
      systemUUID: '',
    },
  };
}
const CRDS = typeKey({ group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions' });

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

let second = -1;
let secondText = '';

/** The time in RFC 3339 seconds, as metadata timestamps are written (made once per second: every write asks). */
export function now(): string {
  const s = Math.floor(Date.now() / 1000);
  if (s !== second) {
    second = s;
    secondText = new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return secondText;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return s;
}

function withoutVersion(o: KubeObject): KubeObject {
  const { resourceVersion: _rv, ...metadata } = o.metadata;
  return { ...o, metadata };
}

function ownerUids(o: KubeObject): string[] {
  const refs = o.metadata['ownerReferences'];
  return Array.isArray(refs) ? refs.filter(isObj).map((r) => String(r['uid'])) : [];
}

function finalizers(o: KubeObject): string[] {
  const f = o.metadata['finalizers'];
  return Array.isArray(f) ? f.map(String) : [];
}

function withFinalizers(o: KubeObject, list: string[]): KubeObject {
  const metadata = { ...o.metadata };
  if (list.length === 0) delete metadata['finalizers'];
  else metadata['finalizers'] = list;
  return { ...o, metadata };
}

export class Cluster {
  readonly store = new Store();
  readonly registry = new Registry();
  private clusterIpCounter = 10;
  private gcScheduled = false;
  /** uids of every stored object, kept up to date from the store's events. */
  private readonly uids = new Set<string>();
  private stopped = false;

  constructor() {
    this.store.subscribe((event) => {
      if (event.resource === CRDS) this.crdChanged(event.object, event.type === 'DELETED');
      const uid = String(event.object.metadata['uid']);
      if (event.type === 'DELETED') this.uids.delete(uid);
      else this.uids.add(uid);
      // The collector has work only when something went away, is going away, or points at an owner
      // that does not exist; other writes leave it asleep.
      const needsGc =
        event.type === 'DELETED' ||
        event.object.metadata['deletionTimestamp'] !== undefined ||
        ownerUids(event.object).some((owner) => !this.uids.has(owner));
      if (needsGc) this.scheduleGc();
    });
  }

  /** Takes in objects read back from a state file (they bypass the store's events). */
  restored(objects: { resource: string; object: KubeObject }[]): void {
    for (const { resource, object } of objects) {
      this.uids.add(String(object.metadata['uid']));
      if (resource === CRDS) this.crdChanged(object, false);
    }
    this.scheduleGc();
  }

  /** Serves what a CRD defines, and teaches the merge engine its list types. */
  crdChanged(crd: KubeObject, deleted: boolean): void {
    const previous = this.registry.all().find((t) => t.custom && `${t.plural}.${t.group}` === crd.metadata.name);
    if (previous !== undefined) unregisterListSchema(previous.group, previous.kind);
    if (deleted) {
      this.registry.forgetCrd(crd);
      return;
    }
    this.registry.defineFromCrd(crd);
    const spec = isObj(crd['spec']) ? crd['spec'] : {};
    const names = isObj(spec['names']) ? spec['names'] : {};
    const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isObj) : [];
    const storage = versions.find((v) => v['storage'] === true) ?? versions[0];
    const schema = isObj(storage?.['schema']) ? storage['schema']['openAPIV3Schema'] : undefined;
    if (typeof spec['group'] === 'string' && typeof names['kind'] === 'string') registerListSchema(spec['group'], names['kind'], schema ?? {});
  }

  /** The starting state of every cluster: the namespaces kubeadm creates. */
  seed(): void {
    const nsType = this.typeOf(NAMESPACES);
    for (const name of INITIAL_NAMESPACES) {
      if (this.store.get(NAMESPACES, undefined, name) === undefined) {
        this.create(nsType, 'v1', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { manager: 'kube-apiserver' });
      }
    }
    if (this.store.get(NODES, undefined, NODE_NAME) === undefined) {
      const nodeType = this.typeOf(NODES);
      const node = this.create(nodeType, 'v1', undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE_NAME, labels: NODE_LABELS } }, { manager: 'kubelet' }).object;
      this.write(nodeType, 'v1', this.store.get(NODES, undefined, NODE_NAME), { ...node, status: nodeStatus() }, { manager: 'kubelet', subresource: 'status' }, true);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  typeOf(key: string): ResourceType {
    const type = this.registry.byKey(key);
    if (type === undefined) throw new Error(`unknown resource ${key}`);
    return type;
  }

  /** The object as a client sees it at the requested version: a deep copy the caller may change. */
  present(type: ResourceType, version: string, o: KubeObject): KubeObject {
    const copy = cloneJson(o);
    copy.apiVersion = apiVersionOf(type.group, version);
    return copy;
  }

  /**
   * The object as a client sees it, sharing everything below the top level with the stored object:
   * for answers that are only serialized, and for code that copies what it changes. Stored objects
   * are never changed in place (a write stores a new object), so a view stays what it was.
   */
  view(type: ResourceType, version: string, o: KubeObject): KubeObject {
    return { ...o, apiVersion: apiVersionOf(type.group, version) };
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.store.get(typeKey(type), type.namespaced ? namespace : undefined, name);
    if (found === undefined) throw notFound(type, name);
    return found;
  }

  list(type: ResourceType, namespace: string | undefined): KubeObject[] {
    return this.store.list(typeKey(type), type.namespaced ? namespace : undefined);
  }

  create(type: ResourceType, version: string, namespace: string | undefined, body: unknown, opts: WriteOptions): WriteResult {
    const candidate = this.checkBody(type, version, namespace, undefined, body);
    if (!candidate.metadata.name && candidate.metadata.generateName) {
      candidate.metadata.name = `${candidate.metadata.generateName}${randomSuffix()}`;
    }
    const name = candidate.metadata.name ?? '';
    if (name !== '' && this.store.get(typeKey(type), candidate.metadata.namespace, name) !== undefined) {
      throw alreadyExists(type, name);
    }
    return { object: this.write(type, version, undefined, candidate, opts, true, true), created: true };
  }

  update(type: ResourceType, version: string, namespace: string | undefined, name: string, body: unknown, opts: WriteOptions): WriteResult {
    const candidate = this.checkBody(type, version, namespace, name, body);
    const live = this.get(type, namespace, name);
    const rv = candidate.metadata['resourceVersion'];
    if (rv !== undefined && rv !== '' && rv !== live.metadata['resourceVersion']) throw conflict(type, name, MODIFIED);
    return { object: this.write(type, version, live, candidate, opts, true, true), created: false };
  }

  patch(
    type: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    body: unknown,
    opts: WriteOptions & { force?: boolean },
  ): WriteResult {
    const live = this.store.get(typeKey(type), type.namespaced ? namespace : undefined, name);
    if (patchType === 'apply') return this.apply(type, version, namespace, name, live, body, opts);
    if (live === undefined) throw notFound(type, name);
    const current = this.present(type, version, live);
    const patched = asApiError(() =>
      patchType === 'json' ? jsonPatch(current, body) : patchType === 'merge' ? mergePatch(current, body) : strategicMergePatch(current, body),
    );
    if (!isObj(patched) || !isObj(patched.metadata)) throw badRequest('the patch produced an object without metadata');
    const rv = patched.metadata['resourceVersion'];
    if (rv !== undefined && rv !== live.metadata['resourceVersion']) throw conflict(type, name, MODIFIED);
    const candidate = this.checkBody(type, version, namespace, name, patched);
    return { object: this.write(type, version, live, candidate, opts, true, true), created: false };
  }

  /** The autoscaling/v1 Scale view of a workload's replicas. */
  getScale(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const live = this.get(type, namespace, name);
    const spec = isObj(live['spec']) ? live['spec'] : {};
    const status = isObj(live['status']) ? live['status'] : {};
    const selector = isObj(spec['selector']) && isObj(spec['selector']['matchLabels']) ? spec['selector']['matchLabels'] : {};
    const meta = live.metadata;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: meta.name, namespace: meta.namespace, uid: meta['uid'], resourceVersion: meta['resourceVersion'], creationTimestamp: meta['creationTimestamp'] },
      spec: { replicas: spec['replicas'] },
      status: {
        replicas: typeof status['replicas'] === 'number' ? status['replicas'] : 0,
        selector: Object.entries(selector).map(([k, v]) => `${k}=${String(v)}`).join(','),
      },
    };
  }

  /** Writes a Scale (given whole, or as a patch of the current one) back to spec.replicas. */
  writeScale(
    type: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    body: unknown,
    patchType: Exclude<PatchType, 'apply'> | undefined,
    opts: WriteOptions,
  ): KubeObject {
    const current = this.getScale(type, namespace, name);
    let scale: unknown = body;
    if (patchType !== undefined) {
      scale = asApiError(() =>
        patchType === 'json' ? jsonPatch(current, body) : patchType === 'merge' ? mergePatch(current, body) : strategicMergePatch(current, body),
      );
    }
    const s = isObj(scale) ? scale : {};
    const replicas = isObj(s['spec']) ? s['spec']['replicas'] : undefined;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', name, [fieldError('Invalid', 'spec.replicas', 'must be greater than or equal to 0', replicas)]);
    }
    const rv = isObj(s['metadata']) ? s['metadata']['resourceVersion'] : undefined;
    const live = this.get(type, namespace, name);
    if (rv !== undefined && rv !== '' && rv !== live.metadata['resourceVersion']) throw conflict(type, name, MODIFIED);
    const candidate = this.present(type, version, live);
    candidate['spec'] = { ...(isObj(candidate['spec']) ? candidate['spec'] : {}), replicas };
    const written = this.write(type, version, live, candidate, { ...opts, subresource: undefined }, true, true);
    if (opts.dryRun) return { ...current, spec: { replicas } };
    return this.getScale(type, written.metadata.namespace, name);
  }

  private apply(
    type: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    live: KubeObject | undefined,
    body: unknown,
    opts: WriteOptions & { force?: boolean },
  ): WriteResult {
    if (!opts.manager) {
      throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
        group: 'meta.k8s.io',
        kind: 'PatchOptions',
        causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
      });
    }
    if (isObj(body) && isObj(body['metadata']) && body['metadata']['managedFields'] !== undefined) {
      throw badRequest('metadata.managedFields must be nil');
    }
    const applied = this.checkBody(type, version, namespace, name, body);
    const apiVersion = apiVersionOf(type.group, version);
    // A resourceVersion in the applied configuration is a precondition, as on a real server: two
    // appliers that read the same version cannot both win.
    const precondition = applied.metadata['resourceVersion'];
    if (typeof precondition === 'string' && precondition !== '' && precondition !== live?.metadata['resourceVersion']) {
      throw conflict(type, name, MODIFIED);
    }
    if (!type.custom) {
      // Server-side apply types the configuration by the kind's schema: an undeclared field fails it,
      // whatever fieldValidation says (the real server answers 500 here).
      const undeclared = undeclaredFields(type.group, applied);
      if (undeclared.length > 0) {
        const problems = undeclared.map((f) => `.${f}: field not declared in schema`);
        const detail = problems.length === 1 ? problems[0] : `errors:\n  ${problems.join('\n  ')}`;
        const gvk = `${type.group}/${version}, Kind=${type.kind}`;
        throw new ApiError(500, 'InternalError', `failed to create typed patch object (${namespace ?? ''}/${name}; ${gvk}): ${detail}`);
      }
    }
    const result = asApiError(() =>
      serverSideApply({
        live: live === undefined ? undefined : this.view(type, version, live),
        applied,
        manager: opts.manager,
        force: opts.force === true,
        now: now(),
        apiVersion,
      }),
    );
    if (!result.ok) throw applyConflict(result.conflicts);
    if (live === undefined) {
      if (opts.subresource !== undefined) throw notFound(type, name);
      return { object: this.write(type, version, undefined, result.object, opts, false, true), created: true };
    }
    return { object: this.write(type, version, live, result.object, opts, false, true), created: false };
  }

  /** Parses a request body into an object of this type, checking what the URL says about it. */
  private checkBody(type: ResourceType, version: string, namespace: string | undefined, name: string | undefined, body: unknown): KubeObject {
    if (!isObj(body)) throw badRequest('the body of the request was not a Kubernetes object');
    const o = cloneJson(body) as KubeObject;
    if (!isObj(o.metadata)) o.metadata = {};
    const apiVersion = apiVersionOf(type.group, version);
    if (o.kind !== undefined && o.kind !== type.kind) {
      throw badRequest(`the kind of the provided object (${String(o.kind)}) does not match the kind of the request (${type.kind})`);
    }
    if (o.apiVersion !== undefined && o.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    o.apiVersion = apiVersion;
    o.kind = type.kind;
    if (name !== undefined) {
      if (o.metadata.name === undefined || o.metadata.name === '') o.metadata.name = name;
      else if (o.metadata.name !== name) {
        throw badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
      }
    }
    if (type.namespaced) {
      if (o.metadata.namespace === undefined || o.metadata.namespace === '') o.metadata.namespace = namespace;
      else if (namespace !== undefined && o.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      if (o.metadata.namespace === undefined) throw badRequest('a namespace is required for namespaced resources');
    } else {
      delete o.metadata.namespace;
    }
    return o;
  }

  /**
   * The one write path: keeps server-owned metadata and status, defaults, records managed fields,
   * validates, bumps generation, skips no-ops, and stores (unless dry-run).
   * `owned`: the candidate is a copy no one else holds, which the write may change and store; other
   * candidates (the controllers' spreads of stored objects) are copied first. A status write takes
   * only the candidate's status (and managedFields), so only those are copied.
   */
  write(
    type: ResourceType,
    version: string,
    live: KubeObject | undefined,
    candidate: KubeObject,
    opts: WriteOptions,
    recordManager: boolean,
    owned = false,
  ): KubeObject {
    const key = typeKey(type);
    const statusOnly = live !== undefined && opts.subresource === 'status';
    let o = owned ? candidate : statusOnly ? { ...candidate } : cloneJson(candidate);
    o.apiVersion = apiVersionOf(type.group, type.versions[0] ?? version);
    o.kind = type.kind;
    const timestamp = now();

    if (live === undefined) {
      if (type.namespaced) this.checkNamespaceWritable(o.metadata.namespace ?? '');
      if (type.status) delete o['status'];
      const meta = o.metadata;
      for (const field of ['resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink']) delete meta[field];
      meta['uid'] = randomUUID();
      meta['creationTimestamp'] = timestamp;
      if (type.generation) meta['generation'] = 1;
      else delete meta['generation'];
      if (key === CRDS) o = withFinalizers(o, [...new Set([...finalizers(o), CRD_FINALIZER])]);
      if (key === NAMESPACES) o['spec'] = { finalizers: [NAMESPACE_FINALIZER], ...(isObj(o['spec']) ? o['spec'] : {}) };
    } else {
      if (statusOnly) {
        const copy = <T>(v: T): T => (owned || v === undefined ? v : cloneJson(v));
        const status = copy(candidate['status']);
        o = copyStored(live);
        o.apiVersion = apiVersionOf(type.group, type.versions[0] ?? version);
        if (status === undefined) delete o['status'];
        else o['status'] = status;
        if (!recordManager) o.metadata['managedFields'] = copy(candidate.metadata['managedFields']);
      } else if (type.status) {
        if (live['status'] === undefined) delete o['status'];
        else o['status'] = cloneJson(live['status']);
      }
      for (const field of ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'resourceVersion']) {
        if (live.metadata[field] === undefined) delete o.metadata[field];
        else o.metadata[field] = live.metadata[field];
      }
      o.metadata.name = live.metadata.name;
      if (type.namespaced) o.metadata.namespace = live.metadata.namespace;
      if (key === NAMESPACES && opts.subresource !== 'status') o['spec'] = cloneJson(live['spec']);
      if (live.metadata['deletionTimestamp'] !== undefined) {
        const added = finalizers(o).filter((f) => !finalizers(live).includes(f));
        if (added.length > 0) {
          throw invalid(type.kind, type.group, live.metadata.name ?? '', [
            fieldError('Forbidden', 'metadata.finalizers', 'no new finalizers can be added if the object is being deleted', added),
          ]);
        }
      }
    }

    const unknown = type.custom ? applyStructuralSchema(o, type.schemas?.[version]) : pruneUndeclaredFields(type.group, o);
    if (unknown.length > 0 && opts.fieldValidation === 'Strict') {
      const fields = unknown.map((f) => `unknown field "${f}"`).join(', ');
      throw badRequest(`${type.kind} in version "${version}" cannot be handled as a ${type.kind}: strict decoding error: ${fields}`);
    }
    if (opts.fieldValidation !== 'Ignore') opts.warnings?.push(...unknown.map((f) => `unknown field "${f}"`));
    if (!type.custom) applyDefaults(type.group, o);
    if (key === typeKey({ group: '', plural: 'services' })) this.allocateClusterIp(o, live);
    if (key === typeKey({ group: '', plural: 'persistentvolumeclaims' }) && live === undefined) {
      (o['spec'] as Obj)['volumeName'] = `pvc-${String(o.metadata['uid'])}`;
    }

    if (recordManager) {
      o = recordUpdate({
        before: live === undefined ? undefined : this.view(type, version, live),
        after: o,
        manager: opts.manager,
        now: timestamp,
        apiVersion: apiVersionOf(type.group, version),
        ...(opts.subresource === undefined ? {} : { subresource: opts.subresource }),
      });
      o.apiVersion = apiVersionOf(type.group, type.versions[0] ?? version);
    }

    const errors = validateObject(type.group, o, live);
    if (errors.length > 0) throw invalid(type.kind, type.group, o.metadata.name ?? '', errors);

    if (live !== undefined && type.generation && opts.subresource !== 'status') {
      const specOf = (x: KubeObject): unknown => {
        if (!type.custom || type.status) return x['spec'];
        const { metadata: _m, status: _s, ...rest } = x;
        return rest;
      };
      const bumped = !isDeepStrictEqual(specOf(o), specOf(live));
      o.metadata['generation'] = Number(live.metadata['generation'] ?? 0) + (bumped ? 1 : 0);
    }

    if (live !== undefined && isSemanticNoOp(withoutVersion(live), withoutVersion(o))) return this.view(type, version, live);
    if (opts.dryRun) {
      return this.view(type, version, o);
    }
    const nsFinalizers = key === NAMESPACES && isObj(o['spec']) && Array.isArray(o['spec']['finalizers']) ? o['spec']['finalizers'].length : 0;
    if (live !== undefined && live.metadata['deletionTimestamp'] !== undefined && finalizers(o).length === 0 && nsFinalizers === 0) {
      return this.view(type, version, this.store.remove(key, o));
    }
    return this.view(type, version, this.store.put(key, o));
  }

  private allocateClusterIp(o: KubeObject, live: KubeObject | undefined): void {
    const spec = o['spec'] as Obj;
    if (spec['type'] === 'ExternalName') return;
    const before = live === undefined ? undefined : (live['spec'] as Obj | undefined)?.['clusterIP'];
    if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
      if (typeof before === 'string' && before !== '') spec['clusterIP'] = before;
      else {
        const used = new Set(this.store.list('/services').map((svc) => (isObj(svc['spec']) ? svc['spec']['clusterIP'] : undefined)));
        let ip: string;
        do {
          const n = this.clusterIpCounter++;
          ip = `10.96.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
        } while (used.has(ip));
        spec['clusterIP'] = ip;
      }
    }
    spec['clusterIPs'] = [spec['clusterIP']];
  }

  private checkNamespaceWritable(namespace: string): void {
    const ns = this.store.get(NAMESPACES, undefined, namespace);
    if (ns === undefined) throw notFound({ group: '', plural: 'namespaces' }, namespace);
    if (ns.metadata['deletionTimestamp'] !== undefined) {
      throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, {
        name: namespace,
        kind: 'namespaces',
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions): DeleteResult {
    const key = typeKey(type);
    const live = this.get(type, namespace, name);
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== live.metadata['uid']) {
      throw conflict(type, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(live.metadata['uid'])}`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== live.metadata['resourceVersion']) {
      throw conflict(type, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(live.metadata['resourceVersion'])}`);
    }
    if (key === NAMESPACES && PROTECTED_NAMESPACES.has(name)) throw forbidden(type, name, 'this namespace may not be deleted');
    if (opts.dryRun) return { object: live, pending: false };
    if (live.metadata['deletionTimestamp'] !== undefined) return { object: live, pending: true };

    const policy = opts.propagationPolicy ?? (key === 'batch/jobs' ? 'Orphan' : 'Background');
    let marks = finalizers(live);
    if (key === NAMESPACES) {
      const terminating = structuredClone(live);
      terminating.metadata['deletionTimestamp'] = now();
      terminating.metadata['deletionGracePeriodSeconds'] = 0;
      terminating['status'] = { ...(isObj(live['status']) ? live['status'] : {}), phase: 'Terminating' };
      return { object: this.store.put(key, terminating), pending: true };
    }
    if (policy === 'Orphan') this.orphanDependents(String(live.metadata['uid']));
    if (policy === 'Foreground' && this.dependentsOf(String(live.metadata['uid'])).length > 0) {
      marks = [...new Set([...marks, FOREGROUND_FINALIZER])];
    }
    if (marks.length > 0) {
      const deleting = withFinalizers(structuredClone(live), marks);
      deleting.metadata['deletionTimestamp'] = now();
      deleting.metadata['deletionGracePeriodSeconds'] = 0;
      return { object: this.store.put(key, deleting), pending: true };
    }
    return { object: this.store.remove(key, live), pending: false };
  }

  /** Every stored object that names `uid` as an owner, with its resource key. */
  private dependentsOf(uid: string): { resource: string; object: KubeObject }[] {
    const found: { resource: string; object: KubeObject }[] = [];
    for (const resource of this.store.resources()) {
      for (const object of this.store.ownedBy(resource, uid)) found.push({ resource, object });
    }
    return found;
  }

  private orphanDependents(uid: string): void {
    for (const { resource, object } of this.dependentsOf(uid)) {
      const refs = (object.metadata['ownerReferences'] as Obj[]).filter((r) => r['uid'] !== uid);
      const copy = structuredClone(object);
      if (refs.length === 0) delete copy.metadata['ownerReferences'];
      else copy.metadata['ownerReferences'] = refs;
      this.store.put(resource, copy);
    }
  }

  private scheduleGc(): void {
    if (this.gcScheduled || this.stopped) return;
    this.gcScheduled = true;
    setImmediate(() => {
      this.gcScheduled = false;
      if (!this.stopped) this.collectGarbage();
    });
  }

  /**
   * One pass of the garbage collector and the namespace and CRD cleanup controllers; each change
   * they make triggers another pass, until nothing is left to do.
   */
  collectGarbage(): void {
    const uids = new Set<string>();
    const all: { resource: string; object: KubeObject }[] = [];
    for (const resource of this.store.resources()) {
      for (const object of this.store.list(resource)) {
        uids.add(String(object.metadata['uid']));
        all.push({ resource, object });
      }
    }
    const foregroundOwners = new Set(
      all.filter(({ object }) => object.metadata['deletionTimestamp'] !== undefined && finalizers(object).includes(FOREGROUND_FINALIZER)).map(({ object }) => String(object.metadata['uid'])),
    );
    const deleteQuietly = (resource: string, object: KubeObject, policy: PropagationPolicy): void => {
      const type = this.registry.byKey(resource);
      if (type === undefined) return;
      try {
        this.delete(type, object.metadata.namespace, object.metadata.name ?? '', { propagationPolicy: policy });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
      }
    };

    for (const { resource, object } of all) {
      if (object.metadata['deletionTimestamp'] !== undefined) continue;
      const owners = ownerUids(object);
      if (owners.length === 0) continue;
      if (owners.every((u) => !uids.has(u))) deleteQuietly(resource, object, 'Background');
      else if (owners.some((u) => foregroundOwners.has(u))) deleteQuietly(resource, object, 'Foreground');
    }

    for (const { resource, object } of all) {
      if (object.metadata['deletionTimestamp'] === undefined) continue;
      const uid = String(object.metadata['uid']);
      if (finalizers(object).includes(FOREGROUND_FINALIZER) && this.dependentsOf(uid).length === 0) {
        this.finalize(resource, object, FOREGROUND_FINALIZER);
      } else if (resource === NAMESPACES) {
        this.cleanNamespace(object);
      } else if (resource === CRDS) {
        this.cleanCrd(object);
      }
    }
  }

  /** Removes one finalizer; the object goes away with its last one. */
  private finalize(resource: string, object: KubeObject, finalizer: string): void {
    const current = this.store.get(resource, object.metadata.namespace, object.metadata.name ?? '');
    if (current === undefined) return;
    const rest = finalizers(current).filter((f) => f !== finalizer);
    if (rest.length === 0) this.store.remove(resource, current);
    else this.store.put(resource, withFinalizers(current, rest));
  }

  private cleanNamespace(ns: KubeObject): void {
    const name = ns.metadata.name ?? '';
    let remaining = 0;
    for (const type of this.registry.all()) {
      if (!type.namespaced) continue;
      for (const object of this.store.list(typeKey(type), name)) {
        remaining++;
        if (object.metadata['deletionTimestamp'] === undefined) {
          this.delete(type, name, object.metadata.name ?? '', { propagationPolicy: 'Background' });
        }
      }
    }
    if (remaining > 0) return;
    const current = this.store.get(NAMESPACES, undefined, name);
    if (current === undefined) return;
    const spec = isObj(current['spec']) ? current['spec'] : {};
    if (Array.isArray(spec['finalizers']) && spec['finalizers'].length > 0) {
      this.store.put(NAMESPACES, { ...current, spec: { ...spec, finalizers: [] } });
      return;
    }
    if (finalizers(current).length === 0) this.store.remove(NAMESPACES, current);
  }

  private cleanCrd(crd: KubeObject): void {
    if (!finalizers(crd).includes(CRD_FINALIZER)) return;
    const spec = isObj(crd['spec']) ? crd['spec'] : {};
    const names = isObj(spec['names']) ? spec['names'] : {};
    const resource = `${String(spec['group'])}/${String(names['plural'])}`;
    const type = this.registry.byKey(resource);
    const remaining = this.store.list(resource);
    for (const object of remaining) {
      if (type !== undefined && object.metadata['deletionTimestamp'] === undefined) {
        this.delete(type, object.metadata.namespace, object.metadata.name ?? '', { propagationPolicy: 'Background' });
      }
    }
    if (this.store.list(resource).length === 0) this.finalize(CRDS, crd, CRD_FINALIZER);
  }

  /** Everything back to a fresh cluster; the resourceVersion counter keeps rising. */
  reset(): void {
    this.store.clear();
    this.uids.clear();
    this.registry.clearCustom();
    this.seed();
  }
}

/** The merge engine's PatchError as the Status a real server answers with. */
function asApiError<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof PatchError) {
      if (err.code === 400) throw badRequest(err.message);
      throw err.code === 500 ? new ApiError(500, 'InternalError', err.message) : new ApiError(422, 'Invalid', err.message);
    }
    throw err;
  }
}

function applyConflict(conflicts: ApplyConflict[]): ApiError {
  return new ApiError(409, 'Conflict', conflictMessage(conflicts), { causes: conflictCauses(conflicts) });
}
