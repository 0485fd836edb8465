/**
 * How Go prints and reads scalars, shared by the YAML reader and writers: go-yaml v2's plain-scalar
 * resolution, Go's float formatting (strconv 'g' and encoding/json), and Go's byte-wise string order.
 */

export const GO_BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((s) => [s, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((s) => [s, false] as const),
]);
export const GO_NULLS: ReadonlySet<string> = new Set(['', '~', 'null', 'Null', 'NULL']);
export const GO_SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map([
  ...['.nan', '.NaN', '.NAN'].map((s) => [s, Number.NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s) => [s, Number.POSITIVE_INFINITY] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((s) => [s, Number.NEGATIVE_INFINITY] as const),
]);
/** What Go's strconv.ParseInt(s, 0, 64) (and go-yaml's ParseUint/big.Int fallbacks) accept. */
export const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
/** go-yaml v2's yamlStyleFloat. */
export const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const DOT_FLOAT = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;

/** go-yaml only tries numbers for scalars starting with a digit or a sign (its resolve table's 'D' and 'S'). */
export function startsNumeric(text: string): boolean {
  const c = text.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 43 || c === 45;
}

export function parseGoInt(plain: string): number {
  let sign = 1;
  let digits = plain;
  if (digits[0] === '-' || digits[0] === '+') {
    if (digits[0] === '-') sign = -1;
    digits = digits.slice(1);
  }
  // A leading 0 followed by digits is octal in Go's base-0 parsing (and in YAML 1.1).
  if (digits.length > 1 && digits[0] === '0' && digits[1]! >= '0' && digits[1]! <= '7') digits = `0o${digits.slice(1)}`;
  const magnitude = digits.length <= 15 && !/^0[xXoObB]/.test(digits) ? Number(digits) : Number(BigInt(digits));
  return sign * magnitude;
}

/** The number an untagged plain scalar means to go-yaml v2, or `undefined` when it stays a string. */
export function resolveGoNumber(text: string): number | undefined {
  if (text.charCodeAt(0) === 46 /* . */) {
    if (!DOT_FLOAT.test(text)) return undefined;
    const value = Number(text);
    return Number.isFinite(value) ? value : undefined;
  }
  if (!startsNumeric(text)) return undefined;
  const plain = text.includes('_') ? text.replace(/_/g, '') : text;
  if (GO_INT.test(plain)) return parseGoInt(plain);
  if (GO_FLOAT.test(plain)) {
    const value = Number(plain);
    // Go's ParseFloat fails on overflow; go-yaml then keeps the text as a string.
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

const TIMESTAMP =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2}))|(?: ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?))?$/;

/** go-yaml v2's parseTimestamp: the layouts it tries with Go's time.Parse, including its range checks. */
export function isGoTimestamp(text: string): boolean {
  const m = TIMESTAMP.exec(text);
  if (m === null) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return false;
  const hour = m[4] ?? m[7];
  if (hour === undefined) return true;
  const minute = m[5] ?? m[8];
  const second = m[6] ?? m[9];
  return Number(hour) < 24 && Number(minute) < 60 && Number(second) < 60;
}

/**
 * Whether go-yaml v2's encoder must quote `text` so it reads back as a string. (`<<`, the merge key,
 * is printed plain: the encoder only looks at the resolved tag of real values.)
 */
export function goResolvesToNonString(text: string): boolean {
  if (GO_NULLS.has(text) || GO_BOOLEANS.has(text) || GO_SPECIAL_FLOATS.has(text)) return true;
  if (startsNumeric(text) && isGoTimestamp(text)) return true;
  return resolveGoNumber(text) !== undefined;
}

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/** go-yaml still quotes YAML 1.1 sexagesimal numbers (`1:20`) on output for other parsers' sake. */
export function isBase60Float(text: string): boolean {
  return text.includes(':') && BASE60_FLOAT.test(text);
}

/** Mantissa digits and decimal exponent of the shortest representation that round-trips. */
function shortestDigits(value: number): { digits: string; exponent: number } {
  const [mantissa, exp] = Math.abs(value).toExponential().split('e') as [string, string];
  return { digits: mantissa.replace('.', ''), exponent: Number(exp) };
}

/** Go's strconv.FormatFloat(value, 'g', -1, 64). */
export function goFormatFloatG(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const sign = value < 0 ? '-' : '';
  const { digits, exponent } = shortestDigits(value);
  if (exponent < -4 || exponent >= 6) {
    // %e: d.ddde±XX with at least two exponent digits.
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expAbs = Math.abs(exponent);
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${expAbs < 10 ? '0' : ''}${expAbs}`;
  }
  return sign + Math.abs(value).toString().replace(/e.*$/, '');
}

/** Go's encoding/json number for a float64. */
export function goJsonNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`json: unsupported value: ${goFormatFloatG(value)}`);
  if (Object.is(value, -0)) return '-0';
  // JavaScript's Number#toString switches to exponents at the same bounds as Go (1e-6, 1e21) and
  // prints exponents without leading zeros, which is what Go's cleanup produces.
  return String(value);
}

/** Go's sort.Strings order: byte-wise over UTF-8, which is code-point order. */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (astral code point) sorts after every BMP character in UTF-8.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
