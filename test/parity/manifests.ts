/**
 * Reading and comparing rendered manifests for the parity tests. Both Helm's and kasane's output go
 * through the same reader (the `yaml` package in YAML 1.1 mode, as the API machinery reads manifests;
 * dates stay strings), so a difference found here is a difference in the rendered text.
 */
import { parseAllDocuments } from 'yaml';
import { isDeepStrictEqual } from 'node:util';

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

/** Parses a multi-document YAML stream; comment-only and empty documents are dropped. */
export function readManifests(text: string): Manifest[] {
  const out: Manifest[] = [];
  const docs = parseAllDocuments(text, {
    version: '1.1',
    customTags: (tags) => tags.filter((t) => (typeof t === 'string' ? t : t.tag) !== 'tag:yaml.org,2002:timestamp'),
  });
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML in rendered output: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS({ maxAliasCount: -1 });
    if (value === null || value === undefined) continue;
    out.push(...collectManifests(value));
  }
  return out;
}

function isManifest(node: unknown): node is Manifest {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return false;
  const o = node as Record<string, unknown>;
  return typeof o['apiVersion'] === 'string' && typeof o['kind'] === 'string' && typeof o['metadata'] === 'object';
}

/**
 * Finds the Kubernetes objects in any JSON shape a renderer may print: a bare object, a `List`, an array,
 * or a report that nests them (e.g. `{releases: [{objects: [{object: …}]}]}`). Descends until it meets
 * something with apiVersion, kind and metadata, and never looks inside an object it found.
 */
export function collectManifests(node: unknown): Manifest[] {
  if (Array.isArray(node)) return node.flatMap(collectManifests);
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  if (isManifest(record) && !(record.kind === 'List' && Array.isArray(record['items']))) return [record];
  return Object.values(record).flatMap(collectManifests);
}

/** Removes what kasane adds on purpose and Helm never does: its managed-by and kasane.io/* labels. */
export function stripKasaneLabels(object: Manifest): Manifest {
  const copy = structuredClone(object);
  const labels = copy.metadata.labels;
  if (labels) {
    for (const key of Object.keys(labels)) {
      if (key.startsWith('kasane.io/')) delete labels[key];
      if (key === 'app.kubernetes.io/managed-by' && labels[key] === 'kasane') delete labels[key];
    }
    if (Object.keys(labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

export function keyOf(object: Manifest): string {
  return `${object.kind} ${object.metadata.namespace ?? '-'}/${object.metadata.name}`;
}

export function indexByKey(objects: readonly Manifest[]): Map<string, Manifest> {
  const map = new Map<string, Manifest>();
  for (const object of objects) {
    const key = keyOf(object);
    if (map.has(key)) throw new Error(`two rendered objects share the key ${key}`);
    map.set(key, object);
  }
  return map;
}

/** Every place two JSON values differ, as `path: helm=… kasane=…` lines. */
export function diffValues(helm: unknown, kasane: unknown, path = ''): string[] {
  if (isDeepStrictEqual(helm, kasane)) return [];
  const bothObjects =
    typeof helm === 'object' && helm !== null && typeof kasane === 'object' && kasane !== null &&
    Array.isArray(helm) === Array.isArray(kasane);
  if (!bothObjects) return [`${path || '.'}: helm=${JSON.stringify(helm)} kasane=${JSON.stringify(kasane)}`];
  if (Array.isArray(helm) && Array.isArray(kasane)) {
    const lines: string[] = [];
    if (helm.length !== kasane.length) lines.push(`${path}: helm has ${helm.length} items, kasane ${kasane.length}`);
    for (let i = 0; i < Math.min(helm.length, kasane.length); i++) lines.push(...diffValues(helm[i], kasane[i], `${path}[${i}]`));
    if (helm.length !== kasane.length) {
      lines.push(`${path}: helm=${JSON.stringify(helm)} kasane=${JSON.stringify(kasane)}`);
    }
    return lines;
  }
  const h = helm as Record<string, unknown>;
  const k = kasane as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(h), ...Object.keys(k)])].sort();
  return keys.flatMap((key) => {
    const sub = `${path}.${key}`;
    if (!(key in k)) return [`${sub}: only in helm (${JSON.stringify(h[key])})`];
    if (!(key in h)) return [`${sub}: only in kasane (${JSON.stringify(k[key])})`];
    return diffValues(h[key], k[key], sub);
  });
}

/**
 * Object-by-object comparison keyed by kind, namespace and name. Returns one line per difference
 * (missing and extra objects, then differing fields); empty when the renders agree.
 */
export function compareRenders(helmObjects: readonly Manifest[], kasaneObjects: readonly Manifest[]): string[] {
  const helm = indexByKey(helmObjects);
  const kasane = indexByKey(kasaneObjects.map(stripKasaneLabels));
  const lines: string[] = [];
  for (const [key, object] of helm) {
    const other = kasane.get(key);
    if (!other) {
      lines.push(`missing in kasane: ${key}${nearMiss(object, kasane)}`);
      continue;
    }
    lines.push(...diffValues(object, other).map((line) => `${key} ${line}`));
  }
  for (const key of kasane.keys()) if (!helm.has(key)) lines.push(`only in kasane: ${key}`);
  return lines;
}

function nearMiss(object: Manifest, others: Map<string, Manifest>): string {
  for (const other of others.values()) {
    if (other.kind === object.kind && other.metadata.name === object.metadata.name) {
      return ` (kasane has it in namespace ${JSON.stringify(other.metadata.namespace)})`;
    }
  }
  return '';
}

/** `checksum/*` annotations of the object and its pod template, keyed `<object key> <annotation>`. */
export function checksumAnnotations(objects: readonly Manifest[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const object of objects) {
    const spec = object['spec'] as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined;
    const sources = [
      ['metadata', object.metadata.annotations],
      ['template', spec?.template?.metadata?.annotations],
    ] as const;
    for (const [where, annotations] of sources) {
      for (const [name, value] of Object.entries(annotations ?? {})) {
        if (name.startsWith('checksum/')) found.set(`${keyOf(object)} ${where} ${name}`, value);
      }
    }
  }
  return found;
}
