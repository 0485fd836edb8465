/**
 * Two renderings of one environment compared object by object, no cluster involved: what a change
 * in Git does to the manifests, for pull-request previews.
 */
import { refKey, refOf } from '../model/object.js';
import type { RenderedEnvironment } from '../model/rendered.js';
import { compareObject, summarize, type CompareOptions, type DiffReport, type ObjectDiff } from './compare.js';
import { selectReleases } from '../environment/releases.js';
import { desiredObjects, type DesiredObject } from './desired.js';

export interface RenderedDiffOptions extends CompareOptions {
  /** Releases to compare; all when empty. A release missing on one side is fine: it was added or removed. */
  readonly releases?: readonly string[];
  /** How the two sides are named in the report: commits, `worktree`. */
  readonly fromLabel: string;
  readonly toLabel: string;
}

function pick(env: RenderedEnvironment, names: readonly string[]): DesiredObject[] {
  const present = names.filter((n) => env.releases.some((r) => r.name === n));
  if (names.length > 0 && present.length === 0) return [];
  return desiredObjects(selectReleases(env, present), { includeHooks: true });
}

/** Objects of `to` in its order (create, update, unchanged), then those only in `from` (prune). */
export function diffRendered(from: RenderedEnvironment, to: RenderedEnvironment, opts: RenderedDiffOptions): DiffReport {
  const names = opts.releases ?? [];
  // An unknown release name is an error only when neither side has it.
  for (const name of names) {
    if (!from.releases.some((r) => r.name === name)) selectReleases(to, [name]);
  }
  const compare = { ...(opts.showSecrets === undefined ? {} : { showSecrets: opts.showSecrets }), ...(opts.context === undefined ? {} : { context: opts.context }) };
  const before = new Map(pick(from, names).map((d) => [refKey(refOf(d.object)), d]));
  const diffs: ObjectDiff[] = [];
  const seen = new Set<string>();
  for (const d of pick(to, names)) {
    const key = refKey(refOf(d.object));
    if (seen.has(key)) continue;
    seen.add(key);
    diffs.push(compareObject(refOf(d.object), before.get(key)?.object, d.object, { ...compare, release: d.release }));
  }
  for (const [key, d] of before) {
    if (!seen.has(key)) diffs.push(compareObject(refOf(d.object), d.object, undefined, { ...compare, release: d.release }));
  }
  return {
    environment: to.name,
    source: { type: 'git', from: opts.fromLabel, to: opts.toLabel },
    objects: diffs,
    summary: summarize(diffs),
  };
}
