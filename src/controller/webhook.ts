/**
 * Push notifications: which sender signed a request, whether the signature holds, and which ref
 * was pushed. Pure functions over headers and the raw body; the HTTP server calls them.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

export type Verification =
  | { readonly ok: true; readonly sender: 'github' | 'gitlab' | 'generic' }
  | { readonly ok: false; readonly reason: string };

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  // Compare digests, so lengths always match and nothing leaks through timing.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest()) && a.length === b.length;
}

function hmacMatches(secret: string, body: Buffer, given: string): boolean {
  const m = /^sha256=([0-9a-f]{64})$/i.exec(given.trim());
  if (m === null) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return sameBytes(expected, Buffer.from(m[1]!.toLowerCase(), 'hex'));
}

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC of the body>`; generic senders:
 * `X-Kasane-Signature` in the same form; GitLab: `X-Gitlab-Token`, the shared secret itself.
 */
export function verifyWebhook(secret: string, headers: Headers, body: Buffer): Verification {
  const github = header(headers, 'x-hub-signature-256');
  if (github !== undefined) return hmacMatches(secret, body, github) ? { ok: true, sender: 'github' } : { ok: false, reason: 'X-Hub-Signature-256 does not match' };
  const generic = header(headers, 'x-kasane-signature');
  if (generic !== undefined) return hmacMatches(secret, body, generic) ? { ok: true, sender: 'generic' } : { ok: false, reason: 'X-Kasane-Signature does not match' };
  const gitlab = header(headers, 'x-gitlab-token');
  if (gitlab !== undefined) return sameBytes(Buffer.from(gitlab), Buffer.from(secret)) ? { ok: true, sender: 'gitlab' } : { ok: false, reason: 'X-Gitlab-Token does not match' };
  return { ok: false, reason: 'no signature: send X-Hub-Signature-256, X-Gitlab-Token or X-Kasane-Signature' };
}

/** The ref a push payload names (`refs/heads/main`, `refs/tags/v1`), when it names one. */
export function pushedRef(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const ref = (payload as Record<string, unknown>)['ref'];
  return typeof ref === 'string' ? ref : undefined;
}

/** Whether a pushed ref concerns the branch or tag the daemon follows; a payload without a ref always does. */
export function concernsRef(pushed: string | undefined, followed: string): boolean {
  if (pushed === undefined) return true;
  return pushed === followed || pushed === `refs/heads/${followed}` || pushed === `refs/tags/${followed}`;
}
