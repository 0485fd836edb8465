import type { ClusterClient } from '../cluster/index.js';
import { AlreadyExistsError } from '../cluster/errors.js';
import { KasaneError } from '../errors.js';
import { formatRef, groupOf, refOf, type KubeObject, type ObjectRef } from '../model/object.js';
import type { HookDeletePolicy, HookPhase, RenderedObject } from '../model/rendered.js';
import type { HookResult } from '../inventory/record.js';
import { formatMs } from './errors.js';
import type { SyncEvent } from './events.js';
import { sleep, waitHealthy } from './wait.js';

export interface HookContext {
  readonly client: ClusterClient;
  readonly release: string;
  readonly emit: (e: SyncEvent) => void;
  /** sync.timeout / --timeout: a hook's own kasane.io/hook-timeout wins. */
  readonly defaultTimeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly run: HookRun;
}

/** The annotation on a created hook object naming the run it belongs to (release digest / base revision). */
export const HOOK_RUN_ANNOTATION = 'kasane.io/hook-run';

/** One sync's hook run and what proves that a hook of it already ran (kept by the engine). */
export interface HookRun {
  /** Written on every created hook object; undefined with `--hooks always`, which proves nothing. */
  readonly runId: string | undefined;
  /** A record of this run lists the hook as succeeded. */
  alreadySucceeded(phase: HookPhase, ref: ObjectRef): boolean;
  /** Called with each result before the object is deleted by its policy. */
  onResult(result: HookResult): Promise<void>;
}

/** How many log lines of each failed hook pod travel with the result. */
const LOG_TAIL_LINES = 100;

/**
 * Runs one hook: removes the previous run's object (before-hook-creation), creates the object,
 * waits for a Job to finish (other kinds are done once created), collects a failed Job's pod
 * logs, and deletes the object as its policy says. A Job that runs out of time is deleted so it
 * does not keep running behind kasane's back.
 */
export async function runHook(ctx: HookContext, hook: RenderedObject, phase: HookPhase): Promise<HookResult> {
  const { client, emit, release } = ctx;
  const spec = hook.hook;
  const policies: readonly HookDeletePolicy[] = spec && spec.deletePolicies.length > 0 ? spec.deletePolicies : ['before-hook-creation'];
  const timeoutMs = spec?.timeoutMs ?? ctx.defaultTimeoutMs;
  const startedAt = new Date().toISOString();
  const desired = withRunId(hook.object, ctx.run.runId);
  const named = desired.metadata.name ? refOf(desired) : undefined;

  // Proof that this run already ran the hook: its record says it succeeded, or its object is still
  // there (running or complete) carrying this run's id. Then it is not run again.
  if (named !== undefined && ctx.run.runId !== undefined) {
    if (ctx.run.alreadySucceeded(phase, named)) {
      const result: HookResult = { phase, ref: named, status: 'Succeeded', message: 'already ran for this desired state', startedAt, finishedAt: new Date().toISOString() };
      await ctx.run.onResult(result);
      // A crash between recording the result and deleting the object leaves it behind: finish the policy.
      if (policies.includes('hook-succeeded')) await client.delete(named, { propagationPolicy: 'Background' });
      emit({ type: 'hook-succeeded', release, phase, ref: named, message: result.message });
      return result;
    }
    const live = await client.get(named);
    if (live !== undefined && live.metadata.annotations?.[HOOK_RUN_ANNOTATION] === ctx.run.runId && !jobFailed(live) && live.metadata['deletionTimestamp'] === undefined) {
      emit({ type: 'hook-started', release, phase, ref: named, dryRun: false });
      return awaitHook(ctx, phase, named, live, startedAt, policies, timeoutMs);
    }
  }

  if (named !== undefined && policies.includes('before-hook-creation')) {
    await deleteAndWait(client, named, timeoutMs);
  }
  emit({ type: 'hook-started', release, phase, ref: refOf(desired), dryRun: false });

  let created: KubeObject;
  try {
    created = await client.create(desired);
  } catch (err) {
    if (err instanceof AlreadyExistsError) {
      return finish(ctx, phase, refOf(desired), startedAt, policies, {
        ok: false,
        message: `${formatRef(refOf(desired))} already exists from an earlier run`,
        created: false,
      });
    }
    throw err;
  }
  return awaitHook(ctx, phase, refOf(created), created, startedAt, policies, timeoutMs);
}

/** Waits for a created (or adopted) hook object: a Job until it finishes, anything else is done. */
async function awaitHook(
  ctx: HookContext,
  phase: HookPhase,
  ref: ObjectRef,
  created: KubeObject,
  startedAt: string,
  policies: readonly HookDeletePolicy[],
  timeoutMs: number,
): Promise<HookResult> {
  const { client } = ctx;
  if (!isJob(created)) return finish(ctx, phase, ref, startedAt, policies, { ok: true, message: 'created', created: true });

  const outcome = await waitHealthy(client, [ref], { timeoutMs, initialDelayMs: 100, maxDelayMs: 1_000, signal: ctx.signal });
  if (outcome.kind === 'healthy') return finish(ctx, phase, ref, startedAt, policies, { ok: true, message: 'completed', created: true });
  const logs = await jobLogs(client, outcome.kind === 'failed' ? outcome.object : ((await client.get(ref)) ?? created));
  if (outcome.kind === 'timeout') {
    await client.delete(ref, { propagationPolicy: 'Background' });
    return finish(ctx, phase, ref, startedAt, [], {
      ok: false,
      message: `did not finish within ${formatMs(timeoutMs)}; the Job was deleted`,
      created: true,
      logs,
    });
  }
  return finish(ctx, phase, ref, startedAt, policies, { ok: false, message: outcome.message, created: true, logs });
}

async function finish(
  ctx: HookContext,
  phase: HookPhase,
  ref: ObjectRef,
  startedAt: string,
  policies: readonly HookDeletePolicy[],
  outcome: { ok: boolean; message: string; created: boolean; logs?: string | undefined },
): Promise<HookResult> {
  const { client, emit, release } = ctx;
  const logs = outcome.logs ? { logs: outcome.logs } : {};
  const result: HookResult = {
    phase,
    ref,
    status: outcome.ok ? 'Succeeded' : 'Failed',
    message: outcome.message,
    ...logs,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
  await ctx.run.onResult(result);
  if (outcome.created && policies.includes(outcome.ok ? 'hook-succeeded' : 'hook-failed')) {
    await client.delete(ref, { propagationPolicy: 'Background' });
  }
  if (outcome.ok) emit({ type: 'hook-succeeded', release, phase, ref, message: outcome.message });
  else emit({ type: 'hook-failed', release, phase, ref, message: outcome.message, ...logs });
  return result;
}

function withRunId(obj: KubeObject, runId: string | undefined): KubeObject {
  if (runId === undefined) return obj;
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [HOOK_RUN_ANNOTATION]: runId } } };
}

function jobFailed(obj: KubeObject): boolean {
  const conditions = ((obj['status'] as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? []);
  return isJob(obj) && conditions.some((c) => c.type === 'Failed' && c.status === 'True');
}

function isJob(obj: KubeObject): boolean {
  return groupOf(obj.apiVersion) === 'batch' && obj.kind === 'Job';
}

/** Deletes the previous run of a hook and waits until it is gone, so the new one can take its name. */
async function deleteAndWait(client: ClusterClient, ref: ObjectRef, timeoutMs: number): Promise<void> {
  if (!(await client.delete(ref, { propagationPolicy: 'Background' }))) return;
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  while ((await client.get(ref)) !== undefined) {
    if (Date.now() > deadline) {
      throw new KasaneError(`${formatRef(ref)}: the previous run of this hook is still being deleted after ${formatMs(timeoutMs)}`, {
        hint: 'look at its finalizers in the cluster',
      });
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 1_000);
  }
}

/** The logs of a Job's pods, each headed by the pod's name; empty when the pods are gone. */
async function jobLogs(client: ClusterClient, job: KubeObject): Promise<string | undefined> {
  const namespace = job.metadata.namespace ?? '';
  const uid = job.metadata['uid'];
  const selectors = [
    ...(typeof uid === 'string' ? [`batch.kubernetes.io/controller-uid=${uid}`, `controller-uid=${uid}`] : []),
    `job-name=${job.metadata.name ?? ''}`,
  ];
  try {
    for (const labelSelector of selectors) {
      const pods = await client.list('v1', 'Pod', { namespace, labelSelector });
      if (pods.length === 0) continue;
      const parts: string[] = [];
      for (const pod of pods) {
        const name = pod.metadata.name ?? '';
        const text = await client.podLogs(namespace, name, { tailLines: LOG_TAIL_LINES });
        parts.push(pods.length > 1 ? `--- pod ${name}\n${text}` : text);
      }
      return parts.join('\n');
    }
  } catch {
    // Logs are a help for the reader, never a reason to fail differently.
  }
  return undefined;
}
