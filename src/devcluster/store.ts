/**
 * The devcluster's memory: every object by resource, one global resourceVersion counter, and a
 * bounded history of changes that watches replay from.
 */
import type { KubeObject } from '../model/object.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: EventType;
  readonly resourceVersion: number;
  /** typeKey of the resource: `apps/deployments`. */
  readonly resource: string;
  readonly object: KubeObject;
  /** The object before this change (MODIFIED only): lets a filtered watch see objects leave or enter its selection. */
  readonly previous?: KubeObject;
}

export interface StoreSnapshot {
  resourceVersion: number;
  objects: { resource: string; object: KubeObject }[];
}

/** Changes kept per resource for watches to replay, like a real server's default watch cache. */
const HISTORY_PER_RESOURCE = 100;

function objectKey(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

function ownerUids(obj: KubeObject): string[] {
  const refs = obj.metadata['ownerReferences'];
  if (!Array.isArray(refs)) return [];
  return refs.flatMap((r: unknown) => (typeof r === 'object' && r !== null && typeof (r as Record<string, unknown>)['uid'] === 'string' ? [(r as Record<string, string>)['uid']!] : []));
}

const byKeyOrder = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0);

export class Store {
  private revision = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  /** Per resource and owner uid: the objects whose ownerReferences name it (controllers look up their Pods). */
  private readonly owned = new Map<string, Map<string, Map<string, KubeObject>>>();
  private readonly history = new Map<string, StoreEvent[]>();
  /** Per resource: changes at or below this resourceVersion are no longer in its history. */
  private readonly compacted = new Map<string, number>();
  /** Nothing at or below this resourceVersion is known (before a restart or reset). */
  private floor = 0;
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  get resourceVersion(): number {
    return this.revision;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(resource)?.get(`${namespace ?? ''}/${name}`);
  }

  /** Objects of one resource, in one namespace or all, sorted by namespace then name. */
  list(resource: string, namespace?: string): KubeObject[] {
    const prefix = namespace === undefined ? undefined : `${namespace}/`;
    const entries = [...(this.objects.get(resource)?.entries() ?? [])].filter(([key]) => prefix === undefined || key.startsWith(prefix));
    return entries.sort(byKeyOrder).map(([, o]) => o);
  }

  /** Objects of one resource whose ownerReferences name `ownerUid`, sorted as list sorts them. */
  ownedBy(resource: string, ownerUid: string): KubeObject[] {
    return [...(this.owned.get(resource)?.get(ownerUid)?.entries() ?? [])].sort(byKeyOrder).map(([, o]) => o);
  }

  private index(resource: string, key: string, before: KubeObject | undefined, after: KubeObject | undefined): void {
    let byOwner = this.owned.get(resource);
    if (byOwner === undefined) {
      byOwner = new Map();
      this.owned.set(resource, byOwner);
    }
    for (const uid of before === undefined ? [] : ownerUids(before)) {
      const set = byOwner.get(uid);
      set?.delete(key);
      if (set?.size === 0) byOwner.delete(uid);
    }
    for (const uid of after === undefined ? [] : ownerUids(after)) {
      let set = byOwner.get(uid);
      if (set === undefined) {
        set = new Map();
        byOwner.set(uid, set);
      }
      set.set(key, after!);
    }
  }

  resources(): string[] {
    return [...this.objects.keys()];
  }

  /** Stores a created or changed object under a new resourceVersion and tells watchers. */
  put(resource: string, object: KubeObject): KubeObject {
    const rv = ++this.revision;
    const stored: KubeObject = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    let byKey = this.objects.get(resource);
    if (byKey === undefined) {
      byKey = new Map();
      this.objects.set(resource, byKey);
    }
    const key = objectKey(stored);
    const previous = byKey.get(key);
    byKey.set(key, stored);
    this.index(resource, key, previous, stored);
    this.emit(previous === undefined
      ? { type: 'ADDED', resourceVersion: rv, resource, object: stored }
      : { type: 'MODIFIED', resourceVersion: rv, resource, object: stored, previous });
    return stored;
  }

  remove(resource: string, object: KubeObject): KubeObject {
    const rv = ++this.revision;
    const key = objectKey(object);
    const byKey = this.objects.get(resource);
    this.index(resource, key, byKey?.get(key), undefined);
    byKey?.delete(key);
    const gone: KubeObject = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    this.emit({ type: 'DELETED', resourceVersion: rv, resource, object: gone });
    return gone;
  }

  /** Changes to `resource` after `rv`, or undefined when some were already dropped from the history (410). */
  eventsSince(resource: string, rv: number): StoreEvent[] | undefined {
    if (rv < this.oldestResourceVersion(resource)) return undefined;
    return (this.history.get(resource) ?? []).filter((e) => e.resourceVersion > rv);
  }

  /** The oldest resourceVersion a watch of `resource` can start from. */
  oldestResourceVersion(resource: string): number {
    return Math.max(this.floor, this.compacted.get(resource) ?? 0);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets every object and all history; the counter keeps rising so old versions stay unique. */
  clear(): void {
    this.objects.clear();
    this.owned.clear();
    this.history.clear();
    this.compacted.clear();
    this.floor = this.revision;
  }

  snapshot(): StoreSnapshot {
    const objects: StoreSnapshot['objects'] = [];
    for (const [resource, byKey] of this.objects) for (const object of byKey.values()) objects.push({ resource, object });
    return { resourceVersion: this.revision, objects };
  }

  restore(snapshot: StoreSnapshot): void {
    this.clear();
    for (const { resource, object } of snapshot.objects) {
      let byKey = this.objects.get(resource);
      if (byKey === undefined) {
        byKey = new Map();
        this.objects.set(resource, byKey);
      }
      byKey.set(objectKey(object), object);
      this.index(resource, objectKey(object), undefined, object);
    }
    this.revision = Math.max(this.revision, snapshot.resourceVersion);
    this.floor = this.revision;
  }

  private emit(event: StoreEvent): void {
    let kept = this.history.get(event.resource);
    if (kept === undefined) {
      kept = [];
      this.history.set(event.resource, kept);
    }
    kept.push(event);
    if (kept.length > HISTORY_PER_RESOURCE) {
      const dropped = kept.splice(0, kept.length - HISTORY_PER_RESOURCE);
      const last = dropped[dropped.length - 1];
      if (last !== undefined) this.compacted.set(event.resource, last.resourceVersion);
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}
