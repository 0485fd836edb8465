import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseYamlDocument } from '../../src/yaml/read.js';
import { toGoJson, toHelmYaml } from '../../src/yaml/write.js';
import { helmAvailable, helmEval } from './helm.js';

// Characters that steer quoting, folding and escaping. Left out: DEL, C1 controls and NEL, because
// Helm's own toYaml changes or refuses them (helm-toyaml.test.ts), and U+2028/U+2029, which go-yaml
// reads as line breaks (YAML 1.1) and js-yaml as text.
const tricky = fc.constantFrom(
  ...'ab zZ09:#-?,[]{}&*!|>\'"%@`.~_+=\\/\t\n\r\u00a0\u00e9\u2603\u{1f600}\ufeff'.split(/(?:)/u),
);
const scalarText = fc.oneof(
  fc.string({ unit: tricky, maxLength: 40 }),
  fc.constantFrom('yes', 'No', 'on', 'OFF', 'y', '~', 'null', '1.0', '0777', '0x1F', '1e3', '2001-12-14', '1:20', '.inf', '<<', '', ' ', '- x', 'a: b'),
  fc.string({ unit: fc.constantFrom('word ', 'lorem ', 'x', ' ', '\n'), maxLength: 40 }).map((s) => s),
);
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, scalarText, number, fc.boolean(), fc.constant(null), tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 4 }),
  // A `<<` key is a merge key to every YAML 1.1 reader, go-yaml included, so it cannot round-trip.
  map: fc.dictionary(scalarText.filter((k) => k !== '<<'), tie('node'), { maxKeys: 4 }),
})).node;

describe('toHelmYaml output reads back as the same data', () => {
  it('for arbitrary nested values with tricky strings', () => {
    fc.assert(
      // Wrapped in a map: a top-level block scalar with an indentation indicator is read differently by
      // libyaml-based readers and the YAML spec (js-yaml), and manifests are maps anyway.
      fc.property(value.map((inner) => ({ v: inner })), (v) => {
        const yaml = toHelmYaml(v);
        expect(parseYamlDocument(`${yaml}\n`, 'roundtrip.yaml')).toEqual(JSON.parse(toGoJson(v)));
      }),
      { numRuns: 400 },
    );
  });
});

// Multi-line ASCII text, which toYaml prints as a literal block (the writer has a fast path for it):
// leading, trailing and repeated line feeds, indented lines, and the spaces that rule a block out.
const blockText = fc
  .array(fc.constantFrom('a', 'key: v', '- item', '#x', ' ', '  ', '\n', '\n', '\n\n'), { minLength: 1, maxLength: 12 })
  .map((parts) => parts.join(''))
  .filter((t) => t.includes('\n'));
const blockValue = fc.oneof(
  blockText.map((t) => ({ v: t })),
  blockText.map((t) => ({ a: { b: [t, { c: t }] } })),
  fc.array(blockText, { minLength: 1, maxLength: 3 }).map((ts) => ({ list: ts })),
);

describe.skipIf(!helmAvailable)('random values print exactly as helm prints them', () => {
  it('toYaml of 300 generated multi-line texts, in one helm run', () => {
    const samples = fc.sample(blockValue, { numRuns: 300, seed: 20261124 });
    const helm = helmEval(samples.map((_, i) => `toYaml (index .Values.samples ${i})`), { samples });
    samples.forEach((sample, i) => expect(toHelmYaml(sample), JSON.stringify(sample)).toBe(helm[i]));
  });

  it('toYaml and toJson of 300 generated values, in one helm run', () => {
    const samples = fc.sample(value.map((inner) => ({ v: inner })), { numRuns: 300, seed: 20261123 });
    const exprs = [
      ...samples.map((_, i) => `toYaml (index .Values.samples ${i})`),
      ...samples.map((_, i) => `toJson (index .Values.samples ${i})`),
    ];
    const helm = helmEval(exprs, { samples });
    samples.forEach((sample, i) => {
      expect(toHelmYaml(sample), JSON.stringify(sample)).toBe(helm[i]);
      expect(toGoJson(sample), JSON.stringify(sample)).toBe(helm[i + samples.length]);
    });
  });
});
