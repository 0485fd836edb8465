/**
 * Server-side defaults, the ones a real API server fills in, so that a naive diff sees the same
 * drift it would see against a real cluster. Each function mutates the object it is given.
 */
import type { KubeObject } from '../model/object.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function child(parent: Obj, key: string): Obj {
  const v = parent[key];
  if (isObj(v)) return v;
  const created: Obj = {};
  parent[key] = created;
  return created;
}

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function defaultContainer(c: Obj): void {
  const image = typeof c['image'] === 'string' ? c['image'] : '';
  const lastSegment = image.split('/').pop() ?? '';
  const digest = image.includes('@');
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
  setDefault(c, 'imagePullPolicy', !digest && (tag === '' || tag === 'latest') ? 'Always' : 'IfNotPresent');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  for (const p of list(c['ports'])) setDefault(p, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const pr = c[probe];
    if (!isObj(pr)) continue;
    setDefault(pr, 'timeoutSeconds', 1);
    setDefault(pr, 'periodSeconds', 10);
    setDefault(pr, 'successThreshold', 1);
    setDefault(pr, 'failureThreshold', 3);
    if (isObj(pr['httpGet'])) setDefault(pr['httpGet'], 'scheme', 'HTTP');
  }
  for (const env of list(c['env'])) {
    const from = env['valueFrom'];
    if (isObj(from) && isObj(from['fieldRef'])) setDefault(from['fieldRef'], 'apiVersion', 'v1');
  }
}

export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const c of [...list(spec['containers']), ...list(spec['initContainers'])]) defaultContainer(c);
  for (const v of list(spec['volumes'])) {
    for (const source of ['configMap', 'secret', 'projected', 'downwardAPI']) {
      const s = v[source];
      if (isObj(s)) setDefault(s, 'defaultMode', 420);
    }
    if (isObj(v['hostPath'])) setDefault(v['hostPath'], 'type', '');
  }
}

function defaultTemplate(spec: Obj): void {
  const template = child(spec, 'template');
  defaultPodSpec(child(template, 'spec'));
}

function pct25(): Obj {
  return { maxSurge: '25%', maxUnavailable: '25%' };
}

type Defaulter = (obj: KubeObject, spec: Obj) => void;

const DEFAULTERS: Record<string, Defaulter> = {
  '/Namespace': (obj) => {
    const name = obj.metadata.name ?? '';
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
    const status = child(obj as Obj, 'status');
    setDefault(status, 'phase', 'Active');
  },
  '/Secret': (obj) => setDefault(obj as Obj, 'type', 'Opaque'),
  '/Pod': (obj, spec) => {
    defaultPodSpec(spec);
    setDefault(spec, 'serviceAccountName', 'default');
    setDefault(spec, 'serviceAccount', spec['serviceAccountName']);
    setDefault(spec, 'enableServiceLinks', true);
    setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
    setDefault(spec, 'priority', 0);
    const status = child(obj as Obj, 'status');
    setDefault(status, 'phase', 'Pending');
    setDefault(status, 'qosClass', 'BestEffort');
  },
  '/Service': (obj, spec) => {
    setDefault(spec, 'type', 'ClusterIP');
    setDefault(spec, 'sessionAffinity', 'None');
    if (spec['type'] !== 'ExternalName') {
      setDefault(spec, 'ipFamilies', ['IPv4']);
      setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
      setDefault(spec, 'internalTrafficPolicy', 'Cluster');
    }
    if (spec['type'] === 'LoadBalancer' || spec['type'] === 'NodePort') setDefault(spec, 'externalTrafficPolicy', 'Cluster');
    if (spec['type'] === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
    let nodePort = 30000 + (Number.parseInt(String(obj.metadata.uid ?? '0').replace(/\D/g, '').slice(0, 4) || '0', 10) % 2000);
    for (const p of list(spec['ports'])) {
      setDefault(p, 'protocol', 'TCP');
      setDefault(p, 'targetPort', p['port']);
      if (spec['type'] === 'LoadBalancer' || spec['type'] === 'NodePort') setDefault(p, 'nodePort', nodePort++);
    }
    const status = child(obj as Obj, 'status');
    setDefault(status, 'loadBalancer', spec['type'] === 'LoadBalancer' ? { ingress: [{ ip: '127.0.0.1', ipMode: 'VIP' }] } : {});
  },
  '/PersistentVolumeClaim': (obj, spec) => {
    setDefault(spec, 'volumeMode', 'Filesystem');
    setDefault(spec, 'storageClassName', 'standard');
    setDefault(spec, 'volumeName', `pvc-${obj.metadata.uid ?? ''}`);
  },
  'apps/Deployment': (_obj, spec) => {
    setDefault(spec, 'replicas', 1);
    const strategy = child(spec, 'strategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy['type'] === 'RollingUpdate') {
      const ru = child(strategy, 'rollingUpdate');
      for (const [k, v] of Object.entries(pct25())) setDefault(ru, k, v);
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    defaultTemplate(spec);
  },
  'apps/ReplicaSet': (_obj, spec) => {
    setDefault(spec, 'replicas', 1);
    defaultTemplate(spec);
  },
  'apps/StatefulSet': (_obj, spec) => {
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'podManagementPolicy', 'OrderedReady');
    const strategy = child(spec, 'updateStrategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy['type'] === 'RollingUpdate') setDefault(child(strategy, 'rollingUpdate'), 'partition', 0);
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Retain', whenScaled: 'Retain' });
    for (const claim of list(spec['volumeClaimTemplates'])) {
      setDefault(claim, 'apiVersion', 'v1');
      setDefault(claim, 'kind', 'PersistentVolumeClaim');
      setDefault(child(claim, 'spec'), 'volumeMode', 'Filesystem');
      setDefault(claim, 'status', { phase: 'Pending' });
    }
    defaultTemplate(spec);
  },
  'apps/DaemonSet': (_obj, spec) => {
    const strategy = child(spec, 'updateStrategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy['type'] === 'RollingUpdate') {
      const ru = child(strategy, 'rollingUpdate');
      setDefault(ru, 'maxUnavailable', 1);
      setDefault(ru, 'maxSurge', 0);
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    defaultTemplate(spec);
  },
  'batch/Job': (obj, spec) => defaultJobSpec(obj, spec),
  'batch/CronJob': (_obj, spec) => {
    setDefault(spec, 'concurrencyPolicy', 'Allow');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'successfulJobsHistoryLimit', 3);
    setDefault(spec, 'failedJobsHistoryLimit', 1);
    const jobSpec = child(child(spec, 'jobTemplate'), 'spec');
    defaultTemplate(jobSpec);
  },
  'networking.k8s.io/NetworkPolicy': (_obj, spec) => {
    for (const rule of [...list(spec['ingress']), ...list(spec['egress'])]) {
      for (const p of list(rule['ports'])) setDefault(p, 'protocol', 'TCP');
    }
    if (spec['policyTypes'] === undefined) {
      spec['policyTypes'] = spec['egress'] === undefined ? ['Ingress'] : ['Ingress', 'Egress'];
    }
  },
  'networking.k8s.io/Ingress': (obj) => setDefault(child(obj as Obj, 'status'), 'loadBalancer', {}),
  'autoscaling/HorizontalPodAutoscaler': (_obj, spec) => {
    setDefault(spec, 'minReplicas', 1);
    if (spec['metrics'] === undefined) {
      spec['metrics'] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
    }
  },
  'apiextensions.k8s.io/CustomResourceDefinition': (_obj, spec) => {
    const names = child(spec, 'names');
    if (typeof names['kind'] === 'string') setDefault(names, 'listKind', `${names['kind']}List`);
    if (typeof names['kind'] === 'string') setDefault(names, 'singular', names['kind'].toLowerCase());
    setDefault(spec, 'conversion', { strategy: 'None' });
  },
};

function defaultJobSpec(obj: KubeObject, spec: Obj): void {
  const uid = String(obj.metadata.uid ?? '');
  const name = obj.metadata.name ?? '';
  setDefault(spec, 'completions', 1);
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
  if (spec['manualSelector'] !== true) {
    setDefault(spec, 'selector', { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    const meta = child(child(spec, 'template'), 'metadata');
    meta['labels'] = {
      ...(isObj(meta['labels']) ? meta['labels'] : {}),
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name,
    };
  }
  defaultTemplate(spec);
}

const NO_SPEC = new Set(['/Namespace', '/Secret']);

/** Fills in the defaults of the object's kind. */
export function applyDefaults(group: string, obj: KubeObject): void {
  const key = `${group}/${obj.kind}`;
  const defaulter = DEFAULTERS[key];
  if (defaulter === undefined) return;
  defaulter(obj, NO_SPEC.has(key) ? {} : child(obj as Obj, 'spec'));
}
