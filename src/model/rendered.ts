import type { KubeObject } from './object.js';

/** The output of rendering: what every later step (lint, diff, sync) consumes. */
export interface RenderedEnvironment {
  readonly name: string;
  /** Repository-relative path of the environment file. */
  readonly file: string;
  readonly cluster: { readonly context?: string };
  readonly sync: SyncSettings;
  readonly releases: readonly RenderedRelease[];
}

export interface RenderedRelease {
  readonly name: string;
  readonly chart: string;
  readonly namespace: string;
  readonly createNamespace: boolean;
  /** Main objects and hooks, in apply order (kind install order, then names). */
  readonly objects: readonly RenderedObject[];
}

export interface RenderedObject {
  /** Parsed with YAML 1.1 scalar rules; namespace defaulted and kasane's labels added. */
  readonly object: KubeObject;
  /** Repository-relative template path: `charts/<chart>/templates/<file>`. */
  readonly template: string;
  /** Line of the template where the object's document starts (for messages about the object). */
  readonly line?: number;
  /** Present when the object is a hook; hooks are not part of the main apply. */
  readonly hook?: HookSpec;
  /** `kasane.io/sync-wave`, default 0. */
  readonly wave: number;
  /** `kasane.io/prune: "false"` was set. */
  readonly pruneDisabled: boolean;
}

export type HookPhase = 'pre-sync' | 'post-sync' | 'sync-fail';
export type HookDeletePolicy = 'before-hook-creation' | 'hook-succeeded' | 'hook-failed';

export interface HookSpec {
  readonly phases: readonly HookPhase[];
  readonly weight: number;
  readonly deletePolicies: readonly HookDeletePolicy[];
  /** `kasane.io/hook-timeout` in milliseconds; absent: `sync.timeout`. */
  readonly timeoutMs?: number;
}

export interface SyncWindow {
  readonly kind: 'allow' | 'deny';
  readonly schedule: string;
  readonly durationMs: number;
}

/** The environment's `sync:` block with defaults filled in. */
export interface SyncSettings {
  readonly intervalMs: number;
  readonly schedule?: string;
  readonly windows: readonly SyncWindow[];
  readonly prune: boolean;
  readonly selfHeal: boolean;
  readonly timeoutMs: number;
  readonly rollbackOnFailure: boolean;
}

/** Labels every applied object carries (contract). */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_ENVIRONMENT = 'kasane.io/environment';
export const LABEL_RELEASE = 'kasane.io/release';
export const MANAGED_BY_KASANE = 'kasane';
