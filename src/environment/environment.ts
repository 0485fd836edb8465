import type { SyncSettings } from '../model/rendered.js';

/** One release of an environment: a chart installed into a namespace with values. */
export interface ReleaseSpec {
  readonly name: string;
  /** Directory name under `charts/`. */
  readonly chart: string;
  readonly namespace: string;
  readonly createNamespace: boolean;
  /** Repository-relative values files, applied in order. */
  readonly valuesFiles: readonly string[];
  readonly values: Readonly<Record<string, unknown>>;
  /** Where the release is written in the environment file, for messages. */
  readonly lines: ReleaseLines;
}

/** Lines in the environment file, for messages (found when first asked for). */
export interface ReleaseLines {
  readonly release: number | undefined;
  readonly chart: number | undefined;
  readonly valuesFiles: readonly (number | undefined)[];
}

/** An environment file, validated and with defaults filled in. */
export interface Environment {
  readonly name: string;
  /** Repository-relative path: `environments/<name>.yaml`. */
  readonly file: string;
  readonly cluster: { readonly context?: string };
  readonly values: Readonly<Record<string, unknown>>;
  readonly releases: readonly ReleaseSpec[];
  readonly sync: SyncSettings;
}

/** Defaults of the `sync:` block (documented in docs/environments.md). */
export const SYNC_DEFAULTS: SyncSettings = {
  intervalMs: 60_000,
  windows: [],
  prune: false,
  selfHeal: false,
  timeoutMs: 5 * 60_000,
  rollbackOnFailure: false,
};

export const DEFAULT_NAMESPACE = 'default';
