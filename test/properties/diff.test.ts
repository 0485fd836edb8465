/**
 * Properties of the diff (src/diff): comparing a state with itself reports nothing, whatever
 * bookkeeping the server added; and the changes a report shows, applied as the patch they are printed
 * as, turn the old state into the new one (the diff of the result against the target is empty).
 */
import { applyPatch } from 'diff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareObject, diffRendered, toYaml } from '../../src/diff/index.js';
import { refOf, type KubeObject } from '../../src/model/object.js';
import type { RenderedEnvironment, RenderedObject } from '../../src/model/rendered.js';
import { parseYamlStream } from '../../src/yaml/read.js';

const RUNS = process.env['RELIABILITY_FULL'] === '1' ? 1_000 : 80;

const text = fc.oneof(
  fc.constantFrom('', 'yes', 'no', 'on', '1.0', '0o17', 'null', '~', '- a', 'a: b', '#x', '"q"', "'", 'multi\nline\n', ' lead', 'trail '),
  fc.string({ maxLength: 12 }),
);
const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'spec', 'x-y', 'with space', '__proto__', '10'), tie('json'), { maxKeys: 4 }),
  ),
}));

const names = fc.constantFrom('web', 'api', 'db', 'cache', 'jobs');
const kinds = fc.constantFrom(
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'example.com/v1', kind: 'Widget' },
);

/** An object as a chart could render it (no Secrets: their values are masked by design). */
const object = fc
  .record({
    type: kinds,
    name: names,
    labels: fc.dictionary(fc.constantFrom('app', 'tier', 'kasane.io/release'), text, { maxKeys: 3 }),
    data: fc.dictionary(fc.constantFrom('a', 'b', 'config.yaml', 'x'), text, { maxKeys: 4 }),
    spec: json,
  })
  .map(({ type, name, labels, data, spec }): KubeObject => ({
    ...type,
    metadata: { name, namespace: 'shop', labels },
    ...(type.kind === 'ConfigMap' ? { data } : { spec }),
  }));

/** The same object as the server hands it back: bookkeeping added. */
function asLive(obj: KubeObject, rv: number): KubeObject {
  const live = structuredClone(obj);
  Object.assign(live.metadata, { uid: `uid-${rv}`, resourceVersion: String(rv), generation: rv, creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{ manager: 'kasane' }] });
  return { ...live, status: { observedGeneration: rv } };
}

function env(objects: readonly KubeObject[]): RenderedEnvironment {
  const unique = new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
  const rendered: RenderedObject[] = [...unique.values()].map((o) => ({ object: o, template: 'charts/web/templates/x.yaml', wave: 0, pruneDisabled: false }));
  return {
    name: 'staging',
    file: 'environments/staging.yaml',
    cluster: {},
    sync: { intervalMs: 60_000, windows: [], prune: true, selfHeal: true, timeoutMs: 20_000, rollbackOnFailure: false },
    releases: [{ name: 'web', chart: 'web', namespace: 'shop', createNamespace: false, objects: rendered }],
  };
}

/**
 * Applies a unified diff as printed to the YAML of `before` and reads the result back as the API
 * machinery reads YAML (go-yaml v2's scalars); undefined when it is empty.
 */
function applyReported(before: KubeObject | undefined, diffText: string): KubeObject | undefined {
  const patched = applyPatch(toYaml(before), `--- before\n+++ after\n${diffText}`);
  if (patched === false) throw new Error(`the reported diff does not apply:\n${diffText}`);
  return patched.trim() === '' ? undefined : (parseYamlStream(patched, 'patched')[0]?.value as KubeObject);
}

describe('diff properties', () => {
  it('diff(a, a) is empty, also against the live copy with server bookkeeping', () => {
    fc.assert(
      fc.property(object, fc.nat(1_000_000), (obj, rv) => {
        expect(compareObject(refOf(obj), obj, structuredClone(obj)).action).toBe('unchanged');
        const d = compareObject(refOf(obj), asLive(obj, rv), obj);
        expect(d.action).toBe('unchanged');
        expect(d.diffText).toBeUndefined();
        const report = diffRendered(env([obj]), env([structuredClone(obj)]), { fromLabel: 'a', toLabel: 'a' });
        expect(report.summary).toEqual({ create: 0, update: 0, prune: 0, unchanged: 1 });
      }),
      { numRuns: RUNS },
    );
  });

  it('applying the reported change of one object makes its diff empty', () => {
    fc.assert(
      fc.property(fc.option(object, { nil: undefined }), fc.option(object, { nil: undefined }), (a, b) => {
        fc.pre(a !== undefined || b !== undefined);
        const before = a;
        const after = b === undefined ? undefined : a === undefined ? b : { ...b, apiVersion: a.apiVersion, kind: a.kind, metadata: { ...b.metadata, name: a.metadata.name } };
        const ref = refOf((after ?? before)!);
        const d = compareObject(ref, before, after);
        if (d.action === 'unchanged') return;
        const result = applyReported(d.before, d.diffText ?? '');
        if (after === undefined) expect(result).toBeUndefined();
        else expect(compareObject(ref, result, after).action).toBe('unchanged');
      }),
      { numRuns: RUNS },
    );
  });

  it('applying every change of an environment report leaves nothing to create, update or prune', () => {
    fc.assert(
      fc.property(fc.array(object, { maxLength: 6 }), fc.array(object, { maxLength: 6 }), (from, to) => {
        const report = diffRendered(env(from), env(to), { fromLabel: 'from', toLabel: 'to' });
        const state = new Map(env(from).releases[0]!.objects.map((o) => [`${o.object.kind}/${o.object.metadata.name}`, o.object]));
        for (const d of report.objects) {
          const k = `${d.ref.kind}/${d.ref.name}`;
          if (d.action === 'unchanged') continue;
          const next = applyReported(d.before, d.diffText ?? '');
          if (next === undefined) state.delete(k);
          else state.set(k, next);
        }
        const again = diffRendered(env([...state.values()]), env(to), { fromLabel: 'applied', toLabel: 'to' });
        expect(again.summary.create + again.summary.update + again.summary.prune).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });
});
