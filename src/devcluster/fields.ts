/**
 * The fields built-in kinds declare, for field validation: a real server drops undeclared fields
 * with a warning, or refuses them under fieldValidation=Strict. The table covers the top level of
 * every built-in kind, object metadata, and the specs users write most (workloads, pod templates,
 * containers, services); deeper structures are not checked.
 */

type Shape = { readonly [field: string]: Shape | true };
type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fields(names: string, nested: Record<string, Shape> = {}): Shape {
  const shape: Record<string, Shape | true> = {};
  for (const name of names.split(/\s+/).filter(Boolean)) shape[name] = true;
  return { ...shape, ...nested };
}

const METADATA = fields(
  'name generateName namespace selfLink uid resourceVersion generation creationTimestamp deletionTimestamp deletionGracePeriodSeconds labels annotations ownerReferences finalizers managedFields',
);

const CONTAINER = fields(
  'name image command args workingDir ports envFrom env resources resizePolicy restartPolicy restartPolicyRules volumeMounts volumeDevices livenessProbe readinessProbe startupProbe lifecycle terminationMessagePath terminationMessagePolicy imagePullPolicy securityContext stdin stdinOnce tty',
);

const POD_SPEC = fields(
  'volumes ephemeralContainers restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy nodeSelector serviceAccountName serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID hostIPC shareProcessNamespace securityContext imagePullSecrets hostname subdomain affinity schedulerName tolerations hostAliases priorityClassName priority dnsConfig readinessGates runtimeClassName enableServiceLinks preemptionPolicy overhead topologySpreadConstraints setHostnameAsFQDN os hostUsers schedulingGates resourceClaims resources hostnameOverride',
  { containers: CONTAINER, initContainers: CONTAINER },
);

const POD_TEMPLATE = { metadata: METADATA, spec: POD_SPEC };

const JOB_SPEC = fields(
  'parallelism completions activeDeadlineSeconds podFailurePolicy successPolicy backoffLimit backoffLimitPerIndex maxFailedIndexes selector manualSelector ttlSecondsAfterFinished completionMode suspend podReplacementPolicy managedBy',
  { template: POD_TEMPLATE },
);

const SPEC_AND_STATUS = 'spec status';

/** Top-level shape per `group/Kind`; apiVersion, kind and metadata are added to each. */
const KINDS: Record<string, Shape> = {
  '/Namespace': fields(SPEC_AND_STATUS),
  '/Node': fields(SPEC_AND_STATUS),
  '/ConfigMap': fields('data binaryData immutable'),
  '/Secret': fields('data stringData type immutable'),
  '/Service': fields('status', {
    spec: fields(
      'ports selector clusterIP clusterIPs type externalIPs sessionAffinity loadBalancerIP loadBalancerSourceRanges externalName externalTrafficPolicy healthCheckNodePort publishNotReadyAddresses sessionAffinityConfig ipFamilies ipFamilyPolicy allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution',
    ),
  }),
  '/ServiceAccount': fields('secrets imagePullSecrets automountServiceAccountToken'),
  '/Pod': fields('status', { spec: POD_SPEC }),
  '/Event': fields('involvedObject reason message source firstTimestamp lastTimestamp count type eventTime series action related reportingComponent reportingInstance'),
  '/PersistentVolumeClaim': fields(SPEC_AND_STATUS),
  'apps/Deployment': fields('status', {
    spec: fields('replicas selector strategy minReadySeconds revisionHistoryLimit paused progressDeadlineSeconds', { template: POD_TEMPLATE }),
  }),
  'apps/StatefulSet': fields('status', {
    spec: fields(
      'replicas selector volumeClaimTemplates serviceName podManagementPolicy updateStrategy revisionHistoryLimit minReadySeconds persistentVolumeClaimRetentionPolicy ordinals',
      { template: POD_TEMPLATE },
    ),
  }),
  'apps/DaemonSet': fields('status', { spec: fields('selector updateStrategy minReadySeconds revisionHistoryLimit', { template: POD_TEMPLATE }) }),
  'apps/ReplicaSet': fields('status', { spec: fields('replicas minReadySeconds selector', { template: POD_TEMPLATE }) }),
  'batch/Job': fields('status', { spec: JOB_SPEC }),
  'batch/CronJob': fields('status', {
    spec: fields('schedule timeZone startingDeadlineSeconds concurrencyPolicy suspend successfulJobsHistoryLimit failedJobsHistoryLimit', {
      jobTemplate: { metadata: METADATA, spec: JOB_SPEC },
    }),
  }),
  'networking.k8s.io/Ingress': fields(SPEC_AND_STATUS),
  'networking.k8s.io/IngressClass': fields('spec'),
  'networking.k8s.io/NetworkPolicy': fields('spec'),
  'rbac.authorization.k8s.io/Role': fields('rules'),
  'rbac.authorization.k8s.io/ClusterRole': fields('rules aggregationRule'),
  'rbac.authorization.k8s.io/RoleBinding': fields('subjects roleRef'),
  'rbac.authorization.k8s.io/ClusterRoleBinding': fields('subjects roleRef'),
  'autoscaling/HorizontalPodAutoscaler': fields(SPEC_AND_STATUS),
  'policy/PodDisruptionBudget': fields(SPEC_AND_STATUS),
  'coordination.k8s.io/Lease': fields('spec'),
  'events.k8s.io/Event': fields(
    'eventTime series reportingController reportingInstance action reason regarding related note type deprecatedSource deprecatedFirstTimestamp deprecatedLastTimestamp deprecatedCount',
  ),
  'apiextensions.k8s.io/CustomResourceDefinition': fields(SPEC_AND_STATUS),
};

function prune(value: unknown, shape: Shape, path: string, unknown: string[], remove: boolean): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => prune(item, shape, `${path}[${i}]`, unknown, remove));
    return;
  }
  if (!isObj(value)) return;
  for (const key of Object.keys(value)) {
    const declared = shape[key];
    const childPath = path === '' ? key : `${path}.${key}`;
    if (declared === undefined) {
      unknown.push(childPath);
      if (remove) delete value[key];
    } else if (declared !== true) {
      prune(value[key], declared, childPath, unknown, remove);
    }
  }
}

function walk(group: string, o: Obj, remove: boolean): string[] {
  const shape = KINDS[`${group}/${String(o['kind'])}`];
  if (shape === undefined) return [];
  const unknown: string[] = [];
  prune(o, { apiVersion: true, kind: true, metadata: METADATA, ...shape }, '', unknown, remove);
  return unknown;
}

/** Removes the fields a built-in kind does not declare from `o`; returns their paths. */
export function pruneUndeclaredFields(group: string, o: Obj): string[] {
  return walk(group, o, true);
}

/** The paths of the fields a built-in kind does not declare in `o`, which is left as it is. */
export function undeclaredFields(group: string, o: Obj): string[] {
  return walk(group, o, false);
}
