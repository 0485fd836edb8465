/**
 * The desired side of a diff: what a sync of the chosen releases would apply, in apply order.
 */
import type { KubeObject } from '../model/object.js';
import type { RenderedEnvironment, RenderedRelease } from '../model/rendered.js';
import { planSync } from '../sync/plan.js';

export interface DesiredObject {
  readonly release: string;
  readonly object: KubeObject;
}

/**
 * What a sync applies for these releases: the namespace kasane creates for a release (exactly as the
 * sync plan builds it), then the main objects. Hooks run and are recreated at sync time, so the
 * cluster diff leaves them out; a diff of two renderings includes them (`includeHooks`).
 */
export function desiredObjects(releases: readonly RenderedRelease[], opts: { includeHooks: boolean }): DesiredObject[] {
  const out: DesiredObject[] = [];
  for (const release of releases) {
    const plan = planSync(release, undefined, { prune: false, hooks: 'never', desiredDigest: '' });
    if (plan.createNamespace) out.push({ release: release.name, object: plan.createNamespace });
    for (const rendered of release.objects) {
      if (rendered.hook === undefined || opts.includeHooks) out.push({ release: release.name, object: rendered.object });
    }
  }
  return out;
}

/** Namespaces that a sync of the environment creates: release namespaces and rendered Namespaces. */
export function namespacesCreated(env: RenderedEnvironment): Set<string> {
  const names = new Set<string>();
  for (const release of env.releases) {
    if (release.createNamespace) names.add(release.namespace);
    for (const rendered of release.objects) {
      if (rendered.object.kind === 'Namespace' && rendered.object.apiVersion === 'v1' && rendered.object.metadata.name) {
        names.add(rendered.object.metadata.name);
      }
    }
  }
  return names;
}
