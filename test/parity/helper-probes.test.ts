/**
 * Helper by helper against Helm: each probe is one template expression, written once in Go-template
 * form (`.Values.x`) and turned into the Handlebars form kasane reads (`Values.x`, same arguments in the
 * same order — the contract keeps Helm's names and argument order). Both renderers print the result
 * base64-encoded into a ConfigMap, so the exact bytes are compared, whitespace and all.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { helmTemplate } from '../support/helm.js';
import { runCli } from '../support/cli.js';
import { readManifests } from './manifests.js';

/** [probe name, Go-template expression]. The values it reads are `valuesYaml` below. */
const probes: readonly (readonly [string, string])[] = [
  ['default-zero', 'default 5 0'],
  ['default-false', 'default "x" false'],
  ['default-empty-string', 'default "y" ""'],
  ['default-empty-list', 'default "z" (list)'],
  ['default-empty-map', 'default "m" (dict)'],
  ['default-kept', 'default "z" "set"'],
  ['default-missing', 'default "fallback" .Values.nothing'],
  ['quote-number', 'quote 8080'],
  ['quote-float', 'quote .Values.ratio'],
  ['quote-bool', 'quote true'],
  ['quote-escapes', 'quote .Values.tricky'],
  ['quote-missing', 'quote .Values.nothing'],
  ['quote-several', 'quote "a" "b"'],
  ['squote', 'squote "it\'s"'],
  ['trunc', 'trunc 2 "abc"'],
  ['trunc-longer-than-text', 'trunc 10 "abc"'],
  ['trunc-negative', 'trunc -5 "abcdef"'],
  ['trunc-negative-longer-than-text', 'trunc -10 "abc"'],
  ['trim', 'trim "  a b  "'],
  ['trimPrefix-once', 'trimPrefix "ab" "ababc"'],
  ['trimSuffix-once', 'trimSuffix "-" "name--"'],
  ['replace-all', 'replace "a" "o" "banana"'],
  ['title', 'title "hELLO wORLD-foo_bar ünïcode"'],
  ['upper', 'upper "straße café"'],
  ['lower', 'lower "ÀBC Ünï"'],
  ['printf-verbs', 'printf "%5d|%-5s|%05.1f|%x|%v|%q|%t|%%" 42 "ab" 3.14159 255 true "q" false'],
  ['printf-value-float', 'printf "%v/%v" .Values.ratio .Values.whole'],
  ['printf-missing-argument', 'printf "%d %s" 1'],
  ['printf-extra-argument', 'printf "%s" "a" "b"'],
  ['printf-list', 'printf "%v" (list 1 "a" true)'],
  ['printf-map', 'printf "%v" (dict "b" 1 "a" 2)'],
  ['join-mixed', 'join "," (list 1 "a" 2.5 true)'],
  ['join-values', 'join "-" .Values.letters'],
  ['toYaml-string', 'toYaml "hello"'],
  ['toYaml-number', 'toYaml 5'],
  ['toYaml-empty-list', 'toYaml (list)'],
  ['toYaml-empty-string', 'toYaml ""'],
  ['toYaml-missing', 'toYaml .Values.nothing'],
  ['toYaml-multiline', 'toYaml .Values.multi'],
  ['toYaml-map-sorted', 'toYaml .Values.unsorted'],
  ['toYaml-long-text', 'toYaml .Values.longText'],
  ['toYaml-big-integer', 'toYaml .Values.big'],
  ['toYaml-float', 'toYaml .Values.floats'],
  ['toYaml-yaml11-strings', 'toYaml .Values.lookalikes'],
  ['toYaml-dict-list', 'toYaml (dict "b" (list "x" (dict "d" 1 "c" 2)) "a" "")'],
  ['toJson-map-sorted', 'toJson .Values.unsorted'],
  ['toJson-html-characters', 'toJson .Values.html'],
  ['toJson-numbers', 'toJson .Values.floats'],
  ['toJson-dict-list', 'toJson (list 1 (dict "k" "v") "s")'],
  ['fromYaml-yaml11', 'toJson (fromYaml .Values.yamlText)'],
  ['fromJson', 'toJson (fromJson .Values.jsonText)'],
  ['values-yaml11-scalars', 'toJson .Values.yaml11'],
  ['b64enc-utf8', 'b64enc "grüße"'],
  ['b64dec-utf8', 'b64dec "Z3LDvMOfZQ=="'],
  ['sha256sum-utf8', 'sha256sum "grüße"'],
  ['ternary', 'ternary "yes" "no" false'],
  ['eq-strings', 'eq "a" "a"'],
  ['ne-strings', 'ne "a" "b"'],
  ['lt-gt-le-ge', 'list (lt 1 2) (gt 1 2) (le 2 2) (ge 1 2)'],
  ['add', 'add 1 2 3'],
  ['add-truncates-floats', 'add 1 .Values.ratio'],
  ['sub', 'sub 10 3'],
  ['mul', 'mul 2 3 4'],
  ['div-truncates', 'div 7 2'],
  ['div-negative', 'div -7 2'],
  ['mod-negative', 'mod -7 3'],
  ['max', 'max 1 5 3'],
  ['min', 'min 4 2 8'],
  ['int-float', 'int 3.9'],
  ['int-string', 'int "42"'],
  ['int-garbage', 'int "abc"'],
  ['toString-float', 'toString 1.5'],
  ['toString-value', 'toString .Values.whole'],
  ['toString-list', 'toString (list 1 "a")'],
  ['contains', 'contains "ell" "hello"'],
  ['hasPrefix', 'hasPrefix "he" "hello"'],
  ['hasSuffix', 'hasSuffix "lo" "hello"'],
  ['coalesce-skips-empty', 'coalesce "" 0 false (list) "x"'],
  ['empty-map', 'empty (dict)'],
  ['empty-zero', 'empty 0'],
  ['empty-string-zero', 'empty "0"'],
  ['or-returns-operand', 'or "" "b"'],
  ['and-returns-operand', 'and "a" "b"'],
  ['and-returns-falsy-operand', 'and "a" ""'],
  ['not-empty-string', 'not ""'],
  ['merge-first-wins', 'toJson (merge (dict "a" 1) (dict "a" 2 "b" 2))'],
  ['merge-keeps-empty-source-values', 'toJson (merge (dict) (dict "a" false "b" 0 "c" ""))'],
  ['merge-fills-empty-destination', 'toJson (merge (dict "a" 1 "n" "") (dict "a" 2 "n" "x" "z" false))'],
  ['merge-deep', 'toJson (merge (dict "x" (dict "a" 1)) (dict "x" (dict "a" 2 "b" 3)))'],
  ['indent', 'indent 2 .Values.multi'],
  ['nindent', 'nindent 4 "a"'],
  ['split', 'toJson (split "," "a,b,,c")'],
  ['eq-any-of', 'list (eq "b" "a" "b") (eq "c" "a" "b")'],
  ['and-or-many', 'list (and 1 "x" (list 1)) (or 0 "" (list) "last") (or 0 "")'],
  ['not-map', 'list (not (dict)) (not (dict "a" 1))'],
  ['default-list', 'toJson (default (list "x") .Values.nothing)'],
  ['toString-nil-bool', 'list (toString .Values.nothing) (toString true)'],
  ['quote-list', 'quote (list 1 "a")'],
  ['join-nil', 'join "," .Values.nothing'],
  ['int-bool-and-strings', 'list (int true) (int "  7") (int "0x1F") (int "1e3") (int "-4")'],
  ['add-strings', 'add "1" "2"'],
  ['max-min-floats', 'list (max 1.5 2) (min 2.9 3)'],
  ['printf-nil', 'printf "%v|%s|%d" .Values.nothing .Values.nothing true'],
  ['title-apostrophe-digits', 'title "o\'neil 3rd-party x.y"'],
  ['indent-empty', 'list (indent 2 "") (nindent 2 "")'],
  ['toJson-list-with-nil', 'toJson (list .Values.nothing 1)'],
  ['dict-odd-arguments', 'toJson (dict "a" 1 "b")'],
  ['dict-number-key', 'toJson (dict 1 2)'],
  ['empty-nil-and-list', 'list (empty .Values.nothing) (empty (list)) (empty (list 0))'],
  ['b64dec-invalid', 'b64dec "!!!"'],
  ['toYaml-more-lookalikes', 'toYaml .Values.moreLookalikes'],
  ['toYaml-nested-lists', 'toYaml (list (list 1 (list 2)) (dict "a" (list)))'],
  ['list-dict', 'toJson (dict "list" (list 1 2) "dict" (dict))'],
  ['toYaml-trailingSpace', 'toYaml .Values.torture.trailingSpace'],
  ['toYaml-leadingNewline', 'toYaml .Values.torture.leadingNewline'],
  ['toYaml-indentedBlock', 'toYaml .Values.torture.indentedBlock'],
  ['toYaml-crlf', 'toYaml .Values.torture.crlf'],
  ['toYaml-longWord', 'toYaml .Values.torture.longWord'],
  ['toYaml-longWithColon', 'toYaml .Values.torture.longWithColon'],
  ['toYaml-longMultiline', 'toYaml .Values.torture.longMultiline'],
  ['toYaml-emoji', 'toYaml .Values.torture.emoji'],
  ['toYaml-control', 'toYaml .Values.torture.control'],
  ['toYaml-nbsp', 'toYaml .Values.torture.nbsp'],
  ['toYaml-onlySpaces', 'toYaml .Values.torture.onlySpaces'],
  ['toYaml-hashStart', 'toYaml .Values.torture.hashStart'],
  ['toYaml-indicators', 'toYaml .Values.torture.indicators'],
  ['toYaml-quotes', 'toYaml .Values.torture.quotes'],
  ['toYaml-tabs', 'toYaml .Values.torture.tabs'],
  ['toYaml-smallFloat', 'toYaml .Values.torture.smallFloat'],
  ['toYaml-largeFloat', 'toYaml .Values.torture.largeFloat'],
  ['toYaml-keys', 'toYaml .Values.torture.keys'],
  ['toJson-torture', 'toJson .Values.torture'],
  ['printf-more-verbs', 'printf "%+d|%8.3f|%X|%5s|%x|%-4d|" 5 3.14159 255 "ab" "hi" 7'],
  ['printf-float-e-g', 'printf "%e|%g|%.2e" 1234.5678 0.000012 5.0'],
  ['printf-int-o-b-c-U', 'printf "%o|%b|%c|%U" 8 5 65 65'],
  ['printf-string-list', 'printf "%s" (list "a" "b")'],
];

/** Go (`.Values.x`) to Handlebars (`Values.x`); everything else is written the same in both. */
const toHandlebars = (expr: string): string => expr.replace(/\.Values\./g, 'Values.');

const valuesYaml = `
nothing: null
tricky: "a\\"b\\tc é\\\\"
ratio: 0.75
whole: 3
big: 1000000
letters: [b, a, c]
unsorted: {zeta: 1, alpha: {b: 2, a: 1}, mid: [3, 1]}
html: "<a href='x'>&</a>"
multi: "x\\n\\ny\\n"
longText: "a sentence long enough to pass eighty columns, so a YAML printer that wraps plain scalars folds it"
floats: [1.0, 0.5, 1e21, 1.5e-7, 100]
lookalikes: ["on", "off", "yes", "no", "y", "n", "true", "~", "null", "0755", "1e3", "12:30", "2024-01-01", ".5", "-", "0x1F", "+1"]
moreLookalikes: ["1_000", "0b101", "+.inf", ".NaN", "Yes", "NO", "True", "0o17", "1e", "1.", "-.5", "0.", "=", "<<", "0:30", "1:2:3", "2001-12-14t21:59:43.10-05:00", "+12", "0xG"]
yamlText: "b: 1\\na: [x, on, 0755]"
jsonText: '{"b": 1, "a": [1.5, "x"]}'
torture:
  trailingSpace: "x "
  leadingNewline: "\\nx"
  indentedBlock: "  a\\nb\\n"
  crlf: "a\\r\\nb"
  longWord: "${'w'.repeat(100)}"
  longWithColon: "key: value, then a tail long enough to pass eighty columns so that the printer must fold it"
  longMultiline: "first line\\na second line that is long enough to pass eighty columns in any YAML printer\\n"
  emoji: "🚀 launch"
  control: "bell\\u0007"
  nbsp: "a\\u00a0b"
  onlySpaces: "   "
  hashStart: "#comment"
  indicators: ["&anchor", "*alias", "!tag", "%x", "@x", "\`x", "[x]", "{x}", "a, b", "? x", "- x", "|x", ">x", "x:", "a:b"]
  quotes: ["\\"", "'", "it's \\"both\\""]
  tabs: "a\\tb\\n\\tc\\n"
  smallFloat: 0.000001
  largeFloat: 12345678.5
  keys: {"a: b": 1, "- x": 2, "": 3, "?": 4, "on": 5, "1.5": 6}
yaml11:
  flag: on
  letter: y
  octal: 0755
  date: 2024-01-01
`;

const chartYaml = 'apiVersion: v2\nname: probe\nversion: 0.1.0\nappVersion: "1"\n';

function goTemplate(selected: readonly (readonly [string, string])[]): string {
  const lines = selected.map(([name, expr]) => `  ${name}: {{ (${expr}) | toString | b64enc | quote }}`);
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probes\n  namespace: {{ .Release.Namespace }}\ndata:\n${lines.join('\n')}\n`;
}

function handlebarsTemplate(selected: readonly (readonly [string, string])[]): string {
  const lines = selected.map(([name, expr]) => `  ${name}: {{quote (b64enc (toString (${toHandlebars(expr)})))}}`);
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probes\n  namespace: {{Release.Namespace}}\ndata:\n${lines.join('\n')}\n`;
}

function decoded(text: string): Map<string, string> {
  const configMap = readManifests(text).find((o) => o.kind === 'ConfigMap');
  const data = (configMap?.['data'] ?? {}) as Record<string, string>;
  return new Map(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** A kasane repository holding the probe chart with the given probes and an environment `probe`. */
function kasaneRepo(selected: readonly (readonly [string, string])[]): string {
  const root = mkdtempSync(join(tmpdir(), 'kasane-probe-'));
  mkdirSync(join(root, 'charts', 'probe', 'templates'), { recursive: true });
  mkdirSync(join(root, 'environments'));
  writeFileSync(join(root, 'charts', 'probe', 'Chart.yaml'), chartYaml);
  writeFileSync(join(root, 'charts', 'probe', 'values.yaml'), valuesYaml);
  writeFileSync(join(root, 'charts', 'probe', 'templates', 'probes.yaml'), handlebarsTemplate(selected));
  writeFileSync(
    join(root, 'environments', 'probe.yaml'),
    'releases:\n  - name: probe\n    chart: probe\n    namespace: probes\n',
  );
  return root;
}

/** Lines of the probe template before the first probe (see handlebarsTemplate). */
const HEADER_LINES = 6;

/**
 * Renders all probes with kasane. A probe that makes kasane fail fails the whole render; kasane names
 * the template line, so that probe is set aside with the error and the rest rendered again.
 */
async function renderKasane(): Promise<{ out: Map<string, string>; errors: Map<string, string> }> {
  const errors = new Map<string, string>();
  let remaining = [...probes];
  for (;;) {
    const result = await runCli(['render', '--env', 'probe', '-o', 'yaml'], { repoRoot: kasaneRepo(remaining), timeoutMs: 60_000 });
    if (result.code === 0) return { out: decoded(result.stdout), errors };
    const line = Number(/probes\.yaml:(\d+)/.exec(result.stderr)?.[1]);
    const culprit = remaining[line - HEADER_LINES - 1];
    if (culprit === undefined) {
      for (const [name] of remaining) errors.set(name, result.stderr);
      return { out: new Map(), errors };
    }
    errors.set(culprit[0], result.stderr);
    remaining = remaining.filter((probe) => probe !== culprit);
  }
}

describe('each helper gives what Helm gives', () => {
  let helm: Map<string, string>;
  let kasane: { out: Map<string, string>; errors: Map<string, string> };

  beforeAll(async () => {
    const chart = mkdtempSync(join(tmpdir(), 'kasane-probe-helm-'));
    mkdirSync(join(chart, 'templates'));
    writeFileSync(join(chart, 'Chart.yaml'), chartYaml);
    writeFileSync(join(chart, 'values.yaml'), valuesYaml);
    writeFileSync(join(chart, 'templates', 'probes.yaml'), goTemplate(probes));
    helm = decoded(await helmTemplate('probe', chart, { namespace: 'probes' }));
    kasane = await renderKasane();
  }, 300_000);

  it.each(probes)('%s: {{ %s }}', (name, expr) => {
    const expected = helm.get(name);
    expect(expected, `helm printed nothing for ${name}`).toBeDefined();
    const error = kasane.errors.get(name);
    expect(error, `kasane failed on {{${toHandlebars(expr)}}}:\n${error}`).toBeUndefined();
    expect(JSON.stringify(kasane.out.get(name)), `{{${toHandlebars(expr)}}}`).toBe(JSON.stringify(expected));
  });
});
