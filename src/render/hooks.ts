import { parseDuration } from '../environment/duration.js';
import type { HookDeletePolicy, HookPhase, HookSpec } from '../model/rendered.js';

/** Hook annotations (contract); Helm's are read as aliases when kasane's are absent. */
export const ANNOTATION_HOOK = 'kasane.io/hook';
export const ANNOTATION_HOOK_WEIGHT = 'kasane.io/hook-weight';
export const ANNOTATION_HOOK_DELETE_POLICY = 'kasane.io/hook-delete-policy';
export const ANNOTATION_HOOK_TIMEOUT = 'kasane.io/hook-timeout';
export const ANNOTATION_SYNC_WAVE = 'kasane.io/sync-wave';
export const ANNOTATION_PRUNE = 'kasane.io/prune';
const HELM_HOOK = 'helm.sh/hook';
const HELM_HOOK_WEIGHT = 'helm.sh/hook-weight';
const HELM_HOOK_DELETE_POLICY = 'helm.sh/hook-delete-policy';

const PHASES: ReadonlySet<string> = new Set<HookPhase>(['pre-sync', 'post-sync', 'sync-fail']);
/** Helm hook name → kasane phase; `null`: a Helm hook kasane knows but never runs (delete, rollback, test). */
const HELM_HOOK_PHASES: ReadonlyMap<string, HookPhase | null> = new Map<string, HookPhase | null>([
  ['pre-install', 'pre-sync'],
  ['pre-upgrade', 'pre-sync'],
  ['post-install', 'post-sync'],
  ['post-upgrade', 'post-sync'],
  ['pre-delete', null],
  ['post-delete', null],
  ['pre-rollback', null],
  ['post-rollback', null],
  ['test', null],
  ['test-success', null],
  ['test-failure', null],
]);
const DELETE_POLICIES: ReadonlySet<string> = new Set<HookDeletePolicy>(['before-hook-creation', 'hook-succeeded', 'hook-failed']);

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export interface ObjectAnnotationsSpec {
  readonly hook?: HookSpec;
  readonly wave: number;
  readonly pruneDisabled: boolean;
}

/** Reads kasane's (and Helm's hook) annotations of one object; every malformed one is a problem. */
export function parseObjectAnnotations(annotations: Readonly<Record<string, string>>): Parsed<ObjectAnnotationsSpec> {
  const problems: string[] = [];
  const text = (key: string): string | undefined => annotations[key];
  const integer = (key: string): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (!/^[-+]?\d+$/.test(value.trim())) {
      problems.push(`annotation ${key}: "${value}" is not an integer`);
      return undefined;
    }
    return Number(value.trim());
  };
  const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

  const wave = integer(ANNOTATION_SYNC_WAVE) ?? 0;
  const prune = text(ANNOTATION_PRUNE);
  if (prune !== undefined && prune !== 'true' && prune !== 'false') {
    problems.push(`annotation ${ANNOTATION_PRUNE} must be "true" or "false", not "${prune}"`);
  }

  const kasaneHook = text(ANNOTATION_HOOK);
  const helmHook = kasaneHook === undefined ? text(HELM_HOOK) : undefined;
  let hook: HookSpec | undefined;
  if (kasaneHook !== undefined || helmHook !== undefined) {
    const phases: HookPhase[] = [];
    if (kasaneHook !== undefined) {
      for (const name of list(kasaneHook)) {
        if (PHASES.has(name)) phases.push(name as HookPhase);
        else problems.push(`annotation ${ANNOTATION_HOOK}: unknown hook "${name}" (known: pre-sync, post-sync, sync-fail)`);
      }
      if (list(kasaneHook).length === 0) problems.push(`annotation ${ANNOTATION_HOOK} is empty (known hooks: pre-sync, post-sync, sync-fail)`);
    } else if (helmHook !== undefined) {
      for (const name of list(helmHook)) {
        const phase = HELM_HOOK_PHASES.get(name);
        if (phase === undefined) problems.push(`annotation ${HELM_HOOK}: unknown hook "${name}" (known: ${[...HELM_HOOK_PHASES.keys()].join(', ')})`);
        else if (phase !== null && !phases.includes(phase)) phases.push(phase);
      }
    }
    const weightKey = annotations[ANNOTATION_HOOK_WEIGHT] !== undefined || kasaneHook !== undefined ? ANNOTATION_HOOK_WEIGHT : HELM_HOOK_WEIGHT;
    const weight = integer(weightKey) ?? 0;
    const policyKey = annotations[ANNOTATION_HOOK_DELETE_POLICY] !== undefined || kasaneHook !== undefined ? ANNOTATION_HOOK_DELETE_POLICY : HELM_HOOK_DELETE_POLICY;
    const policyText = text(policyKey);
    const deletePolicies: HookDeletePolicy[] = [];
    for (const name of policyText === undefined ? ['before-hook-creation'] : list(policyText)) {
      if (DELETE_POLICIES.has(name)) {
        if (!deletePolicies.includes(name as HookDeletePolicy)) deletePolicies.push(name as HookDeletePolicy);
      } else {
        problems.push(`annotation ${policyKey}: unknown delete policy "${name}" (known: ${[...DELETE_POLICIES].join(', ')})`);
      }
    }
    const timeoutText = text(ANNOTATION_HOOK_TIMEOUT);
    const timeoutMs = timeoutText === undefined ? undefined : parseDuration(timeoutText);
    if (timeoutText !== undefined && timeoutMs === undefined) {
      problems.push(`annotation ${ANNOTATION_HOOK_TIMEOUT}: "${timeoutText}" is not a duration (e.g. 90s, 10m)`);
    }
    hook = { phases, weight, deletePolicies, ...(timeoutMs === undefined ? {} : { timeoutMs }) };
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { ...(hook === undefined ? {} : { hook }), wave, pruneDisabled: prune === 'false' } };
}
