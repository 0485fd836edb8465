/**
 * The pure core of a diff: two states of one object in, an action and a unified YAML diff out.
 */
import { structuredPatch } from 'diff';
import type { KubeObject, ObjectRef } from '../model/object.js';
import { toHelmYaml } from '../yaml/write.js';
import { maskSecrets } from './mask.js';
import { canonical, normalize } from './normalize.js';

export type DiffAction = 'create' | 'update' | 'unchanged' | 'prune';

export interface ObjectDiff {
  readonly ref: ObjectRef;
  /** The release the object belongs to, when known. */
  readonly release?: string;
  readonly action: DiffAction;
  /** Normalized, Secret values masked unless shown; absent for create. */
  readonly before?: KubeObject;
  /** Normalized, Secret values masked unless shown; absent for prune. */
  readonly after?: KubeObject;
  /** Unified diff of before and after as YAML (hunks only, no file headers); absent when unchanged. */
  readonly diffText?: string;
}

export interface DiffSummary {
  readonly create: number;
  readonly update: number;
  readonly prune: number;
  readonly unchanged: number;
}

/** Where the two sides of a diff came from. */
export type DiffSource =
  | { readonly type: 'cluster'; readonly server: string; readonly context: string }
  | { readonly type: 'git'; readonly from: string; readonly to: string };

export interface DiffReport {
  readonly environment: string;
  readonly source: DiffSource;
  readonly objects: readonly ObjectDiff[];
  readonly summary: DiffSummary;
}

export interface CompareOptions {
  /** Reveal Secret values instead of masking them. */
  readonly showSecrets?: boolean;
  /** Lines of context around each change; default 3. */
  readonly context?: number;
}

export const DEFAULT_CONTEXT_LINES = 3;

/**
 * YAML as kubectl diff shows it: kubectl prints objects with sigs.k8s.io/yaml, which is also what
 * Helm's toYaml is, so this is kasane's byte-for-byte twin of it (keys in go-yaml's order, strings
 * such as "yes" or "on" quoted so they read back as strings), ending with a line break.
 */
export function toYaml(obj: KubeObject | undefined): string {
  if (obj === undefined) return '';
  return `${toHelmYaml(obj)}\n`;
}

/** Hunks of a unified diff, `@@ -a,b +c,d @@` headed; empty when the texts are equal. */
export function unifiedDiff(oldText: string, newText: string, context: number): string {
  const patch = structuredPatch('before', 'after', oldText, newText, '', '', { context });
  const out: string[] = [];
  for (const hunk of patch.hunks) {
    // As GNU diff writes it: an empty range starts at the line before it (`-0,0` for a new file).
    const oldStart = hunk.oldLines === 0 ? hunk.oldStart - 1 : hunk.oldStart;
    const newStart = hunk.newLines === 0 ? hunk.newStart - 1 : hunk.newStart;
    out.push(`@@ -${oldStart},${hunk.oldLines} +${newStart},${hunk.newLines} @@`);
    for (const line of hunk.lines) {
      // jsdiff marks a last line without newline; toYaml always ends with one.
      if (!line.startsWith('\\')) out.push(line);
    }
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/**
 * Compares two states of one object. `before` absent: create; `after` absent: prune. Both are
 * normalized first, so server bookkeeping is never a change.
 */
export function compareObject(
  ref: ObjectRef,
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  opts: CompareOptions & { release?: string | undefined } = {},
): ObjectDiff {
  const normBefore = before && normalize(before);
  const normAfter = after && normalize(after);
  const action: DiffAction =
    normBefore === undefined ? 'create' : normAfter === undefined ? 'prune' : canonical(normBefore) === canonical(normAfter) ? 'unchanged' : 'update';
  const release = opts.release === undefined ? {} : { release: opts.release };
  if (action === 'unchanged') return { ref, ...release, action };
  const shown = maskSecrets(normBefore, normAfter, { show: opts.showSecrets ?? false });
  return {
    ref,
    ...release,
    action,
    ...(shown.before ? { before: shown.before } : {}),
    ...(shown.after ? { after: shown.after } : {}),
    diffText: unifiedDiff(toYaml(shown.before), toYaml(shown.after), opts.context ?? DEFAULT_CONTEXT_LINES),
  };
}

export function summarize(objects: readonly ObjectDiff[]): DiffSummary {
  const summary = { create: 0, update: 0, prune: 0, unchanged: 0 };
  for (const o of objects) summary[o.action]++;
  return summary;
}

export function hasChanges(summary: DiffSummary): boolean {
  return summary.create + summary.update + summary.prune > 0;
}

export function formatSummary(summary: DiffSummary): string {
  return `${summary.create} to create, ${summary.update} to update, ${summary.prune} to prune, ${summary.unchanged} unchanged`;
}
