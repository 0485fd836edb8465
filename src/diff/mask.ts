/**
 * Secret values never reach a diff in the clear. Each value of a Secret's `data` and `stringData` is
 * replaced by a mask that numbers the distinct values of that key, the old side first:
 * `*** value 1 ***`. So an unchanged value shows the same mask on both sides, a changed one shows
 * `value 1` → `value 2`, and nothing about the value (length, characters, a hash that could be
 * guessed offline) is revealed. The numbering is deterministic, so the same change gives the same
 * pull-request comment every time; a salted hash would give a different one on every run.
 * `data` (base64) and `stringData` (plain) are compared by the bytes they decode to.
 */
import { groupOf, type KubeObject } from '../model/object.js';

const SECRET_FIELDS = ['data', 'stringData'] as const;

export function maskText(n: number): string {
  return `*** value ${n} ***`;
}

function isSecret(obj: KubeObject | undefined): obj is KubeObject {
  return obj !== undefined && obj.kind === 'Secret' && groupOf(obj.apiVersion) === '';
}

function valueBytes(field: (typeof SECRET_FIELDS)[number], value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // Latin-1 of the decoded bytes: a lossless key for comparing, never shown.
  return field === 'data' ? Buffer.from(text, 'base64').toString('latin1') : Buffer.from(text, 'utf8').toString('latin1');
}

/**
 * Copies of before and after with Secret values masked (unless show); other kinds pass unchanged.
 * Masks are numbered per key, so equal values of one key share a mask.
 */
export function maskSecrets<T extends KubeObject | undefined, U extends KubeObject | undefined>(
  before: T,
  after: U,
  opts: { show: boolean },
): { before: T; after: U } {
  if (opts.show || (!isSecret(before) && !isSecret(after))) return { before, after };
  const numbers = new Map<string, Map<string, number>>();
  const maskOne = (obj: KubeObject | undefined): KubeObject | undefined => {
    if (!isSecret(obj)) return obj;
    const copy: KubeObject = { ...obj };
    for (const field of SECRET_FIELDS) {
      const values = obj[field];
      if (typeof values !== 'object' || values === null) continue;
      const masked: Record<string, string> = {};
      for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
        let seen = numbers.get(key);
        if (!seen) numbers.set(key, (seen = new Map()));
        const identity = valueBytes(field, value);
        let n = seen.get(identity);
        if (n === undefined) seen.set(identity, (n = seen.size + 1));
        masked[key] = maskText(n);
      }
      copy[field] = masked;
    }
    return copy;
  };
  return { before: maskOne(before) as T, after: maskOne(after) as U };
}
