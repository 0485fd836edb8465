/**
 * The template helpers: Helm's (Sprig's and Go template's) names, argument order and results, so a
 * chart ports line by line. `{{ default "x" Values.a }}` is `{{ default "x" .Values.a }}`.
 *
 * Go's rules carried over: "empty" is Go's zero value (nil, false, 0, "", empty list or map);
 * arithmetic is int64 arithmetic (arguments truncated to integers, division truncates, dividing by
 * zero is an error); string parameters take strings only, as Go's template engine insists.
 * Every helper refuses hostile input (huge indents, huge printf widths) with a HelperError that
 * carries the template line, instead of hanging or allocating without bound.
 */
import { nodeCrypto } from '../lazy-module.js';
import type Handlebars from 'handlebars';
import { KasaneError } from '../errors.js';
import { setOwn, withSortedKeys } from '../values/merge.js';
import { parseYamlDocument } from '../yaml/read.js';
import { compareGoStrings } from '../yaml/go-scalars.js';
import { toGoJson, toHelmYaml } from '../yaml/write.js';
import { FormatError, formatV, goQuote, goSprintf } from './helpers/go-format.js';

export interface HelperHost {
  /** A chart-relative file's text (the `file` helper). */
  readFile(path: string): string;
  /** Renders the partial `name` with `context` (the `include` helper). */
  include(name: string, context: unknown): string;
  /** Renders `template` as a template with `context` (the `tpl` helper). */
  tpl(template: string, context: unknown): string;
}

/** A helper was called wrongly or its check failed (`required`). `detail` is the user-facing text. */
export class HelperError extends KasaneError {
  override readonly name: string = 'HelperError';
  readonly helper: string;
  readonly detail: string;
  /** 1-based line in the template where the helper was called, when Handlebars knows it. */
  readonly line: number | undefined;

  constructor(helper: string, detail: string, line: number | undefined) {
    super(line === undefined ? detail : `line ${line}: ${detail}`);
    this.helper = helper;
    this.detail = detail;
    this.line = line;
  }
}

/** The deepest `indent`/`nindent` accepted; real manifests never come close. */
export const MAX_INDENT = 1000;

interface HelperOptions {
  loc?: { start?: { line?: number } };
  name?: string;
  hash?: Record<string, unknown>;
}

/** Thrown inside a helper body; registerHelpers turns it into a HelperError with the line. */
class Misuse extends Error {
  constructor(
    readonly detail: string,
    readonly verbatim = false,
  ) {
    super(detail);
  }
}

// ---- Go value rules ----------------------------------------------------------------------------

/** Go's zero-value emptiness, as Sprig's `empty` and `default` and the template `if` use it. */
export function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return true;
  if (Number.isNaN(value)) return false;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

const truth = (value: unknown): boolean => !isEmpty(value);

function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (nil)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `a ${typeof value}`;
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Misuse(`${what} must be a string, got ${describeType(value)}`);
  return value;
}

function int(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new Misuse(`${what} must be an integer, got ${typeof value === 'number' ? value : describeType(value)}`);
  }
  return value;
}

/** Sprig's toInt64 (via spf13/cast): strings parse with Go's base prefixes, floats truncate, junk is 0. */
export function toInt64(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const trimmed = /^[-+]?[0-9]+\.0*$/.test(value) ? value.replace(/\.0*$/, '') : value;
    const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[1-9][0-9]*|0)$/.exec(trimmed);
    if (!m) return 0;
    let digits = m[2]!;
    if (/^0[0-7]/.test(digits)) digits = `0o${digits.slice(1)}`;
    const n = Number(BigInt(digits));
    return m[1] === '-' ? -n : n;
  }
  return 0;
}

/** Sprig's strval: strings as they are, anything else as Go's `%v`. */
function strval(value: unknown): string {
  return typeof value === 'string' ? value : formatV(value);
}

function utf8Slice(s: string, start: number, end?: number): string {
  return Buffer.from(s, 'utf8').subarray(start, end).toString('utf8');
}

function goEqual(a: unknown, b: unknown): boolean {
  const aNil = a === null || a === undefined;
  const bNil = b === null || b === undefined;
  if (aNil || bNil) return aNil && bNil;
  for (const v of [a, b]) {
    if (typeof v === 'object') throw new Misuse(`cannot compare ${describeType(v)} (only strings, numbers, booleans and nil)`);
  }
  // Go refuses to compare a string with a number or a boolean rather than saying "not equal".
  if (typeof a !== typeof b) throw new Misuse(`incompatible types for comparison: ${typeof a} and ${typeof b}`);
  return a === b;
}

function order(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Misuse(`cannot order ${describeType(a)} and ${describeType(b)} (both must be numbers or both strings)`);
}

/**
 * Go maps case rune by rune (unicode.ToUpper/ToLower): a character whose full case mapping is
 * several characters (ß → SS) keeps its simple mapping, usually itself.
 */
function upperRune(ch: string): string {
  const up = ch.toUpperCase();
  return Array.from(up).length === 1 ? up : ch;
}

function lowerRune(ch: string): string {
  if (ch === '\u0130') return 'i'; // İ: Go's simple lowercase mapping
  const low = ch.toLowerCase();
  return Array.from(low).length === 1 ? low : ch;
}

/** Title case for the Latin digraphs whose title form differs from their upper case (Go's unicode.ToTitle). */
const TITLE_DIGRAPHS: Readonly<Record<string, string>> = {
  '\u01c4': '\u01c5', '\u01c5': '\u01c5', '\u01c6': '\u01c5',
  '\u01c7': '\u01c8', '\u01c8': '\u01c8', '\u01c9': '\u01c8',
  '\u01ca': '\u01cb', '\u01cb': '\u01cb', '\u01cc': '\u01cb',
  '\u01f1': '\u01f2', '\u01f2': '\u01f2', '\u01f3': '\u01f2',
};

/** Go's strings.Title: the first letter of every word, where words are split at separators. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    // Go's isSeparator: ASCII other than letters, digits and _; beyond ASCII only white space.
    const separator = prev.codePointAt(0)! <= 0x7f ? !/[A-Za-z0-9_]/.test(prev) : /[\s\u0085]/u.test(prev);
    out += separator ? (TITLE_DIGRAPHS[ch] ?? upperRune(ch)) : ch;
    prev = ch;
  }
  return out;
}

/**
 * SHA-256 of the UTF-8 text, in hex. crypto.hash (Node >= 20.12) does it in one call, about twice as
 * fast as a Hash object per call; older Node 20 releases have only the latter.
 */
function sha256Hex(text: string): string {
  const crypto = nodeCrypto();
  return typeof crypto.hash === 'function'
    ? crypto.hash('sha256', text, 'hex')
    : crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

function indentText(spaces: number, text: string): string {
  if (spaces < 0) throw new Misuse(`the indent must not be negative, got ${spaces}`);
  if (spaces > MAX_INDENT) throw new Misuse(`an indent of ${spaces} is above the maximum of ${MAX_INDENT}`);
  const pad = ' '.repeat(spaces);
  return pad + text.replaceAll('\n', `\n${pad}`);
}

/**
 * Sprig's merge (mergo without override): copies every key `dst` lacks (empty values too), replaces
 * values `dst` has empty, recurses where both sides hold maps, and keeps everything else of `dst`.
 */
function mergeInto(dst: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const key of Object.keys(src)) {
    const from = src[key];
    const present = Object.hasOwn(dst, key);
    const to = present ? dst[key] : undefined;
    if (isMap(to) && isMap(from)) mergeInto(to, from);
    else if (!present || isEmpty(to)) {
      Object.defineProperty(dst, key, { value: from, enumerable: true, writable: true, configurable: true });
    }
  }
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Go's json error for a document that is not an object, as Helm's fromYaml/fromJson report it. */
function notAMap(prefix: string, value: unknown): string {
  const kind = Array.isArray(value) ? 'array' : typeof value === 'boolean' ? 'bool' : typeof value;
  return `${prefix}json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
}

function strslice(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(strval);
  if (value === null || value === undefined) return [];
  return [strval(value)];
}

function arity(name: string, args: readonly unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new Misuse(`takes ${expected} argument${min === 1 && max === 1 ? '' : 's'}, got ${args.length}`);
  }
}

function int64Op(name: string, a: number, b: number, op: (x: bigint, y: bigint) => bigint): number {
  const result = op(BigInt(a), BigInt(b));
  return Number(BigInt.asIntN(64, result));
}

/**
 * toYaml's result by map or list: templates often write one value twice (into the object and into
 * a checksum annotation). Only merge changes a map in place, and it starts the table afresh.
 */
let yamlOf = new WeakMap<object, string>();

// ---- the table ---------------------------------------------------------------------------------

type Helper = (args: unknown[], host: HelperHost) => unknown;

function helpers(): Record<string, Helper> {
  return {
    // values and defaults
    default: (args) => {
      arity('default', args, 1, 2);
      return args.length === 1 || isEmpty(args[1]) ? args[0] : args[1];
    },
    required: (args) => {
      arity('required', args, 2);
      const [message, value] = args;
      if (value === null || value === undefined || value === '') {
        throw new Misuse(`required value missing: ${strval(message)}`, true);
      }
      return value;
    },
    empty: (args) => {
      arity('empty', args, 1);
      return isEmpty(args[0]);
    },
    coalesce: (args) => args.find((v) => !isEmpty(v)) ?? null,
    ternary: (args) => {
      arity('ternary', args, 3);
      if (typeof args[2] !== 'boolean') throw new Misuse(`the condition (third argument) must be a boolean, got ${describeType(args[2])}`);
      return args[2] ? args[0] : args[1];
    },

    // collections
    list: (args) => [...args],
    dict: (args) => {
      // A later pair replaces an earlier one with the same key, keeping the value it brings.
      const values = new Map<string, unknown>();
      for (let i = 0; i < args.length; i += 2) values.set(strval(args[i]), i + 1 < args.length ? args[i + 1] : '');
      // Go maps iterate sorted; so do kasane's (the values inside are not copied). Keys are own
      // data properties (setOwn), so `__proto__` is just a key.
      const sorted: Record<string, unknown> = {};
      for (const key of [...values.keys()].sort(compareGoStrings)) setOwn(sorted, key, values.get(key));
      return sorted;
    },
    merge: (args) => {
      arity('merge', args, 1, Infinity);
      const [dst, ...sources] = args;
      if (!isMap(dst)) throw new Misuse(`the first argument must be a map, got ${describeType(dst)}`);
      for (const src of sources) {
        if (!isMap(src)) throw new Misuse(`every argument must be a map, got ${describeType(src)}`);
      }
      // merge is the one helper that changes a map: YAML written for maps before may no longer hold.
      yamlOf = new WeakMap();
      for (const src of sources) mergeInto(dst, src as Record<string, unknown>);
      return dst;
    },

    // strings
    toString: (args: unknown[]) => {
      arity('toString', args, 1);
      return strval(args[0]);
    },
    quote: (args) => args.filter((v) => v !== null && v !== undefined).map((v) => goQuote(strval(v))).join(' '),
    squote: (args) => args.filter((v) => v !== null && v !== undefined).map((v) => `'${strval(v)}'`).join(' '),
    lower: (args) => (arity('lower', args, 1), Array.from(str(args[0], 'the text'), lowerRune).join('')),
    upper: (args) => (arity('upper', args, 1), Array.from(str(args[0], 'the text'), upperRune).join('')),
    title: (args) => (arity('title', args, 1), title(str(args[0], 'the text'))),
    trim: (args) => (arity('trim', args, 1), str(args[0], 'the text').replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, '')),
    trunc: (args) => {
      arity('trunc', args, 2);
      const n = int(args[0], 'the length');
      const s = str(args[1], 'the text');
      const bytes = Buffer.byteLength(s, 'utf8');
      if (n < 0 && bytes + n > 0) return utf8Slice(s, bytes + n);
      if (n >= 0 && bytes > n) return utf8Slice(s, 0, n);
      return s;
    },
    trimPrefix: (args) => {
      arity('trimPrefix', args, 2);
      const prefix = str(args[0], 'the prefix');
      const s = str(args[1], 'the text');
      return s.startsWith(prefix) ? s.slice(prefix.length) : s;
    },
    trimSuffix: (args) => {
      arity('trimSuffix', args, 2);
      const suffix = str(args[0], 'the suffix');
      const s = str(args[1], 'the text');
      return suffix !== '' && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
    },
    replace: (args) => {
      arity('replace', args, 3);
      return str(args[2], 'the text').replaceAll(str(args[0], 'the old text'), str(args[1], 'the new text'));
    },
    contains: (args) => (arity('contains', args, 2), str(args[1], 'the text').includes(str(args[0], 'the substring'))),
    hasPrefix: (args) => (arity('hasPrefix', args, 2), str(args[1], 'the text').startsWith(str(args[0], 'the prefix'))),
    hasSuffix: (args) => (arity('hasSuffix', args, 2), str(args[1], 'the text').endsWith(str(args[0], 'the suffix'))),
    split: (args) => {
      arity('split', args, 2);
      const parts = str(args[1], 'the text').split(str(args[0], 'the separator'));
      // Keys in Go's map order (_0 _1 _10 _2 …), so #each visits them as range does.
      const keys = parts.map((_, i) => `_${i}`).sort(compareGoStrings);
      const out: Record<string, string> = {};
      for (const key of keys) out[key] = parts[Number(key.slice(1))]!;
      return out;
    },
    join: (args) => (arity('join', args, 2), strslice(args[1]).join(str(args[0], 'the separator'))),
    indent: (args) => (arity('indent', args, 2), indentText(int(args[0], 'the indent'), str(args[1], 'the text'))),
    nindent: (args) => (arity('nindent', args, 2), `\n${indentText(int(args[0], 'the indent'), str(args[1], 'the text'))}`),
    printf: (args) => {
      arity('printf', args, 1, Infinity);
      try {
        return goSprintf(str(args[0], 'the format'), args.slice(1));
      } catch (error) {
        if (error instanceof FormatError) throw new Misuse(error.message);
        throw error;
      }
    },

    // encodings
    b64enc: (args) => (arity('b64enc', args, 1), Buffer.from(str(args[0], 'the text'), 'utf8').toString('base64')),
    b64dec: (args) => {
      arity('b64dec', args, 1);
      const s = str(args[0], 'the text');
      // Go's StdEncoding is strict: padding required, nothing outside the alphabet.
      const bad = /[^A-Za-z0-9+/=]/.exec(s) ?? (s.length % 4 !== 0 ? { index: s.length - (s.length % 4) } : null) ?? /=[^=]|={3,}/.exec(s);
      if (bad) return `illegal base64 data at input byte ${bad.index}`;
      return Buffer.from(s, 'base64').toString('utf8');
    },
    sha256sum: (args) => (arity('sha256sum', args, 1), sha256Hex(str(args[0], 'the text'))),
    toYaml: (args) => {
      arity('toYaml', args, 1);
      const value = args[0];
      if (value === null || typeof value !== 'object') return toHelmYaml(value);
      let yaml = yamlOf.get(value);
      if (yaml === undefined) {
        yaml = toHelmYaml(value);
        yamlOf.set(value, yaml);
      }
      return yaml;
    },
    toJson: (args) => {
      arity('toJson', args, 1);
      try {
        return toGoJson(args[0]);
      } catch {
        return ''; // Helm's toJson gives "" for what Go's json cannot encode
      }
    },
    fromYaml: (args) => {
      arity('fromYaml', args, 1);
      try {
        const value = parseYamlDocument(str(args[0], 'the YAML text'), 'fromYaml', { allowDuplicateKeys: true });
        if (value === null) return {};
        if (!isMap(value)) return { Error: notAMap('error unmarshaling JSON: while decoding JSON: ', value) };
        return withSortedKeys(value);
      } catch (error) {
        if (error instanceof Misuse) throw error;
        return { Error: (error as Error).message };
      }
    },
    fromJson: (args) => {
      arity('fromJson', args, 1);
      try {
        const value: unknown = JSON.parse(str(args[0], 'the JSON text'));
        if (!isMap(value)) return { Error: notAMap('', value) };
        return withSortedKeys(value);
      } catch (error) {
        if (error instanceof Misuse) throw error;
        return { Error: (error as Error).message };
      }
    },

    // numbers (Sprig: int64 arithmetic on toInt64 of every argument)
    int: (args) => (arity('int', args, 1), toInt64(args[0])),
    add: (args) => args.reduce<number>((acc, v) => int64Op('add', acc, toInt64(v), (x, y) => x + y), 0),
    mul: (args) => args.reduce<number>((acc, v) => int64Op('mul', acc, toInt64(v), (x, y) => x * y), 1),
    sub: (args) => (arity('sub', args, 2), int64Op('sub', toInt64(args[0]), toInt64(args[1]), (x, y) => x - y)),
    div: (args) => {
      arity('div', args, 2);
      const divisor = toInt64(args[1]);
      if (divisor === 0) throw new Misuse('integer divide by zero');
      return int64Op('div', toInt64(args[0]), divisor, (x, y) => x / y);
    },
    mod: (args) => {
      arity('mod', args, 2);
      const divisor = toInt64(args[1]);
      if (divisor === 0) throw new Misuse('integer divide by zero');
      return int64Op('mod', toInt64(args[0]), divisor, (x, y) => x % y);
    },
    max: (args) => (arity('max', args, 1, Infinity), Math.max(...args.map(toInt64))),
    min: (args) => (arity('min', args, 1, Infinity), Math.min(...args.map(toInt64))),

    // comparisons and logic (Go template built-ins)
    eq: (args) => {
      arity('eq', args, 2, Infinity);
      return args.slice(1).some((other) => goEqual(args[0], other));
    },
    ne: (args) => (arity('ne', args, 2), !goEqual(args[0], args[1])),
    lt: (args) => (arity('lt', args, 2), order(args[0], args[1]) < 0),
    le: (args) => (arity('le', args, 2), order(args[0], args[1]) <= 0),
    gt: (args) => (arity('gt', args, 2), order(args[0], args[1]) > 0),
    ge: (args) => (arity('ge', args, 2), order(args[0], args[1]) >= 0),
    and: (args) => {
      arity('and', args, 1, Infinity);
      return args.find((v) => !truth(v)) ?? args[args.length - 1];
    },
    or: (args) => {
      arity('or', args, 1, Infinity);
      return args.find(truth) ?? args[args.length - 1];
    },
    not: (args) => (arity('not', args, 1), !truth(args[0])),

    // the chart and other templates
    file: (args, host) => (arity('file', args, 1), host.readFile(str(args[0], 'the path'))),
    include: (args, host) => (arity('include', args, 2), host.include(str(args[0], 'the partial name'), args[1])),
    tpl: (args, host) => (arity('tpl', args, 2), host.tpl(str(args[0], 'the template'), args[1])),
  };
}

/** The names registerHelpers installs. */
export const HELPER_NAMES: readonly string[] = Object.keys(helpers());

type BlockHelper = (this: unknown, value: unknown, options: Handlebars.HelperOptions) => unknown;

/**
 * `{{#if}}`, `{{#unless}}` and `{{#with}}` decide like Go's if/with: an empty map is false and 0 is
 * false for `with` too (Handlebars alone would take `{}` as true and render `with 0`). `unless` asks
 * `if`, so it follows. The built-ins still do the rendering, block params and `else` included.
 */
function goTruthBlocks(hb: typeof import('handlebars')): void {
  const builtinIf = hb.helpers.if as BlockHelper | undefined;
  const builtinWith = hb.helpers.with as BlockHelper | undefined;
  if (builtinIf === undefined || builtinWith === undefined) return;
  hb.registerHelper('if', function (this: unknown, ...args: unknown[]) {
    if (args.length !== 2) return (builtinIf as (...a: unknown[]) => unknown).apply(this, args);
    const [value, options] = args as [unknown, Handlebars.HelperOptions];
    const resolved = typeof value === 'function' ? (value as () => unknown).call(this) : value;
    const zeroCounts = resolved === 0 && options.hash?.includeZero === true;
    return builtinIf.call(this, truth(resolved) || zeroCounts, options);
  });
  hb.registerHelper('with', function (this: unknown, ...args: unknown[]) {
    if (args.length !== 2) return (builtinWith as (...a: unknown[]) => unknown).apply(this, args);
    const [value, options] = args as [unknown, Handlebars.HelperOptions];
    const resolved = typeof value === 'function' ? (value as () => unknown).call(this) : value;
    if (!truth(resolved)) return options.inverse(this);
    return builtinWith.call(this, resolved, options);
  });
}

function isOptions(value: unknown): value is HelperOptions {
  return value !== null && typeof value === 'object' && 'hash' in value && 'data' in value;
}

/**
 * Registers every helper on `hb` (a Handlebars environment from Handlebars.create()). Handlebars
 * appends its options object to every call; it is stripped here and its `loc` gives errors a line.
 */
export function registerHelpers(hb: typeof import('handlebars'), host: HelperHost): void {
  goTruthBlocks(hb);
  for (const [name, body] of Object.entries(helpers())) {
    hb.registerHelper(name, function (this: unknown, ...raw: unknown[]) {
      const options = raw.length > 0 && isOptions(raw[raw.length - 1]) ? (raw.pop() as HelperOptions) : undefined;
      const line = options?.loc?.start?.line;
      try {
        return body(raw, host);
      } catch (error) {
        if (error instanceof Misuse) {
          throw new HelperError(name, error.verbatim ? error.detail : `${name}: ${error.detail}`, line);
        }
        throw error;
      }
    });
  }
}
