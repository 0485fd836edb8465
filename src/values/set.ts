/**
 * `--set` / `--set-string` expressions in Helm's strvals syntax:
 *
 *   name=value                 a top-level key
 *   a.b.c=value                nested maps
 *   list[0]=x, a[1].b=x        list elements (missing elements become null), maps inside lists
 *   a=1,b=2                    several assignments, applied left to right
 *   a={x,y}                    a list value
 *   a\.b=x, a=x\,y             `\` makes the next character literal (a dot in a key, a comma in a value)
 *
 * With `--set`, a value that is exactly an integer (no leading zero) becomes a number, `true`/`false`
 * (any case) a boolean and `null` null (which deletes a chart default); everything else, floats
 * included, stays a string — as in Helm. `--set-string` keeps every value a string.
 */
import { KasaneError } from '../errors.js';
import { isValuesMap, setOwn, type Values } from './merge.js';

/** Helm refuses list indexes above this, so `a[999999999]=x` cannot allocate gigabytes. */
export const MAX_SET_INDEX = 65536;

export class SetSyntaxError extends KasaneError {
  override readonly name: string = 'SetSyntaxError';
  readonly expression: string;
  /** 0-based offset in `expression` where the problem was found. */
  readonly position: number;
  readonly detail: string;

  constructor(expression: string, position: number, detail: string) {
    super(`invalid --set expression "${expression}" at character ${position + 1}: ${detail}`, {
      hint: 'use key.path=value, list[0]=value or key={a,b}; escape literal dots and commas with a backslash',
    });
    this.expression = expression;
    this.position = position;
    this.detail = detail;
  }
}

const INTEGER = /^[-+]?(?:0|[1-9][0-9]*)$/;

function typedValue(text: string, asString: boolean): unknown {
  if (asString) return text;
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (INTEGER.test(text)) {
    const n = Number(text);
    // Go parses into an int64; beyond that Helm keeps the text.
    if (Number.isSafeInteger(n) || (BigInt(text) >= -(2n ** 63n) && BigInt(text) < 2n ** 63n)) return n;
  }
  return text;
}

class SetParser {
  private pos = 0;

  constructor(
    private readonly expr: string,
    private readonly asString: boolean,
  ) {}

  private fail(detail: string, at = this.pos): never {
    throw new SetSyntaxError(this.expr, at, detail);
  }

  /** Reads up to (not including) one of `stops`; returns the text and the stop found (undefined at the end). */
  private readUntil(stops: string): { text: string; stop: string | undefined } {
    let text = '';
    while (this.pos < this.expr.length) {
      const c = this.expr[this.pos]!;
      if (c === '\\') {
        if (this.pos + 1 >= this.expr.length) this.fail('a backslash at the end escapes nothing');
        text += this.expr[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (stops.includes(c)) {
        this.pos++;
        return { text, stop: c };
      }
      text += c;
      this.pos++;
    }
    return { text, stop: undefined };
  }

  parseInto(target: Values): void {
    while (this.pos < this.expr.length) this.assignment(target);
  }

  /** One `key…=value` up to the next top-level comma. */
  private assignment(target: Values): void {
    this.key(target);
  }

  private key(target: Values): void {
    const start = this.pos;
    const { text: key, stop } = this.readUntil('=[,.');
    if (key === '') this.fail('empty key', start);
    switch (stop) {
      case undefined:
        this.fail(`key "${key}" has no value`);
      // falls through (fail never returns)
      case ',':
        this.fail(`key "${key}" has no value (cannot end with ,)`, this.pos - 1);
      // falls through
      case '=':
        setOwn(target, key, this.value());
        return;
      case '.': {
        const existing = Object.hasOwn(target, key) ? target[key] : undefined;
        const inner: Values = isValuesMap(existing) ? existing : {};
        setOwn(target, key, inner);
        this.key(inner);
        return;
      }
      case '[': {
        const existing = Object.hasOwn(target, key) ? target[key] : undefined;
        const list = Array.isArray(existing) ? existing : [];
        setOwn(target, key, list);
        this.listElement(list);
        return;
      }
    }
  }

  private index(): number {
    const start = this.pos;
    const { text, stop } = this.readUntil(']');
    if (stop !== ']') this.fail('unterminated [ index', start - 1);
    if (!/^-?[0-9]+$/.test(text)) this.fail(`list index "${text}" is not a number`, start);
    const index = Number(text);
    if (index < 0) this.fail(`negative list index ${text} is not allowed`, start);
    if (index > MAX_SET_INDEX) this.fail(`list index ${text} is above the maximum of ${MAX_SET_INDEX}`, start);
    return index;
  }

  /** After `name[`: `N]=value`, `N].key…` or `N][M]…`. */
  private listElement(list: unknown[]): void {
    const index = this.index();
    while (list.length < index) list.push(null);
    const next = this.expr[this.pos];
    this.pos++;
    switch (next) {
      case '=':
        list[index] = this.value();
        return;
      case '.': {
        const existing = list[index];
        const inner: Values = isValuesMap(existing) ? existing : {};
        list[index] = inner;
        this.key(inner);
        return;
      }
      case '[': {
        const existing = list[index];
        const inner = Array.isArray(existing) ? existing : [];
        list[index] = inner;
        this.listElement(inner);
        return;
      }
      default:
        this.fail(`expected =, . or [ after the list index`, this.pos - 1);
    }
  }

  /** After `=`: a `{a,b}` list or a scalar, up to the next unescaped comma. */
  private value(): unknown {
    if (this.expr[this.pos] === '{') {
      const start = this.pos;
      this.pos++;
      const items: unknown[] = [];
      for (;;) {
        const { text, stop } = this.readUntil(',}');
        if (stop === undefined) this.fail('unterminated { list', start);
        if (!(stop === '}' && text === '' && items.length === 0)) items.push(typedValue(text, this.asString));
        if (stop === '}') break;
      }
      if (this.pos < this.expr.length) {
        if (this.expr[this.pos] !== ',') this.fail('expected , after the closing }');
        this.pos++;
      }
      return items;
    }
    return typedValue(this.readUntil(',').text, this.asString);
  }
}

/**
 * Parses one `--set` (or, with `asString`, `--set-string`) argument into a values map. Pass `into`
 * to apply several arguments to one map in order, as Helm does, so `a[0]=x` then `a[1]=y` build one list.
 */
export function parseSetArgument(expr: string, opts: { asString: boolean }, into: Values = {}): Values {
  new SetParser(expr, opts.asString).parseInto(into);
  return into;
}
