/** The shape of `GET /api/v1/status` (documented in docs/daemon.md). */
import type { HealthStatus } from '../health/index.js';
import type { HookPhase } from '../model/rendered.js';

/** Synced: the cluster matches the revision; OutOfSync: it does not (drift without selfHeal, or a sync held by a window); Progressing: a sync runs; Failed: the last attempt failed. */
export type SyncState = 'Synced' | 'OutOfSync' | 'Progressing' | 'Failed' | 'Unknown';

export interface HookRunStatus {
  readonly phase: HookPhase;
  /** `batch/v1 Job web/migrate` */
  readonly object: string;
  readonly status: 'Succeeded' | 'Failed';
  readonly message: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

export interface ReleaseSyncStatus {
  readonly name: string;
  readonly namespace: string;
  /** Git commit of the last successful sync of this release. */
  revision: string | null;
  /** kasane's inventory revision (as in `kasane history`). */
  inventoryRevision: number | null;
  state: SyncState;
  health: { status: HealthStatus; message: string } | null;
  lastSyncTime: string | null;
  lastError: string | null;
  /** Objects found differing from the desired state at the last check. */
  driftedObjects: number;
  lastHookRuns: HookRunStatus[];
}

export interface EnvironmentSyncStatus {
  readonly name: string;
  /** Git commit last synced successfully. */
  revision: string | null;
  /** Git commit fetched last (what the next sync applies). */
  desiredRevision: string | null;
  state: SyncState;
  lastSyncTime: string | null;
  lastSuccessfulSyncTime: string | null;
  lastError: string | null;
  consecutiveFailures: number;
  nextSyncAt: string | null;
  /** Set while a due sync waits for a sync window. */
  heldByWindow: { kind: 'allow' | 'deny'; schedule: string; duration: string; until: string | null } | null;
  releases: ReleaseSyncStatus[];
}

export interface SourceStatus {
  /** Without credentials. */
  readonly url: string;
  readonly ref: string;
  readonly path: string;
  revision: string | null;
  lastFetchTime: string | null;
  lastFetchError: string | null;
}

export interface DaemonStatus {
  readonly identity: string;
  leader: boolean;
  ready: boolean;
  source: SourceStatus;
  environments: EnvironmentSyncStatus[];
}
