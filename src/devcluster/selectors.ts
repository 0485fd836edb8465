/** Label and field selectors as list and watch requests carry them. */
import type { KubeObject } from '../model/object.js';
import { badRequest } from './status.js';

export type Requirement =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (fields: (key: string) => string | undefined) => boolean;

/** Splits on commas outside parentheses: `a in (x,y),b` → [`a in (x,y)`, `b`]. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_./]*[a-z0-9A-Z])?)$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${selector}"`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value)) throw badRequest(`unable to parse requirement: invalid label value "${value}" in selector "${selector}"`);
  return value;
}

export function parseLabelSelector(selector: string): Requirement[] {
  return splitTerms(selector).map((term) => {
    let m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(term);
    if (m) {
      const key = checkKey(m[1] ?? '', selector);
      const value = checkValue(m[3] ?? '', selector);
      return { op: m[2] === '!=' ? 'ne' : 'eq', key, value };
    }
    m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
    if (m) {
      const key = checkKey(m[1] ?? '', selector);
      const values = (m[3] ?? '').split(',').map((v) => checkValue(v.trim(), selector));
      return { op: m[2] === 'in' ? 'in' : 'notin', key, values };
    }
    m = /^(!?)\s*(\S+)$/.exec(term);
    if (m) return { op: m[1] === '!' ? 'notexists' : 'exists', key: checkKey(m[2] ?? '', selector) };
    throw badRequest(`unable to parse requirement: found '${term}', expected: identifier`);
  });
}

function matches(requirements: Requirement[], get: (key: string) => string | undefined): boolean {
  return requirements.every((r) => {
    const v = get(r.key);
    switch (r.op) {
      case 'eq':
        return v === r.value;
      case 'ne':
        return v !== r.value;
      case 'in':
        return v !== undefined && r.values.includes(v);
      case 'notin':
        return v === undefined || !r.values.includes(v);
      case 'exists':
        return v !== undefined;
      case 'notexists':
        return v === undefined;
    }
  });
}

function fieldValue(obj: KubeObject, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

export interface ObjectFilter {
  (obj: KubeObject): boolean;
}

/**
 * Builds one predicate from `labelSelector` and `fieldSelector`. Field selectors accept
 * metadata.name and metadata.namespace plus the kind's extra fields; anything else is a 400.
 */
export function objectFilter(labelSelector: string | null, fieldSelector: string | null, extraFields: readonly string[]): ObjectFilter {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : [];
  const fields: Requirement[] = [];
  if (fieldSelector) {
    for (const term of splitTerms(fieldSelector)) {
      const m = /^([^!=]+?)\s*(==|!=|=)\s*(.*)$/.exec(term);
      if (!m) throw badRequest(`invalid selector: '${fieldSelector}'; can't understand '${term}'`);
      const key = m[1] ?? '';
      if (key !== 'metadata.name' && key !== 'metadata.namespace' && !extraFields.includes(key)) {
        throw badRequest(`field label not supported: ${key}`);
      }
      fields.push({ op: m[2] === '!=' ? 'ne' : 'eq', key, value: m[3] ?? '' });
    }
  }
  return (obj) =>
    matches(labels, (key) => obj.metadata.labels?.[key]) &&
    matches(fields, (key) => fieldValue(obj, key));
}
