import { KasaneError } from '../errors.js';
import { formatRef, type ObjectRef } from '../model/object.js';
import type { HookPhase } from '../model/rendered.js';

/** The API server refused a change to a field that cannot change after creation. */
export class ImmutableFieldError extends KasaneError {
  override readonly name: string = 'ImmutableFieldError';
  constructor(
    readonly ref: ObjectRef,
    readonly fields: readonly string[],
    cause: unknown,
  ) {
    super(`${formatRef(ref)}: field ${fields.join(', ')} cannot be changed after creation (immutable)`, {
      cause,
      hint: `delete the object (kubectl delete ${ref.kind.toLowerCase()} ${ref.name}${ref.namespace ? ` -n ${ref.namespace}` : ''}) and sync again to re-create it, or give it a new name in the chart`,
    });
  }
}

/** A hook ended in failure or did not finish in time. */
export class HookFailedError extends KasaneError {
  override readonly name: string = 'HookFailedError';
  constructor(
    readonly phase: HookPhase,
    readonly ref: ObjectRef,
    readonly reason: string,
    readonly logs: string | undefined,
  ) {
    super(`${phase} hook ${formatRef(ref)} failed: ${reason}`, {
      hint: logs ? 'its pod logs are shown above' : 'look at the hook object and its pods in the cluster',
    });
  }
}

/** A wave did not become healthy within the timeout, or an object in it failed. */
export class HealthTimeoutError extends KasaneError {
  override readonly name: string = 'HealthTimeoutError';
  constructor(
    readonly wave: number | 'bootstrap',
    readonly pending: readonly { ref: ObjectRef; message: string }[],
    readonly timeoutMs: number,
  ) {
    super(
      `${wave === 'bootstrap' ? 'namespaces and CRDs' : `wave ${wave}`} not healthy after ${formatMs(timeoutMs)}: ${pending
        .map((p) => `${formatRef(p.ref)} (${p.message})`)
        .join('; ')}`,
      { hint: 'look at these objects and their events in the cluster, or raise sync.timeout / --timeout' },
    );
  }
}

export class ObjectUnhealthyError extends KasaneError {
  override readonly name: string = 'ObjectUnhealthyError';
  constructor(
    readonly ref: ObjectRef,
    readonly reason: string,
  ) {
    super(`${formatRef(ref)} failed: ${reason}`, { hint: 'look at the object and its events in the cluster, fix the chart and sync again' });
  }
}

/** Some objects of a wave could not be applied; each was reported as it failed. */
export class ApplyFailedError extends KasaneError {
  override readonly name: string = 'ApplyFailedError';
  constructor(readonly errors: readonly KasaneError[]) {
    super(
      errors.length === 1 ? (errors[0]?.message ?? 'apply failed') : `${errors.length} objects could not be applied:\n${errors.map((e) => `  - ${e.message}`).join('\n')}`,
      errors.length === 1 && errors[0]?.hint !== undefined ? { hint: errors[0].hint } : {},
    );
  }
}

/** The sync was asked to stop (Ctrl-C, daemon shutdown) and stopped between two steps. */
export class SyncInterruptedError extends KasaneError {
  override readonly name: string = 'SyncInterruptedError';
  constructor() {
    super('sync interrupted before it finished', {
      hint: 'objects applied so far stay as they are; hook Jobs already started keep running; run kasane sync again to finish',
    });
  }
}

/** Throws SyncInterruptedError once the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SyncInterruptedError();
}

/** The release namespace does not exist and nothing in the release creates it. */
export class ReleaseNamespaceMissingError extends KasaneError {
  override readonly name: string = 'ReleaseNamespaceMissingError';
  constructor(
    readonly environment: string,
    readonly release: string,
    readonly namespace: string,
  ) {
    super(`namespace ${namespace} of release ${release} does not exist`, {
      hint: `set createNamespace: true on release ${release} in environments/${environment}.yaml, or create the namespace (kubectl create namespace ${namespace})`,
    });
  }
}

export function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A live object that another kasane release (or environment) owns, by its labels: not taken over, as Helm refuses. */
export class OwnedElsewhereError extends KasaneError {
  override readonly name: string = 'OwnedElsewhereError';
  constructor(
    readonly ref: ObjectRef,
    readonly ownerEnvironment: string,
    readonly ownerRelease: string,
  ) {
    super(`${formatRef(ref)} belongs to release ${ownerRelease} of environment ${ownerEnvironment}; kasane does not take over another release's object`, {
      hint: 'rename the object in this chart, or remove it from the other release first (or relabel it kasane.io/environment and kasane.io/release) if it is meant to move',
    });
  }
}
