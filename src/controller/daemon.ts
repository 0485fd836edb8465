/**
 * `kasane daemon`: a Git source, one reconciler per environment, leader election, and the HTTP
 * endpoints, wired together. Only the Lease holder syncs; standbys serve probes, status and
 * metrics and forward webhooks to the leader.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ClusterClient } from '../cluster/index.js';
import type { GitSource, SourceSnapshot } from '../git/index.js';
import { LeaderElector } from './leader.js';
import { DaemonMetrics } from './metrics.js';
import { EnvironmentReconciler } from './reconciler.js';
import { createDaemonServer } from './server.js';
import type { DaemonStatus, SourceStatus } from './status.js';
import type { Headers } from './webhook.js';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly leaseDurationMs: number;
}

export interface DaemonOptions {
  readonly client: ClusterClient;
  readonly source: GitSource;
  readonly environments: readonly string[];
  readonly log: Logger;
  /** This replica's name: Lease holder, release-lock holder, Event reporter. */
  readonly identity: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly webhookSecret?: string;
  /** Absent: this replica is the only one and always syncs. */
  readonly leaderElection?: LeaderElectionOptions;
  /** Where the other replicas reach this one (for webhook forwarding). */
  readonly advertiseUrl?: string;
  readonly now?: () => Date;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** How long a sync waits for a release lock held by another process. */
  readonly lockWaitMs?: number;
}

export class Daemon {
  readonly metrics = new DaemonMetrics();
  private readonly reconcilers: EnvironmentReconciler[];
  private readonly elector: LeaderElector | undefined;
  private readonly sourceStatus: SourceStatus;
  private server: Server | undefined;
  private work = new AbortController();
  private stopping = false;
  private leading: boolean;

  constructor(private readonly opts: DaemonOptions) {
    const { source } = opts;
    this.sourceStatus = { url: source.displayUrl, ref: source.ref, path: source.path, revision: null, lastFetchTime: null, lastFetchError: null };
    this.leading = opts.leaderElection === undefined;
    this.metrics.leader.set(this.leading ? 1 : 0);
    const deps = {
      client: opts.client,
      metrics: this.metrics,
      log: opts.log,
      identity: opts.identity,
      now: opts.now ?? (() => new Date()),
      fetch: () => this.fetch(),
      canSync: () => this.leading && !this.stopping,
      signal: () => this.work.signal,
      backoffBaseMs: opts.backoffBaseMs ?? 2_000,
      backoffMaxMs: opts.backoffMaxMs ?? 5 * 60_000,
      redact: (t: string) => source.redact(t),
      lockWaitMs: opts.lockWaitMs ?? 60_000,
    };
    this.reconcilers = opts.environments.map((name) => new EnvironmentReconciler(name, deps));
    if (opts.leaderElection !== undefined) {
      this.elector = new LeaderElector(
        opts.client,
        { ...opts.leaderElection, identity: opts.identity, ...(opts.advertiseUrl === undefined ? {} : { advertiseUrl: opts.advertiseUrl }) },
        {
          onStartedLeading: () => this.setLeading(true),
          onStoppedLeading: () => this.setLeading(false),
          onError: (err) => opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'leader election: cannot reach the Lease'),
        },
      );
    }
  }

  /** Listens, starts leader election (or, without it, the reconcilers); resolves with the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    this.server = createDaemonServer({
      metrics: this.metrics,
      log: this.opts.log,
      ref: this.opts.source.ref,
      webhookSecret: this.opts.webhookSecret,
      alive: () => !this.stopping,
      ready: () => this.ready(),
      status: () => this.status(),
      onPush: (sender, headers, body) => this.onPush(sender, headers, body),
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listen.port, this.opts.listen.host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    this.opts.log.info({ address: `${address.address}:${address.port}`, identity: this.opts.identity, source: this.opts.source.displayUrl, ref: this.opts.source.ref, environments: this.opts.environments }, 'daemon started');
    if (this.elector === undefined) for (const r of this.reconcilers) r.start();
    else {
      for (const r of this.reconcilers) r.start();
      this.elector.start();
    }
    return { host: address.address, port: address.port };
  }

  /**
   * Graceful stop (SIGTERM): no new work, the sync in flight stops at its next safe point (the
   * engine records the revision and releases its lock), the Lease is handed back, the server closes.
   */
  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.opts.log.info({}, 'shutting down: finishing the sync in flight');
    this.work.abort();
    await Promise.all(this.reconcilers.map((r) => r.stop()));
    await this.elector?.stop(true);
    await this.closeServer();
    await this.opts.source.dispose();
    this.opts.log.info({}, 'stopped');
  }

  /** Stops everything without releasing the Lease, as if the process had died (tests). */
  async halt(): Promise<void> {
    this.stopping = true;
    this.work.abort();
    await this.elector?.stop(false);
    await Promise.all(this.reconcilers.map((r) => r.stop()));
    await this.closeServer();
  }

  get isLeader(): boolean {
    return this.leading;
  }

  status(): DaemonStatus {
    return {
      identity: this.opts.identity,
      leader: this.leading,
      ready: this.ready(),
      source: { ...this.sourceStatus },
      environments: this.reconcilers.map((r) => structuredClone(r.status)),
    };
  }

  /** A standby is ready once it has seen the Lease; the leader once every environment synced once. */
  ready(): boolean {
    if (this.stopping) return false;
    if (!this.leading) return this.elector?.observed ?? false;
    return this.sourceStatus.revision !== null && this.reconcilers.every((r) => r.status.lastSuccessfulSyncTime !== null);
  }

  /** Fetches a new snapshot for every reconciler at once. */
  triggerAll(reason: string): void {
    for (const r of this.reconcilers) r.trigger(reason);
  }

  private setLeading(value: boolean): void {
    if (value === this.leading) return;
    this.leading = value;
    this.metrics.leader.set(value ? 1 : 0);
    this.opts.log.info({ identity: this.opts.identity }, value ? 'became the leader' : 'no longer the leader');
    if (value) {
      this.work = new AbortController();
      this.triggerAll('leader');
    } else {
      // A new leader may already be syncing: stop ours at the next safe point.
      this.work.abort();
    }
  }

  private async fetch(): Promise<SourceSnapshot> {
    const { source, log } = this.opts;
    this.metrics.fetches.inc();
    try {
      const previous = source.snapshot?.commit;
      const snapshot = await source.fetch();
      this.sourceStatus.revision = snapshot.commit;
      this.sourceStatus.lastFetchTime = new Date().toISOString();
      if (this.sourceStatus.lastFetchError !== null) log.info({ revision: snapshot.commit }, 'fetching works again');
      this.sourceStatus.lastFetchError = null;
      if (snapshot.commit !== previous) log.info({ revision: snapshot.commit, ref: source.ref }, 'new revision fetched');
      return snapshot;
    } catch (err) {
      this.metrics.fetchErrors.inc();
      const message = source.redact(err instanceof Error ? err.message : String(err));
      this.sourceStatus.lastFetchError = message;
      log.error({ err: message }, 'git fetch failed');
      throw err;
    }
  }

  private async onPush(sender: string, headers: Headers, body: Buffer): Promise<{ accepted: boolean; detail: string }> {
    if (this.stopping) return { accepted: false, detail: 'shutting down' };
    if (this.leading) {
      this.triggerAll(`webhook from ${sender}`);
      return { accepted: true, detail: 'fetching now' };
    }
    const url = this.elector?.leaderUrl;
    if (!url) return { accepted: false, detail: 'this replica is a standby and no leader is known yet' };
    // The signature covers the body only: pass both on unchanged and let the leader verify them again.
    const forward: Record<string, string> = { 'content-type': 'application/json' };
    for (const name of ['x-hub-signature-256', 'x-gitlab-token', 'x-kasane-signature', 'x-github-event', 'x-gitlab-event']) {
      const v = headers[name];
      if (typeof v === 'string') forward[name] = v;
    }
    try {
      const res = await fetch(new URL('/api/v1/webhook', url), { method: 'POST', headers: forward, body, signal: AbortSignal.timeout(10_000) });
      return { accepted: res.status === 202, detail: `forwarded to the leader (${res.status})` };
    } catch (err) {
      return { accepted: false, detail: `standby could not forward to the leader: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** For tests and the CLI: wait until the reconcilers have no tick running. */
  async idle(): Promise<void> {
    await Promise.all(this.reconcilers.map((r) => r.idle()));
  }
}
