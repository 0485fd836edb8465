/**
 * The reader for simple block YAML must read exactly what js-yaml (with the go-yaml v2 schema) reads,
 * and leave everything else, errors included, to js-yaml: parseYamlStream with and without it must
 * agree on every input, to the key order and the error message.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonYaml, readSimpleYaml, UNSUPPORTED } from '../../src/yaml/fast-read.js';
import { parseYamlStream } from '../../src/yaml/read.js';
import { toHelmYaml } from '../../src/yaml/write.js';

type Outcome = { ok: true; json: string } | { ok: false; message: string };

function read(text: string, generalReaderOnly: boolean): Outcome {
  try {
    const documents = parseYamlStream(text, 'test.yaml', { generalReaderOnly });
    // JSON keeps key order; -0 and undefined are spelled out so they cannot hide.
    return { ok: true, json: JSON.stringify(documents, (_k, v: unknown) => (Object.is(v, -0) ? '-0' : v === undefined ? '<undefined>' : v)) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

function expectSameReading(text: string): void {
  expect(read(text, false), text).toEqual(read(text, true));
}

/** Lines that are valid, invalid, or outside the subset, for texts stitched from them at random indents. */
const FRAGMENTS = [
  'a:', 'a: 1', 'b: x', 'a: 2', '-', '- ', '- a', '- a: 1', '- b: 2', '- - x', '-x', 'c: |', 'c: |-', 'c: |+', 'c: |2', 'c: >',
  'text', 'more text', '# comment', 'd: "q"', "e: 'it''s'", "e: 'open", 'f: {}', 'g: []', 'g: [1]', 'f: {a: 1}',
  'h: yes', 'h: y', 'i: 0777', 'i: 08', 'j: 1e3', 'j: 1.5', 'k: ~', 'k: null', 'l: a #b', 'm: a#b', 'n: "a\\tb"', 'n: "\\x41"',
  'n: "\\u00e9\\n"', 'n: "a\\"b"', 'n: "unterminated', '"p": 1', "'p': 2", 'q: -1', 'r: 1:20', 's: .5', 's: .inf', 't: +1',
  'u: 0x1F', 'v: 1_000', '---', '...', '', ' ', '   ', 'w: a: b', 'y: &a 1', 'z: *a', 'z: !!str 1', '__proto__: 1',
  'true: 1', '1: one', 'key with space: v', 'k: v:', '? q', ': r', 'x:y', 'http://a: b', '- "q": 1', '- |', '- []',
  '<<: {}', 'a: - b', 'a: "x" y', 'tab:\tx', 'cr: x\r', 'nbsp: \u00a0', 'emoji: \u{1f600}', 'a: -', 'a: --x', 'a: %x', 'a: @x',
  'a: `x', 'a: ,x', 'a: #x', 'a:#x', 'a: 12:30:00', 'a: 2024-01-01', 'a: 0o17', 'a: 0b101', 'a: -0', 'a: 1e400', 'a: 99999999999999999999',
];

const stitched = fc
  .array(fc.tuple(fc.constantFrom(0, 0, 0, 1, 2, 2, 2, 3, 4, 4, 6), fc.constantFrom(...FRAGMENTS)), { maxLength: 12 })
  .chain((lines) => fc.boolean().map((finalBreak) => lines.map(([indent, text]) => ' '.repeat(indent) + text).join('\n') + (finalBreak ? '\n' : '')));

/** Inline values: plain scalars of every type, quoted ones, tricky text, and some outside the subset or invalid. */
const INLINE = [
  'x', 'two words', 'yes', 'No', 'on', 'OFF', 'Y', 'n', 'True', '~', 'null', 'Null', 'NULL', '0o17', '0b101', '-0', '1e400', '99999999999999999999', '0777', '08', '1e3', '-1', '+1', '.5', '.inf', '0x1F', '1_000', '1:20', '2024-01-01',
  'a #c', 'a#b', 'a:b', 'http://h:80/p', '"q"', '"a\\nb"', '"\\x41"', "'it''s'", "'a'", '""', "''", '{}', '[]', '[a]', '{a: 1}',
  '&a x', '*a', '!!str 1', '<<', '- x', 'a: b', 'x:', '"open', "'open", '>', '|2', '-x', '--', '%x', '@x', 'x  ', 'x # c',
];
const block: fc.Memo<string[]> = fc.memo((depth) => {
  const inline = fc.constantFrom(...INLINE);
  const nested = depth > 2 ? fc.constant<string[]>([]) : block(depth + 1);
  const literal = fc
    .tuple(fc.constantFrom('|', '|-', '|+', '| # c'), fc.array(fc.constantFrom('text', '  deeper', '', '   ', '# not a comment', 'a: b', '- x'), { minLength: 1, maxLength: 4 }))
    .map(([header, lines]) => [header, ...lines.map((l) => (l === '' ? '' : `  ${l}`))]);
  const indentBy = fc.constantFrom(2, 2, 2, 1, 4);
  const value = fc.oneof(
    inline.map((v) => ({ inline: v, below: [] as string[] })),
    fc.tuple(nested, indentBy).map(([lines, by]) => ({ inline: '', below: lines.map((l) => (l === '' ? l : ' '.repeat(by) + l)) })),
    literal.map(([header, ...lines]) => ({ inline: header!, below: lines })),
  );
  const key = fc.constantFrom('a', 'b', 'name', 'app.kubernetes.io/name', 'x y', '"q"', "'s'", 'y', '1', 'a', '__proto__', 'k#1');
  const entry = fc.tuple(key, value).map(([k, v]) => [v.inline === '' ? `${k}:` : `${k}: ${v.inline}`, ...v.below]);
  const item = fc.oneof(
    value.map((v) => [v.inline === '' ? '-' : `- ${v.inline}`, ...v.below]),
    fc.array(entry, { minLength: 1, maxLength: 3 }).map((entries) => entries.flat().map((l, i) => (i === 0 ? `- ${l}` : l === '' ? l : `  ${l}`))),
  );
  const noise = fc.constantFrom('# comment', '', '   ', '  # indented comment');
  const withNoise = (lines: fc.Arbitrary<string[]>) =>
    fc.tuple(lines, fc.array(fc.tuple(fc.nat(), noise), { maxLength: 2 })).map(([ls, extra]) => {
      const out = [...ls];
      for (const [at, n] of extra) out.splice(at % (out.length + 1), 0, n);
      return out;
    });
  return fc.oneof(
    withNoise(fc.array(entry, { minLength: 1, maxLength: 4 }).map((es) => es.flat())),
    withNoise(fc.array(item, { minLength: 1, maxLength: 3 }).map((is) => is.flat())),
  );
});
const structured = fc
  .tuple(block(0), fc.constantFrom('', '---\n', '---\n# Source: t.yaml\n'), fc.boolean(), fc.option(fc.tuple(fc.nat(), fc.constantFrom(-1, 1)), { nil: undefined }))
  .map(([lines, head, finalBreak, shift]) => {
    const out = [...lines];
    // Now and then one line moves a column, which is usually an error.
    if (shift !== undefined && out.length > 0) {
      const at = shift[0] % out.length;
      out[at] = shift[1] > 0 ? ` ${out[at]}` : out[at]!.replace(/^ /, '');
    }
    return head + out.join('\n') + (finalBreak ? '\n' : '');
  });

/** Values whose toYaml output is the shape templates render. */
const scalar = fc.oneof(
  fc.constantFrom('', ' ', 'a', 'yes', 'no', 'on', '~', 'null', '0777', '1e3', '.5', '1:20', '-', '- a', 'a: b', 'a #b', '#x', "it's", 'say "hi"', 'x\ny', 'x\n', '\nx', 'a  b', ' lead', 'trail ', '\ttab', 'caf\u00e9', '<<', '*a', '&a', '!t', '|', '>', '[]', '{}', '---', '...'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('a', ' ', '\n', ':', '#', '-', '"', "'", '\\', '1', '.'), maxLength: 14 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Memo<unknown> = fc.memo((depth) =>
  depth > 3
    ? scalar
    : fc.oneof(
        scalar,
        fc.array(value(depth + 1), { maxLength: 4 }),
        fc.dictionary(fc.oneof(fc.constantFrom('a', 'b', 'name', 'app.kubernetes.io/name', 'x y', '1', 'y', 'a:b', '"q"', '__proto__'), fc.string({ maxLength: 6 })), value(depth + 1), { maxKeys: 4 }),
      ),
);

describe('the reader for simple block YAML', () => {
  it('reads texts stitched from valid, invalid and unusual lines exactly as js-yaml does (or leaves them to it)', () => {
    let taken = 0;
    fc.assert(
      fc.property(stitched, (text) => {
        if (![UNSUPPORTED, undefined].includes(readSimpleYaml(text) as never)) taken++;
        expectSameReading(text);
      }),
      { numRuns: 4000 },
    );
    // The comparison means something only if the reader takes a fair share of the texts itself.
    expect(taken).toBeGreaterThan(40);
  });

  it('reads generated block YAML (valid, invalid, unusual) exactly as js-yaml does (or leaves it to it)', () => {
    let taken = 0;
    fc.assert(
      fc.property(structured, (text) => {
        if (![UNSUPPORTED, undefined].includes(readSimpleYaml(text) as never)) taken++;
        expectSameReading(text);
      }),
      { numRuns: 4000 },
    );
    expect(taken).toBeGreaterThan(150);
  });

  it('reads what toYaml writes exactly as js-yaml does', () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('kind', 'metadata', 'spec', 'data', 'x'), value(0), { minKeys: 1, maxKeys: 5 }), (object) => {
        const text = `---\n# Source: t.yaml\n${toHelmYaml(object)}\n`;
        if (readSimpleYaml(text) !== UNSUPPORTED) taken++;
        expectSameReading(text);
      }),
      { numRuns: 2000 },
    );
    expect(taken).toBeGreaterThan(500);
  });

  it('reads JSON documents exactly as js-yaml does (or leaves them to it)', () => {
    const json = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).filter((v) => v !== null && typeof v === 'object'),
      fc.dictionary(fc.constantFrom('a', 'b', '__proto__', 'x y', 'k"q', 'k\\', '\u00e9'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
    );
    const text = fc
      .tuple(json, fc.constantFrom(undefined, 1, 2), fc.constantFrom('', '\n', '  ', '\t'), fc.constantFrom('', 'dup', 'big', 'inf', 'neg0', 'esc'))
      .map(([value, indent, around, twist]) => {
        let t = JSON.stringify(value, null, indent);
        // Twists JSON.stringify never writes: a repeated key, numbers js-yaml reads differently, escapes.
        if (twist === 'dup' && t.startsWith('{"')) t = `{"a": 1, ${t.slice(1)}`.replace(/, }$/, '}');
        if (twist === 'dup') t = t.replace('{"a":', '{"a": 0, "a":');
        if (twist === 'big') t = t.replace(/^\{/, '{"big": 123456789012345678901234567890, ');
        if (twist === 'inf') t = t.replace(/^\{/, '{"inf": 1e400, "tiny": 1e-400, ');
        if (twist === 'neg0') t = t.replace(/^\{/, '{"z": -0, "f": -0.0, "e": 1E+2, ');
        if (twist === 'esc') t = t.replace(/^\{/, '{"s": "a\\/b\\u00e9\\ud83d\\ude00\\t", ');
        return around + t.replace(/, }$/, '}').replace(/\{, /, '{') + around;
      });
    let taken = 0;
    fc.assert(
      fc.property(text, (t) => {
        if (readJsonYaml(t) !== UNSUPPORTED) taken++;
        expectSameReading(t);
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(300);
  });

  it('reads every YAML file of the test fixtures and examples as js-yaml does', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.ya?ml$/.test(name)) files.push(path);
      }
    };
    for (const dir of ['test', 'examples', 'charts']) {
      try {
        walk(dir);
      } catch {
        // a directory this checkout does not have
      }
    }
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) expectSameReading(readFileSync(file, 'utf8'));
  });
});
