/**
 * Leader election through a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * the leader renews `renewTime` every renew period; a replica takes the Lease only when it is free
 * (no holder) or its holder let it lapse (renewTime + leaseDurationSeconds passed). Every write
 * names the resourceVersion it read, so of two replicas racing for one Lease exactly one wins.
 */
import { AlreadyExistsError, ConflictError, NotFoundError, type ClusterClient } from '../cluster/index.js';
import type { KubeObject, ObjectRef } from '../model/object.js';

export interface LeaderOptions {
  readonly namespace: string;
  readonly name: string;
  /** Who this replica is (its pod name in a cluster). */
  readonly identity: string;
  readonly leaseDurationMs: number;
  /** How often the leader renews; default a third of the lease duration. */
  readonly renewEveryMs?: number;
  /** How often a standby looks at the Lease; default a quarter of the lease duration. */
  readonly retryEveryMs?: number;
  /** Where this replica's HTTP endpoints are reachable from the others; standbys forward webhooks there. */
  readonly advertiseUrl?: string;
}

/** Annotation on the Lease naming the leader's endpoint. */
export const ANNOTATION_LEADER_URL = 'kasane.io/leader-url';

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
  onError?(err: unknown): void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export class LeaderElector {
  private leading = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = 0;
  /** The current holder's advertised URL, as last read from the Lease. */
  leaderUrl: string | undefined;
  /** Whether the Lease was read at least once. */
  observed = false;
  private readonly ref: ObjectRef;

  constructor(
    private readonly client: ClusterClient,
    private readonly opts: LeaderOptions,
    private readonly callbacks: LeaderCallbacks,
  ) {
    this.ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: opts.namespace, name: opts.name };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /**
   * Stops campaigning. With `release` (graceful shutdown) a held Lease is handed back at once, so a
   * standby need not wait for it to lapse; without it (a crash, as tests play one) it just lapses.
   */
  async stop(release: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const wasLeading = this.leading;
    this.setLeading(false);
    if (release && wasLeading) await this.release().catch((err: unknown) => this.callbacks.onError?.(err));
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const held = await this.tryAcquireOrRenew();
      if (held) this.lastRenew = Date.now();
      if (!this.stopped) this.setLeading(held || (this.leading && Date.now() - this.lastRenew < this.opts.leaseDurationMs * 0.8));
    } catch (err) {
      this.callbacks.onError?.(err);
      // Cannot reach the API server: lead on only while the Lease we last renewed surely holds.
      if (this.leading && Date.now() - this.lastRenew >= this.opts.leaseDurationMs * 0.8) this.setLeading(false);
    }
    if (this.stopped) return;
    const every = this.leading ? (this.opts.renewEveryMs ?? this.opts.leaseDurationMs / 3) : (this.opts.retryEveryMs ?? this.opts.leaseDurationMs / 4);
    this.timer = setTimeout(() => void this.tick(), every);
  }

  private setLeading(value: boolean): void {
    if (value === this.leading) return;
    this.leading = value;
    if (value) this.callbacks.onStartedLeading();
    else this.callbacks.onStoppedLeading();
  }

  /** One round: create, renew or take the Lease; true when this replica holds it afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const lease = await this.client.get(this.ref);
    if (lease === undefined) {
      try {
        this.observed = true;
        await this.client.create(this.leaseObject({ holderIdentity: this.opts.identity, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 }));
        return true;
      } catch (err) {
        if (err instanceof AlreadyExistsError) return false;
        throw err;
      }
    }
    const spec = (lease['spec'] ?? {}) as LeaseSpec;
    const version = typeof lease.metadata['resourceVersion'] === 'string' ? lease.metadata['resourceVersion'] : undefined;
    this.observed = true;
    const annotations = (lease.metadata['annotations'] ?? {}) as Record<string, string>;
    this.leaderUrl = spec.holderIdentity ? annotations[ANNOTATION_LEADER_URL] : undefined;
    const mine = spec.holderIdentity === this.opts.identity;
    if (!mine && !isFree(spec, now)) return false;
    const transitions = spec.leaseTransitions ?? 0;
    const next: LeaseSpec = mine
      ? { holderIdentity: this.opts.identity, acquireTime: spec.acquireTime ?? microTime(now), renewTime: microTime(now), leaseTransitions: transitions }
      : { holderIdentity: this.opts.identity, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: transitions + 1 };
    try {
      await this.client.apply(this.leaseObject(next, version), { force: true });
      return true;
    } catch (err) {
      // Someone else wrote the Lease since we read it: they won this round.
      if (err instanceof ConflictError || err instanceof NotFoundError) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const lease = await this.client.get(this.ref);
    if (lease === undefined) return;
    const spec = (lease['spec'] ?? {}) as LeaseSpec;
    if (spec.holderIdentity !== this.opts.identity) return;
    const now = microTime(new Date());
    const version = typeof lease.metadata['resourceVersion'] === 'string' ? lease.metadata['resourceVersion'] : undefined;
    await this.client.apply(
      this.leaseObject({ holderIdentity: '', acquireTime: now, renewTime: now, leaseTransitions: spec.leaseTransitions ?? 0 }, version, 1),
      { force: true },
    );
  }

  private leaseObject(spec: LeaseSpec, resourceVersion?: string, durationSeconds?: number): KubeObject {
    return {
      apiVersion: this.ref.apiVersion,
      kind: this.ref.kind,
      metadata: {
        name: this.ref.name,
        namespace: this.ref.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'kasane', 'app.kubernetes.io/component': 'leader-election' },
        annotations: { [ANNOTATION_LEADER_URL]: spec.holderIdentity ? (this.opts.advertiseUrl ?? '') : '' },
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
      },
      spec: { ...spec, leaseDurationSeconds: durationSeconds ?? Math.max(1, Math.ceil(this.opts.leaseDurationMs / 1000)) },
    };
  }
}

/** No holder, or the holder's last renewal is older than the duration it promised. */
function isFree(spec: LeaseSpec, now: Date): boolean {
  if (!spec.holderIdentity) return true;
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
  if (Number.isNaN(renewed)) return true;
  return renewed + (spec.leaseDurationSeconds ?? 15) * 1000 <= now.getTime();
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
