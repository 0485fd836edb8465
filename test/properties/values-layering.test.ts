/**
 * Properties of values layering (src/values/merge.ts), checked over generated values trees whose keys
 * collide often and include `__proto__`, `constructor` and `prototype`:
 * - the user layers merge associatively, so grouping layers (an environment block, then -f files,
 *   then --set) never changes the result;
 * - a user `null` deletes the chart default it lands on, at any depth, and a later layer can set it again;
 * - what no user layer mentions is the chart default; a scalar from the last layer wins;
 * - nothing reaches Object.prototype.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValuesMap, layerValues, type Values } from '../../src/values/merge.js';

const RUNS = process.env['RELIABILITY_FULL'] === '1' ? 2_000 : 200;

/** Few keys, so layers overlap; the dangerous names are among them. */
const key = fc.constantFrom('a', 'b', 'c', 'image', 'tag', '__proto__', 'constructor', 'prototype', 'toString', '10');
const scalar = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('x', 'y', '', 'true'), fc.boolean(), fc.constant(null));

/** A map built with own data properties, the way the YAML reader builds `__proto__` keys. */
function ownMap(entries: [string, unknown][]): Values {
  const out: Values = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const { tree } = fc.letrec<{ tree: unknown; map: Values }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(scalar, { maxLength: 3 }), tie('map')),
  map: fc.array(fc.tuple(key, tie('tree')), { maxLength: 4 }).map(ownMap),
}));
const layer = fc.array(fc.tuple(key, tree), { maxLength: 5 }).map(ownMap);

/**
 * Layers in which every key keeps its shape across layers: `a`, `b`, `__proto__`, `constructor`,
 * `prototype` always hold maps, the other keys always leaves (scalars, lists or null).
 */
const mapKey = fc.constantFrom('a', 'b', '__proto__', 'constructor', 'prototype');
const leafKey = fc.constantFrom('image', 'tag', 'toString', '10');
const leaf = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));
const { shaped } = fc.letrec<{ shaped: Values }>((tie) => ({
  shaped: fc
    .tuple(
      fc.array(fc.tuple(leafKey, leaf), { maxLength: 3 }),
      fc.oneof({ depthSize: 'small' }, fc.constant([] as [string, Values][]), fc.array(fc.tuple(mapKey, tie('shaped')), { maxLength: 3 })),
    )
    .map(([leaves, maps]) => ownMap([...leaves, ...maps])),
}));

/** Text that tells two values trees apart exactly, own `__proto__` keys included. */
function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (isValuesMap(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Merged user layers, still carrying their nulls (no chart defaults to delete). */
const userMerge = (...layers: Values[]): Values => layerValues([{}, ...layers]);

const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
function unpolluted(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort().join(',')).toBe(prototypeKeys);
  const probe: Record<string, unknown> = {};
  for (const k of ['a', 'b', 'c', 'image', 'tag']) expect(probe[k]).toBeUndefined();
  expect(typeof probe['toString']).toBe('function');
}

describe('values layering properties', () => {
  it('user layers merge associatively when no key changes between map and leaf, with and without chart defaults', () => {
    fc.assert(
      fc.property(shaped, shaped, shaped, shaped, (defaults, a, b, c) => {
        const flat = canon(layerValues([defaults, a, b, c]));
        expect(canon(layerValues([defaults, userMerge(a, b), c]))).toBe(flat);
        expect(canon(layerValues([defaults, a, userMerge(b, c)]))).toBe(flat);
        expect(canon(userMerge(userMerge(a, b), c))).toBe(canon(userMerge(a, userMerge(b, c))));
      }),
      { numRuns: RUNS },
    );
    unpolluted();
  });

  it('any layers: grouping the first ones (a left fold, as Helm applies -f files) never changes the result', () => {
    fc.assert(
      fc.property(layer, layer, layer, layer, (defaults, a, b, c) => {
        const flat = canon(layerValues([defaults, a, b, c]));
        expect(canon(layerValues([defaults, userMerge(a, b), c]))).toBe(flat);
        expect(canon(layerValues([defaults, userMerge(a, b, c)]))).toBe(flat);
      }),
      { numRuns: RUNS },
    );
    // Where a key turns from a map into a scalar and back, the order of application matters, exactly
    // as with `helm -f a -f b -f c`: the map of `a` is gone once `b` replaced it.
    const a = { image: { tag: 'x' } };
    const b = { image: 'nginx' };
    const c = { image: { pull: 'Always' } };
    expect(layerValues([{}, a, b, c])).toEqual({ image: { pull: 'Always' } });
    unpolluted();
  });

  it('a null deletes the default it lands on, at any depth; a later layer sets it again', () => {
    fc.assert(
      fc.property(layer, fc.array(key, { minLength: 1, maxLength: 3 }), tree, (defaults, path, value) => {
        fc.pre(value !== null);
        // Plant a non-null default at `path`, then delete it with a user null at the same path.
        const nest = (leaf: unknown): Values => path.reduceRight<Values>((inner, k) => ownMap([[k, inner]]), leaf as Values);
        const base = layerValues([defaults, nest('default')]);
        const at = (v: unknown): { found: boolean; value?: unknown } => {
          let node: unknown = v;
          for (const k of path) {
            if (!isValuesMap(node) || !Object.hasOwn(node, k)) return { found: false };
            node = node[k];
          }
          return { found: true, value: node };
        };
        expect(at(base)).toEqual({ found: true, value: 'default' });
        expect(at(layerValues([base, nest(null)])).found).toBe(false);
        const restored = at(layerValues([base, nest(null), nest(value)]));
        expect(restored.found).toBe(true);
        if (!isValuesMap(value)) expect(canon(restored.value)).toBe(canon(value));
      }),
      { numRuns: RUNS },
    );
    unpolluted();
  });

  it('keys no user layer mentions are the defaults; a scalar in the last layer wins', () => {
    fc.assert(
      fc.property(layer, layer, key, scalar, (defaults, user, k, v) => {
        fc.pre(v !== null);
        const out = layerValues([defaults, user, ownMap([[k, v]])]);
        expect(Object.hasOwn(out, k) && out[k]).toBe(v);
        for (const d of Object.keys(defaults)) {
          if (d === k || Object.hasOwn(user, d) || defaults[d] === null) continue;
          expect(canon(out[d])).toBe(canon(defaults[d]));
        }
      }),
      { numRuns: RUNS },
    );
    unpolluted();
  });

  it('never mutates its inputs', () => {
    fc.assert(
      fc.property(layer, layer, layer, (defaults, a, b) => {
        const before = [canon(defaults), canon(a), canon(b)];
        layerValues([defaults, a, b]);
        expect([canon(defaults), canon(a), canon(b)]).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  });
});
