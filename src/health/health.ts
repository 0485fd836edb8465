import { groupOf, type KubeObject } from '../model/object.js';

export type HealthStatus = 'Healthy' | 'Progressing' | 'Failed';

export interface Health {
  readonly status: HealthStatus;
  readonly message: string;
}

type Rule = (obj: KubeObject) => Health;

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/**
 * Health of a live object, computed from its own status alone: a table of rules keyed by
 * `group/Kind`; kinds without a rule are healthy once the API server accepted them.
 */
const RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['apps/Deployment', deploymentHealth],
  ['apps/StatefulSet', statefulSetHealth],
  ['apps/DaemonSet', daemonSetHealth],
  ['apps/ReplicaSet', replicaSetHealth],
  ['batch/Job', jobHealth],
  ['/PersistentVolumeClaim', pvcHealth],
  ['/Pod', podHealth],
  ['apiextensions.k8s.io/CustomResourceDefinition', crdHealth],
]);

/** Whether a kind's health depends on its status (otherwise it is healthy as soon as it exists). */
export function hasHealthRule(apiVersion: string, kind: string): boolean {
  return RULES.has(`${groupOf(apiVersion)}/${kind}`);
}

export function health(obj: KubeObject): Health {
  const rule = RULES.get(`${groupOf(obj.apiVersion)}/${obj.kind}`);
  if (obj.metadata['deletionTimestamp'] !== undefined) return progressing('being deleted');
  return rule ? rule(obj) : healthy('applied');
}

/** Whether the object's controller has seen its latest spec; if not, its status says nothing yet. */
function stale(obj: KubeObject): Health | undefined {
  const generation = num(obj.metadata['generation']);
  const observed = num(field(obj, 'status', 'observedGeneration'));
  if (generation !== undefined && (observed === undefined || observed < generation)) {
    return progressing(`waiting for the controller to observe generation ${generation}`);
  }
  return undefined;
}

function deploymentHealth(obj: KubeObject): Health {
  const waiting = stale(obj);
  if (waiting) return waiting;
  const progressingCondition = conditions(obj).find((c) => c.type === 'Progressing');
  if (progressingCondition?.reason === 'ProgressDeadlineExceeded') {
    return failed(`progress deadline exceeded: ${progressingCondition.message ?? 'the rollout is stuck'}`);
  }
  const desired = num(field(obj, 'spec', 'replicas')) ?? 1;
  const counts = replicaCounts(obj);
  return (
    lessThan('updated', counts.updated, desired) ??
    lessThan('ready', counts.ready, desired) ??
    lessThan('available', counts.available, desired) ??
    terminating(counts.total, desired) ??
    healthy(`rolled out: ${desired} of ${desired} replicas available`)
  );
}

function statefulSetHealth(obj: KubeObject): Health {
  const waiting = stale(obj);
  if (waiting) return waiting;
  const desired = num(field(obj, 'spec', 'replicas')) ?? 1;
  const counts = replicaCounts(obj);
  if (field(obj, 'spec', 'updateStrategy', 'type') === 'OnDelete') {
    return lessThan('ready', counts.ready, desired) ?? healthy('ready (OnDelete update strategy)');
  }
  const partition = num(field(obj, 'spec', 'updateStrategy', 'rollingUpdate', 'partition')) ?? 0;
  const updateRevision = field(obj, 'status', 'updateRevision');
  const currentRevision = field(obj, 'status', 'currentRevision');
  return (
    lessThan('ready', counts.ready, desired) ??
    lessThan('updated', counts.updated, desired - partition) ??
    terminating(counts.total, desired) ??
    (partition === 0 && updateRevision !== undefined && currentRevision !== undefined && updateRevision !== currentRevision
      ? progressing(`waiting for revision ${String(updateRevision)} to become current`)
      : undefined) ??
    healthy(`rolled out: ${desired} of ${desired} replicas ready`)
  );
}

function daemonSetHealth(obj: KubeObject): Health {
  const waiting = stale(obj);
  if (waiting) return waiting;
  const desired = num(field(obj, 'status', 'desiredNumberScheduled'));
  if (desired === undefined) return progressing('waiting for the controller to schedule pods');
  return (
    lessThan('scheduled', num(field(obj, 'status', 'currentNumberScheduled')) ?? 0, desired) ??
    lessThan('updated', num(field(obj, 'status', 'updatedNumberScheduled')) ?? 0, desired) ??
    lessThan('ready', num(field(obj, 'status', 'numberReady')) ?? 0, desired) ??
    lessThan('available', num(field(obj, 'status', 'numberAvailable')) ?? 0, desired) ??
    healthy(`rolled out: ${desired} of ${desired} pods available`)
  );
}

function replicaSetHealth(obj: KubeObject): Health {
  const waiting = stale(obj);
  if (waiting) return waiting;
  const desired = num(field(obj, 'spec', 'replicas')) ?? 1;
  const counts = replicaCounts(obj);
  return (
    lessThan('ready', counts.ready, desired) ??
    lessThan('available', counts.available, desired) ??
    healthy(`${desired} of ${desired} replicas available`)
  );
}

function jobHealth(obj: KubeObject): Health {
  const all = conditions(obj);
  const done = all.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (done?.type === 'Complete') return healthy('completed');
  if (done?.type === 'Failed') {
    return failed(`failed${done.reason ? ` (${done.reason})` : ''}${done.message ? `: ${done.message}` : ''}`);
  }
  const active = num(field(obj, 'status', 'active')) ?? 0;
  return progressing(active > 0 ? `running (${active} active)` : 'waiting to start');
}

function pvcHealth(obj: KubeObject): Health {
  const phase = field(obj, 'status', 'phase');
  if (phase === 'Bound') return healthy('bound');
  if (phase === 'Lost') return failed('the bound volume was lost');
  return progressing(`waiting to be bound (phase ${typeof phase === 'string' ? phase : 'unknown'})`);
}

function podHealth(obj: KubeObject): Health {
  const phase = field(obj, 'status', 'phase');
  if (phase === 'Succeeded') return healthy('completed');
  if (phase === 'Failed') return failed(`failed: ${String(field(obj, 'status', 'message') ?? field(obj, 'status', 'reason') ?? 'pod failed')}`);
  const ready = conditions(obj).find((c) => c.type === 'Ready');
  if (phase === 'Running' && ready?.status === 'True') return healthy('running and ready');
  return progressing(`phase ${typeof phase === 'string' ? phase : 'unknown'}, not ready`);
}

function crdHealth(obj: KubeObject): Health {
  const all = conditions(obj);
  if (all.length === 0) return healthy('applied');
  const established = all.find((c) => c.type === 'Established');
  if (established?.status === 'True') return healthy('established');
  const conflict = all.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
  if (conflict) return failed(`names not accepted: ${conflict.message ?? conflict.reason ?? ''}`);
  return progressing('waiting to be established');
}

function replicaCounts(obj: KubeObject): { total: number; updated: number; ready: number; available: number } {
  return {
    total: num(field(obj, 'status', 'replicas')) ?? 0,
    updated: num(field(obj, 'status', 'updatedReplicas')) ?? 0,
    ready: num(field(obj, 'status', 'readyReplicas')) ?? 0,
    available: num(field(obj, 'status', 'availableReplicas')) ?? 0,
  };
}

function lessThan(what: string, have: number, want: number): Health | undefined {
  return have < want ? progressing(`${have} of ${want} replicas ${what}`) : undefined;
}

function terminating(total: number, desired: number): Health | undefined {
  return total > desired ? progressing(`${total - desired} old replicas terminating`) : undefined;
}

function conditions(obj: KubeObject): Condition[] {
  const list = field(obj, 'status', 'conditions');
  return Array.isArray(list) ? (list as Condition[]) : [];
}

function field(obj: KubeObject, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

const healthy = (message: string): Health => ({ status: 'Healthy', message });
const progressing = (message: string): Health => ({ status: 'Progressing', message });
const failed = (message: string): Health => ({ status: 'Failed', message });
