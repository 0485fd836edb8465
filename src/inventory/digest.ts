import { createHash } from 'node:crypto';
import { refKey, refOf } from '../model/object.js';
import type { RenderedRelease } from '../model/rendered.js';

/**
 * The identity of a release's desired state: sha256 over a canonical serialization (keys sorted,
 * objects sorted by identity) of everything rendering decided — objects, hook specs, waves,
 * prune flags — and where the release goes. Template paths are left out: moving a template
 * between files changes nothing in the cluster.
 */
export function releaseDigest(release: RenderedRelease): string {
  const objects = release.objects
    .map((o) => ({ key: refKey(refOf(o.object)), o }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ o }) => ({ object: o.object, hook: o.hook ?? null, wave: o.wave, pruneDisabled: o.pruneDisabled }));
  const desired = { namespace: release.namespace, createNamespace: release.createNamespace, objects };
  return `sha256:${createHash('sha256').update(canonicalJson(desired)).digest('hex')}`;
}

/** JSON with object keys sorted at every level, so equal data always gives equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}
