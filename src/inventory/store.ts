import type { ClusterClient } from '../cluster/index.js';
import { decodeRecord, encodeRecord, recordName, recordSelector, type Inventory, type InventoryRecord } from './record.js';

/** How many revisions of a release are kept by default, like Helm's --history-max. */
export const DEFAULT_HISTORY_LIMIT = 10;

/** All stored revisions of a release, newest first. */
export async function readInventory(client: ClusterClient, namespace: string, environment: string, release: string): Promise<Inventory> {
  const selector = Object.entries(recordSelector(environment, release))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const secrets = await client.list('v1', 'Secret', { namespace, labelSelector: selector });
  const records = secrets
    .filter((s) => s['type'] === 'kasane.io/inventory')
    .map(decodeRecord)
    .sort((a, b) => b.revision - a.revision);
  return { records };
}

export async function writeRecord(client: ClusterClient, record: InventoryRecord): Promise<void> {
  await client.apply(encodeRecord(record), { force: true });
}

/** Deletes the records of the oldest revisions beyond the limit (the newest `limit` stay). */
export async function trimHistory(
  client: ClusterClient,
  revisions: readonly number[],
  namespace: string,
  environment: string,
  release: string,
  limit: number,
): Promise<void> {
  const old = [...revisions].sort((a, b) => b - a).slice(Math.max(1, limit));
  for (const revision of old) {
    await client.delete({ apiVersion: 'v1', kind: 'Secret', namespace, name: recordName(environment, release, revision) });
  }
}
