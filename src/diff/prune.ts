/**
 * What a sync would prune: objects the release inventory says were applied before and that are no
 * longer rendered, exactly as the sync plan picks them. Whether a live object may really be deleted
 * (still labelled for this release, not `kasane.io/prune: "false"`) is checked against the cluster
 * when the diff reads it.
 */
import type { ClusterClient } from '../cluster/index.js';
import { releaseDigest } from '../inventory/digest.js';
import { readInventory } from '../inventory/store.js';
import type { ObjectRef } from '../model/object.js';
import type { RenderedEnvironment } from '../model/rendered.js';
import { planSync } from '../sync/plan.js';
import { selectReleases } from '../environment/releases.js';

export interface PruneCandidate {
  readonly ref: ObjectRef;
  readonly release: string;
}

export async function pruneCandidates(client: ClusterClient, env: RenderedEnvironment, releaseNames: readonly string[]): Promise<PruneCandidate[]> {
  const out: PruneCandidate[] = [];
  for (const release of selectReleases(env, releaseNames)) {
    const inventory = await readInventory(client, release.namespace, env.name, release.name);
    if (inventory.records.length === 0) continue;
    const plan = planSync(release, inventory, { prune: true, hooks: 'never', desiredDigest: releaseDigest(release) });
    for (const entry of plan.prune) {
      out.push({ ref: { apiVersion: entry.apiVersion, kind: entry.kind, namespace: entry.namespace, name: entry.name }, release: release.name });
    }
  }
  return out;
}
