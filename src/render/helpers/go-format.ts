/**
 * Go's fmt as Helm's templates use it: `%v` of values, `%q` quoting, and `printf` verbs. Numbers are
 * JavaScript numbers, so an integral number prints as a Go int and any other as a float64.
 */
import { goFormatFloatG } from '../../yaml/go-scalars.js';

/** The widest `printf` padding or precision kasane accepts (Go would happily allocate gigabytes). */
export const MAX_PRINTF_WIDTH = 10_000;

export class FormatError extends Error {}

function isIntegral(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) < 1e21;
}

function formatNumberV(n: number): string {
  return isIntegral(n) ? String(n) : goFormatFloatG(n);
}

/** Go's `%v`: `<nil>`, `[a b]` for lists, `map[k:v]` with sorted keys for maps. */
export function formatV(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumberV(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(formatV).join(' ')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `map[${keys.map((k) => `${k}:${formatV(record[k])}`).join(' ')}]`;
  }
  return String(value);
}

/** Go's type name for `%!verb(type=value)` diagnostics. */
function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return isIntegral(value) ? 'int' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return '[]interface {}';
  return 'map[string]interface {}';
}

function isPrintableRune(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp >= 0x80 && cp <= 0x9f) return false;
  // Unicode separators and format characters Go's strconv.IsPrint rejects.
  return !/[\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]|[\p{Zs}]/u.test(String.fromCodePoint(cp)) || cp === 0x20;
}

const QUOTE_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x07, '\\a'],
  [0x08, '\\b'],
  [0x0c, '\\f'],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x09, '\\t'],
  [0x0b, '\\v'],
  [0x22, '\\"'],
  [0x5c, '\\\\'],
]);

/** Text that Go's %q writes unchanged between its quotes. */
const PLAIN_QUOTABLE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Go's strconv.Quote (what `%q` and Sprig's `quote` produce). */
export function goQuote(s: string): string {
  // Printable ASCII other than `"` and `\` is written as it is: most quoted text.
  if (PLAIN_QUOTABLE.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const named = QUOTE_ESCAPES.get(cp);
    if (named !== undefined) out += named;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (isPrintableRune(cp)) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

// ---- exact decimal rounding, as Go's strconv does for %e %f %g with a precision ----------------

interface Decimal {
  /** Significant digits, no leading zeros ('' for zero). */
  digits: string;
  /** Position of the decimal point relative to the start of `digits`. */
  dp: number;
}

/** The exact decimal value of a finite, non-negative double. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biasedExp = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exp2: number;
  if (biasedExp === 0) exp2 = -1074;
  else {
    mantissa |= 1n << 52n;
    exp2 = biasedExp - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp2 >= 0) {
    digits = (mantissa << BigInt(exp2)).toString();
    dp = digits.length;
  } else {
    const k = -exp2;
    digits = (mantissa * 5n ** BigInt(k)).toString();
    dp = digits.length - k;
  }
  const trimmed = digits.replace(/0+$/, '');
  return { digits: trimmed, dp };
}

/** Rounds to `nd` significant digits, half to even on an exact tie (Go's decimal rounding). */
function roundDecimal(d: Decimal, nd: number): Decimal {
  if (nd < 0) return { digits: '', dp: d.dp };
  if (d.digits.length <= nd) return d;
  const next = d.digits.charCodeAt(nd) - 48;
  const exactHalf = next === 5 && nd + 1 === d.digits.length;
  const prevOdd = nd > 0 && (d.digits.charCodeAt(nd - 1) - 48) % 2 === 1;
  const up = next > 5 || (next === 5 && !exactHalf) || (exactHalf && prevOdd);
  let kept = d.digits.slice(0, nd);
  let dp = d.dp;
  if (up) {
    if (kept === '') {
      kept = '1';
      dp++;
    } else {
      const bumped = (BigInt(kept) + 1n).toString();
      if (bumped.length > kept.length) dp++;
      kept = bumped;
    }
  }
  return { digits: kept.replace(/0+$/, ''), dp };
}

function digitAt(d: Decimal, i: number): string {
  return i >= 0 && i < d.digits.length ? d.digits[i]! : '0';
}

function fixedText(d: Decimal, prec: number): string {
  let out = '';
  if (d.dp > 0) for (let i = 0; i < d.dp; i++) out += digitAt(d, i);
  else out = '0';
  if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) out += digitAt(d, d.dp + i);
  }
  return out;
}

function expText(d: Decimal, prec: number, e: string): string {
  const exp = d.digits === '' ? 0 : d.dp - 1;
  let out = digitAt(d, 0);
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += digitAt(d, i);
  }
  const abs = Math.abs(exp);
  return `${out}${e}${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

/** Go's strconv.FormatFloat(|x|, verb, prec, 64) for verbs e, f, g (sign handled by the caller). */
function formatFloatAbs(x: number, verb: 'e' | 'f' | 'g', prec: number | undefined): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : '+Inf';
  const exact = exactDecimal(x);
  switch (verb) {
    case 'f': {
      const p = prec ?? 6;
      return fixedText(roundDecimal(exact, exact.dp + p), p);
    }
    case 'e': {
      const p = prec ?? 6;
      return expText(roundDecimal(exact, p + 1), p, 'e');
    }
    case 'g': {
      if (prec === undefined) return goFormatFloatG(x);
      let p = prec === 0 ? 1 : prec;
      const d = roundDecimal(exact, p);
      let eprec = p;
      if (eprec > d.digits.length && d.digits.length >= d.dp) eprec = d.digits.length;
      const exp = d.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (p > d.digits.length) p = d.digits.length;
        return expText(d, Math.max(p - 1, 0), 'e');
      }
      if (p > d.dp) p = d.digits.length;
      return fixedText(d, Math.max(p - d.dp, 0));
    }
  }
}

function signOf(n: number, spec: Spec): string {
  return n < 0 || Object.is(n, -0) ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
}

function pad(text: string, width: number | undefined, left: boolean, zero: boolean): string {
  if (width === undefined) return text;
  const length = Array.from(text).length;
  if (length >= width) return text;
  const fill = width - length;
  if (left) return text + ' '.repeat(fill);
  if (zero) {
    const sign = /^[-+]/.test(text) ? text[0]! : '';
    return sign + '0'.repeat(fill) + text.slice(sign.length);
  }
  return ' '.repeat(fill) + text;
}

interface Spec {
  plus: boolean;
  minus: boolean;
  zero: boolean;
  space: boolean;
  sharp: boolean;
  width: number | undefined;
  precision: number | undefined;
}

function formatArg(verb: string, arg: unknown, spec: Spec): string {
  const bad = (): string => `%!${verb}(${goTypeName(arg)}=${formatV(arg)})`;
  switch (verb) {
    case 'v':
      return formatV(arg);
    case 's':
      if (typeof arg === 'string') return spec.precision === undefined ? arg : Array.from(arg).slice(0, spec.precision).join('');
      if (arg === null || arg === undefined) return '%!s(<nil>)';
      if (typeof arg === 'object') return formatV(arg);
      return bad();
    case 'q':
      if (typeof arg === 'string') return goQuote(arg);
      return bad();
    case 'd':
      if (typeof arg === 'number' && isIntegral(arg)) return (arg < 0 ? '-' : spec.plus ? '+' : spec.space ? ' ' : '') + String(Math.abs(arg));
      return bad();
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (typeof arg !== 'number') return bad();
      const base = verb.toLowerCase() as 'e' | 'f' | 'g';
      const text = signOf(arg, spec) + formatFloatAbs(Math.abs(arg), base, spec.precision);
      return verb === 'E' || verb === 'G' ? text.toUpperCase() : text;
    }
    case 'o':
    case 'O':
    case 'b':
      if (typeof arg === 'number' && isIntegral(arg)) {
        const digits = Math.abs(arg).toString(verb === 'b' ? 2 : 8);
        const prefix = verb === 'O' ? '0o' : spec.sharp && verb === 'o' ? '0' : '';
        return signOf(arg, spec) + prefix + digits;
      }
      return bad();
    case 'c':
      if (typeof arg === 'number' && isIntegral(arg)) {
        return arg >= 0 && arg <= 0x10ffff && !(arg >= 0xd800 && arg <= 0xdfff) ? String.fromCodePoint(arg) : '\ufffd';
      }
      return bad();
    case 'U':
      if (typeof arg === 'number' && isIntegral(arg)) {
        return `U+${Math.abs(arg).toString(16).toUpperCase().padStart(4, '0')}`;
      }
      return bad();
    case 'x':
    case 'X': {
      let text: string;
      if (typeof arg === 'number' && isIntegral(arg)) text = (arg < 0 ? '-' : '') + Math.abs(arg).toString(16);
      else if (typeof arg === 'string') text = Buffer.from(arg, 'utf8').toString('hex');
      else return bad();
      if (spec.sharp) text = text.startsWith('-') ? `-0x${text.slice(1)}` : `0x${text}`;
      return verb === 'X' ? text.toUpperCase().replace('0X', '0X') : text;
    }
    case 't':
      if (typeof arg === 'boolean') return arg ? 'true' : 'false';
      return bad();
    default:
      return `%!${verb}(${goTypeName(arg)}=${formatV(arg)})`;
  }
}

/**
 * Go's fmt.Sprintf for the verbs charts use: %s %q %v %d %f %e %g %x %X %o %O %b %c %U %t %% with
 * flags, width and precision. Float verbs accept every number (Helm's values are float64s).
 */
export function goSprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argIndex = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    const spec: Spec = { plus: false, minus: false, zero: false, space: false, sharp: false, width: undefined, precision: undefined };
    for (; i < format.length && '+-0 #'.includes(format[i]!); i++) {
      const flag = format[i]!;
      if (flag === '+') spec.plus = true;
      else if (flag === '-') spec.minus = true;
      else if (flag === '0') spec.zero = true;
      else if (flag === ' ') spec.space = true;
      else spec.sharp = true;
    }
    const number = (): number | undefined => {
      const m = /^[0-9]+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      const n = Number(m[0]);
      if (n > MAX_PRINTF_WIDTH) throw new FormatError(`width or precision ${m[0]} is above the maximum of ${MAX_PRINTF_WIDTH}`);
      return n;
    };
    spec.width = number();
    if (format[i] === '.') {
      i++;
      spec.precision = number() ?? 0;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argIndex++];
    out += pad(formatArg(verb, arg, spec), spec.width, spec.minus, spec.zero && !spec.minus && verb !== 's' && verb !== 'v' && verb !== 'q');
  }
  if (argIndex < args.length) {
    out += `%!(EXTRA ${args
      .slice(argIndex)
      .map((a) => `${goTypeName(a)}=${formatV(a)}`)
      .join(', ')})`;
  }
  return out;
}
