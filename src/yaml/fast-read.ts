/**
 * A reader for the plain block YAML that templates render: block maps and sequences, one-line plain
 * and quoted scalars, literal block scalars, `{}` and `[]`. It gives exactly what js-yaml with the
 * go-yaml v2 schema (read.ts) gives for such text and answers UNSUPPORTED for anything else (tabs,
 * non-ASCII, anchors, tags, flow collections, multi-line plain or quoted scalars, folded scalars,
 * repeated keys, indented comments, …), which read.ts then hands to js-yaml. It never reports an
 * error itself: errors, with their lines, come from js-yaml.
 *
 * Rendered manifests are nearly all of this shape, and reading them line by line is several times
 * faster than js-yaml's general scanner (the reader is on the hot path of every render).
 */
import { GO_BOOLEANS, GO_INT, GO_NULLS, GO_SPECIAL_FLOATS, parseGoInt, resolveGoNumber, startsNumeric } from './go-scalars.js';

export const UNSUPPORTED: unique symbol = Symbol('outside the simple subset');

/** Thrown inside the reader to give up; caught at the top. One instance: no stack to build. */
const GIVE_UP = { giveUp: true };

/** Printable ASCII and line feeds only: no tabs, CR, controls or non-ASCII (js-yaml's rules for those differ in detail). */
const OUTSIDE_SUBSET = /[^\x20-\x7e\n]/;
/** The first character of a plain key the reader takes: not blank, not an indicator. */
const PLAIN_KEY_START = /^[^ \-?:,[\]{}#&*!|>'"%@`]/;
/** The rest of a line after a quoted scalar or `{}`/`[]`: spaces and maybe a comment. */
const LINE_REST = /^ *(?: #.*)?$/;
/** Escapes whose meaning JSON and YAML share: such a double-quoted scalar reads the same with JSON.parse. */
const JSON_ESCAPES_ONLY = /^(?:[^\\]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*$/;
const MAX_DEPTH = 100;

/** First characters of a plain value the reader leaves to js-yaml: > & * ! % @ ` , ] } # ? : */
const OUTSIDE_START = new Uint8Array(0x80);
for (const c of '>&*!%@`,]}#?:') OUTSIDE_START[c.charCodeAt(0)] = 1;

const SPACE = 0x20;
const DASH = 0x2d;
const HASH = 0x23;

/**
 * Reads one document (the text between two `---` lines, the first of which may open it). Returns
 * `undefined` for a document without content, UNSUPPORTED when the text is outside the subset.
 */
export function readSimpleYaml(text: string): unknown {
  if (OUTSIDE_SUBSET.test(text)) return UNSUPPORTED;
  try {
    return new Reader(text).document();
  } catch (error) {
    if (error === GIVE_UP) return UNSUPPORTED;
    throw error;
  }
}

function giveUp(): never {
  throw GIVE_UP;
}

class Reader {
  /** Offset where each line starts. */
  private readonly begins: number[] = [];
  /** Offset where each line ends (its line feed, or the end of the text). */
  private readonly ends: number[] = [];
  /** Offset of the first character to read on each line; `- ` items move it past the dash. */
  private readonly starts: number[] = [];
  /** The current line. */
  private line = 0;
  /** Where the value of the key key() found starts. */
  private after = 0;

  constructor(private readonly text: string) {
    let begin = 0;
    for (;;) {
      const end = text.indexOf('\n', begin);
      const stop = end === -1 ? text.length : end;
      this.begins.push(begin);
      this.ends.push(stop);
      let start = begin;
      while (start < stop && text.charCodeAt(start) === SPACE) start++;
      this.starts.push(start);
      if (end === -1) break;
      begin = end + 1;
    }
    // A final line feed leaves an empty last line; it holds nothing.
  }

  document(): unknown {
    const first = this.starts[0]!;
    if (this.text.startsWith('---', first) && first === 0) {
      if (this.ends[0] !== 3) giveUp();
      this.line = 1;
    }
    const indent = this.nextContent();
    if (indent === -1) return undefined;
    if (indent !== 0) giveUp();
    const value = this.node(0, 0);
    if (this.nextContent() !== -1) giveUp();
    return value;
  }

  /**
   * Moves to the next line with content, past blank lines and comments in column 0, and returns its
   * indentation (-1 at the end). Comments elsewhere are left to js-yaml.
   */
  private nextContent(): number {
    const { text, starts, ends } = this;
    for (; this.line < starts.length; this.line++) {
      const start = starts[this.line]!;
      if (start === ends[this.line]) continue;
      if (text.charCodeAt(start) === HASH) {
        if (start !== this.begins[this.line]) giveUp();
        continue;
      }
      if (text.startsWith('...', start) || text.startsWith('---', start)) giveUp();
      return start - this.begins[this.line]!;
    }
    return -1;
  }

  private column(offset: number): number {
    return offset - this.begins[this.line]!;
  }

  /** A block node starting on the current line at `column`: a sequence or a map. */
  private node(column: number, depth: number): unknown {
    if (depth > MAX_DEPTH) giveUp();
    const start = this.starts[this.line]!;
    if (this.isItem(start)) return this.sequence(column, depth);
    const key = this.key(start);
    if (key !== undefined) return this.mapping(column, depth, key);
    return giveUp();
  }

  private isItem(offset: number): boolean {
    if (this.text.charCodeAt(offset) !== DASH) return false;
    const next = offset + 1;
    return next === this.ends[this.line] || this.text.charCodeAt(next) === SPACE;
  }

  private sequence(column: number, depth: number): unknown[] {
    const { text } = this;
    const items: unknown[] = [];
    for (;;) {
      const end = this.ends[this.line]!;
      let p = this.starts[this.line]! + 1;
      while (p < end && text.charCodeAt(p) === SPACE) p++;
      if (p === end || text.charCodeAt(p) === HASH) {
        // `-` alone: the item is the block below, or null.
        if (p !== end && text.charCodeAt(p - 1) !== SPACE) giveUp();
        this.line++;
        const next = this.nextContent();
        items.push(next > column ? this.node(next, depth + 1) : null);
      } else {
        const inner = this.column(p);
        this.starts[this.line] = p;
        if (this.isItem(p)) {
          items.push(this.node(inner, depth + 1));
        } else {
          const key = this.key(p);
          if (key === undefined) items.push(this.inlineValue(p, column));
          else if (depth + 1 > MAX_DEPTH) giveUp();
          else items.push(this.mapping(inner, depth + 1, key));
        }
      }
      const next = this.nextContent();
      if (next === column && this.isItem(this.starts[this.line]!)) continue;
      if (next > column) giveUp();
      return items;
    }
  }

  /** A block map whose first key, on the current line, the caller read with key() (so `after` is set). */
  private mapping(column: number, depth: number, firstKey: string): Record<string, unknown> {
    const { text } = this;
    const map: Record<string, unknown> = {};
    let key = firstKey;
    for (;;) {
      if (key === '__proto__' || Object.hasOwn(map, key)) giveUp();
      const end = this.ends[this.line]!;
      let p = this.after;
      while (p < end && text.charCodeAt(p) === SPACE) p++;
      let value: unknown;
      if (p === end || text.charCodeAt(p) === HASH) {
        if (p !== end && text.charCodeAt(p - 1) !== SPACE) giveUp();
        this.line++;
        const next = this.nextContent();
        if (next > column) value = this.node(next, depth + 1);
        else if (next === column && this.isItem(this.starts[this.line]!)) value = this.sequence(column, depth + 1);
        else value = null;
      } else {
        value = this.inlineValue(p, column);
      }
      map[key] = value;
      const next = this.nextContent();
      if (next === column && !this.isItem(this.starts[this.line]!)) {
        const nextKey = this.key(this.starts[this.line]!);
        if (nextKey === undefined) giveUp();
        key = nextKey;
        continue;
      }
      if (next >= column) giveUp();
      return map;
    }
  }

  /**
   * The key of a `key: value` line starting at `offset` (undefined when the line is not one); sets
   * `after` to where its value starts.
   */
  private key(offset: number): string | undefined {
    const { text } = this;
    const end = this.ends[this.line]!;
    const first = text.charCodeAt(offset);
    if (first === 0x22 /* " */ || first === 0x27 /* ' */) {
      const quoted = this.quoted(offset, end);
      if (quoted === undefined) return undefined;
      const colon = quoted.after;
      if (text.charCodeAt(colon) !== 0x3a || (colon + 1 !== end && text.charCodeAt(colon + 1) !== SPACE)) return undefined;
      this.after = colon + 1;
      return quoted.value;
    }
    const colon = indexIn(text, 0x3a, offset, end);
    if (colon === -1) return undefined;
    if (colon + 1 !== end && text.charCodeAt(colon + 1) !== SPACE) return undefined;
    const written = text.slice(offset, colon);
    let key = plainKeys.get(written);
    if (key === undefined) {
      // A key that reads as a bool or number becomes its string spelling in js-yaml: left to it.
      const plain = PLAIN_KEY_START.test(written) && !written.includes(' #') && !written.endsWith(' ') && typeof plainValue(written) === 'string';
      key = plain ? written : null;
      if (plainKeys.size >= MAX_PLAIN_KEYS) plainKeys.clear();
      plainKeys.set(written, key);
    }
    if (key === null) return undefined;
    this.after = colon + 1;
    // The cached instance: once used as a property name it is interned, so storing it skips the lookup.
    return key;
  }

  /**
   * The value written after `key: ` or `- ` at `offset`, on the current line (a literal block scalar
   * continues below). Moves past what it read.
   */
  private inlineValue(offset: number, column: number): unknown {
    const { text } = this;
    const end = this.ends[this.line]!;
    const first = text.charCodeAt(offset);
    let value: unknown;
    switch (first) {
      case 0x22: // "
      case 0x27: {
        // '
        const quoted = this.quoted(offset, end);
        if (quoted === undefined || !LINE_REST.test(text.slice(quoted.after, end))) giveUp();
        value = quoted.value;
        break;
      }
      case 0x7c: // |
        return this.literal(offset, column);
      case 0x5b: // [
      case 0x7b: {
        // {
        const close = first === 0x5b ? 0x5d : 0x7d;
        if (text.charCodeAt(offset + 1) !== close || !LINE_REST.test(text.slice(offset + 2, end))) giveUp();
        value = first === 0x5b ? [] : {};
        break;
      }
      default: {
        // Indicators that start something outside the subset (or an error).
        if (first < 0x80 && OUTSIDE_START[first] === 1) giveUp();
        if (first === DASH && (offset + 1 === end || text.charCodeAt(offset + 1) === SPACE)) giveUp();
        // One pass: the scalar ends at a comment (` #`), less trailing spaces; a `: ` or a final `:`
        // in it would make it a key or something else outside the subset.
        let stop = end;
        for (let i = offset; i < end; i++) {
          const c = text.charCodeAt(i);
          if (c === SPACE) {
            if (text.charCodeAt(i + 1) === HASH) {
              stop = i;
              break;
            }
          } else if (c === 0x3a && (i + 1 === end || text.charCodeAt(i + 1) === SPACE)) {
            giveUp();
          }
        }
        while (text.charCodeAt(stop - 1) === SPACE) stop--;
        value = plainValue(text.slice(offset, stop));
      }
    }
    this.line++;
    // A following line indented deeper would continue the scalar (or be an error): left to js-yaml.
    if (this.nextContent() > column) giveUp();
    return value;
  }

  /** A quoted scalar on one line starting at `offset`; undefined when it does not close there. */
  private quoted(offset: number, end: number): { value: string; after: number } | undefined {
    const { text } = this;
    if (text.charCodeAt(offset) === 0x27) {
      let value = '';
      let from = offset + 1;
      for (;;) {
        const close = indexIn(text, 0x27, from, end);
        if (close === -1) return undefined;
        value += text.slice(from, close);
        if (text.charCodeAt(close + 1) !== 0x27) return { value, after: close + 1 };
        value += "'";
        from = close + 2;
      }
    }
    let p = offset + 1;
    let escaped = false;
    for (; p < end; p++) {
      const c = text.charCodeAt(p);
      if (c === 0x5c) {
        escaped = true;
        p++;
      } else if (c === 0x22) {
        break;
      }
    }
    if (p >= end) return undefined;
    const body = text.slice(offset + 1, p);
    if (!escaped) return { value: body, after: p + 1 };
    if (!JSON_ESCAPES_ONLY.test(body)) return undefined;
    return { value: JSON.parse(`"${body}"`) as string, after: p + 1 };
  }

  /** `|` or `|-` with its content lines (indented deeper than `column`). */
  private literal(offset: number, column: number): string {
    const { text, begins, ends, starts } = this;
    let p = offset + 1;
    const strip = text.charCodeAt(p) === DASH;
    if (strip) p++;
    if (!LINE_REST.test(text.slice(p, ends[this.line]))) giveUp();
    const first = this.line + 1;
    // The first line must hold content: leading blank lines set the indentation by their own rules.
    if (first >= starts.length || starts[first] === ends[first]) giveUp();
    const indent = starts[first]! - begins[first]!;
    if (indent <= column) giveUp();
    const lines: string[] = [];
    let line = first;
    let lastContent = first;
    for (; line < starts.length; line++) {
      const begin = begins[line]!;
      const end = ends[line]!;
      if (starts[line] === end) {
        // Only spaces: an empty line, or spaces beyond the indentation that are content.
        lines.push(end - begin > indent ? text.slice(begin + indent, end) : '');
        if (end - begin > indent) lastContent = line;
        continue;
      }
      if (starts[line]! - begin < indent) break;
      lines.push(text.slice(begin + indent, end));
      lastContent = line;
    }
    // A final line feed of the text leaves an empty last line that is no line of the scalar.
    const kept = lines.slice(0, lastContent - first + 1).join('\n');
    this.line = line;
    const next = this.nextContent();
    if (next > column) giveUp();
    return strip ? kept : `${kept}\n`;
  }
}

/** The first `code` in text[from, end), or -1 (indexOf would look past the line). */
function indexIn(text: string, code: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (text.charCodeAt(i) === code) return i;
  return -1;
}

/**
 * Keys the reader takes, each as one shared instance (null: left to js-yaml), by how they are
 * written: manifests repeat a few hundred keys.
 */
const plainKeys = new Map<string, string | null>();
const MAX_PLAIN_KEYS = 10_000;

/** First characters of every plain scalar that may read as something other than a string. */
const MAYBE_NOT_STRING = /^[-+.0-9~<nNyYtTfFoO]/;

/** What a plain scalar means under go-yaml v2's rules, as read.ts's schema resolves it. */
function plainValue(plain: string): unknown {
  if (plain !== '' && !MAYBE_NOT_STRING.test(plain)) return plain;
  if (GO_NULLS.has(plain)) return null;
  const bool = GO_BOOLEANS.get(plain);
  if (bool !== undefined) return bool;
  if (plain === '<<') giveUp();
  const c = plain.charCodeAt(0);
  if (startsNumeric(plain) || c === 0x2e /* . */) {
    if (startsNumeric(plain) && GO_INT.test(plain.includes('_') ? plain.replace(/_/g, '') : plain)) return parseGoInt(plain.replace(/_/g, ''));
    if (GO_SPECIAL_FLOATS.has(plain)) giveUp();
    const number = resolveGoNumber(plain);
    if (number !== undefined) return number;
  }
  return plain;
}

/** JSON text, which is YAML too: an object or array, maybe surrounded by blank lines. */
const JSON_START = /^\s*[[{]/;
const JSON_DEPTH = 100;

/**
 * Reads a document written as JSON (values files generated by tools often are) with JSON.parse,
 * when that gives what js-yaml would: printable ASCII only, no repeated keys, no number JSON reads
 * as infinite (go-yaml keeps `1e400` a string), not nested deeper than js-yaml allows. Anything
 * else, and any text JSON.parse refuses, is UNSUPPORTED (js-yaml then reads it, or reports it).
 */
export function readJsonYaml(text: string): unknown {
  if (!JSON_START.test(text) || OUTSIDE_SUBSET.test(text)) return UNSUPPORTED;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return UNSUPPORTED;
  }
  const counted = countJson(value, 0);
  if (counted === -1 || counted !== countKeyTokens(text)) return UNSUPPORTED;
  return value;
}

/** Keys in a parsed JSON value; -1 when it holds a non-finite number or nests too deep. */
function countJson(value: unknown, depth: number): number {
  if (typeof value === 'number') return Number.isFinite(value) ? 0 : -1;
  if (value === null || typeof value !== 'object') return 0;
  if (depth > JSON_DEPTH) return -1;
  let keys = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      const inner = countJson(item, depth + 1);
      if (inner === -1) return -1;
      keys += inner;
    }
    return keys;
  }
  for (const key in value) {
    const inner = countJson((value as Record<string, unknown>)[key], depth + 1);
    if (inner === -1) return -1;
    keys += inner + 1;
  }
  return keys;
}

/** Strings followed by `:` in JSON text: its keys, repeated ones included (JSON.parse keeps only the last). */
function countKeyTokens(text: string): number {
  let keys = 0;
  const n = text.length;
  // From one string's opening quote to the next: the text is valid JSON (JSON.parse read it).
  for (let open = text.indexOf('"'); open !== -1; ) {
    let close = text.indexOf('"', open + 1);
    for (;;) {
      if (close === -1) return keys;
      // A quote after an odd number of backslashes is escaped.
      let backslashes = 0;
      while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) break;
      close = text.indexOf('"', close + 1);
    }
    let j = close + 1;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c !== 0x20 && c !== 0x0a) break;
      j++;
    }
    if (text.charCodeAt(j) === 0x3a) keys++;
    open = text.indexOf('"', close + 1);
  }
  return keys;
}
