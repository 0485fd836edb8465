/**
 * The kinds the devcluster serves: built-ins as one data table, custom resources added from
 * CustomResourceDefinitions at runtime. Storage is keyed by group and plural, independent of version.
 */

export interface ResourceType {
  readonly group: string;
  /** Versions this resource is served at; the first is the preferred (and storage) version. */
  readonly versions: readonly string[];
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Has a `/status` subresource: status is written only through it. */
  readonly status: boolean;
  /** Has a `/scale` subresource (autoscaling/v1 Scale over spec.replicas). */
  readonly scale: boolean;
  /** Keeps metadata.generation (1 on create, +1 when spec changes). */
  readonly generation: boolean;
  /** Field selectors beyond metadata.name and metadata.namespace. */
  readonly fieldSelectors: readonly string[];
  /** Defined by a CustomResourceDefinition (generation counts every non-metadata change when there is no status subresource). */
  readonly custom: boolean;
  /** Custom resources: the openAPIV3Schema of each served version. */
  readonly schemas?: Readonly<Record<string, unknown>>;
}

type Row = [group: string, version: string, kind: string, plural: string, namespaced: boolean, shortNames: string, flags: string];

// flags: s = status subresource, c = scale subresource, g = generation, a = category "all"
const BUILTIN: readonly Row[] = [
  ['', 'v1', 'Namespace', 'namespaces', false, 'ns', 's'],
  ['', 'v1', 'Node', 'nodes', false, 'no', 's'],
  ['', 'v1', 'ConfigMap', 'configmaps', true, 'cm', ''],
  ['', 'v1', 'Secret', 'secrets', true, '', ''],
  ['', 'v1', 'Service', 'services', true, 'svc', 'sa'],
  ['', 'v1', 'ServiceAccount', 'serviceaccounts', true, 'sa', ''],
  ['', 'v1', 'Pod', 'pods', true, 'po', 'sga'],
  ['', 'v1', 'Event', 'events', true, 'ev', ''],
  ['', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, 'pvc', 's'],
  ['apps', 'v1', 'Deployment', 'deployments', true, 'deploy', 'scga'],
  ['apps', 'v1', 'StatefulSet', 'statefulsets', true, 'sts', 'scga'],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', true, 'ds', 'sga'],
  ['apps', 'v1', 'ReplicaSet', 'replicasets', true, 'rs', 'scga'],
  ['batch', 'v1', 'Job', 'jobs', true, '', 'sga'],
  ['batch', 'v1', 'CronJob', 'cronjobs', true, 'cj', 'sga'],
  ['networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, 'ing', 'sg'],
  ['networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false, '', ''],
  ['networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, 'netpol', 'g'],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true, '', ''],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, '', ''],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, '', ''],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, '', ''],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, 'hpa', 'sga'],
  ['policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, 'pdb', 'sg'],
  ['coordination.k8s.io', 'v1', 'Lease', 'leases', true, '', ''],
  ['events.k8s.io', 'v1', 'Event', 'events', true, 'ev', ''],
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, 'crd,crds', 'sg'],
];

/** Field selectors a real server accepts beyond the metadata ones (kubectl describe and friends use these). */
const EXTRA_FIELD_SELECTORS: Record<string, readonly string[]> = {
  '/pods': ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP'],
  '/events': ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  '/secrets': ['type'],
  '/namespaces': ['status.phase'],
  'batch/jobs': ['status.successful'],
};

export const BUILTIN_TYPES: readonly ResourceType[] = BUILTIN.map(([group, version, kind, plural, namespaced, shortNames, flags]) => ({
  group,
  versions: [version],
  kind,
  plural,
  singular: kind.toLowerCase(),
  namespaced,
  shortNames: shortNames === '' ? [] : shortNames.split(','),
  categories: flags.includes('a') ? ['all'] : [],
  status: flags.includes('s'),
  scale: flags.includes('c'),
  generation: flags.includes('g'),
  fieldSelectors: EXTRA_FIELD_SELECTORS[`${group}/${plural}`] ?? [],
  custom: false,
}));

export function typeKey(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${type.group}/${type.plural}`;
}

/** `deployments.apps`, `configmaps`: how a real server names a resource in messages. */
export function qualifiedResource(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}
