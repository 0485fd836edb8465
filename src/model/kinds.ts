/**
 * What kasane knows about built-in kinds, as tables: the order Helm installs them in, and which
 * are cluster-scoped. Custom kinds learn their scope from CRDs rendered in the same environment.
 */

/** Helm's install order (pkg/release/v1/util kind_sorter.go); kinds not listed come after, alphabetically. */
export const INSTALL_ORDER: readonly string[] = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

const installRank = new Map(INSTALL_ORDER.map((kind, i) => [kind, i]));

/** Compares two kinds by install order: known kinds by their rank, then unknown kinds alphabetically. */
export function compareKindsForInstall(a: string, b: string): number {
  const ra = installRank.get(a);
  const rb = installRank.get(b);
  if (ra !== undefined && rb !== undefined) return ra - rb;
  if (ra !== undefined) return -1;
  if (rb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Built-in cluster-scoped kinds, keyed `group/Kind` (core group is empty). */
const CLUSTER_SCOPED: ReadonlySet<string> = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'scheduling.k8s.io/PriorityClass',
  'networking.k8s.io/IngressClass',
  'node.k8s.io/RuntimeClass',
  'policy/PodSecurityPolicy',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'certificates.k8s.io/CertificateSigningRequest',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
]);

export type Scope = 'Namespaced' | 'Cluster';

/** `group/Kind` → scope, for custom kinds declared by CRDs. */
export type CustomScopes = ReadonlyMap<string, Scope>;

/** The scope of a kind: built-in table first, then CRDs; anything unknown is namespaced (as most custom resources are). */
export function scopeOf(group: string, kind: string, custom: CustomScopes = new Map()): Scope {
  const key = `${group}/${kind}`;
  if (CLUSTER_SCOPED.has(key)) return 'Cluster';
  return custom.get(key) ?? 'Namespaced';
}
