import { describe, expect, it } from 'vitest';
import { helmAvailable, helmEval, helmTemplate } from '../yaml/helm.js';
import { layerValues } from '../../src/values/merge.js';
import { makeRenderer } from './render.js';

const values = {
  name: 'web',
  replicas: 3,
  empty: '',
  zero: 0,
  off: false,
  nothing: null,
  list: [1, 'two', null, true],
  emptyList: [],
  map: { b: 2, a: 'x<y>&z' },
  emptyMap: {},
  text: 'line1\nline2',
  f: 2.7,
  neg: -7,
  quoteMe: 'say "hi"\tnow\\',
  unicode: 'héllo ☃ 😀',
  huge: 1e21,
  spaced: '  \t spaced \n ',
  yamlText: 'a: on\nb: [1, 0777]\nc: 2001-12-14\nd: {x: y}',
  yamlList: '- a\n- b',
  yamlDup: 'a: 1\nb: 2\na: 3',
  jsonText: '{"b": [1, 2.5], "a": null, "c": {"d": "<"}}',
  jsonList: '[1]',
  hostname: 'a-very-long-release-name-that-exceeds-sixty-three-characters-for-sure-yes',
};

/** Helpers as a Handlebars chart calls them; the Go template form is derived (Values → .Values). */
const expressions = [
  'default "fallback" Values.empty',
  'default "fallback" Values.name',
  'default "fallback" Values.zero',
  'default "fallback" Values.off',
  'default "fallback" Values.nothing',
  'default "fallback" Values.emptyList',
  'toJson (default (list 1) Values.emptyMap)',
  'required "name is required" Values.name',
  'toString (required "zero is fine" Values.zero)',
  'empty Values.zero',
  'empty Values.map',
  'empty Values.name',
  'empty Values.emptyList',
  'toString (coalesce Values.empty Values.zero Values.name)',
  'ternary "yes" "no" true',
  'ternary "yes" "no" false',
  'toJson (dict "b" 1 "a" (list 1 2) "c" Values.map)',
  'toJson (list 1 "a" Values.nothing)',
  'toJson (merge (dict "a" 1 "e" "") (dict "a" 2 "b" 3 "e" "filled") (dict "c" 4))',
  'toJson (merge (dict) (dict "a" false "b" 0 "c" "" "d" (dict)))',
  'toJson (merge (dict "a" 0 "m" (dict "x" "" "y" 1)) (dict "a" false "m" (dict "x" "filled" "y" 2 "z" 0)))',
  'toString (int "42")',
  'toString (int "0x1F")',
  'toString (int "010")',
  'toString (int "4.0")',
  'toString (int "4.5")',
  'toString (int Values.f)',
  'toString (int Values.neg)',
  'toString (add 1 2 Values.replicas)',
  'toString (add Values.f 1)',
  'toString (sub 10 Values.replicas)',
  'toString (mul 2 3 Values.replicas)',
  'toString (div 7 2)',
  'toString (div -7 2)',
  'toString (mod -7 3)',
  'toString (max 1 Values.replicas 2)',
  'toString (min 5 Values.neg)',
  'toString Values.nothing',
  'toString Values.list',
  'toString Values.map',
  'toString true',
  'quote Values.name',
  'quote Values.quoteMe',
  'quote Values.unicode',
  'quote Values.replicas',
  'quote "a" Values.nothing "b"',
  'squote Values.quoteMe',
  'lower "HeLLo"',
  'upper "héllo"',
  'title "hello wide-world foo_bar 3am"',
  'trim Values.spaced',
  'trunc 63 Values.hostname',
  'trunc -5 Values.hostname',
  'trunc 100 Values.name',
  'trunc 0 Values.name',
  'trimPrefix "we" Values.name',
  'trimSuffix "-yes" Values.hostname',
  'replace "-" "_" Values.hostname',
  'contains "long" Values.hostname',
  'hasPrefix "a-very" Values.hostname',
  'hasSuffix "nope" Values.hostname',
  'toJson (split "$" "foo$bar$baz")',
  'toJson (split "," "a,b,c,d,e,f,g,h,i,j,k,l")',
  'eq Values.nothing "x"',
  'join "," (list "a" 1 Values.nothing true)',
  'join "-" Values.name',
  'indent 4 Values.text',
  'nindent 2 Values.text',
  'printf "%s-%d|%5s|%-5s|%05d|%x|%X|%q|%v|%%|%.2f|%t" "a" 42 "r" "l" 42 255 "hi" "q" Values.list 3.14159 true',
  'printf "%s %s" "only-one"',
  'printf "%d" "str"',
  'printf "x" 1',
  'printf "%v %v" Values.map Values.nothing',
  'printf "%e|%g|%.2e|%.3g|%.3g|%G|%E" 1234.5678 0.000012 5.0 1234.5678 0.00012345 Values.huge 0.5',
  'printf "%.2f|%.2f|%.0f|%.0f|%.1f|%8.3f|%-8.2f|%+d|% d" 0.125 0.375 2.5 3.5 0.05 3.14159 2.5 5 5',
  'printf "%o|%O|%#o|%b|%c|%U|%#x|%x" 8 8 8 5 65 9731 255 "hi"',
  'printf "%v|%v|%v" Values.huge 0.000001 1234567.5',
  'upper "straße café ŉ"',
  'lower "ÀBC Ünï İ"',
  'title "hELLO wORLD-foo_bar ünïcode ǆemal l’été"',
  'b64enc Values.unicode',
  'b64dec "aMOpbGxvIOKYgyDwn5iA"',
  'b64dec "not base64!"',
  'sha256sum Values.unicode',
  'toYaml Values.map',
  'toJson Values.map',
  'toJson (fromYaml Values.yamlText)',
  'toJson (fromYaml Values.yamlList)',
  'toJson (fromYaml Values.yamlDup)',
  'toJson (fromJson Values.jsonText)',
  'toJson (fromJson Values.jsonList)',
  'eq Values.name "web"',
  'eq Values.name "x" "web"',
  'ne Values.name "web"',
  'lt 1 2',
  'le "b" "a"',
  'gt 2.5 1.5',
  'ge "b" "b"',
  'toString (and 1 "x" Values.empty "y")',
  'toString (and 1 "x")',
  'toString (or Values.empty 0 "first" "second")',
  'toString (or Values.empty 0)',
  'not Values.empty',
  'not Values.name',
];

const toGo = (expr: string): string => expr.replace(/(^|[\s(])Values\b/g, '$1.Values');

describe.skipIf(!helmAvailable)('helpers give what helm gives', () => {
  const helm = helmEval(expressions.map(toGo), values);
  const render = makeRenderer();
  it.each(expressions.map((e, i) => [e, i] as const))('%s', (expr, i) => {
    expect(render(`{{${expr}}}`, { Values: values })).toBe(helm[i]);
  });
});

describe.skipIf(!helmAvailable)('checksums of chart files match helm', () => {
  it('sha256sum of a file and of toYaml of values', () => {
    const config = 'port=8080\nhost=0.0.0.0\nname=héllo\n';
    const [fileSum, yamlSum] = helmEval(['sha256sum (.Files.Get "config.ini")', 'sha256sum (toYaml .Values)'], values, { 'config.ini': config });
    const renderWithFile = makeRenderer({}, { 'config.ini': config });
    expect(renderWithFile('{{sha256sum (file "config.ini")}}')).toBe(fileSum);
    expect(renderWithFile('{{sha256sum (toYaml @root.Values)}}', { Values: values })).toBe(yamlSum);
  });
});

describe.skipIf(!helmAvailable)('if, unless and with decide like Go templates', () => {
  const subjects = ['emptyMap', 'map', 'emptyList', 'list', 'zero', 'replicas', 'empty', 'name', 'off', 'nothing', 'missing'];
  const go = subjects
    .map((k) => `${k}: "{{ if .Values.${k} }}if{{ else }}else{{ end }}/{{ with .Values.${k} }}with{{ else }}none{{ end }}/{{ if not .Values.${k} }}unless{{ end }}"`)
    .join('\n');
  const hbs = subjects
    .map((k) => `${k}: "{{#if Values.${k}}}if{{else}}else{{/if}}/{{#with Values.${k}}}with{{else}}none{{/with}}/{{#unless Values.${k}}}unless{{/unless}}"`)
    .join('\n');

  it('for empty and non-empty maps, lists, numbers, strings, booleans and nil', () => {
    const out = helmTemplate({ 'values.yaml': JSON.stringify(values), 'templates/t.yaml': `${go}\n` });
    const helmLines = out.split('\n').filter((l) => /^[a-zA-Z]+: "/.test(l));
    const ours = makeRenderer()(hbs, { Values: values }).split('\n');
    expect(ours).toEqual(helmLines);
  });

  it('with still hands its value to the block', () => {
    expect(makeRenderer()('{{#with Values.map}}{{b}}{{/with}}', { Values: values })).toBe('2');
  });
});

describe.skipIf(!helmAvailable)('each over a map visits keys like Go range', () => {
  it('for values, dict, fromJson and split', () => {
    const go = '{{ range $k, $v := .Values.map }}{{ $k }}={{ $v }};{{ end }}|{{ range $k, $v := dict "b" 1 "a" 2 "C" 3 }}{{ $k }};{{ end }}|{{ range $k, $v := fromJson .Values.jsonText }}{{ $k }};{{ end }}|{{ range $k, $v := split "," "a,b,c,d,e,f,g,h,i,j,k,l" }}{{ $k }}={{ $v }};{{ end }}';
    const hbs = '{{#each Values.map}}{{@key}}={{this}};{{/each}}|{{#each (dict "b" 1 "a" 2 "C" 3)}}{{@key}};{{/each}}|{{#each (fromJson Values.jsonText)}}{{@key}};{{/each}}|{{#each (split "," "a,b,c,d,e,f,g,h,i,j,k,l")}}{{@key}}={{this}};{{/each}}';
    const out = helmTemplate({ 'values.yaml': JSON.stringify(values), 'templates/t.yaml': `r: |-\n  ${go}\n` });
    const helmLine = /^r: \|-\n {2}(.*)$/m.exec(out)![1];
    const unsorted = { ...values, map: { b: 2, a: 'x<y>&z' } };
    expect(makeRenderer()(hbs, { Values: layerValues([{}, unsorted]) })).toBe(helmLine);
  });
});
