/**
 * Errors of JSON Schema validators (ajv's shape: the generated validators of kubernetes-models and the
 * ajv validators of CRD schemas) turned into one sentence per field, e.g.
 * `spec.replicas: must be integer, not string "two"`.
 */
import { describeValue, fieldPath, pointerSegments, valueAt } from './findings.js';

export interface SchemaError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
}

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** A value as a message shows it; `hide` for one that must not appear (a Secret's). */
function shown(value: unknown, hide: boolean): string {
  return hide ? 'a Secret value (not shown)' : describeValue(value);
}

function actual(value: unknown, hide: boolean): string {
  const type = typeOf(value);
  return type === 'object' || type === 'array' || type === 'null' || hide ? type : `${type} ${describeValue(value)}`;
}

function list(values: unknown): string {
  return Array.isArray(values) ? values.map((v) => JSON.stringify(v)).join(', ') : String(values);
}

/** One sentence for one error; undefined for errors that only say "a branch below failed". */
/** Format names as people know them. */
const FORMAT_NAMES: Readonly<Record<string, string>> = { byte: 'base64 string', int32: '32-bit integer', int64: '64-bit integer', 'date-time': 'RFC 3339 date-time' };

function sentence(error: SchemaError, value: unknown, hide: boolean): string | undefined {
  const p = error.params;
  switch (error.keyword) {
    case 'required':
      return 'required field is missing';
    case 'type':
      return `must be ${Array.isArray(p['type']) ? p['type'].join(' or ') : String(p['type'])}, not ${actual(value, hide)}`;
    case 'enum':
      return `must be one of ${list(p['allowedValues'])}, not ${shown(value, hide)}`;
    case 'const':
      return `must be ${JSON.stringify(p['allowedValue'])}, not ${shown(value, hide)}`;
    case 'format':
      return `${shown(value, hide)} is not a valid ${FORMAT_NAMES[String(p['format'])] ?? String(p['format'])}`;
    case 'pattern':
      return `${shown(value, hide)} does not match the pattern ${String(p['pattern'])}`;
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
      return `must be ${String(p['comparison'])} ${String(p['limit'])}, not ${shown(value, hide)}`;
    case 'minLength':
      return `must be at least ${String(p['limit'])} characters long`;
    case 'maxLength':
      return `must be at most ${String(p['limit'])} characters long`;
    case 'minItems':
      return `must have at least ${String(p['limit'])} items`;
    case 'maxItems':
      return `must have at most ${String(p['limit'])} items`;
    case 'minProperties':
      return `must have at least ${String(p['limit'])} fields`;
    case 'maxProperties':
      return `must have at most ${String(p['limit'])} fields`;
    case 'uniqueItems':
      return 'must not contain the same item twice';
    case 'additionalProperties':
      return `unknown field "${String(p['additionalProperty'])}"`;
    case 'if':
    case 'not':
      return undefined;
    default:
      return `fails the schema's ${error.keyword} rule`;
  }
}

/**
 * One problem per field. Alternatives (`anyOf`/`oneOf`, e.g. an int-or-string) become one problem naming
 * the types that would do, instead of one per failed branch. (Generated validators give branch errors
 * schema paths relative to their own function, so branches are matched by the field, not the schema path.)
 */
export function fieldProblems(errors: readonly SchemaError[], data: unknown, hidden: (pointer: string) => boolean = () => false): FieldProblem[] {
  const isAlternative = (e: SchemaError): boolean => e.keyword === 'anyOf' || e.keyword === 'oneOf';
  const alternativeAt = new Set(errors.filter(isAlternative).map((e) => e.instancePath));
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  const add = (pointer: string, message: string): void => {
    const field = fieldPath(pointerSegments(pointer, data));
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ field, message });
  };
  for (const error of errors) {
    const value = valueAt(error.instancePath, data);
    const hide = hidden(error.instancePath);
    if (isAlternative(error)) {
      const types = errors.filter((e) => e.keyword === 'type' && e.instancePath === error.instancePath).map((e) => String(e.params['type']));
      if (types.length > 0) add(error.instancePath, `must be ${[...new Set(types)].join(' or ')}, not ${actual(value, hide)}`);
      else if (!errors.some((e) => !isAlternative(e) && e.instancePath.startsWith(error.instancePath))) {
        add(error.instancePath, 'matches none of the allowed forms');
      }
      continue;
    }
    if (error.keyword === 'type' && alternativeAt.has(error.instancePath)) continue;
    const pointer =
      error.keyword === 'required'
        ? `${error.instancePath}/${String(error.params['missingProperty']).replace(/~/g, '~0').replace(/\//g, '~1')}`
        : error.instancePath;
    const text = sentence(error, value, hide);
    if (text !== undefined) add(pointer, text);
  }
  return problems;
}
