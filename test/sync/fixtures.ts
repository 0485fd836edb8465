import type { KubeObject } from '../../src/model/object.js';
import type { HookSpec, RenderedEnvironment, RenderedObject, RenderedRelease } from '../../src/model/rendered.js';

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

export function environment(releases: RenderedRelease[], sync: Partial<RenderedEnvironment['sync']> = {}): RenderedEnvironment {
  return {
    name: 'staging',
    file: 'environments/staging.yaml',
    cluster: {},
    sync: { intervalMs: 60_000, windows: [], prune: true, selfHeal: true, timeoutMs: 20_000, rollbackOnFailure: false, ...sync },
    releases,
  };
}

/** A Job as a chart would render it (the devcluster decides its fate by name). */
export function job(name: string, extra: Parameters<typeof rendered>[2] = {}): RenderedObject {
  return rendered('Job', name, {
    ...extra,
    body: {
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'run', image: 'busybox:1.36', command: ['true'] }] } } },
      ...(extra.body ?? {}),
    },
  });
}

export function deployment(name: string, extra: Parameters<typeof rendered>[2] = {}, image = 'nginx:1.27'): RenderedObject {
  return rendered('Deployment', name, {
    ...extra,
    body: {
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
      },
    },
  });
}

export function configMap(name: string, data: Record<string, string>, extra: Parameters<typeof rendered>[2] = {}): RenderedObject {
  return rendered('ConfigMap', name, { ...extra, body: { data } });
}
