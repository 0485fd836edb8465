import { mapLimit, type ClusterClient } from '../cluster/index.js';
import { health, type Health } from '../health/index.js';
import { throwIfAborted } from './errors.js';
import { refKey, type KubeObject, type ObjectRef } from '../model/object.js';

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Called when an object's health message changes while it is still progressing, and every 5 s while it does not. */
  readonly onProgress?: (ref: ObjectRef, h: Health) => void;
  /** First poll delay; doubles up to maxDelayMs. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Stops the wait (with SyncInterruptedError) between two polls. */
  readonly signal?: AbortSignal;
}

const REPEAT_PROGRESS_MS = 5_000;

export type WaitOutcome =
  | { readonly kind: 'healthy'; readonly objects: ReadonlyMap<string, KubeObject> }
  | { readonly kind: 'failed'; readonly ref: ObjectRef; readonly message: string; readonly object: KubeObject }
  | { readonly kind: 'timeout'; readonly pending: readonly { ref: ObjectRef; message: string }[] };

/**
 * Polls the objects until every one is healthy, one has failed, or the time is up. Polling with
 * backoff rather than watching: a poll is a few lists (readRound), and it survives dropped
 * connections without bookkeeping.
 */
export async function waitHealthy(client: ClusterClient, refs: readonly ObjectRef[], opts: WaitOptions): Promise<WaitOutcome> {
  const deadline = Date.now() + opts.timeoutMs;
  const maxDelay = opts.maxDelayMs ?? 2_000;
  let delay = opts.initialDelayMs ?? 100;
  const pending = new Map(refs.map((r) => [refKey(r), r]));
  const lastMessage = new Map<string, string>();
  const lastReported = new Map<string, number>();
  const done = new Map<string, KubeObject>();

  for (;;) {
    throwIfAborted(opts.signal);
    const round = [...pending];
    const lives = await readRound(client, round.map(([, ref]) => ref));
    for (const [i, [key, ref]] of round.entries()) {
      const live = lives[i];
      const h: Health = live === undefined ? { status: 'Progressing', message: 'not found' } : health(live);
      if (h.status === 'Healthy' && live !== undefined) {
        pending.delete(key);
        done.set(key, live);
      } else if (h.status === 'Failed' && live !== undefined) {
        return { kind: 'failed', ref, message: h.message, object: live };
      } else if (lastMessage.get(key) !== h.message || Date.now() - (lastReported.get(key) ?? 0) >= REPEAT_PROGRESS_MS) {
        lastMessage.set(key, h.message);
        lastReported.set(key, Date.now());
        opts.onProgress?.(ref, h);
      }
    }
    if (pending.size === 0) return { kind: 'healthy', objects: done };
    const left = deadline - Date.now();
    if (left <= 0) {
      return {
        kind: 'timeout',
        pending: [...pending].map(([key, ref]) => ({ ref, message: lastMessage.get(key) ?? 'not healthy' })),
      };
    }
    await sleep(Math.min(delay, left), opts.signal);
    delay = Math.min(delay * 2, maxDelay);
  }
}

/** Below this many objects of one kind in one namespace, a get each is cheaper than a list. */
const LIST_THRESHOLD = 5;

/**
 * The live objects of one poll, in the order of `refs`: one list per kind and namespace where
 * enough of them share one (a wave of 200 Deployments is one request, not 200), a get each otherwise.
 */
async function readRound(client: ClusterClient, refs: readonly ObjectRef[]): Promise<(KubeObject | undefined)[]> {
  const groups = new Map<string, number[]>();
  refs.forEach((r, i) => {
    const key = `${r.apiVersion}|${r.kind}|${r.namespace ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const out: (KubeObject | undefined)[] = new Array(refs.length).fill(undefined);
  const single: number[] = [];
  await mapLimit([...groups.values()], 8, async (indexes) => {
    const first = refs[indexes[0]!]!;
    if (indexes.length < LIST_THRESHOLD) {
      single.push(...indexes);
      return;
    }
    // Allowed to get but not to list (RBAC): one get each, as before.
    const items = await client.list(first.apiVersion, first.kind, first.namespace === undefined ? {} : { namespace: first.namespace }).catch(() => undefined);
    if (items === undefined) {
      single.push(...indexes);
      return;
    }
    const byName = new Map(items.map((o) => [o.metadata.name ?? '', o]));
    for (const i of indexes) out[i] = byName.get(refs[i]!.name);
  });
  const lives = await mapLimit(single, 8, (i) => client.get(refs[i]!));
  single.forEach((i, n) => {
    out[i] = lives[n];
  });
  return out;
}

/** Resolves after ms, or at once when the signal fires (the caller then checks it). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
