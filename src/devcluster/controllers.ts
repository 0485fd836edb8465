/**
 * Simulated controllers: workloads roll out, Jobs run a Pod and finish as configured, Pods start,
 * claims bind, CRDs become established. They write status through the same path as a `/status`
 * request, as kube-controller-manager would.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../model/object.js';
import { NODE_NAME, now, randomSuffix, type Cluster } from './cluster.js';
import { jobRuleFor, type DevclusterConfig } from './config.js';
import { typeKey } from './kinds.js';
import { ApiError } from './status.js';
import type { StoreEvent } from './store.js';

type Obj = Record<string, unknown>;

const MANAGER = 'kube-controller-manager';
const DEFAULT_ROLLOUT_MS = 200;
const DEFAULT_JOB_MS = 300;

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

function condition(type: string, reason: string, message: string, at: string): Obj {
  return { type, status: 'True', lastProbeTime: at, lastTransitionTime: at, reason, message };
}

type Handler = (event: StoreEvent) => void;

export class Controllers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly unsubscribe: () => void;
  private readonly handlers: Record<string, Handler>;

  constructor(
    private readonly cluster: Cluster,
    private readonly config: () => DevclusterConfig,
  ) {
    const workload = (e: StoreEvent): void => this.workload(e);
    this.handlers = {
      'apps/deployments': workload,
      'apps/statefulsets': workload,
      'apps/daemonsets': workload,
      'apps/replicasets': workload,
      'batch/jobs': (e) => this.job(e),
      '/pods': (e) => this.pod(e),
      '/persistentvolumeclaims': (e) => this.claim(e),
      'apiextensions.k8s.io/customresourcedefinitions': (e) => this.crd(e),
    };
    this.unsubscribe = cluster.store.subscribe((e) => {
      if (e.type !== 'DELETED' && e.object.metadata['deletionTimestamp'] === undefined) this.handlers[e.resource]?.(e);
    });
  }

  stop(): void {
    this.unsubscribe();
    this.cancelAll();
  }

  cancelAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Picks up objects that were read back from a state file rather than written. */
  catchUp(objects: { resource: string; object: KubeObject }[]): void {
    for (const { resource, object } of objects) {
      if (object.metadata['deletionTimestamp'] === undefined) {
        this.handlers[resource]?.({ type: 'ADDED', resourceVersion: 0, resource, object });
      }
    }
  }

  /** Simulated logs of a Pod: those configured for the Job that owns it. */
  podLogs(pod: KubeObject): string {
    const owner = (Array.isArray(pod.metadata['ownerReferences']) ? (pod.metadata['ownerReferences'] as Obj[]) : []).find((r) => r['kind'] === 'Job');
    if (owner === undefined) return '';
    const job = this.cluster.store.get('batch/jobs', pod.metadata.namespace, String(owner['name']));
    const rule = jobRuleFor(this.config(), pod.metadata.namespace ?? '', String(owner['name']), job?.metadata.generateName);
    return rule?.logs ?? '';
  }

  private rolloutDelay(): number {
    return this.config().rolloutDelayMs ?? DEFAULT_ROLLOUT_MS;
  }

  /** Runs `fn` once after `ms`, replacing whatever was scheduled under `key`. */
  private schedule(key: string, ms: number, fn: () => void): void {
    const existing = this.timers.get(key);
    if (existing !== undefined) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      fn();
    }, ms);
    this.timers.set(key, timer);
  }

  private cancel(key: string): void {
    const existing = this.timers.get(key);
    if (existing === undefined) return;
    clearTimeout(existing);
    this.timers.delete(key);
  }

  /** Writes status to the live object, if it is still the same object. */
  private writeStatus(resource: string, target: KubeObject, status: (live: KubeObject) => Obj | undefined): void {
    const live = this.cluster.store.get(resource, target.metadata.namespace, target.metadata.name ?? '');
    if (live === undefined || live.metadata['uid'] !== target.metadata['uid'] || live.metadata['deletionTimestamp'] !== undefined) return;
    const next = status(live);
    if (next === undefined) return;
    const type = this.cluster.typeOf(resource);
    this.cluster.write(type, type.versions[0] ?? 'v1', live, { ...live, status: next }, { manager: MANAGER, subresource: 'status' }, true);
  }

  private workload(e: StoreEvent): void {
    const o = e.object;
    const spec = obj(o['spec']);
    const status = obj(o['status']);
    const generation = Number(o.metadata['generation'] ?? 1);
    const replicas = e.resource === 'apps/daemonsets' ? 1 : typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
    const settled = status['observedGeneration'] === generation && (e.resource === 'apps/daemonsets' ? status['numberReady'] === replicas : (status['readyReplicas'] ?? 0) === replicas && (status['replicas'] ?? 0) === replicas);
    if (settled || spec['paused'] === true) return;
    // A Deployment's ReplicaSet is brought up together with the Deployment, not after another delay.
    const delay = controllerOf(o)?.['kind'] === 'Deployment' ? 0 : this.rolloutDelay();
    this.schedule(`${e.resource}/${String(o.metadata['uid'])}`, delay, () => this.rollOut(e.resource, o));
  }

  /** Brings a workload's ReplicaSet and Pods in line with its spec, then reports it rolled out. */
  private rollOut(resource: string, target: KubeObject): void {
    // This reads the workload as it is now: a rollout still scheduled for it would only repeat this
    // one (a Deployment rolls out its new ReplicaSet at once). Later changes schedule their own.
    this.cancel(`${resource}/${String(target.metadata['uid'])}`);
    const live = this.cluster.store.get(resource, target.metadata.namespace, target.metadata.name ?? '');
    if (live === undefined || live.metadata['uid'] !== target.metadata['uid'] || live.metadata['deletionTimestamp'] !== undefined) return;
    const spec = obj(live['spec']);
    const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
    try {
      if (resource === 'apps/deployments') {
        const current = this.ensureReplicaSet(live, replicas);
        if (current !== undefined) this.rollOut('apps/replicasets', current);
      } else if (resource === 'apps/replicasets') {
        this.ensurePods(live, replicas, () => `${live.metadata.name ?? ''}-${randomSuffix()}`);
      } else if (resource === 'apps/statefulsets') {
        this.ensurePods(live, replicas, (i) => `${live.metadata.name ?? ''}-${i}`);
      } else if (resource === 'apps/daemonsets') {
        this.ensurePods(live, 1, () => `${live.metadata.name ?? ''}-${randomSuffix()}`);
      }
    } catch (err) {
      // The namespace is going away (403) or the object was deleted meanwhile (404): nothing to roll out.
      if (!(err instanceof ApiError)) throw err;
      return;
    }
    this.writeStatus(resource, live, (current) => rolledOut(resource, current));
  }

  /** The ReplicaSet of the Deployment's current template, at full scale; older ones scaled to zero. */
  private ensureReplicaSet(deployment: KubeObject, replicas: number): KubeObject | undefined {
    const namespace = deployment.metadata.namespace;
    const spec = obj(deployment['spec']);
    const template = structuredClone(obj(spec['template']));
    const hash = templateHash(template);
    const name = `${deployment.metadata.name ?? ''}-${hash}`;
    const rsType = this.cluster.typeOf('apps/replicasets');
    const owned = this.cluster.store.ownedBy('apps/replicasets', String(deployment.metadata['uid'])).filter((rs) => rs.metadata.namespace === namespace && controllerOf(rs)?.['uid'] === deployment.metadata['uid']);
    for (const old of owned) {
      if (old.metadata.name === name || obj(old['spec'])['replicas'] === 0) continue;
      this.cluster.write(rsType, 'v1', old, { ...old, spec: { ...obj(old['spec']), replicas: 0 } }, { manager: MANAGER }, true);
    }
    const templateMeta = obj(template['metadata']);
    const labels = { ...(obj(templateMeta['labels']) as Record<string, string>), 'pod-template-hash': hash };
    template['metadata'] = { ...templateMeta, labels };
    const selector = obj(spec['selector']);
    const desired: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace,
        labels,
        annotations: { 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/revision': String(owned.length + 1) },
        ownerReferences: [ownerRef(deployment)],
      },
      spec: {
        replicas,
        selector: { ...selector, matchLabels: { ...obj(selector['matchLabels']), 'pod-template-hash': hash } },
        template,
      },
    };
    const existing = owned.find((rs) => rs.metadata.name === name);
    if (existing === undefined) return this.cluster.create(rsType, 'v1', namespace, desired, { manager: MANAGER }).object;
    if (obj(existing['spec'])['replicas'] === replicas) return existing;
    return this.cluster.write(rsType, 'v1', existing, { ...existing, spec: { ...obj(existing['spec']), replicas } }, { manager: MANAGER }, true);
  }

  /** Creates the owner's missing Pods (running at once) and deletes surplus ones. */
  private ensurePods(owner: KubeObject, replicas: number, nameFor: (ordinal: number) => string): void {
    const namespace = owner.metadata.namespace;
    const podType = this.cluster.typeOf('/pods');
    const ordinal = owner.kind === 'StatefulSet';
    const pods = this.cluster.store
      .ownedBy('/pods', String(owner.metadata['uid']))
      .filter((p) => p.metadata.namespace === namespace && controllerOf(p)?.['uid'] === owner.metadata['uid'] && p.metadata['deletionTimestamp'] === undefined);
    const wanted = ordinal ? new Set(Array.from({ length: replicas }, (_, i) => nameFor(i))) : undefined;
    const keep = wanted === undefined ? pods.slice(0, replicas) : pods.filter((p) => wanted.has(p.metadata.name ?? ''));
    for (const pod of pods) {
      if (!keep.includes(pod)) this.cluster.delete(podType, namespace, pod.metadata.name ?? '', { propagationPolicy: 'Background' });
    }
    const template = obj(obj(owner['spec'])['template']);
    const templateMeta = obj(template['metadata']);
    const have = new Set(keep.map((p) => p.metadata.name));
    const names = wanted === undefined ? Array.from({ length: Math.max(0, replicas - keep.length) }, (_, i) => nameFor(i)) : [...wanted].filter((n) => !have.has(n));
    for (const name of names) {
      const labels = { ...(obj(templateMeta['labels']) as Record<string, string>), ...(ordinal ? { 'statefulset.kubernetes.io/pod-name': name } : {}) };
      const pod: KubeObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace,
          labels,
          ...(templateMeta['annotations'] === undefined ? {} : { annotations: obj(templateMeta['annotations']) as Record<string, string> }),
          ownerReferences: [ownerRef(owner)],
        },
        spec: { ...structuredClone(obj(template['spec'])), nodeName: NODE_NAME },
      };
      const created = this.cluster.create(podType, 'v1', namespace, pod, { manager: MANAGER }).object;
      this.writeStatus('/pods', created, (live) => podStatus(live, 'Running', now()));
    }
  }

  private job(e: StoreEvent): void {
    const job = e.object;
    const spec = obj(job['spec']);
    const status = obj(job['status']);
    if (spec['suspend'] === true) return;
    const uid = String(job.metadata['uid']);
    const finished = Array.isArray(status['conditions']) && (status['conditions'] as Obj[]).some((c) => c['type'] === 'Complete' || c['type'] === 'Failed');
    if (finished) return;
    if (status['startTime'] === undefined) {
      if (this.timers.has(`job-start/${uid}`)) return;
      this.schedule(`job-start/${uid}`, 0, () => this.startJob(job));
      return;
    }
    if (this.timers.has(`job/${uid}`)) return;
    const config = this.config();
    const rule = jobRuleFor(config, job.metadata.namespace ?? '', job.metadata.name ?? '', job.metadata.generateName);
    const duration = rule?.durationMs ?? config.jobs?.defaultDurationMs ?? DEFAULT_JOB_MS;
    const deadline = typeof spec['activeDeadlineSeconds'] === 'number' ? spec['activeDeadlineSeconds'] * 1000 : Infinity;
    const elapsed = Date.now() - Date.parse(String(status['startTime']));
    const outcome = deadline < duration ? 'deadline' : rule?.result === 'fail' ? 'fail' : 'complete';
    const wait = Math.max(0, Math.min(duration, deadline) - elapsed);
    this.schedule(`job/${uid}`, wait, () => this.finishJob(job, outcome));
  }

  private startJob(job: KubeObject): void {
    const live = this.cluster.store.get('batch/jobs', job.metadata.namespace, job.metadata.name ?? '');
    if (live === undefined || live.metadata['uid'] !== job.metadata['uid']) return;
    const template = obj(obj(live['spec'])['template']);
    const templateMeta = obj(template['metadata']);
    const podType = this.cluster.typeOf('/pods');
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${live.metadata.name ?? 'job'}-${randomSuffix()}`,
        namespace: live.metadata.namespace,
        labels: obj(templateMeta['labels']) as Record<string, string>,
        ...(templateMeta['annotations'] === undefined ? {} : { annotations: obj(templateMeta['annotations']) as Record<string, string> }),
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: live.metadata.name, uid: live.metadata['uid'], controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...structuredClone(obj(template['spec'])), nodeName: NODE_NAME },
    };
    try {
      this.cluster.create(podType, 'v1', live.metadata.namespace, pod, { manager: MANAGER });
    } catch {
      // The namespace is going away; the Job goes with it.
      return;
    }
    const at = now();
    this.writeStatus('batch/jobs', live, (current) => ({
      ...obj(current['status']),
      startTime: at,
      active: 1,
      ready: 1,
      terminating: 0,
      uncountedTerminatedPods: {},
    }));
  }

  private finishJob(job: KubeObject, outcome: 'complete' | 'fail' | 'deadline'): void {
    const at = now();
    const succeeded = outcome === 'complete';
    const [reason, message] =
      outcome === 'complete'
        ? ['CompletionsReached', 'Reached expected number of succeeded pods']
        : outcome === 'fail'
          ? ['BackoffLimitExceeded', 'Job has reached the specified backoff limit']
          : ['DeadlineExceeded', 'Job was active longer than specified deadline'];
    for (const pod of this.cluster.store.ownedBy('/pods', String(job.metadata['uid']))) {
      if (pod.metadata.namespace === job.metadata.namespace) this.writeStatus('/pods', pod, (live) => podStatus(live, succeeded ? 'Succeeded' : 'Failed', at));
    }
    this.writeStatus('batch/jobs', job, (live) => {
      const status = obj(live['status']);
      const { active: _a, ...rest } = status;
      const conditions = succeeded
        ? [condition('SuccessCriteriaMet', reason, message, at), condition('Complete', reason, message, at)]
        : [condition('FailureTarget', reason, message, at), condition('Failed', reason, message, at)];
      return {
        ...rest,
        conditions,
        ready: 0,
        terminating: 0,
        ...(succeeded ? { succeeded: 1, completionTime: at } : { failed: 1 }),
        uncountedTerminatedPods: {},
      };
    });
  }

  private pod(e: StoreEvent): void {
    const pod = e.object;
    if (obj(pod['status'])['phase'] !== 'Pending') return;
    const ownedByJob = (Array.isArray(pod.metadata['ownerReferences']) ? (pod.metadata['ownerReferences'] as Obj[]) : []).some((r) => r['kind'] === 'Job');
    this.schedule(`pod/${String(pod.metadata['uid'])}`, ownedByJob ? 0 : this.rolloutDelay(), () =>
      this.writeStatus('/pods', pod, (live) => (obj(live['status'])['phase'] === 'Pending' ? podStatus(live, 'Running', now()) : undefined)),
    );
  }

  private claim(e: StoreEvent): void {
    const claim = e.object;
    if (obj(claim['status'])['phase'] === 'Bound') return;
    this.schedule(`pvc/${String(claim.metadata['uid'])}`, 0, () =>
      this.writeStatus('/persistentvolumeclaims', claim, (live) => {
        const spec = obj(live['spec']);
        return {
          phase: 'Bound',
          accessModes: spec['accessModes'] ?? ['ReadWriteOnce'],
          capacity: obj(obj(spec['resources'])['requests'])['storage'] === undefined ? {} : { storage: obj(obj(spec['resources'])['requests'])['storage'] },
        };
      }),
    );
  }

  private crd(e: StoreEvent): void {
    const crd = e.object;
    const spec = obj(crd['spec']);
    const status = obj(crd['status']);
    const established = Array.isArray(status['conditions']) && (status['conditions'] as Obj[]).some((c) => c['type'] === 'Established');
    if (established && JSON.stringify(status['acceptedNames']) === JSON.stringify(spec['names'])) return;
    this.schedule(`crd/${String(crd.metadata['uid'])}`, 0, () =>
      this.writeStatus(typeKey({ group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions' }), crd, (live) => {
        const liveSpec = obj(live['spec']);
        const at = now();
        const versions = Array.isArray(liveSpec['versions']) ? (liveSpec['versions'] as Obj[]) : [];
        const storage = versions.find((v) => v['storage'] === true)?.['name'];
        return {
          acceptedNames: liveSpec['names'],
          conditions: [
            { type: 'NamesAccepted', status: 'True', lastTransitionTime: at, reason: 'NoConflicts', message: 'no conflicts found' },
            { type: 'Established', status: 'True', lastTransitionTime: at, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
          ],
          storedVersions: storage === undefined ? [] : [storage],
        };
      }),
    );
  }
}

function rolledOut(resource: string, live: KubeObject): Obj {
  const spec = obj(live['spec']);
  const at = now();
  const generation = Number(live.metadata['generation'] ?? 1);
  const name = live.metadata.name ?? '';
  const revision = `${name}-${String(live.metadata['uid']).slice(0, 10).replace(/-/g, '')}${generation}`;
  switch (resource) {
    case 'apps/daemonsets':
      return {
        currentNumberScheduled: 1,
        desiredNumberScheduled: 1,
        numberAvailable: 1,
        numberMisscheduled: 0,
        numberReady: 1,
        observedGeneration: generation,
        updatedNumberScheduled: 1,
      };
    case 'apps/statefulsets': {
      const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
      return {
        availableReplicas: replicas,
        collisionCount: 0,
        currentReplicas: replicas,
        currentRevision: revision,
        observedGeneration: generation,
        readyReplicas: replicas,
        replicas,
        updateRevision: revision,
        updatedReplicas: replicas,
      };
    }
    case 'apps/replicasets': {
      const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
      return { availableReplicas: replicas, fullyLabeledReplicas: replicas, observedGeneration: generation, readyReplicas: replicas, replicas };
    }
    default: {
      const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
      const previous = Array.isArray(obj(live['status'])['conditions']) ? (obj(live['status'])['conditions'] as Obj[]) : [];
      const since = (type: string): string => String(previous.find((c) => c['type'] === type)?.['lastTransitionTime'] ?? at);
      const counts = replicas === 0 ? {} : { availableReplicas: replicas, readyReplicas: replicas, replicas, updatedReplicas: replicas };
      return {
        ...counts,
        conditions: [
          { type: 'Available', status: 'True', lastUpdateTime: at, lastTransitionTime: since('Available'), reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
          {
            type: 'Progressing',
            status: 'True',
            lastUpdateTime: at,
            lastTransitionTime: since('Progressing'),
            reason: 'NewReplicaSetAvailable',
            message: `ReplicaSet "${name}-${templateHash(obj(spec['template']))}" has successfully progressed.`,
          },
        ],
        observedGeneration: generation,
      };
    }
  }
}

function podStatus(pod: KubeObject, phase: 'Running' | 'Succeeded' | 'Failed', at: string): Obj {
  const previous = obj(pod['status']);
  const startedAt = String(previous['startTime'] ?? at);
  const running = phase === 'Running';
  const containers = Array.isArray(obj(pod['spec'])['containers']) ? (obj(pod['spec'])['containers'] as Obj[]) : [];
  const cond = (type: string, ok: boolean): Obj => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at, ...(ok || !running ? {} : {}) });
  return {
    phase,
    conditions: [cond('PodReadyToStartContainers', running), cond('Initialized', true), cond('Ready', running), cond('ContainersReady', running), cond('PodScheduled', true)],
    hostIP: '10.0.0.1',
    hostIPs: [{ ip: '10.0.0.1' }],
    podIP: '10.244.0.10',
    podIPs: [{ ip: '10.244.0.10' }],
    startTime: startedAt,
    qosClass: previous['qosClass'] ?? 'BestEffort',
    containerStatuses: containers.map((c) => ({
      name: c['name'],
      image: c['image'],
      imageID: `docker.io/library/${String(c['image'])}@sha256:${'0'.repeat(64)}`,
      containerID: `containerd://${'0'.repeat(64)}`,
      ready: running,
      started: running,
      restartCount: 0,
      state: running
        ? { running: { startedAt } }
        : { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt, finishedAt: at } },
    })),
  };
}

function controllerOf(o: KubeObject): Obj | undefined {
  const refs = Array.isArray(o.metadata['ownerReferences']) ? (o.metadata['ownerReferences'] as Obj[]) : [];
  return refs.find((r) => r['controller'] === true);
}

function ownerRef(owner: KubeObject): Obj {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata['uid'], controller: true, blockOwnerDeletion: true };
}

const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A pod-template-hash in the style of the real one: 10 characters from kube's safe alphabet. */
function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += HASH_ALPHABET[(digest[i] ?? 0) % HASH_ALPHABET.length];
  return out;
}
