import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseYamlDocument, parseYamlStream, YamlSyntaxError } from '../../src/yaml/read.js';
import { helmAvailable, helmEval } from './helm.js';

/** Plain scalars whose meaning differs between YAML 1.1 (what the cluster reads) and YAML 1.2. */
const scalarDocument = `
on_: on
On_: On
off_: OFF
yes_: yes
y_: y
Y_: Y
n_: n
no_: No
true_: True
null_: ~
Null_: Null
empty_:
octal: 0777
octal_o: 0o17
not_octal: 08
hex: 0x1F
neg_hex: -0x10
bin: 0b101
neg_bin: -0b101
underscore: 1_000_000
leading_underscore: _1
exp: 1e3
float: 1.5
dot: .5
trailing_dot: 5.
plus: +12
date: 2001-12-14
datetime: 2001-12-14T21:59:43.10Z
sexagesimal: 1:20
overflow: 1e400
big: 12345678901234567890
quoted_on: "on"
single_quoted_yes: 'yes'
string: hello world
on: key that is a boolean
n: another
1: int key
`;

describe.skipIf(!helmAvailable)('parseYamlStream reads YAML like sigs.k8s.io/yaml (checked with helm fromYaml)', () => {
  it('resolves every YAML 1.1 scalar form the same way', () => {
    const [helmJson] = helmEval(['.Files.Get "in.yaml" | fromYaml | toJson'], {}, { 'in.yaml': scalarDocument });
    const ours = parseYamlStream(scalarDocument, 'in.yaml');
    expect(ours).toHaveLength(1);
    expect(ours[0]!.value).toEqual(JSON.parse(helmJson!));
  });
});

describe.skipIf(!helmAvailable)('generated plain scalars resolve as helm fromYaml resolves them', () => {
  it('400 number-, bool- and date-like tokens in one helm run', () => {
    const token = fc
      .string({ unit: fc.constantFrom(...'0123456789+-._eExXoObB:aTtruefalsyYnN~0'.split('')), minLength: 1, maxLength: 9 })
      .filter((t) => /^[0-9A-Za-z+._~]/.test(t) && !t.endsWith(':'));
    const tokens = fc.sample(token, { numRuns: 400, seed: 1123 });
    const doc = tokens.map((t, i) => `k${i}: ${t}`).join('\n');
    const [helmJson] = helmEval(['.Files.Get "in.yaml" | fromYaml | toJson'], {}, { 'in.yaml': doc });
    const helm = JSON.parse(helmJson!) as Record<string, unknown>;
    const ours = parseYamlStream(doc, 'in.yaml')[0]!.value as Record<string, unknown>;
    tokens.forEach((t, i) => expect(ours[`k${i}`], t).toEqual(helm[`k${i}`]));
  });
});

describe('parseYamlStream', () => {
  it('splits on --- lines, drops empty documents and reports where each starts', () => {
    const text = 'a: 1\n---\n# only a comment\n---\n\n---   \nb: 2\n--- # c\nc: [1,\n  2]\n';
    expect(parseYamlStream(text, 'x.yaml')).toEqual([
      { value: { a: 1 }, startLine: 1 },
      { value: { b: 2 }, startLine: 6 },
      { value: { c: [1, 2] }, startLine: 8 },
    ]);
  });

  it('keeps --- inside an indented block scalar as text', () => {
    const [doc] = parseYamlStream('data:\n  x: |\n    ---\n    y\n', 'x.yaml');
    expect(doc!.value).toEqual({ data: { x: '---\ny\n' } });
  });

  it('names the file and the line in the whole text on a syntax error', () => {
    const error = (() => {
      try {
        parseYamlStream('a: 1\n---\nb: 2\nc: [\n', 'charts/web/templates/x.yaml');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(YamlSyntaxError);
    const e = error as YamlSyntaxError;
    expect(e.location.file).toBe('charts/web/templates/x.yaml');
    expect(e.location.line).toBe(5);
    expect(e.message).toMatch(/^charts\/web\/templates\/x\.yaml:5: invalid YAML/);
  });

  it('rejects duplicate keys, which Go would resolve in an undefined order', () => {
    expect(() => parseYamlStream('a: 1\nb: 2\na: 3\n', 'd.yaml')).toThrow(/d\.yaml:3: invalid YAML: duplicated mapping key/);
  });

  it('rejects .inf and .nan, which cannot travel as JSON to the API server', () => {
    expect(() => parseYamlStream('x: 1\n---\nr: .inf\n', 'f.yaml')).toThrow(/f\.yaml:2: .*quote it/);
  });

  it('expands aliases into independent copies', () => {
    const [doc] = parseYamlStream('sel: &l {app: web}\nlabels: *l\n', 'a.yaml');
    const value = doc!.value as { sel: Record<string, string>; labels: Record<string, string> };
    expect(value.labels).toEqual({ app: 'web' });
    value.labels.extra = 'x';
    expect(value.sel).toEqual({ app: 'web' });
  });

  it('applies YAML 1.1 merge keys as go-yaml v2 does', () => {
    const [doc] = parseYamlStream('base: &b {a: 1, c: 0}\nx:\n  <<: *b\n  c: 2\n', 'm.yaml');
    expect((doc!.value as { x: unknown }).x).toEqual({ a: 1, c: 2 });
  });

  it('refuses an alias bomb quickly instead of expanding it', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const started = Date.now();
    expect(() => parseYamlStream(levels.join('\n'), 'bomb.yaml')).toThrow(/bomb\.yaml:1: .*alias/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses an alias that contains itself', () => {
    expect(() => parseYamlStream('a: &x [1, *x]\n', 'loop.yaml')).toThrow(/loop\.yaml:1: invalid YAML/);
  });

  it('refuses absurd nesting with a clear error', () => {
    expect(() => parseYamlStream(`x: ${'['.repeat(100_000)}`, 'deep.yaml')).toThrow(/deep\.yaml:1: invalid YAML: .*nesting/);
  });

  it('stores __proto__ keys as data without touching Object.prototype', () => {
    const [doc] = parseYamlStream('__proto__: {polluted: yes}\nconstructor: {prototype: {polluted: yes}}\n', 'p.yaml');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(doc!.value as object)).toEqual(['__proto__', 'constructor']);
  });
});

describe('parseYamlDocument', () => {
  it('reads one document and treats an empty file as null', () => {
    expect(parseYamlDocument('a: on\n', 'v.yaml')).toEqual({ a: true });
    expect(parseYamlDocument('# nothing\n', 'v.yaml')).toBeNull();
    expect(() => parseYamlDocument('a: 1\n---\nb: 2\n', 'v.yaml')).toThrow(/v\.yaml:2: expected a single YAML document/);
  });
});
