import type { ObjectRef } from '../model/object.js';

/**
 * Kinds in the order they are applied within one wave: what others depend on comes first
 * (namespaces, policies, accounts, config, storage, RBAC, services, then workloads, then what
 * routes to them). Kinds not listed (custom resources) come after all of these.
 */
export const KIND_INSTALL_ORDER: readonly string[] = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
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

const rankByKind = new Map(KIND_INSTALL_ORDER.map((kind, i) => [kind, i]));

/** Position of a kind in the install order; unknown kinds sort last. */
export function kindRank(kind: string): number {
  return rankByKind.get(kind) ?? KIND_INSTALL_ORDER.length;
}

/** Kinds applied before every wave: what the rest of the release cannot exist without. */
export function isBootstrapKind(kind: string): boolean {
  return kind === 'Namespace' || kind === 'CustomResourceDefinition';
}

/** Where an object sits in the main apply: bootstrap kinds, then waves, then kinds, then names. */
export interface ApplyPosition {
  readonly ref: ObjectRef;
  readonly wave: number;
}

export function compareApplyOrder(a: ApplyPosition, b: ApplyPosition): number {
  return (
    Number(isBootstrapKind(b.ref.kind)) - Number(isBootstrapKind(a.ref.kind)) ||
    a.wave - b.wave ||
    kindRank(a.ref.kind) - kindRank(b.ref.kind) ||
    compareNames(a.ref, b.ref)
  );
}

function compareNames(a: ObjectRef, b: ObjectRef): number {
  return (
    cmp(a.kind, b.kind) || cmp(a.namespace ?? '', b.namespace ?? '') || cmp(a.name, b.name)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
