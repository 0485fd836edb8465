/** Which resources are served: the built-in table plus the kinds CustomResourceDefinitions add. */
import type { KubeObject } from '../model/object.js';
import { BUILTIN_TYPES, typeKey, type ResourceType } from './kinds.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/** Kubernetes version priority: GA before beta before alpha, higher numbers first, others last by name. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 4; i++) {
    const x = ra[i] as number | string;
    const y = rb[i] as number | string;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

/** The resource a CustomResourceDefinition defines, or undefined when it serves no version. */
export function typeFromCrd(crd: KubeObject): ResourceType | undefined {
  const spec = obj(crd['spec']);
  const names = obj(spec['names']);
  const versions = (Array.isArray(spec['versions']) ? spec['versions'] : []).map(obj).filter((v) => v['served'] !== false);
  if (versions.length === 0 || typeof names['plural'] !== 'string' || typeof names['kind'] !== 'string') return undefined;
  const served = versions.map((v) => String(v['name'])).sort(compareVersions);
  return {
    group: String(spec['group'] ?? ''),
    versions: served,
    kind: names['kind'],
    plural: names['plural'],
    singular: typeof names['singular'] === 'string' ? names['singular'] : names['kind'].toLowerCase(),
    namespaced: spec['scope'] !== 'Cluster',
    shortNames: strings(names['shortNames']),
    categories: strings(names['categories']),
    status: versions.some((v) => obj(v['subresources'])['status'] !== undefined),
    scale: false,
    generation: true,
    fieldSelectors: [],
    custom: true,
    schemas: Object.fromEntries(versions.map((v) => [String(v['name']), obj(v['schema'])['openAPIV3Schema']])),
  };
}

export class Registry {
  private readonly custom = new Map<string, ResourceType>();

  all(): ResourceType[] {
    return [...BUILTIN_TYPES, ...this.custom.values()];
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.plural === plural && t.versions.includes(version));
  }

  byKey(key: string): ResourceType | undefined {
    return this.all().find((t) => typeKey(t) === key);
  }

  byKind(group: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.kind === kind);
  }

  /** Serves (or stops serving) what a CRD defines. */
  defineFromCrd(crd: KubeObject): void {
    const type = typeFromCrd(crd);
    this.custom.delete(crdKey(crd));
    if (type !== undefined && !BUILTIN_TYPES.some((b) => typeKey(b) === typeKey(type))) this.custom.set(crdKey(crd), type);
  }

  forgetCrd(crd: KubeObject): void {
    this.custom.delete(crdKey(crd));
  }

  clearCustom(): void {
    this.custom.clear();
  }

  /** Groups with their served versions, preferred first; core first, then in order of appearance. */
  groups(): { name: string; versions: string[] }[] {
    const groups = new Map<string, Set<string>>();
    for (const t of this.all()) {
      if (t.group === '') continue;
      let versions = groups.get(t.group);
      if (versions === undefined) {
        versions = new Set();
        groups.set(t.group, versions);
      }
      for (const v of t.versions) versions.add(v);
    }
    return [...groups].map(([name, versions]) => ({ name, versions: [...versions].sort(compareVersions) }));
  }
}

function crdKey(crd: KubeObject): string {
  return crd.metadata.name ?? '';
}
