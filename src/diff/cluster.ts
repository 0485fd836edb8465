/**
 * The rendered environment against the live cluster. For each object the server itself computes the
 * result of the apply (server-side apply dry run, field manager kasane, taking ownership as a sync
 * does) and that is compared with the live object, both normalized. So server defaults are not drift,
 * a label another manager added is not reported (it is on both sides), and a field kasane applies
 * that someone else changed is. An object whose kasane-owned fields already hold the desired values
 * (provablyUnchanged, from its managedFields) is unchanged without a dry run.
 */
import { AggregateKasaneError, KasaneError } from '../errors.js';
import { formatRef, refKey, refOf, type KubeObject, type ObjectRef } from '../model/object.js';
import type { RenderedEnvironment } from '../model/rendered.js';
import {
  FIELD_MANAGER,
  NotFoundError,
  UnknownKindError,
  UnreachableError,
  isCrd,
  provablyUnchanged,
  settleLimit,
  type ClusterClient,
  type ResourceInfo,
} from '../cluster/index.js';
import { compareObject, summarize, type CompareOptions, type DiffReport, type ObjectDiff } from './compare.js';
import { pruneRefusal } from '../sync/prune.js';
import { selectReleases } from '../environment/releases.js';
import { desiredObjects, namespacesCreated, type DesiredObject } from './desired.js';

export interface ClusterDiffOptions extends CompareOptions {
  /** Releases to compare; all when empty or absent. */
  readonly releases?: readonly string[];
  /** API calls in flight at once; default 8. */
  readonly concurrency?: number;
  /**
   * Objects a sync would delete (see pruneCandidates, from the release inventory); each still in
   * the cluster, and for a release still labelled as its own, is reported as `prune`.
   */
  readonly prune?: readonly { readonly ref: ObjectRef; readonly release?: string }[];
}

/** Objects kasane would apply in a namespace that neither exists nor is created by the environment. */
export class MissingNamespaceError extends KasaneError {
  override readonly name: string = 'MissingNamespaceError';
  constructor(
    readonly namespace: string,
    readonly refs: readonly ObjectRef[],
  ) {
    const first = refs[0];
    const which = refs.length === 1 && first ? formatRef(first) : `${refs.length} objects (${refs.slice(0, 3).map(formatRef).join(', ')}${refs.length > 3 ? ', …' : ''})`;
    super(`namespace ${namespace} does not exist and no release of the environment creates it; ${which} would go there`, {
      hint: `set createNamespace: true on the release, render a Namespace ${namespace}, or create it first`,
    });
  }
}

/** Live objects of one kind in one namespace, read with one list when that saves calls. */
class LiveReader {
  private readonly lists = new Map<string, Promise<Map<string, KubeObject>>>();

  constructor(
    private readonly client: ClusterClient,
    /** Objects wanted per (apiVersion, kind, namespace): two or more are read with one list. */
    private readonly wanted: ReadonlyMap<string, number>,
  ) {}

  static groupKey(ref: ObjectRef, info: ResourceInfo): string {
    return `${ref.apiVersion}|${ref.kind}|${info.namespaced ? (ref.namespace ?? '') : ''}`;
  }

  async read(ref: ObjectRef, info: ResourceInfo): Promise<KubeObject | undefined> {
    // A kind the cluster does not serve yet (its CRD is in this release) has no objects.
    if (info.pending) return undefined;
    const key = LiveReader.groupKey(ref, info);
    if ((this.wanted.get(key) ?? 0) < 2) return this.client.get(ref);
    let listing = this.lists.get(key);
    if (!listing) {
      const namespace = info.namespaced ? ref.namespace : undefined;
      listing = this.client
        .list(ref.apiVersion, ref.kind, namespace === undefined ? {} : { namespace })
        .then((items) => new Map(items.map((item) => [item.metadata.name ?? '', item])));
      this.lists.set(key, listing);
    }
    return (await listing).get(ref.name);
  }
}

function fail(all: readonly unknown[]): never {
  // One unreachable server makes every object fail the same way: say it once.
  const unreachable = all.find((e) => e instanceof UnreachableError);
  if (unreachable) throw unreachable;
  // Likewise a missing namespace: one error naming the objects that would go there.
  const missing = new Map<string, ObjectRef[]>();
  for (const e of all) {
    if (e instanceof MissingNamespaceError) missing.set(e.namespace, [...(missing.get(e.namespace) ?? []), ...e.refs]);
  }
  const errors: unknown[] = [];
  for (const e of all) {
    if (!(e instanceof MissingNamespaceError)) errors.push(e);
    else if (missing.has(e.namespace)) {
      errors.push(new MissingNamespaceError(e.namespace, missing.get(e.namespace) ?? []));
      missing.delete(e.namespace);
    }
  }
  if (errors.length === 1) throw errors[0];
  const kasaneErrors = errors.filter((e): e is KasaneError => e instanceof KasaneError);
  if (kasaneErrors.length < errors.length) throw errors.find((e) => !(e instanceof KasaneError));
  throw new AggregateKasaneError(`${errors.length} problems comparing with the cluster:`, kasaneErrors);
}

export async function diffAgainstCluster(
  client: ClusterClient,
  env: RenderedEnvironment,
  opts: ClusterDiffOptions = {},
): Promise<DiffReport> {
  const releases = selectReleases(env, opts.releases ?? []);
  const desired = desiredObjects(releases, { includeHooks: false });
  const created = namespacesCreated(env);
  const concurrency = opts.concurrency ?? 8;
  client.addPendingCrds(env.releases.flatMap((r) => r.objects.map((o) => o.object).filter(isCrd)));

  // Resolve kinds first (cached per group-version), so reads can be grouped per kind and namespace.
  const located = await settleLimit(desired, concurrency, async (d) => {
    const ref = refOf(d.object);
    try {
      return { desired: d, ref, info: await client.resourceFor(ref.apiVersion, ref.kind) };
    } catch (err) {
      if (err instanceof UnknownKindError) throw new UnknownKindError(ref.apiVersion, ref.kind, ref);
      throw err;
    }
  });
  const locateErrors = located.flatMap((o) => (o.ok ? [] : [o.error]));
  if (locateErrors.length > 0) fail(locateErrors);
  const objects = located.map((o) => (o as { ok: true; value: { desired: DesiredObject; ref: ObjectRef; info: ResourceInfo } }).value);

  const wanted = new Map<string, number>();
  for (const o of objects) {
    const key = LiveReader.groupKey(o.ref, o.info);
    wanted.set(key, (wanted.get(key) ?? 0) + 1);
  }
  const reader = new LiveReader(client, wanted);
  const compare = { ...(opts.showSecrets === undefined ? {} : { showSecrets: opts.showSecrets }), ...(opts.context === undefined ? {} : { context: opts.context }) };

  const outcomes = await settleLimit(objects, concurrency, async ({ desired: d, ref, info }): Promise<ObjectDiff> => {
    const live = await reader.read(ref, info);
    const namespace = info.namespaced ? ref.namespace : undefined;
    if (info.pending) {
      // Its CRD is applied first by the sync; the server cannot dry-run it before.
      return compareObject(ref, undefined, d.object, { ...compare, release: d.release });
    }
    // Most objects are usually unchanged: when the fields kasane owns in the live object already hold
    // the desired values, and no others, an apply would change nothing; no dry run needed.
    if (live !== undefined && provablyUnchanged(d.object, live, FIELD_MANAGER)) {
      return { ref, ...(d.release === undefined ? {} : { release: d.release }), action: 'unchanged' };
    }
    let applied: KubeObject;
    try {
      applied = await client.apply(d.object, { dryRun: true, force: true });
    } catch (err) {
      if (err instanceof NotFoundError && err.isMissingNamespace && live === undefined) {
        if (namespace !== undefined && created.has(namespace)) {
          return compareObject(ref, undefined, d.object, { ...compare, release: d.release });
        }
        throw new MissingNamespaceError(namespace ?? err.missingName ?? '', [ref]);
      }
      throw err;
    }
    // A new object is shown as the chart renders it; the server's defaults would only add noise.
    return compareObject(ref, live, live === undefined ? d.object : applied, { ...compare, release: d.release });
  });

  const pruneOutcomes = await settleLimit(opts.prune ?? [], concurrency, async (p): Promise<ObjectDiff | undefined> => {
    const live = await client.get(p.ref);
    if (live === undefined) return undefined;
    // The sync leaves alone what was re-created by hand, handed to another release, or marked not to prune.
    if (p.release !== undefined && pruneRefusal(live, env.name, p.release) !== undefined) return undefined;
    return compareObject(p.ref, live, undefined, { ...compare, ...(p.release === undefined ? {} : { release: p.release }) });
  });

  const errors = [...outcomes, ...pruneOutcomes].flatMap((o) => (o.ok ? [] : [o.error]));
  if (errors.length > 0) fail(errors);

  const seen = new Set<string>();
  const diffs: ObjectDiff[] = [];
  for (const o of [...outcomes, ...pruneOutcomes]) {
    if (!o.ok || o.value === undefined) continue;
    const key = refKey(o.value.ref);
    if (seen.has(key)) continue;
    seen.add(key);
    diffs.push(o.value);
  }
  return {
    environment: env.name,
    source: { type: 'cluster', server: client.server, context: client.contextName },
    objects: diffs,
    summary: summarize(diffs),
  };
}
