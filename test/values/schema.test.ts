import { describe, expect, it } from 'vitest';
import { InvalidSchemaError, validateValues, ValuesSchemaError } from '../../src/values/schema.js';
import { helmAvailable, helmTemplate } from '../yaml/helm.js';

const draft07 = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['image'],
  properties: {
    image: {
      type: 'object',
      required: ['repository', 'tag'],
      properties: { repository: { type: 'string' }, tag: { type: 'string' } },
      additionalProperties: false,
    },
    replicas: { type: 'integer', minimum: 1 },
    homepage: { type: 'string', format: 'uri' },
    ports: { type: 'array', items: { type: 'integer' } },
    mode: { enum: ['fast', 'safe'] },
  },
};

const draft2020 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
    contact: { type: 'string', format: 'email' },
  },
  $defs: { unused: { type: 'string' } },
};

function problemsOf(values: Record<string, unknown>, schema: unknown): ValuesSchemaError {
  try {
    validateValues(values, schema, 'charts/web/values.schema.json');
  } catch (error) {
    if (error instanceof ValuesSchemaError) return error;
    throw error;
  }
  throw new Error('expected the values to fail the schema');
}

describe('validateValues', () => {
  it('accepts values that match', () => {
    expect(() =>
      validateValues({ image: { repository: 'web', tag: '1' }, replicas: 2, homepage: 'https://x.example' }, draft07, 's.json'),
    ).not.toThrow();
  });

  it('reports every failing path at once (draft-07, formats included)', () => {
    const error = problemsOf(
      { image: { repository: 'web', extra: 1 }, replicas: 0, homepage: 'not a uri', ports: [80, 'http'], mode: 'turbo' },
      draft07,
    );
    expect(error.schemaFile).toBe('charts/web/values.schema.json');
    const paths = error.problems.map((p) => p.path).sort();
    expect(paths).toEqual(['homepage', 'image.extra', 'image.tag', 'mode', 'ports[1]', 'replicas']);
    expect(error.message).toContain('charts/web/values.schema.json');
    expect(error.message).toContain('image.tag: is required');
    expect(error.message).toContain('mode: must be one of "fast", "safe"');
  });

  it('understands draft 2020-12 keywords and formats', () => {
    expect(() => validateValues({ pair: ['a', 1], contact: 'a@b.example' }, draft2020, 's.json')).not.toThrow();
    const error = problemsOf({ pair: ['a', 'b', 3], contact: 'nobody' }, draft2020);
    expect(error.problems.map((p) => p.path).sort()).toEqual(['contact', 'pair', 'pair[1]']);
  });

  it('names the root when the values themselves are wrong', () => {
    expect(problemsOf({ image: { repository: 'r', tag: 't' } }, { type: 'object', maxProperties: 0 }).problems[0]!.path).toBe('(root)');
  });

  it('rejects a schema that is not a schema, naming the file', () => {
    expect(() => validateValues({}, { type: 'no-such-type' }, 'charts/x/values.schema.json')).toThrow(InvalidSchemaError);
    expect(() => validateValues({}, { type: 'no-such-type' }, 'charts/x/values.schema.json')).toThrow(/charts\/x\/values\.schema\.json/);
  });
});

describe.skipIf(!helmAvailable)('validateValues agrees with helm on what passes', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['valid', { image: { repository: 'web', tag: '1' }, replicas: 2 }],
    ['missing tag', { image: { repository: 'web' } }],
    ['bad replicas', { image: { repository: 'web', tag: '1' }, replicas: 0 }],
    ['bad format', { image: { repository: 'web', tag: '1' }, homepage: 'not a uri' }],
  ];
  it.each(cases)('%s', (_, values) => {
    let helmOk = true;
    try {
      helmTemplate({
        'values.yaml': JSON.stringify(values),
        'values.schema.json': JSON.stringify(draft07),
        'templates/x.yaml': 'a: b\n',
      });
    } catch {
      helmOk = false;
    }
    let oursOk = true;
    try {
      validateValues(values, draft07, 'values.schema.json');
    } catch {
      oursOk = false;
    }
    expect(oursOk).toBe(helmOk);
  });
});
