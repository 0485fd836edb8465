/**
 * Secret values never reach a diff, or the output of `kasane render`, in the clear. Each value of a
 * Secret's `data` and `stringData` is replaced by a mask that numbers the distinct values of that key,
 * the old side first:
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
 * Masks Secret values, numbering the distinct values of each key in the order it meets them, so
 * equal values of one key share a mask across every object it is given. `masked` counts the values
 * replaced so far.
 */
export class SecretMasker {
  private readonly numbers = new Map<string, Map<string, number>>();
  masked = 0;

  /** A copy of obj with its `data` and `stringData` values masked; objects of other kinds as they are. */
  mask<T extends KubeObject | undefined>(obj: T): T {
    if (!isSecret(obj)) return obj;
    const copy: KubeObject = { ...obj };
    for (const field of SECRET_FIELDS) {
      const values = obj[field];
      if (typeof values !== 'object' || values === null) continue;
      const masked: Record<string, string> = {};
      for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
        let seen = this.numbers.get(key);
        if (!seen) this.numbers.set(key, (seen = new Map()));
        const identity = valueBytes(field, value);
        let n = seen.get(identity);
        if (n === undefined) seen.set(identity, (n = seen.size + 1));
        masked[key] = maskText(n);
        this.masked++;
      }
      copy[field] = masked;
    }
    return copy as T;
  }
}

/**
 * Copies of before and after with Secret values masked (unless show); other kinds pass unchanged.
 * Masks are numbered per key, the old side first, so equal values of one key share a mask.
 */
export function maskSecrets<T extends KubeObject | undefined, U extends KubeObject | undefined>(
  before: T,
  after: U,
  opts: { show: boolean },
): { before: T; after: U } {
  if (opts.show || (!isSecret(before) && !isSecret(after))) return { before, after };
  const masker = new SecretMasker();
  return { before: masker.mask(before), after: masker.mask(after) };
}
