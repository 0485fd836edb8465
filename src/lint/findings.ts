/** What lint reports: one finding per problem, with the object, the field and the template it came from. */
import type { ObjectRef } from '../model/object.js';

export type Severity = 'error' | 'warning';

/** Which check found it; stable names, part of the JSON output. */
export type Rule =
  | 'render'
  | 'schema'
  | 'unknown-field'
  | 'unknown-kind'
  | 'no-schema'
  | 'crd-schema'
  | 'name'
  | 'label'
  | 'annotation'
  | 'hook';

export interface Finding {
  readonly severity: Severity;
  readonly rule: Rule;
  /** What is wrong (and what to do), without the location: printers add object, field and file. */
  readonly message: string;
  readonly object?: ObjectRef;
  /** Path of the field inside the object: `spec.template.spec.containers[0].image`. */
  readonly field?: string;
  /** Repository-relative file: `charts/<chart>/templates/<file>`, or the environment file. */
  readonly file?: string;
  /** 1-based line in `file` (for an object: where its document starts). */
  readonly line?: number;
}

/** Where an object came from, shared by every finding about it. */
export interface ObjectSite {
  readonly ref: ObjectRef;
  readonly file: string;
  readonly line?: number;
}

export function finding(
  site: ObjectSite,
  severity: Severity,
  rule: Rule,
  field: string | undefined,
  message: string,
): Finding {
  return {
    severity,
    rule,
    message,
    object: site.ref,
    ...(field === undefined || field === '' ? {} : { field }),
    file: site.file,
    ...(site.line === undefined ? {} : { line: site.line }),
  };
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Field path segments joined for people: `spec.containers[0].env`, `metadata.labels["app.kubernetes.io/name"]`. */
export function fieldPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * A JSON pointer (`/spec/containers/0/image`, as ajv reports it) as path segments, with array indexes as
 * numbers: which segments are indexes is read off the data, since a map key may look like a number.
 */
export function pointerSegments(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const segments: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      segments.push(Number(key));
      node = node[Number(key)];
    } else {
      segments.push(key);
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return segments;
}

/** The value at a JSON pointer, undefined when absent. */
export function valueAt(pointer: string, data: unknown): unknown {
  let node = data;
  for (const segment of pointerSegments(pointer, data)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** A value in a message: short, and never a whole subtree. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
