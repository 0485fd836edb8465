import { describe, expect, it } from 'vitest';
import { toGoJson, toHelmYaml } from '../../src/yaml/write.js';
import { helmAvailable, helmEval } from './helm.js';

const long = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.';

/** Values a chart author really passes to toYaml/toJson, chosen to hit every quoting and layout rule. */
const cases: unknown[] = [
  'yes', 'Yes', 'on', 'OFF', 'y', 'n', 'true', 'null', '~', '', '1.0', '1e3', '0777', '0x1F', '.5', '+1', '-1_000', '08',
  '2001-12-14', '2001-12-14T21:59:43.10Z', '2001-02-30', '1:20', '<<', '.inf',
  'a: b', 'a:b', '- x', '-x', '#x', 'x #y', 'x#y', '? x', '@at', '`tick', '%pct', '---', '...', 'a, b', '[x]', '{x}', '*ref', '&anc', '!tag', '|pipe', '>gt',
  "it's", '"quoted"', 'back\\slash', '<a&b>', 'a\tb', 'bell\u0007', 'del\u007f', 'nbsp\u00a0x', 'bom\ufeff', 'nel\u0085x', 'a \u0085 \u0085\u0085 b', 'x\u2028y', ' lead', 'trail ',
  'naïve ünïcode ☃', 'emoji 😀', '漢字テキスト',
  long, `${'x'.repeat(100)} ${'y'.repeat(10)}`, `"${long}"`, `${long}\t`, `a  ${long}  b`,
  'line one\nline two', 'trailing newline\n', 'two trailing\n\n', '\n', ' leading space\nx', 'space at end \nx', 'multi\n\nparagraph\n  indented\n',
  `${long}\n${long}`, 'tab\tin\nblock',
  1, 1.5, -3, 0, 1e21, 1e20, 100000000, 1234567.5, 0.00001, 0.000001, 1e-7, 2 ** 53, 2 ** 63, 18446744073709551615, 123456789012, -0.5,
  true, false, null,
  [], {}, [[]], [{}], { a: [] },
  { b: 1, a: { nested: [{ x: 1, y: [1, 2] }, [3, [4]]], empty: {}, emptyList: [] }, 'key with space': 'v', yes: 'y', '': 'empty key' },
  { a10: 1, a9: 2, a010: 3, a01: 9, B: 4, b: 5, '1': 6, '10': 11, '2': 12, _x: 7, 'ä': 8, 'x-1': 1, x_1: 2, 'x.1': 3, x1: 4 },
  [{ name: 'a', value: 'line1\nline2' }, 'x', ['y', { z: 1 }], [[1, 2], [3]]],
  { list: [long, { deep: { deeper: [long] } }], map: { key: long } },
  { ['k'.repeat(130)]: 'v', ['k'.repeat(128)]: 'w', 'multi\nline key': 1, 'on': 'key resolves', '1.5': 'numeric key' },
  { resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: 0.25, memory: 134217728 } } },
  { env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
];

describe.skipIf(!helmAvailable)('toHelmYaml and toGoJson against the real helm', () => {
  const exprs = [
    ...cases.map((_, i) => `toYaml (index .Values.cases ${i})`),
    ...cases.map((_, i) => `toJson (index .Values.cases ${i})`),
  ];
  const helm = helmEval(exprs, { cases });

  it.each(cases.map((c, i) => [JSON.stringify(c).slice(0, 60), i] as const))('toYaml %s', (_, i) => {
    expect(toHelmYaml(cases[i])).toBe(helm[i]);
  });

  it.each(cases.map((c, i) => [JSON.stringify(c).slice(0, 60), i] as const))('toJson %s', (_, i) => {
    expect(toGoJson(cases[i])).toBe(helm[i + cases.length]);
  });
});

describe('toHelmYaml', () => {
  it('prints maps sorted, lists flush under their key and no trailing newline', () => {
    expect(toHelmYaml({ b: [1, 2], a: { c: 'x' } })).toBe('a:\n  c: x\nb:\n- 1\n- 2');
  });
});

describe('toGoJson', () => {
  it('refuses values JSON cannot carry, as Go does', () => {
    expect(() => toGoJson({ x: Number.NaN })).toThrow(/unsupported value/);
  });
});
