import { gunzipSync, gzipSync } from 'node:zlib';
import { KasaneError } from '../errors.js';
import type { KubeObject, ObjectRef } from '../model/object.js';
import type { HookPhase, RenderedObject } from '../model/rendered.js';
import { LABEL_ENVIRONMENT, LABEL_RELEASE, MANAGED_BY_KASANE } from '../model/rendered.js';

/** Where a release's revision stands, Helm's words. */
export type RecordStatus = 'pending' | 'deployed' | 'failed' | 'superseded';

/** One main object a revision applied, with what prune needs to know about it later. */
export interface InventoryEntry extends ObjectRef {
  readonly wave: number;
  readonly pruneDisabled?: boolean;
}

/** The outcome of one hook run, kept so `history` and the daemon can show it. */
export interface HookResult {
  readonly phase: HookPhase;
  /** The hook object as created (a generateName hook carries its generated name). */
  readonly ref: ObjectRef;
  readonly status: 'Succeeded' | 'Failed';
  readonly message: string;
  /** Pod logs of a failed Job hook. */
  readonly logs?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

/** One revision of one release, as stored in the cluster. */
export interface InventoryRecord {
  readonly environment: string;
  readonly release: string;
  readonly namespace: string;
  readonly revision: number;
  readonly status: RecordStatus;
  /** Git commit the desired state came from, when known. */
  readonly gitRevision?: string;
  /** sha256 over the canonical serialization of the rendered objects (see releaseDigest). */
  readonly digest: string;
  /** ISO time of the last change to this record. */
  readonly time: string;
  /** What happened, in a sentence: "sync", "rollback to 3", the error of a failed sync. */
  readonly description: string;
  readonly objects: readonly InventoryEntry[];
  readonly hooks: readonly HookResult[];
  /** The rendered release as applied, so a rollback can apply it again. */
  readonly rendered: readonly RenderedObject[];
  /** Set when the rendered objects were too large to keep (see MAX_RECORD_BYTES). */
  readonly renderedOmitted?: boolean;
}

/** Everything stored about one release, newest revision first. */
export interface Inventory {
  readonly records: readonly InventoryRecord[];
}

export const INVENTORY_SECRET_TYPE = 'kasane.io/inventory';
export const LABEL_OWNER = 'owner';
export const LABEL_REVISION = 'kasane.io/revision';
export const LABEL_STATUS = 'kasane.io/status';
const DATA_KEY = 'record';

/** `kasane.<env>.<release>.v<N>`, like Helm's `sh.helm.release.v1.<release>.v<N>`. */
export function recordName(environment: string, release: string, revision: number): string {
  return `kasane.${environment}.${release}.v${revision}`;
}

/**
 * Labels that find every record of one release. `owner: kasane` as Helm's `owner: helm`: these
 * are kasane's bookkeeping, deliberately without the managed-by label of the objects it applies.
 */
export function recordSelector(environment: string, release: string): Record<string, string> {
  return {
    [LABEL_OWNER]: MANAGED_BY_KASANE,
    [LABEL_ENVIRONMENT]: environment,
    [LABEL_RELEASE]: release,
  };
}

export class InventoryDecodeError extends KasaneError {
  override readonly name: string = 'InventoryDecodeError';
  constructor(
    readonly secretName: string,
    readonly namespace: string,
    cause: unknown,
  ) {
    super(`inventory record Secret ${namespace}/${secretName} cannot be read: ${String((cause as Error)?.message ?? cause)}`, {
      cause,
      hint: 'the Secret was changed by hand or by another tool; delete it to let kasane forget that revision',
    });
  }
}

/**
 * Compressed records stay well below the API server's 1 MiB limit for a Secret; a larger one keeps
 * everything but its rendered objects (that revision then cannot be rolled back to).
 */
export const MAX_RECORD_BYTES = 768 * 1024;

/** The Secret that stores a record: JSON, gzipped, base64 in `data.record`. */
export function encodeRecord(record: InventoryRecord): KubeObject {
  let body = gzipSync(Buffer.from(JSON.stringify(record), 'utf8'));
  if (body.length > MAX_RECORD_BYTES) {
    body = gzipSync(Buffer.from(JSON.stringify({ ...record, rendered: [], renderedOmitted: true }), 'utf8'));
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: recordName(record.environment, record.release, record.revision),
      namespace: record.namespace,
      labels: {
        ...recordSelector(record.environment, record.release),
        [LABEL_REVISION]: String(record.revision),
        [LABEL_STATUS]: record.status,
      },
    },
    type: INVENTORY_SECRET_TYPE,
    data: { [DATA_KEY]: body.toString('base64') },
  };
}

export function decodeRecord(secret: KubeObject): InventoryRecord {
  const name = secret.metadata.name ?? '';
  const namespace = secret.metadata.namespace ?? '';
  try {
    const data = secret['data'] as Record<string, string> | undefined;
    const encoded = data?.[DATA_KEY];
    if (typeof encoded !== 'string') throw new Error(`no data.${DATA_KEY}`);
    const record = JSON.parse(gunzipSync(Buffer.from(encoded, 'base64')).toString('utf8')) as InventoryRecord;
    if (typeof record.revision !== 'number' || !Array.isArray(record.objects)) {
      throw new Error('not an inventory record');
    }
    return record;
  } catch (err) {
    throw new InventoryDecodeError(name, namespace, err);
  }
}

/** The newest record that deployed successfully. */
export function lastDeployed(inventory: Inventory | undefined): InventoryRecord | undefined {
  return inventory?.records.find((r) => r.status === 'deployed' || r.status === 'superseded');
}
