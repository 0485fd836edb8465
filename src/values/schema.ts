/**
 * Checks merged values against a chart's values.schema.json, as Helm does before rendering.
 * Draft 2020-12 and 2019-09 schemas are recognised by their `$schema`; anything else is read as
 * draft-07. Formats (`uri`, `email`, `date-time`, …) are checked. Every failing path is reported at once.
 */
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { KasaneError, SourceError } from '../errors.js';
import type { Values } from './merge.js';

// ajv and ajv-formats are CommonJS; require keeps their constructors typed without default-import games.
// They are loaded on the first schema check: most charts have no schema, and loading ajv costs
// more than rendering a small chart.
const require = createRequire(import.meta.url);
type AjvClass = typeof import('ajv').default;
const ajvFor = (dialect: string): AjvClass =>
  (dialect.includes('2020-12') ? require('ajv/dist/2020') : dialect.includes('2019-09') ? require('ajv/dist/2019') : require('ajv')) as AjvClass;
const addFormats = (ajv: InstanceType<AjvClass>): void => {
  (require('ajv-formats') as typeof import('ajv-formats').default)(ajv);
};

export interface ValuesProblem {
  /** Dotted path into the values (`image.tag`, `ports[0]`); `(root)` for the values themselves. */
  path: string;
  message: string;
}

export class ValuesSchemaError extends KasaneError {
  override readonly name: string = 'ValuesSchemaError';
  readonly schemaFile: string;
  readonly problems: readonly ValuesProblem[];

  constructor(schemaFile: string, problems: readonly ValuesProblem[]) {
    super(
      `values do not match ${schemaFile}:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`,
      { hint: 'fix the values (environment values, values files, --set) or the schema' },
    );
    this.schemaFile = schemaFile;
    this.problems = problems;
  }
}

/** The schema file itself is not a usable JSON Schema. */
export class InvalidSchemaError extends SourceError {
  override readonly name: string = 'InvalidSchemaError';
}

const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: unknown, schemaFile: string): ValidateFunction {
  if (typeof schema === 'boolean') schema = schema ? {} : { not: {} };
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new InvalidSchemaError({ file: schemaFile }, 'a JSON Schema must be an object');
  }
  const cached = compiled.get(schema);
  if (cached) return cached;
  const dialect = String((schema as { $schema?: unknown }).$schema ?? '');
  const AjvForDialect = ajvFor(dialect);
  // strict: false — chart schemas in the wild carry unknown keywords, which Helm ignores too.
  const ajv = new AjvForDialect({ allErrors: true, strict: false, validateSchema: true });
  addFormats(ajv);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new InvalidSchemaError({ file: schemaFile }, `not a valid JSON Schema: ${(error as Error).message}`, { cause: error });
  }
  compiled.set(schema, validate);
  return validate;
}

function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, segment) => (/^[0-9]+$/.test(segment) ? `${path}[${segment}]` : path === '' ? segment : `${path}.${segment}`), '');
}

function describe(error: ErrorObject): ValuesProblem {
  let path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    path = path === '' ? params.missingProperty : `${path}.${params.missingProperty}`;
    message = 'is required';
  } else if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    path = path === '' ? params.additionalProperty : `${path}.${params.additionalProperty}`;
    message = 'is not allowed here (additional property)';
  } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    message = `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return { path: path === '' ? '(root)' : path, message };
}

/** Throws ValuesSchemaError listing every path that fails `schema` (read from `schemaFile`). */
export function validateValues(values: Values, schema: unknown, schemaFile: string): void {
  const validate = validatorFor(schema, schemaFile);
  if (validate(values)) return;
  const seen = new Set<string>();
  const problems: ValuesProblem[] = [];
  for (const error of validate.errors ?? []) {
    const problem = describe(error);
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  throw new ValuesSchemaError(schemaFile, problems);
}
