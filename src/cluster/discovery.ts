/**
 * Discovery: which REST resource serves an apiVersion and kind, and whether it is namespaced.
 * Each group-version is asked once and cached; a kind the cache lacks makes one fresh look (a CRD
 * may have been created since). CRDs rendered in the same environment count as known, with their
 * declared scope, so a release that brings its own CRD can be planned before the CRD exists.
 */
import { groupOf, type KubeObject } from '../model/object.js';
import { UnknownKindError } from './errors.js';

export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The REST name: `deployments`. */
  readonly plural: string;
  readonly namespaced: boolean;
  /** Known only from a CRD rendered in the environment: the cluster does not serve it yet. */
  readonly pending: boolean;
}

/** The resource as RBAC and error messages name it: `deployments.apps`, `configmaps`. */
export function resourceName(info: Pick<ResourceInfo, 'plural' | 'group'>): string {
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

/** The collection path: `/apis/apps/v1/namespaces/shop/deployments`, `/api/v1/namespaces`. */
export function collectionPath(info: ResourceInfo, namespace: string | undefined): string {
  const root = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${ns}/${info.plural}`;
}

export function objectPath(info: ResourceInfo, namespace: string | undefined, name: string): string {
  return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
}

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

/** Reads one discovery document; undefined when the server does not serve that group-version. */
export type DiscoveryFetch = (groupVersion: string) => Promise<ApiResourceList | undefined>;

/** What a rendered CustomResourceDefinition declares, one entry per served version. */
export function resourcesOfCrd(crd: KubeObject): ResourceInfo[] {
  const spec = crd['spec'] as
    | { group?: string; scope?: string; names?: { kind?: string; plural?: string }; versions?: { name?: string; served?: boolean }[] }
    | undefined;
  const group = spec?.group;
  const kind = spec?.names?.kind;
  const plural = spec?.names?.plural;
  if (!group || !kind || !plural) return [];
  return (spec.versions ?? [])
    .filter((v) => v.name && v.served !== false)
    .map((v) => ({ group, version: v.name as string, kind, plural, namespaced: spec.scope !== 'Cluster', pending: true }));
}

export function isCrd(obj: KubeObject): boolean {
  return groupOf(obj.apiVersion) === 'apiextensions.k8s.io' && obj.kind === 'CustomResourceDefinition';
}

export class Discovery {
  private readonly documents = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();
  private readonly pending = new Map<string, ResourceInfo>();
  private readonly loadedAt = new Map<string, number>();

  constructor(private readonly fetch: DiscoveryFetch) {}

  addPendingCrds(crds: readonly KubeObject[]): void {
    for (const crd of crds) {
      for (const info of resourcesOfCrd(crd)) this.pending.set(`${info.group}/${info.version}/${info.kind}`, info);
    }
  }

  private load(groupVersion: string, fresh: boolean): Promise<Map<string, ResourceInfo> | undefined> {
    const cached = this.documents.get(groupVersion);
    // Misses refresh a document at most once a second, so many objects of a pending CRD's kind
    // do not each cost a discovery call.
    if (cached && (!fresh || Date.now() - (this.loadedAt.get(groupVersion) ?? 0) < 1000)) return cached;
    this.loadedAt.set(groupVersion, Date.now());
    const slash = groupVersion.indexOf('/');
    const group = slash < 0 ? '' : groupVersion.slice(0, slash);
    const version = slash < 0 ? groupVersion : groupVersion.slice(slash + 1);
    const loading = this.fetch(groupVersion).then((doc) => {
      if (!doc) return undefined;
      const byKind = new Map<string, ResourceInfo>();
      for (const r of doc.resources ?? []) {
        // `deployments/status`, `pods/log`: subresources, not what an object is stored as.
        if (r.name.includes('/')) continue;
        byKind.set(r.kind, { group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced, pending: false });
      }
      return byKind;
    });
    // A failed look-up (say, an unreachable server) is not remembered: the next call asks again.
    loading.catch(() => this.documents.delete(groupVersion));
    this.documents.set(groupVersion, loading);
    return loading;
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let found = (await this.load(apiVersion, false))?.get(kind);
    if (!found) found = (await this.load(apiVersion, true))?.get(kind);
    if (found) return found;
    const pending = this.pending.get(`${groupOf(apiVersion)}/${apiVersion.slice(apiVersion.indexOf('/') + 1)}/${kind}`);
    if (pending) return pending;
    throw new UnknownKindError(apiVersion, kind);
  }
}
