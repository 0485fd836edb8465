/**
 * Helm's `toYaml` and `toJson`, byte for byte.
 *
 * Helm's toYaml is sigs.k8s.io/yaml.Marshal: the value goes through Go's encoding/json, is read back
 * by go-yaml v2 and printed by go-yaml v2's emitter (a port of libyaml): keys in go-yaml's "natural"
 * order, two-space indent, sequences not indented under their key, strings quoted exactly when a
 * YAML 1.1 reader would take them for something else, long scalars folded near column 80, multi-line
 * strings as literal blocks. The emitter below follows libyaml's column and indentation bookkeeping
 * so that quoting and line folding land on the same bytes.
 */
import {
  compareGoStrings,
  goFormatFloatG,
  goJsonNumber,
  goResolvesToNonString,
  isBase60Float,
} from './go-scalars.js';

// ---- toJson ----------------------------------------------------------------------------------

const JSON_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
// Control characters, the HTML-sensitive three, the JS line separators, and lone surrogates (which Go,
// holding UTF-8, would have seen as invalid bytes and replaced with U+FFFD).
const JSON_NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function goJsonString(s: string): string {
  return `"${s.replace(JSON_NEEDS_ESCAPE, (c) => {
    const known = JSON_ESCAPES[c];
    if (known !== undefined) return known;
    if (c.charCodeAt(0) >= 0xd800) return '\\ufffd';
    return `\\u00${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  })}"`;
}

function sortedKeys(record: object): string[] {
  return Object.keys(record).sort(compareGoStrings);
}

/** Helm's `toJson` (Go's json.Marshal): sorted keys, `<`, `>` and `&` escaped, Go's number format. */
export function toGoJson(value: unknown): string {
  const parts: string[] = [];
  const write = (v: unknown): void => {
    if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') parts.push('null');
    else if (typeof v === 'string') parts.push(goJsonString(v));
    else if (typeof v === 'number') parts.push(goJsonNumber(v));
    else if (typeof v === 'bigint') parts.push(v.toString());
    else if (typeof v === 'boolean') parts.push(v ? 'true' : 'false');
    else if (Array.isArray(v)) {
      parts.push('[');
      v.forEach((item, i) => {
        if (i > 0) parts.push(',');
        write(item);
      });
      parts.push(']');
    } else {
      const record = v as Record<string, unknown>;
      parts.push('{');
      sortedKeys(record).forEach((key, i) => {
        if (i > 0) parts.push(',');
        parts.push(goJsonString(key), ':');
        write(record[key]);
      });
      parts.push('}');
    }
  };
  write(value);
  return parts.join('');
}

// ---- go-yaml v2's key order -------------------------------------------------------------------

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

const isAsciiLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAsciiDigit = (c: number): boolean => c >= 48 && c <= 57;

/** go-yaml v2's keyList.Less for string keys: letters by code point, runs of digits by value. */
export function goYamlKeyLess(a: string, b: string): boolean {
  // Keys are nearly always ASCII: compare char codes directly, leaving the general path to the rest.
  if (!/^[\x00-\x7f]*$/.test(a) || !/^[\x00-\x7f]*$/.test(b)) return goYamlKeyLessUnicode(a, b);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xl = isAsciiLetter(x);
    const yl = isAsciiLetter(y);
    if (xl && yl) return x < y;
    if (xl || yl) return yl;
    let nonZeroBefore = false;
    if (x === 48 || y === 48) {
      for (let j = i - 1; j >= 0 && isAsciiDigit(a.charCodeAt(j)); j--) {
        if (a.charCodeAt(j) !== 48) {
          nonZeroBefore = true;
          break;
        }
      }
    }
    let ai = i;
    while (ai < a.length && isAsciiDigit(a.charCodeAt(ai))) ai++;
    let bi = i;
    while (bi < b.length && isAsciiDigit(b.charCodeAt(bi))) bi++;
    const base = nonZeroBefore ? 1n : 0n;
    const an = ai > i ? base * 10n ** BigInt(ai - i) + BigInt(a.slice(i, ai)) : base;
    const bn = bi > i ? base * 10n ** BigInt(bi - i) + BigInt(b.slice(i, bi)) : base;
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return x < y;
  }
  return a.length < b.length;
}

function goYamlKeyLessUnicode(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const x = ar[i]!;
    const y = br[i]!;
    if (x === y) continue;
    const xl = LETTER.test(x);
    const yl = LETTER.test(y);
    if (xl && yl) return x.codePointAt(0)! < y.codePointAt(0)!;
    if (xl || yl) return yl;
    let an = 0n;
    let bn = 0n;
    if (x === '0' || y === '0') {
      for (let j = i - 1; j >= 0 && DIGIT.test(ar[j]!); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && DIGIT.test(ar[ai]!); ai++) an = an * 10n + BigInt(ar[ai]!.charCodeAt(0) - 48);
    let bi = i;
    for (; bi < br.length && DIGIT.test(br[bi]!); bi++) bn = bn * 10n + BigInt(br[bi]!.charCodeAt(0) - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return x.codePointAt(0)! < y.codePointAt(0)!;
  }
  return ar.length < br.length;
}

const compareGoYamlKeys = (a: string, b: string): number => (goYamlKeyLess(a, b) ? -1 : goYamlKeyLess(b, a) ? 1 : 0);

/**
 * Sorted key lists, found by walking the keys in their original order through a tree: rendered
 * objects repeat a few shapes (every Deployment's metadata has the same keys), so most maps are
 * ordered by a few lookups of their (interned) keys, without sorting or building a signature.
 */
interface KeyOrderNode {
  readonly next: Map<string, KeyOrderNode>;
  sorted?: readonly string[];
}
let keyOrders: KeyOrderNode = { next: new Map() };
let keyOrderNodes = 0;
const MAX_KEY_ORDER_NODES = 50_000;

function goYamlKeyOrder(record: object): readonly string[] {
  const keys = Object.keys(record);
  if (keys.length < 2) return keys;
  let node = keyOrders;
  for (const key of keys) {
    let child = node.next.get(key);
    if (child === undefined) {
      if (++keyOrderNodes > MAX_KEY_ORDER_NODES) {
        keyOrders = { next: new Map() };
        keyOrderNodes = 0;
        return keys.sort(compareGoYamlKeys);
      }
      child = { next: new Map() };
      node.next.set(key, child);
    }
    node = child;
  }
  return (node.sorted ??= keys.sort(compareGoYamlKeys));
}

// ---- scalar analysis (libyaml's yaml_emitter_analyze_scalar) -----------------------------------

const enum Style {
  Plain,
  SingleQuoted,
  DoubleQuoted,
  Literal,
}

interface ScalarAnalysis {
  multiline: boolean;
  flowPlainAllowed: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}
const isBreak = (cp: number | undefined): boolean =>
  cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
const isBlank = (cp: number | undefined): boolean => cp === 0x20 || cp === 0x09;

function analyzeScalar(cps: readonly number[]): ScalarAnalysis {
  if (cps.length === 0) {
    return { multiline: false, flowPlainAllowed: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  }
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;

  const c0 = cps[0]!;
  if (cps.length >= 3 && ((c0 === 0x2d && cps[1] === 0x2d && cps[2] === 0x2d) || (c0 === 0x2e && cps[1] === 0x2e && cps[2] === 0x2e))) {
    blockIndicators = true;
    flowIndicators = true;
  }
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    const next = cps[i + 1];
    const followedByWhitespace = next === undefined || isBlank(next) || isBreak(next);
    const ch = String.fromCodePoint(c);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else if (',?[]{}'.includes(ch)) {
      flowIndicators = true;
    } else if (ch === ':') {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (ch === '#' && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (!isPrintable(c)) specialCharacters = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(c) || isBreak(c);
  }
  const a: ScalarAnalysis = {
    multiline: lineBreaks,
    flowPlainAllowed: true,
    blockPlainAllowed: true,
    singleQuotedAllowed: true,
    blockAllowed: true,
  };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
  }
  if (trailingSpace) a.blockAllowed = false;
  if (breakSpace) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
    a.blockAllowed = false;
  }
  if (lineBreaks) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
  }
  if (flowIndicators) a.flowPlainAllowed = false;
  if (blockIndicators) a.blockPlainAllowed = false;
  return a;
}

// ---- the emitter ------------------------------------------------------------------------------

/**
 * How the fast path writes `value` (plain ASCII text that no rule can touch: no indicator, nothing to
 * escape, too short to fold at this column), or undefined when it must take the full path.
 */
function fastText(value: string, simpleKey: boolean, column: number): string | undefined {
  if (!FAST_TEXT.test(value) || value.endsWith(' ') || value.endsWith(':') || value.includes(': ')) return undefined;
  if (value.includes(' ') && (simpleKey || column + 1 + value.length > BEST_WIDTH)) return undefined;
  const quoted = MAYBE_NOT_STRING.test(value) && (goResolvesToNonString(value) || isBase60Float(value));
  return quoted ? `"${value}"` : value;
}

/** Printable ASCII and line feeds only. */
const ASCII_LINES = /^[\x20-\x7e\n]*$/;

/**
 * Whether the full path would write `text` (not a key) as a literal block, and writeLiteralLines may:
 * printable ASCII with a line feed, no space before a line feed or at the end (libyaml allows no
 * block scalar then).
 */
function isPlainLiteral(text: string): boolean {
  return text.includes('\n') && ASCII_LINES.test(text) && !text.includes(' \n') && !text.endsWith(' ');
}

/** Keys and the `key:` the fast path writes for them (null: the full path), by key. */
const fastKeys = new Map<string, string | null>();
const MAX_FAST_KEYS = 10_000;

/** Text the fast path may write unanalysed: starts with a letter, digit, `_` or `/`, no indicators after. */
const FAST_TEXT = /^[A-Za-z0-9_/][A-Za-z0-9_./=+:(),@ -]*$/;

const LINE_BREAK = /[\n\r\u0085\u2028\u2029]/;
/** Characters sigs.k8s.io/yaml's JSON detour changes or refuses (see afterJsonRoundTrip). */
const NEEDS_NORMALIZING = /[\u007f-\u009f]/;

/** Thrown when the emitter meets a string the JSON detour would have changed: the value is normalized and emitted again. */
class NotNormalized extends Error {}

/**
 * The first characters of every text go-yaml could read as something else (null, bool, number,
 * timestamp, sexagesimal): anything else needs no further look.
 */
const MAYBE_NOT_STRING = /^[-+.0-9~nNyYtTfFoO]/;

const SPACES: string[] = [];
function spaces(n: number): string {
  return (SPACES[n] ??= ' '.repeat(n));
}

const BEST_INDENT = 2;
const BEST_WIDTH = 80;
/** libyaml writes a key inline (`key: value`) only when it is at most this many bytes. */
const MAX_SIMPLE_KEY_BYTES = 128;

const DOUBLE_QUOTE_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

interface NodeContext {
  mapping: boolean;
  simpleKey: boolean;
}

class Emitter {
  private out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;
  private readonly indents: number[] = [];

  /** @param normalized the value already went through normalizeStrings (so no string can need it). */
  constructor(private readonly normalized: boolean) {}

  result(): string {
    return this.out;
  }

  private put(text: string): void {
    this.out += text;
    this.column += text.length;
  }

  /** Writes one code point; the column counts characters, as libyaml does. */
  private putChar(cp: number): void {
    this.out += String.fromCodePoint(cp);
    this.column++;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    if (this.column < indent) this.put(spaces(indent - this.column));
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** sigs.k8s.io/yaml's go-yaml fork ends the document with a line break and never with `...`. */
  endDocument(): void {
    this.writeIndent();
  }

  node(value: unknown, ctx: NodeContext): void {
    if (Array.isArray(value)) {
      if (value.length === 0) this.emptyCollection('[', ']');
      else this.blockSequence(value, ctx);
    } else if (value !== null && typeof value === 'object') {
      const keys = goYamlKeyOrder(value);
      if (keys.length === 0) this.emptyCollection('{', '}');
      else this.blockMapping(value as Record<string, unknown>, keys);
    } else {
      this.scalar(value, ctx);
    }
  }

  private emptyCollection(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.increaseIndent(true, false);
    this.popIndent();
    this.writeIndicator(close, false, false, false);
  }

  private blockSequence(items: readonly unknown[], ctx: NodeContext): void {
    this.increaseIndent(false, ctx.mapping && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, { mapping: false, simpleKey: false });
    }
    this.popIndent();
  }

  private blockMapping(record: Record<string, unknown>, keys: readonly string[]): void {
    this.increaseIndent(false, false);
    for (const key of keys) {
      this.writeIndent();
      let known = fastKeys.get(key);
      if (known === undefined) {
        const text = key.length <= MAX_SIMPLE_KEY_BYTES ? fastText(key, true, 0) : undefined;
        known = text === undefined ? null : `${text}:`;
        if (fastKeys.size >= MAX_FAST_KEYS) fastKeys.clear();
        fastKeys.set(key, known);
      }
      if (known !== null) {
        // What scalar() and writeIndicator(':') below write for such a key, at once.
        this.put(known);
        this.whitespace = false;
        this.indention = false;
        this.node(record[key], { mapping: true, simpleKey: false });
        continue;
      }
      // A UTF-16 unit is at most 3 bytes of UTF-8, so short keys need no byte count.
      const simple =
        (key.length * 3 <= MAX_SIMPLE_KEY_BYTES || Buffer.byteLength(key, 'utf8') <= MAX_SIMPLE_KEY_BYTES) && !LINE_BREAK.test(key);
      if (simple) {
        this.scalar(key, { mapping: true, simpleKey: true });
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.scalar(key, { mapping: true, simpleKey: false });
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(record[key], { mapping: true, simpleKey: false });
    }
    this.popIndent();
  }

  /**
   * Plain ASCII text that no rule can touch (no indicator, nothing to escape, too short to fold at
   * this column, not readable as another type) is written as is; everything else takes the full path.
   */
  private fastScalar(value: unknown, ctx: NodeContext): boolean {
    let text: string;
    if (typeof value === 'string') {
      const fast = fastText(value, ctx.simpleKey, this.column);
      if (fast === undefined) return false;
      text = fast;
    } else if (typeof value === 'number' && Number.isSafeInteger(value)) {
      text = Object.is(value, -0) ? '0' : String(value);
    } else if (typeof value === 'boolean') {
      text = value ? 'true' : 'false';
    } else if (value === null || value === undefined) {
      text = 'null';
    } else {
      return false;
    }
    if (!this.whitespace) this.put(' ');
    this.put(text);
    this.whitespace = false;
    this.indention = false;
    return true;
  }

  private scalar(value: unknown, ctx: NodeContext): void {
    if (this.fastScalar(value, ctx)) return;
    if (typeof value === 'string' && !ctx.simpleKey && isPlainLiteral(value)) {
      this.increaseIndent(true, false);
      this.writeLiteralLines(value);
      this.popIndent();
      return;
    }
    let text: string;
    let requested: Style.Plain | Style.DoubleQuoted | Style.Literal;
    if (typeof value === 'string') {
      // The fast path takes only ASCII, so this is the one place a string can need normalizing.
      if (!this.normalized && NEEDS_NORMALIZING.test(value)) throw new NotNormalized();
      const quoteIt = goResolvesToNonString(value) || isBase60Float(value);
      requested = value.includes('\n') ? Style.Literal : quoteIt ? Style.DoubleQuoted : Style.Plain;
      text = value;
    } else {
      text = scalarText(value);
      requested = Style.Plain;
    }
    const cps = Array.from(text, (c) => c.codePointAt(0)!);
    const analysis = analyzeScalar(cps);
    let style: Style = requested;
    if (ctx.simpleKey && analysis.multiline) style = Style.DoubleQuoted;
    if (style === Style.Plain) {
      if (!analysis.blockPlainAllowed) style = Style.SingleQuoted;
      if (cps.length === 0 && ctx.simpleKey) style = Style.SingleQuoted;
    }
    if (style === Style.SingleQuoted && !analysis.singleQuotedAllowed) style = Style.DoubleQuoted;
    if (style === Style.Literal && (!analysis.blockAllowed || ctx.simpleKey)) style = Style.DoubleQuoted;

    this.increaseIndent(true, false);
    const allowBreaks = !ctx.simpleKey;
    switch (style) {
      case Style.Plain:
        this.writePlain(cps, allowBreaks);
        break;
      case Style.SingleQuoted:
        this.writeSingleQuoted(cps, allowBreaks);
        break;
      case Style.DoubleQuoted:
        this.writeDoubleQuoted(cps, allowBreaks);
        break;
      case Style.Literal:
        this.writeLiteral(cps);
        break;
    }
    this.popIndent();
  }

  private writePlain(cps: readonly number[], allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i]!;
      if (c === 0x20) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && cps[i + 1] !== 0x20) this.writeIndent();
        else this.putChar(c);
        spaces = true;
      } else {
        this.putChar(c);
        this.indention = false;
        spaces = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(cps: readonly number[], allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i]!;
      if (c === 0x20) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < cps.length - 1 && cps[i + 1] !== 0x20) {
          this.writeIndent();
        } else {
          this.putChar(c);
        }
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === 0x0a) this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (c === 0x27) this.put("'");
        this.putChar(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(cps: readonly number[], allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    // libyaml's BOM test looks at the start of the scalar, not at the current character: after a
    // leading BOM every character is escaped. Reproduced for byte-identical output.
    const escapeAll = cps[0] === 0xfeff;
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i]!;
      if (escapeAll || !isPrintable(c) || isBreak(c) || c === 0x22 || c === 0x5c) {
        const named = DOUBLE_QUOTE_ESCAPES.get(c);
        if (named !== undefined) this.put(`\\${named}`);
        else if (c <= 0xff) this.put(`\\x${c.toString(16).toUpperCase().padStart(2, '0')}`);
        else if (c <= 0xffff) this.put(`\\u${c.toString(16).toUpperCase().padStart(4, '0')}`);
        else this.put(`\\U${c.toString(16).toUpperCase().padStart(8, '0')}`);
        spaces = false;
      } else if (c === 0x20) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < cps.length - 1) {
          this.writeIndent();
          if (cps[i + 1] === 0x20) this.put('\\');
        } else {
          this.putChar(c);
        }
        spaces = true;
      } else {
        this.putChar(c);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeBreak(cp: number): void {
    if (cp === 0x0a) this.putBreak();
    else {
      this.out += String.fromCodePoint(cp);
      this.column = 0;
    }
  }

  /**
   * writeLiteral for text isPlainLiteral accepts, a line at a time instead of a character at a time:
   * every character is one column wide and the only break is a line feed.
   */
  private writeLiteralLines(text: string): void {
    this.writeIndicator('|', true, false, false);
    if (text.charCodeAt(0) === 0x20 || text.charCodeAt(0) === 0x0a) this.writeIndicator(String(BEST_INDENT), false, false, false);
    if (!text.endsWith('\n')) this.writeIndicator('-', false, false, false);
    else if (text.length === 1 || text.endsWith('\n\n')) this.writeIndicator('+', false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    for (let start = 0; ; ) {
      const nl = text.indexOf('\n', start);
      const end = nl === -1 ? text.length : nl;
      if (end > start) {
        this.writeIndent();
        this.put(text.slice(start, end));
        this.indention = false;
      }
      if (nl === -1) return;
      this.putBreak();
      this.indention = true;
      start = nl + 1;
    }
  }

  private writeLiteral(cps: readonly number[]): void {
    this.writeIndicator('|', true, false, false);
    // Block scalar header: an indentation indicator when the text starts with a space or break,
    // then the chomping indicator from how the text ends.
    if (cps[0] === 0x20 || isBreak(cps[0])) this.writeIndicator(String(BEST_INDENT), false, false, false);
    const last = cps[cps.length - 1];
    if (!isBreak(last)) this.writeIndicator('-', false, false, false);
    else if (cps.length === 1 || isBreak(cps[cps.length - 2])) this.writeIndicator('+', false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const c of cps) {
      if (isBreak(c)) {
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.putChar(c);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

/**
 * How a non-string scalar prints after the trip through Go's JSON and back through go-yaml:
 * integral numbers below 2^64 stay integers, every other number is a float64 printed with %g.
 */
function scalarText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    const json = goJsonNumber(value);
    if (/^-?[0-9]+$/.test(json)) {
      const big = BigInt(json);
      if (big >= -(2n ** 63n) && big < 2n ** 64n) return big.toString();
    }
    return goFormatFloatG(value);
  }
  return 'null';
}

/** Raw DEL and C1 controls survive Go's JSON encoding, and go-yaml then refuses to read them back. */
const UNREADABLE_CONTROL = /[\u007f-\u0084\u0086-\u009f]/;
/** A raw NEL is a line break to go-yaml, so inside the JSON string it is folded like any flow line break. */
const NEL_RUN = / *\u0085(?: *\u0085)* */g;

class UnreadableString extends Error {}

/** The string go-yaml gets back after sigs.k8s.io/yaml's detour through JSON. */
function afterJsonRoundTrip(s: string): string {
  if (UNREADABLE_CONTROL.test(s)) throw new UnreadableString();
  if (!s.includes('\u0085')) return s;
  return s.replace(NEL_RUN, (run) => {
    const breaks = run.split('\u0085').length - 1;
    return breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
  });
}

function normalizeStrings(value: unknown): unknown {
  if (typeof value === 'string') return afterJsonRoundTrip(value);
  if (Array.isArray(value)) return value.map(normalizeStrings);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, afterJsonRoundTrip(k), { value: normalizeStrings(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/**
 * Helm's `toYaml`: sigs.k8s.io/yaml.Marshal with the final newline trimmed. Like Helm, it gives ""
 * when go-yaml cannot read its own JSON back (a string holding DEL or a C1 control character).
 */
export function toHelmYaml(value: unknown): string {
  let text: string;
  try {
    text = emit(value, false);
  } catch (error) {
    if (!(error instanceof NotNormalized)) throw error;
    let input: unknown;
    try {
      input = normalizeStrings(value);
    } catch (inner) {
      if (inner instanceof UnreadableString) return '';
      throw inner;
    }
    text = emit(input, true);
  }
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

function emit(value: unknown, normalized: boolean): string {
  const emitter = new Emitter(normalized);
  emitter.node(value, { mapping: false, simpleKey: false });
  emitter.endDocument();
  return emitter.result();
}
