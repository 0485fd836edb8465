/**
 * The loop of one environment: on each tick fetch, render, check the sync windows, then sync.
 * A new commit is synced (hooks run when the desired state changed, by the engine's rule); the
 * same commit again is a drift check: with selfHeal a sync, which writes only when a server-side
 * dry run finds drift and never reruns hooks, without selfHeal a dry run that reports OutOfSync.
 * Failures back off exponentially; each environment has its own loop, so one never stalls another.
 */
import type { ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { ClusterClient } from '../cluster/index.js';
import { nodeCron } from '../lazy-module.js';
import { KasaneError } from '../errors.js';
import type { SourceSnapshot } from '../git/index.js';
import { health, type HealthStatus } from '../health/index.js';
import { recordName } from '../inventory/record.js';
import { formatRef, refOf } from '../model/object.js';
import type { RenderedEnvironment, SyncWindow } from '../model/rendered.js';
import { renderEnvironment } from '../render/render.js';
import { runSync, type ReleaseResult, type SyncEvent, type SyncResult } from '../sync/index.js';
import type { DaemonMetrics } from './metrics.js';
import type { EnvironmentSyncStatus, ReleaseSyncStatus } from './status.js';
import { windowVerdict } from './windows.js';

export interface ReconcilerDeps {
  readonly client: ClusterClient;
  readonly metrics: DaemonMetrics;
  readonly log: Logger;
  /** Lock holder and event reporter: this replica's identity. */
  readonly identity: string;
  /** The clock windows are judged by (tests move it). */
  readonly now: () => Date;
  /** The shared, deduplicated fetch of the Git source. */
  fetch(): Promise<SourceSnapshot>;
  /** Whether this replica may sync now (it holds the leader Lease). */
  canSync(): boolean;
  /** Fires when the sync in flight must stop at its next safe point (shutdown, lost leadership). */
  signal(): AbortSignal;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Rewrites text that might carry credentials before it is logged or shown. */
  redact(text: string): string;
  /** How long a sync waits for another holder's release lock. */
  readonly lockWaitMs: number;
}

export class EnvironmentReconciler {
  readonly status: EnvironmentSyncStatus;
  private timer: NodeJS.Timeout | undefined;
  private cron: { schedule: string; task: ScheduledTask } | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Whether the cluster got the fetched commit: a later tick with the same commit is a drift check. */
  private syncedCommit: string | undefined;
  private intervalMs = 60_000;

  constructor(
    readonly name: string,
    private readonly deps: ReconcilerDeps,
  ) {
    this.status = {
      name,
      revision: null,
      desiredRevision: null,
      state: 'Unknown',
      lastSyncTime: null,
      lastSuccessfulSyncTime: null,
      lastError: null,
      consecutiveFailures: 0,
      nextSyncAt: null,
      heldByWindow: null,
      releases: [],
    };
  }

  start(): void {
    this.stopped = false;
    this.trigger('start');
  }

  /** Stops scheduling; resolves when the tick in flight (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.cron?.task.destroy();
    this.cron = undefined;
    await this.running;
  }

  /** Runs a tick now (a webhook, leadership gained); if one is running, another follows it. */
  trigger(reason: string): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.tick(reason).finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.trigger('queued');
      }
    });
  }

  /** Resolves when no tick is running. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private scheduleNext(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.trigger('interval'), delayMs);
    this.status.nextSyncAt = new Date(Date.now() + delayMs).toISOString();
  }

  /** With sync.schedule, cron starts the ticks; a failure still retries on the backoff timer. */
  private followSchedule(schedule: string | undefined): void {
    if (this.cron?.schedule === schedule) return;
    void this.cron?.task.destroy();
    this.cron = undefined;
    if (schedule !== undefined) {
      const task = nodeCron().createTask(schedule, () => this.trigger('schedule'), { timezone: 'Etc/UTC', noOverlap: true });
      void task.start();
      this.cron = { schedule, task };
    }
  }

  private async tick(reason: string): Promise<void> {
    const { deps } = this;
    if (!deps.canSync()) {
      this.scheduleNext(this.intervalMs);
      return;
    }
    try {
      const snapshot = await deps.fetch();
      this.status.desiredRevision = snapshot.commit;
      const env = this.render(snapshot);
      this.intervalMs = env.sync.intervalMs;
      this.followSchedule(env.sync.schedule);

      const verdict = windowVerdict(env.sync.windows, deps.now());
      if (!verdict.open) {
        this.hold(verdict.window, verdict.until, snapshot.commit);
        this.scheduleNext(Math.min(this.intervalMs, 30_000));
        return;
      }
      this.status.heldByWindow = null;
      await this.sync(env, snapshot.commit, reason);
      this.status.consecutiveFailures = 0;
      this.status.lastError = null;
      if (this.cron === undefined) this.scheduleNext(this.intervalMs);
      else this.status.nextSyncAt = this.cron.task.getNextRun()?.toISOString() ?? null;
    } catch (err) {
      this.fail(err);
    }
  }

  private render(snapshot: SourceSnapshot): RenderedEnvironment {
    const end = this.deps.metrics.renderDuration.startTimer({ environment: this.name });
    try {
      const env = renderEnvironment({ repoRoot: snapshot.root, environment: this.name });
      this.noteRendered(env);
      return env;
    } finally {
      end();
    }
  }

  private hold(window: SyncWindow, until: Date | undefined, commit: string): void {
    const first = this.status.heldByWindow === null;
    this.status.heldByWindow = {
      kind: window.kind,
      schedule: window.schedule,
      duration: `${Math.round(window.durationMs / 1000)}s`,
      until: until?.toISOString() ?? null,
    };
    if (commit !== this.syncedCommit) this.status.state = 'OutOfSync';
    this.deps.metrics.syncs.inc({ environment: this.name, result: 'held' });
    if (first) {
      this.deps.log.info(
        { environment: this.name, window: this.status.heldByWindow, revision: commit },
        until === undefined ? 'sync held: outside every allow window' : `sync held by a deny window until ${until.toISOString()}`,
      );
    }
  }

  private fail(err: unknown): void {
    const { deps } = this;
    this.status.consecutiveFailures += 1;
    this.status.lastError = deps.redact(messageOf(err));
    this.status.state = 'Failed';
    this.status.lastSyncTime = new Date().toISOString();
    const delay = Math.min(deps.backoffMaxMs, deps.backoffBaseMs * 2 ** (this.status.consecutiveFailures - 1));
    deps.log.error({ environment: this.name, err: this.status.lastError, failures: this.status.consecutiveFailures, retryInMs: delay }, 'reconcile failed');
    this.scheduleNext(delay);
  }

  private async sync(env: RenderedEnvironment, commit: string, reason: string): Promise<void> {
    const { deps } = this;
    const newCommit = commit !== this.syncedCommit || this.status.state === 'Failed';
    const dryRun = !newCommit && !env.sync.selfHeal;
    const driftCheck = !newCommit;
    // A drift check that finds nothing is not progress; a new revision is.
    if (newCommit) {
      this.status.state = 'Progressing';
      for (const r of this.status.releases) r.state = 'Progressing';
    }
    const end = deps.metrics.syncDuration.startTimer({ environment: this.name });
    deps.log.info({ environment: this.name, revision: commit, reason, dryRun, driftCheck }, driftCheck ? 'checking for drift' : 'syncing');
    let result: SyncResult;
    try {
      result = await runSync(
        deps.client,
        env,
        { gitRevision: commit, hooks: 'auto', dryRun, holder: deps.identity, signal: deps.signal(), lockWaitMs: deps.lockWaitMs },
        (e) => this.onEvent(e),
      );
    } finally {
      if (!dryRun) end();
    }
    const now = new Date().toISOString();
    this.status.releases = await Promise.all(env.releases.map((r) => this.releaseStatus(r.name, r.namespace, result, commit, dryRun, driftCheck, now)));
    const failed = result.releases.filter((r) => r.status === 'failed');
    const changed = result.releases.some((r) => r.changes.length > 0 || r.hooks.length > 0);
    if (!dryRun) this.status.lastSyncTime = now;
    if (failed.length > 0) {
      deps.metrics.syncs.inc({ environment: this.name, result: 'failed' });
      throw new KasaneError(failed.map((r) => `release ${r.release}: ${r.error?.message ?? 'failed'}`).join('; '));
    }
    if (dryRun) {
      this.status.state = result.releases.some((r) => r.status === 'out-of-sync') ? 'OutOfSync' : 'Synced';
      return;
    }
    deps.metrics.syncs.inc({ environment: this.name, result: changed ? 'succeeded' : 'unchanged' });
    deps.metrics.lastSuccess.set({ environment: this.name }, Date.now() / 1000);
    this.syncedCommit = commit;
    this.status.revision = commit;
    this.status.state = 'Synced';
    this.status.lastSuccessfulSyncTime = now;
    if (changed) deps.log.info({ environment: this.name, revision: commit, driftCorrected: driftCheck }, driftCheck ? 'drift corrected' : 'synced');
  }

  private async releaseStatus(
    name: string,
    namespace: string,
    result: SyncResult,
    commit: string,
    dryRun: boolean,
    driftCheck: boolean,
    now: string,
  ): Promise<ReleaseSyncStatus> {
    const before = this.status.releases.find((r) => r.name === name);
    const r = result.releases.find((x) => x.release === name);
    const status: ReleaseSyncStatus = {
      name,
      namespace,
      revision: before?.revision ?? null,
      inventoryRevision: before?.inventoryRevision ?? null,
      state: 'Unknown',
      health: before?.health ?? null,
      lastSyncTime: before?.lastSyncTime ?? null,
      lastError: null,
      driftedObjects: 0,
      lastHookRuns: before?.lastHookRuns ?? [],
    };
    if (r === undefined) {
      status.state = 'Failed';
      status.lastError = 'not synced: the sync stopped before this release';
      return status;
    }
    const drifted = driftCheck ? r.changes.length : 0;
    status.driftedObjects = drifted;
    this.deps.metrics.driftedObjects.set({ environment: this.name, release: name }, drifted);
    if (r.hooks.length > 0) {
      status.lastHookRuns = r.hooks.map((h) => ({ phase: h.phase, object: formatRef(h.ref), status: h.status, message: h.message, startedAt: h.startedAt, finishedAt: h.finishedAt }));
    }
    if (r.revision !== undefined) status.inventoryRevision = r.revision;
    if (r.status === 'failed') {
      status.state = 'Failed';
      status.lastError = this.deps.redact(r.error?.message ?? 'failed');
      status.lastSyncTime = now;
    } else if (dryRun) {
      status.state = r.status === 'out-of-sync' ? 'OutOfSync' : 'Synced';
    } else {
      status.state = 'Synced';
      status.revision = commit;
      status.lastSyncTime = now;
    }
    status.health = await this.releaseHealth(result, name).catch(() => status.health);
    return status;
  }

  /** The worst health of the release's main objects, as the cluster reports them now. */
  private async releaseHealth(result: SyncResult, name: string): Promise<{ status: HealthStatus; message: string } | null> {
    const r = result.releases.find((x) => x.release === name);
    if (r === undefined) return null;
    const rank: Record<HealthStatus, number> = { Healthy: 0, Progressing: 1, Failed: 2 };
    let worst: { status: HealthStatus; message: string } = { status: 'Healthy', message: 'all objects healthy' };
    for (const ref of this.managedRefs.get(name) ?? []) {
      const live = await this.deps.client.get(ref);
      const h = live === undefined ? { status: 'Progressing' as const, message: 'missing' } : health(live);
      if (rank[h.status] > rank[worst.status]) worst = { status: h.status, message: `${formatRef(ref)}: ${h.message}` };
    }
    return worst;
  }

  /** The main objects of each release at the last render, for health. */
  private managedRefs = new Map<string, ReturnType<typeof refOf>[]>();

  private onEvent(e: SyncEvent): void {
    const { deps } = this;
    const environment = this.name;
    switch (e.type) {
      case 'release-started':
        deps.log.info({ environment, release: e.release, namespace: e.namespace, dryRun: e.dryRun, hooks: e.hooks }, 'release started');
        return;
      case 'hook-started':
        if (!e.dryRun) deps.log.info({ environment, release: e.release, phase: e.phase, object: formatRef(e.ref) }, 'hook started');
        return;
      case 'hook-succeeded':
      case 'hook-failed':
        deps.metrics.hookRuns.inc({ environment, phase: e.phase, result: e.type === 'hook-succeeded' ? 'Succeeded' : 'Failed' });
        deps.log[e.type === 'hook-failed' ? 'warn' : 'info']({ environment, release: e.release, phase: e.phase, object: formatRef(e.ref), message: e.message }, e.type === 'hook-failed' ? 'hook failed' : 'hook succeeded');
        return;
      case 'object-applied':
        if (!e.dryRun) deps.log.info({ environment, release: e.release, object: formatRef(e.ref), action: e.action }, `object ${e.action}`);
        else deps.log.info({ environment, release: e.release, object: formatRef(e.ref) }, 'object out of sync');
        return;
      case 'object-failed':
        deps.log.warn({ environment, release: e.release, object: formatRef(e.ref), err: deps.redact(e.error.message) }, 'object failed');
        return;
      case 'object-pruned':
        if (!e.dryRun) deps.log.info({ environment, release: e.release, object: formatRef(e.ref) }, 'object pruned');
        return;
      case 'prune-skipped':
        deps.log.info({ environment, release: e.release, object: formatRef(e.ref), reason: e.reason }, 'prune skipped');
        return;
      case 'lock-waiting':
        deps.log.info({ environment, release: e.release, holder: e.holder, expiresAt: e.expiresAt }, 'waiting for the release lock');
        return;
      case 'release-finished':
        this.onReleaseFinished(e.result);
        return;
      default:
        return;
    }
  }

  private onReleaseFinished(r: ReleaseResult): void {
    const { deps } = this;
    const log = { environment: this.name, release: r.release, status: r.status, revision: r.revision, changes: r.changes.length, hooks: r.hooks.length };
    if (r.status === 'failed') deps.log.error({ ...log, err: deps.redact(r.error?.message ?? '') }, 'release failed');
    else deps.log.info(log, 'release finished');
    if (r.status === 'failed' && r.revision !== undefined) void this.reportEvents(r, r.revision);
  }

  /** Kubernetes Events (core v1) about the release's inventory record: the failed sync and each failed hook. */
  private async reportEvents(r: ReleaseResult, revision: number): Promise<void> {
    const { deps } = this;
    const regarding = { apiVersion: 'v1', kind: 'Secret', namespace: r.namespace, name: recordName(this.name, r.release, revision) };
    const items: { reason: string; message: string }[] = [
      ...r.hooks.filter((h) => h.status === 'Failed').map((h) => ({ reason: 'HookFailed', message: `${h.phase} hook ${formatRef(h.ref)} failed: ${h.message}` })),
      { reason: 'SyncFailed', message: `sync of release ${r.release} (environment ${this.name}) failed: ${r.error?.message ?? 'unknown error'}` },
    ];
    const now = new Date().toISOString();
    for (const item of items) {
      try {
        await deps.client.create({
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${regarding.name}.`, namespace: r.namespace },
          involvedObject: regarding,
          reason: item.reason,
          message: deps.redact(item.message).slice(0, 1024),
          type: 'Warning',
          source: { component: 'kasane-daemon' },
          reportingComponent: 'kasane.io/daemon',
          reportingInstance: deps.identity,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        });
      } catch (err) {
        deps.log.warn({ environment: this.name, release: r.release, err: deps.redact(messageOf(err)) }, 'cannot record a Kubernetes Event');
      }
    }
  }

  /** Remembers the main objects of each release (called before a sync). */
  noteRendered(env: RenderedEnvironment): void {
    this.managedRefs = new Map(env.releases.map((r) => [r.name, r.objects.filter((o) => o.hook === undefined).map((o) => refOf(o.object))]));
  }
}

function messageOf(err: unknown): string {
  if (err instanceof KasaneError && err.hint) return `${err.message} (${err.hint})`;
  return err instanceof Error ? err.message : String(err);
}
