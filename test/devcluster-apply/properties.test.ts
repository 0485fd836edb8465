import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/model/object.js';
import { conflictMessage, isSemanticNoOp, recordUpdate, serverSideApply } from '../../src/devcluster/apply/index.js';

type Obj = Record<string, unknown>;

// ---- random Deployment configurations from small value pools, so managers collide often ----

const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
const nonEmptyDict = (keys: string[], values: fc.Arbitrary<string>): fc.Arbitrary<Record<string, string>> =>
  fc.uniqueArray(fc.constantFrom(...keys), { minLength: 1, maxLength: keys.length }).chain((ks) =>
    fc.tuple(...ks.map(() => values)).map((vs) => Object.fromEntries(ks.map((k, i) => [k, vs[i]!]))),
  );

const envVar = fc.record({ name: fc.constantFrom('A', 'B'), value: maybe(fc.constantFrom('1', '2')) }, { requiredKeys: ['name'] });
const container = fc.record(
  {
    name: fc.constantFrom('web', 'side', 'init'),
    image: fc.constantFrom('x:1', 'x:2'),
    command: fc.constantFrom(['a'], ['b', 'c']),
    env: fc.uniqueArray(envVar, { selector: (e) => e.name, minLength: 1, maxLength: 2 }),
  },
  { requiredKeys: ['name'] },
);

const config: fc.Arbitrary<KubeObject> = fc
  .record(
    {
      labels: nonEmptyDict(['a', 'b', 'c'], fc.constantFrom('1', '2')),
      replicas: fc.constantFrom(1, 2, 3),
      minReadySeconds: fc.constantFrom(0, 5),
      containers: fc.uniqueArray(container, { selector: (c) => c.name, minLength: 1, maxLength: 3 }),
    },
    { requiredKeys: [] },
  )
  .map(({ labels, replicas, minReadySeconds, containers }) => {
    const spec: Obj = {};
    if (replicas !== undefined) spec['replicas'] = replicas;
    if (minReadySeconds !== undefined) spec['minReadySeconds'] = minReadySeconds;
    if (containers !== undefined) spec['template'] = { spec: { containers } };
    const obj: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } };
    if (labels !== undefined) obj.metadata.labels = labels;
    if (Object.keys(spec).length > 0) obj['spec'] = spec;
    return obj;
  });

// ---- an independent reading of the same objects: leaf paths, fieldsV1 spelling ----

/** Leaf fields of an object of this shape: path (fieldsV1 elements) → value. */
function leaves(obj: KubeObject): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const put = (path: string[], v: unknown): void => void out.set(JSON.stringify(path), v);
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) put(['f:metadata', 'f:labels', `f:${k}`], v);
  const spec = (obj['spec'] ?? {}) as Obj;
  for (const k of ['replicas', 'minReadySeconds']) if (spec[k] !== undefined) put(['f:spec', `f:${k}`], spec[k]);
  const ctrs = ((spec['template'] as Obj | undefined)?.['spec'] as Obj | undefined)?.['containers'] as Obj[] | undefined;
  for (const c of ctrs ?? []) {
    const base = ['f:spec', 'f:template', 'f:spec', 'f:containers', `k:${JSON.stringify({ name: c['name'] })}`];
    for (const k of ['name', 'image', 'command']) if (c[k] !== undefined) put([...base, `f:${k}`], c[k]);
    for (const e of (c['env'] as Obj[] | undefined) ?? []) {
      const eb = [...base, 'f:env', `k:${JSON.stringify({ name: e['name'] })}`];
      for (const k of ['name', 'value']) if (e[k] !== undefined) put([...eb, `f:${k}`], e[k]);
    }
  }
  return out;
}

function owns(entry: Obj, pathKey: string): boolean {
  let node: unknown = entry['fieldsV1'];
  for (const pe of JSON.parse(pathKey) as string[]) {
    node = (node as Obj | undefined)?.[pe];
    if (node === undefined) return false;
  }
  const n = node as Obj;
  return Object.keys(n).length === 0 || '.' in n;
}

function entries(obj: KubeObject): Obj[] {
  return (obj.metadata['managedFields'] as Obj[] | undefined) ?? [];
}

const isMe = (e: Obj): boolean => e['manager'] === 'kasane' && e['operation'] === 'Apply';

function ownedByOthers(obj: KubeObject, pathKey: string): boolean {
  return entries(obj).some((e) => !isMe(e) && owns(e, pathKey));
}

/** kubectl's spelling of a path in a conflict, computed from the fieldsV1 elements. */
function printed(pathKey: string): string {
  return (JSON.parse(pathKey) as string[])
    .map((pe) => {
      if (pe.startsWith('f:')) return `.${pe.slice(2)}`;
      const key = JSON.parse(pe.slice(2)) as Obj;
      return `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

// ---- a live object that other managers already write to ----

const T = ['2026-11-23T10:00:00Z', '2026-11-23T10:01:00Z', '2026-11-23T10:02:00Z', '2026-11-23T10:03:00Z', '2026-11-23T10:04:00Z'];

function ok(r: ReturnType<typeof serverSideApply>): KubeObject {
  if (!r.ok) throw new Error(conflictMessage(r.conflicts));
  return r.object;
}

const liveObject: fc.Arbitrary<KubeObject> = fc.tuple(config, maybe(config)).map(([created, helm]) => {
  let live = recordUpdate({ before: undefined, after: created, manager: 'kubectl-create', now: T[0]!, apiVersion: 'apps/v1' });
  if (helm) live = ok(serverSideApply({ live, applied: helm, manager: 'helm', force: true, now: T[1]!, apiVersion: 'apps/v1' }));
  return live;
});

const apply = (live: KubeObject, applied: KubeObject, force: boolean, now: string) =>
  serverSideApply({ live, applied, manager: 'kasane', force, now, apiVersion: 'apps/v1' });

describe('server-side apply properties', () => {
  it('applying A then B leaves exactly B\'s fields plus fields other managers own', () => {
    fc.assert(
      fc.property(liveObject, config, config, (live, a, b) => {
        const afterA = ok(apply(live, a, true, T[2]!));
        const afterB = ok(apply(afterA, b, true, T[3]!));
        const want = leaves(b);
        const got = leaves(afterB);
        expect(afterB.metadata).toMatchObject({ name: 'web', namespace: 'shop' });
        for (const [path, value] of want) expect(got.get(path), printed(path)).toEqual(value);
        for (const path of got.keys()) {
          expect(want.has(path) || ownedByOthers(afterB, path), `${printed(path)} is neither applied nor owned`).toBe(true);
        }
        // and B's fields are exactly what kasane owns
        const mine = entries(afterB).find(isMe);
        for (const path of want.keys()) expect(mine && owns(mine, path), printed(path)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('is idempotent: applying the same configuration twice is a semantic no-op', () => {
    fc.assert(
      fc.property(liveObject, config, (live, a) => {
        const once = ok(apply(live, a, true, T[2]!));
        const twice = apply(once, a, false, T[3]!);
        expect(twice.ok).toBe(true);
        if (twice.ok) expect(isSemanticNoOp(once, twice.object)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('a forced apply never reports conflicts, and leaves every applied field with its value and owned by the applier alone unless shared', () => {
    fc.assert(
      fc.property(liveObject, config, (live, a) => {
        const r = apply(live, a, true, T[2]!);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const liveLeaves = leaves(live);
        const got = leaves(r.object);
        for (const [path, value] of leaves(a)) {
          expect(got.get(path)).toEqual(value);
          // another manager keeps a field only if it already held this very value
          if (ownedByOthers(r.object, path)) expect(liveLeaves.get(path)).toEqual(value);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('an unforced apply conflicts exactly on the fields others own with a different value', () => {
    fc.assert(
      fc.property(liveObject, config, (live, a) => {
        const liveLeaves = leaves(live);
        const expected = new Set<string>();
        for (const [path, value] of leaves(a)) {
          if (ownedByOthers(live, path) && JSON.stringify(liveLeaves.get(path)) !== JSON.stringify(value)) expected.add(printed(path));
        }
        const r = apply(live, a, false, T[2]!);
        const reported = new Set(r.ok ? [] : r.conflicts.map((c) => c.field));
        expect([...reported].sort()).toEqual([...expected].sort());
      }),
      { numRuns: 60 },
    );
  });
});
