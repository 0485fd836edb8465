import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import type { ClusterClient } from '../cluster/index.js';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../cluster/errors.js';
import { KasaneError } from '../errors.js';
import type { KubeObject, ObjectRef } from '../model/object.js';
import { recordSelector } from './record.js';

/** How long a lock outlives its holder's last renewal: a crashed sync blocks others this long at most. */
export const LOCK_DURATION_SECONDS = 120;

export interface LockOptions {
  readonly namespace: string;
  readonly environment: string;
  readonly release: string;
  /** Who is asking: shown to whoever has to wait. */
  readonly holder: string;
  /** How long to wait for another holder before giving up. */
  readonly waitMs: number;
  /** Called once when the lock is held by someone else and we start waiting. */
  readonly onWait?: (holder: string, expiresAt: Date) => void;
  readonly pollMs?: number;
  /** Gives up waiting (rejecting with the signal's reason) when it fires. */
  readonly signal?: AbortSignal | undefined;
}

/** A held lock: renewed in the background until released. */
export interface ReleaseLock {
  readonly holder: string;
  release(): Promise<void>;
}

export class LockHeldError extends KasaneError {
  override readonly name: string = 'LockHeldError';
  constructor(
    readonly environment: string,
    readonly release: string,
    readonly holder: string,
    readonly expiresAt: Date,
    readonly waitedMs: number,
  ) {
    super(
      `release ${release} of environment ${environment} is being synced by ${holder}; gave up after waiting ${Math.round(waitedMs / 1000)}s`,
      {
        hint: `run again when that sync has finished; if its process is gone, its lock expires at ${expiresAt.toISOString()}`,
      },
    );
  }
}

/** Identifies this process to other syncs: host, pid and a random tag (two syncs in one process differ). */
export function defaultHolder(): string {
  return `${hostname()}/pid-${process.pid}/${randomBytes(3).toString('hex')}`;
}

/** Annotation on the lock's Lease: the PID namespace of the holder (Linux), so a dead holder can be recognised. */
export const PID_NAMESPACE_ANNOTATION = 'kasane.io/lock-pid-namespace';

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/**
 * Whether the holder of `lease` is proven dead: it names this host and a process id (as
 * defaultHolder() writes it), it ran in this very PID namespace, and no process has that id. Anything
 * less (another host, another container, an unreadable holder, a live or reused pid) proves nothing,
 * and the lock is waited for or left to expire.
 */
function holderIsDead(lease: KubeObject, holder: string): boolean {
  const m = /^(.+)\/pid-(\d+)\/[0-9a-f]+$/.exec(holder);
  if (m === null || m[1] !== hostname()) return false;
  const ns = pidNamespace();
  if (ns === undefined || lease.metadata.annotations?.[PID_NAMESPACE_ANNOTATION] !== ns) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export function lockRef(namespace: string, environment: string, release: string): ObjectRef {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name: `kasane.${environment}.${release}` };
}

/**
 * Takes the per-release lock, a coordination.k8s.io Lease with holder and renew time: free or
 * expired leases are taken (with the resourceVersion as precondition, so two takers cannot both
 * win), held ones are waited for up to opts.waitMs.
 */
export async function acquireLock(client: ClusterClient, opts: LockOptions): Promise<ReleaseLock> {
  const ref = lockRef(opts.namespace, opts.environment, opts.release);
  const started = Date.now();
  let announced = false;
  for (;;) {
    const lease = await client.get(ref);
    const now = new Date();
    if (lease === undefined) {
      try {
        const created = await client.create(leaseObject(ref, opts, now, now));
        return heldLock(client, ref, opts, now, created);
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
        continue;
      }
    }
    const state = leaseState(lease);
    if (state.holder === opts.holder || state.expiresAt.getTime() <= now.getTime() || holderIsDead(lease, state.holder)) {
      try {
        const taken = await client.apply(leaseObject(ref, opts, now, now, resourceVersionOf(lease)), { force: true });
        return heldLock(client, ref, opts, now, taken);
      } catch (err) {
        // Someone else renewed, took or released it in between: look again.
        if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
        continue;
      }
    }
    const waited = Date.now() - started;
    if (waited >= opts.waitMs) throw new LockHeldError(opts.environment, opts.release, state.holder, state.expiresAt, waited);
    if (!announced) {
      announced = true;
      opts.onWait?.(state.holder, state.expiresAt);
    }
    // Rejects with the signal's reason when it fires while waiting.
    await delay(Math.min(opts.pollMs ?? 1_000, Math.max(0, opts.waitMs - waited)), undefined, opts.signal ? { signal: opts.signal } : {});
  }
}

function heldLock(client: ClusterClient, ref: ObjectRef, opts: LockOptions, acquired: Date, lease: KubeObject): ReleaseLock {
  // Renew well within the duration, so a slow API server never lets a live lock expire. Each
  // renewal names the version it last wrote: if another process took an expired lock meanwhile,
  // the renewal fails instead of taking it back.
  let version = resourceVersionOf(lease);
  const timer = setInterval(() => {
    client
      .apply(leaseObject(ref, opts, acquired, new Date(), version), { force: true })
      .then((renewed) => {
        version = resourceVersionOf(renewed);
      })
      .catch((err: unknown) => {
        if (err instanceof ConflictError) clearInterval(timer);
      });
  }, (LOCK_DURATION_SECONDS * 1000) / 4);
  timer.unref();
  return {
    holder: opts.holder,
    release: async () => {
      clearInterval(timer);
      const lease = await client.get(ref);
      if (lease !== undefined && leaseState(lease).holder === opts.holder) await client.delete(ref);
    },
  };
}

function resourceVersionOf(obj: KubeObject): string | undefined {
  const rv = obj.metadata['resourceVersion'];
  return typeof rv === 'string' ? rv : undefined;
}

function leaseState(lease: KubeObject): { holder: string; expiresAt: Date } {
  const spec = (lease['spec'] ?? {}) as Record<string, unknown>;
  const holder = typeof spec['holderIdentity'] === 'string' ? spec['holderIdentity'] : '(unknown)';
  const renewed = Date.parse(String(spec['renewTime'] ?? spec['acquireTime'] ?? ''));
  const seconds = typeof spec['leaseDurationSeconds'] === 'number' ? spec['leaseDurationSeconds'] : LOCK_DURATION_SECONDS;
  // A lease without a readable renew time cannot prove it is alive.
  return { holder, expiresAt: new Date(Number.isNaN(renewed) ? 0 : renewed + seconds * 1000) };
}

function leaseObject(ref: ObjectRef, opts: LockOptions, acquired: Date, renewed: Date, resourceVersion?: string): KubeObject {
  const namespaceOfPids = pidNamespace();
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: recordSelector(opts.environment, opts.release),
      ...(namespaceOfPids === undefined ? {} : { annotations: { [PID_NAMESPACE_ANNOTATION]: namespaceOfPids } }),
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    },
    spec: {
      holderIdentity: opts.holder,
      leaseDurationSeconds: LOCK_DURATION_SECONDS,
      acquireTime: microTime(acquired),
      renewTime: microTime(renewed),
    },
  };
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
