/**
 * metadata.managedFields as the engine works with it: one field set per manager identity.
 * An identity is what the real server keys entries by: manager name, operation, subresource, and
 * for Update operations also the apiVersion (an applier keeps one entry across versions).
 */
import { FieldSet } from './fieldset.js';
import { isObj } from './typed.js';

export type Operation = 'Apply' | 'Update';

export interface ManagerEntry {
  readonly manager: string;
  readonly operation: Operation;
  readonly apiVersion: string;
  readonly time: string | undefined;
  readonly subresource: string | undefined;
  readonly set: FieldSet;
}

/** The identity string upstream sorts conflicts by (a JSON encoding of the entry without fields and time). */
export function identityOf(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  const id: Record<string, string> = { manager: e.manager, operation: e.operation };
  if (e.operation === 'Update' && e.apiVersion) id['apiVersion'] = e.apiVersion;
  if (e.subresource) id['subresource'] = e.subresource;
  return JSON.stringify(id);
}

export type Managers = Map<string, ManagerEntry>;

/** Reads managedFields; entries that are not well-formed are ignored, as upstream ignores what it cannot decode. */
export function decodeManagedFields(raw: unknown): Managers {
  const out: Managers = new Map();
  if (!Array.isArray(raw)) return out;
  for (const item of raw) {
    if (!isObj(item) || typeof item['manager'] !== 'string') continue;
    const operation = item['operation'] === 'Apply' ? 'Apply' : item['operation'] === 'Update' ? 'Update' : undefined;
    if (!operation) continue;
    const entry: ManagerEntry = {
      manager: item['manager'],
      operation,
      apiVersion: typeof item['apiVersion'] === 'string' ? item['apiVersion'] : '',
      time: typeof item['time'] === 'string' ? item['time'] : undefined,
      subresource: typeof item['subresource'] === 'string' && item['subresource'] ? item['subresource'] : undefined,
      set: FieldSet.fromFieldsV1(item['fieldsV1']),
    };
    out.set(identityOf(entry), entry);
  }
  return out;
}

/**
 * Writes managedFields in the real server's order (operation, then time in seconds, then
 * manager, apiVersion, subresource); managers that own nothing are dropped.
 */
export function encodeManagedFields(managers: Managers): Record<string, unknown>[] {
  const seconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...managers.values()]
    .filter((e) => !e.set.isEmpty())
    .sort(
      (p, q) =>
        cmp(p.operation, q.operation) ||
        seconds(p.time) - seconds(q.time) ||
        cmp(p.manager, q.manager) ||
        cmp(p.apiVersion, q.apiVersion) ||
        cmp(p.subresource ?? '', q.subresource ?? ''),
    )
    .map((e) => {
      const entry: Record<string, unknown> = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
      if (e.time !== undefined) entry['time'] = e.time;
      entry['fieldsType'] = 'FieldsV1';
      entry['fieldsV1'] = e.set.toFieldsV1();
      if (e.subresource) entry['subresource'] = e.subresource;
      return entry;
    });
}

/** Fields the server owns itself and never attributes to a manager. */
export const SERVER_FIELDS: FieldSet = FieldSet.of(
  [
    ['f:apiVersion'],
    ['f:kind'],
    ['f:metadata'],
    ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'generation', 'managedFields', 'resourceVersion'].map(
      (f) => ['f:metadata', `f:${f}`],
    ),
  ],
);

/** Metadata a client cannot apply: the server sets it. */
export const SERVER_METADATA = [
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;
