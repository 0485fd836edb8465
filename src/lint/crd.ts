/**
 * Custom resources checked against the CustomResourceDefinitions in the repository: those rendered in the
 * environment and those kept under charts/<chart>/crds/. The CRD's openAPIV3Schema is a JSON Schema (ajv
 * checks types, required fields, enums, formats, patterns); being structural, it also says which fields
 * the API server prunes, which lint reports as warnings.
 */
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { CHARTS_DIR, listCharts } from '../chart/load.js';
import { KasaneError } from '../errors.js';
import { groupOf, type KubeObject } from '../model/object.js';
import { parseYamlStream } from '../yaml/read.js';
import { fieldPath } from './findings.js';
import { fieldProblems, type FieldProblem, type SchemaError } from './schema-errors.js';

const require = createRequire(import.meta.url);
type AjvClass = typeof import('ajv').default;

type Schema = Record<string, unknown>;

/** One CRD found in the repository, and where. */
export interface CrdSource {
  readonly crd: KubeObject;
  /** Repository-relative file (a template, or a file under charts/<chart>/crds/). */
  readonly file: string;
  readonly line?: number;
}

export type CrdCheck =
  | { readonly kind: 'none' }
  | { readonly kind: 'checked'; readonly crd: CrdSource; readonly schema: FieldProblem[]; readonly pruned: FieldProblem[] }
  | { readonly kind: 'invalid'; readonly crd: CrdSource; readonly message: string; readonly severity: 'error' | 'warning' };

const CRD_API = 'apiextensions.k8s.io';

export function isCrd(object: KubeObject): boolean {
  return object.kind === 'CustomResourceDefinition' && groupOf(object.apiVersion) === CRD_API;
}

/** The CRD documents under charts/*\/crds/ (*.yaml, *.yml, *.json), as lint finds them; unreadable ones are problems. */
export function chartCrds(repoRoot: string, problems: KasaneError[]): CrdSource[] {
  const found: CrdSource[] = [];
  for (const chart of listCharts(repoRoot)) {
    const dir = join(repoRoot, CHARTS_DIR, chart, 'crds');
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((n) => /\.(ya?ml|json)$/.test(n)).sort()) {
      const file = `${CHARTS_DIR}/${chart}/crds/${name}`;
      try {
        for (const doc of parseYamlStream(readFileSync(join(dir, name), 'utf8'), file)) {
          const value = doc.value as KubeObject;
          if (typeof value === 'object' && value !== null && isCrd(value)) found.push({ crd: value, file, line: doc.startLine });
        }
      } catch (err) {
        if (!(err instanceof KasaneError)) throw err;
        problems.push(err);
      }
    }
  }
  return found;
}

interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly schema?: Schema;
}

function versionsOf(crd: KubeObject): CrdVersion[] {
  const spec = (crd['spec'] ?? {}) as { versions?: unknown; validation?: { openAPIV3Schema?: Schema } };
  if (!Array.isArray(spec.versions)) return [];
  return spec.versions.map((v: { name?: unknown; served?: unknown; schema?: { openAPIV3Schema?: Schema } }) => ({
    name: String(v.name),
    served: v.served !== false,
    ...(v.schema?.openAPIV3Schema === undefined ? {} : { schema: v.schema.openAPIV3Schema }),
  }));
}

/** CRDs by `group/Kind`; the first found wins (rendered ones come first). */
export class CrdIndex {
  private readonly byKind = new Map<string, CrdSource>();
  private readonly validators = new Map<Schema, ValidateFunction | string>();

  constructor(sources: readonly CrdSource[]) {
    for (const source of sources) {
      const spec = source.crd['spec'] as { group?: unknown; names?: { kind?: unknown } } | undefined;
      if (typeof spec?.group !== 'string' || typeof spec.names?.kind !== 'string') continue;
      const key = `${spec.group}/${spec.names.kind}`;
      if (!this.byKind.has(key)) this.byKind.set(key, source);
    }
  }

  check(object: KubeObject): CrdCheck {
    const source = this.byKind.get(`${groupOf(object.apiVersion)}/${object.kind}`);
    if (!source) return { kind: 'none' };
    const version = object.apiVersion.slice(object.apiVersion.indexOf('/') + 1);
    const versions = versionsOf(source.crd);
    const match = versions.find((v) => v.name === version);
    const crdName = source.crd.metadata.name ?? '';
    if (!match) {
      return { kind: 'invalid', crd: source, severity: 'error', message: `CRD ${crdName} (${source.file}) defines no version ${version} of ${object.kind}; it defines ${versions.map((v) => v.name).join(', ') || 'none'}` };
    }
    if (!match.served) {
      return { kind: 'invalid', crd: source, severity: 'error', message: `version ${version} of ${object.kind} is not served (CRD ${crdName}, ${source.file}: served: false)` };
    }
    if (match.schema === undefined) {
      return { kind: 'invalid', crd: source, severity: 'warning', message: `CRD ${crdName} (${source.file}) has no schema for ${version}: the object is not validated` };
    }
    const validate = this.validator(match.schema);
    if (typeof validate === 'string') {
      return { kind: 'invalid', crd: source, severity: 'error', message: `the schema of CRD ${crdName} (${source.file}) for ${version} is not a valid JSON Schema: ${validate}` };
    }
    // The API server drops nulls of fields that are not nullable before it validates: so does lint.
    const pruned = withoutNulls(object, match.schema) as KubeObject;
    const schema = validate(pruned) ? [] : fieldProblems((validate.errors ?? []) as SchemaError[], pruned);
    return { kind: 'checked', crd: source, schema, pruned: prunedFields(object, match.schema) };
  }

  private validator(schema: Schema): ValidateFunction | string {
    let validate = this.validators.get(schema);
    if (validate === undefined) {
      try {
        validate = newAjv().compile(nullableEnums(schema) as Schema);
      } catch (err) {
        validate = err instanceof Error ? err.message : String(err);
      }
      this.validators.set(schema, validate);
    }
    return validate;
  }
}

function newAjv(): InstanceType<AjvClass> {
  // Loaded on the first CRD schema, not at start-up: `kasane render` shares this module's bundle
  // chunk and never validates (ajv costs ~0.03 s of a cold start).
  const Ajv = require('ajv') as AjvClass;
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  // strict: false — the x-kubernetes-* extensions are not JSON Schema keywords; the API server's own
  // (x-kubernetes-validations: CEL rules) are not evaluated offline.
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  addFormats(ajv);
  const integer = { type: 'number', validate: (n: number) => Number.isInteger(n) } as const;
  ajv.addFormat('int32', { ...integer, validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', integer);
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  return ajv;
}

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const EMBEDDED = 'x-kubernetes-embedded-resource';
const OBJECT_FIELDS = ['apiVersion', 'kind', 'metadata'];

/** Fields a structural schema does not specify: the API server drops them on write. */
export function prunedFields(object: KubeObject, schema: Schema): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const walk = (value: unknown, node: Schema | undefined, path: (string | number)[], isRoot: boolean): void => {
    if (node === undefined || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      const items = node['items'];
      if (typeof items === 'object' && items !== null && !Array.isArray(items)) {
        value.forEach((item, i) => walk(item, items as Schema, [...path, i], false));
      }
      return;
    }
    const properties = (node['properties'] ?? {}) as Record<string, Schema>;
    const additional = node['additionalProperties'];
    const preserve = node[PRESERVE] === true || additional === true;
    const embedded = isRoot || node[EMBEDDED] === true;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      // metadata of the object itself is ObjectMeta, checked by the API server's own rules, not by the CRD.
      if (embedded && OBJECT_FIELDS.includes(key)) {
        if (key !== 'metadata' && properties[key] !== undefined) walk(item, properties[key], [...path, key], false);
        continue;
      }
      const property = properties[key];
      if (property !== undefined) walk(item, property, [...path, key], false);
      else if (typeof additional === 'object' && additional !== null) walk(item, additional as Schema, [...path, key], false);
      else if (!preserve) problems.push({ field: fieldPath([...path, key]), message: `unknown field "${key}": the CRD's schema does not have it, so the API server drops it` });
    }
  };
  walk(object, schema, [], true);
  return problems;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of the schema in which `nullable: true` also admits null to an `enum` (ajv reads nullable for `type` only). */
function nullableEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableEnums);
  if (!isSchema(node)) return node;
  const copy: Schema = {};
  for (const [key, value] of Object.entries(node)) copy[key] = key === 'enum' || key === 'default' || key === 'example' ? value : nullableEnums(value);
  if (copy['nullable'] === true && Array.isArray(copy['enum']) && !copy['enum'].includes(null)) copy['enum'] = [...copy['enum'], null];
  return copy;
}

/** A copy of the value without the null fields the schema does not declare nullable (the API server prunes those). */
function withoutNulls(value: unknown, node: Schema | undefined): unknown {
  if (node === undefined || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const items = node['items'];
    return isSchema(items) ? value.map((item: unknown) => withoutNulls(item, items)) : value;
  }
  const properties = (isSchema(node['properties']) ? node['properties'] : {}) as Record<string, Schema>;
  const additional = isSchema(node['additionalProperties']) ? node['additionalProperties'] : undefined;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const property = properties[key] ?? additional;
    if (item === null && property !== undefined && property['nullable'] !== true) continue;
    copy[key] = withoutNulls(item, property);
  }
  return copy;
}
