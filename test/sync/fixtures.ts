import type { KubeObject } from '../../src/model/object.js';
import type { HookSpec, RenderedObject, RenderedRelease } from '../../src/model/rendered.js';

/** A rendered object as rendering would hand it over: kasane's labels added, namespace defaulted. */
export function rendered(
  kind: string,
  name: string,
  extra: { apiVersion?: string; namespace?: string | null; wave?: number; hook?: Partial<HookSpec>; pruneDisabled?: boolean; env?: string; release?: string; body?: Record<string, unknown> } = {},
): RenderedObject {
  const namespace = extra.namespace === null ? undefined : (extra.namespace ?? 'shop');
  const object: KubeObject = {
    apiVersion: extra.apiVersion ?? defaultApiVersion(kind),
    kind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      labels: {
        'app.kubernetes.io/managed-by': 'kasane',
        'kasane.io/environment': extra.env ?? 'staging',
        'kasane.io/release': extra.release ?? 'web',
      },
    },
    ...(extra.body ?? {}),
  };
  return {
    object,
    template: `charts/web/templates/${kind.toLowerCase()}.yaml`,
    wave: extra.wave ?? 0,
    pruneDisabled: extra.pruneDisabled ?? false,
    ...(extra.hook === undefined
      ? {}
      : { hook: { phases: ['pre-sync'], weight: 0, deletePolicies: ['before-hook-creation'], ...extra.hook } }),
  };
}

export function release(objects: RenderedObject[], extra: Partial<RenderedRelease> = {}): RenderedRelease {
  return { name: 'web', chart: 'web', namespace: 'shop', createNamespace: false, objects, ...extra };
}

function defaultApiVersion(kind: string): string {
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
      return 'apps/v1';
    case 'Job':
    case 'CronJob':
      return 'batch/v1';
    case 'CustomResourceDefinition':
      return 'apiextensions.k8s.io/v1';
    case 'Ingress':
      return 'networking.k8s.io/v1';
    case 'Role':
    case 'RoleBinding':
      return 'rbac.authorization.k8s.io/v1';
    default:
      return 'v1';
  }
}
