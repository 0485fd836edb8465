/**
 * Built-in kinds checked against the Kubernetes schemas, offline, with generated validators only:
 * - kubernetes-models: ajv validators generated from the Kubernetes OpenAPI (types, required fields,
 *   enums, formats). It accepts fields it does not know, as the OpenAPI allows them.
 * - client-node's models (generated from the Kubernetes 1.34 OpenAPI, src/cluster/schema-fields.ts): the
 *   fields of every kind, for finding the ones the API server would refuse (or drop), and which versions
 *   of a kind 1.34 serves at all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { importPackage } from '../import-package.js';
import { builtinModelOf, fieldsOf, loadSchemaFields, SCHEMA_FIELDS_KUBERNETES_VERSION, type FieldShape } from '../cluster/schema-fields.js';
import type { KubeObject } from '../model/object.js';
import { fieldPath } from './findings.js';
import { fieldProblems, type FieldProblem, type SchemaError } from './schema-errors.js';

export type BuiltinCheck =
  /** A built-in kind: its problems (empty when valid). */
  | { readonly kind: 'checked'; readonly schema: FieldProblem[]; readonly unknownFields: FieldProblem[] }
  /** A built-in API group, but no such kind or version in Kubernetes 1.34. */
  | { readonly kind: 'unknown'; readonly message: string }
  /** Not a built-in API group: a custom resource. */
  | { readonly kind: 'custom' };

interface ModelClass {
  readonly apiVersion?: string;
  readonly kind?: string;
  new (data: unknown): { validate(): void };
}

type Loaded = { readonly model: ModelClass } | { readonly missing: 'kind' | 'group-version' };

const SAFE = { group: /^[a-z0-9.-]*$/, version: /^v\d+[a-z0-9]*$/, kind: /^[A-Za-z][A-Za-z0-9]*$/ } as const;
const PACKAGE = 'kubernetes-models';

/**
 * Where kubernetes-models is installed, and the group/versions its export map lists (`apps/v1`, core as `v1`):
 * the package has a module per kind under each, `kubernetes-models/apps/v1/Deployment`.
 */
const catalog = ((): { dir: string; groupVersions: ReadonlySet<string> } => {
  const require = createRequire(import.meta.url);
  for (const base of require.resolve.paths(PACKAGE) ?? []) {
    const manifest = join(base, PACKAGE, 'package.json');
    if (!existsSync(manifest)) continue;
    const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> }).exports ?? {};
    const groupVersions = new Set(
      Object.keys(exports)
        .map((key) => /^\.\/(.+)\/\*$/.exec(key)?.[1])
        .filter((gv): gv is string => gv !== undefined && !gv.startsWith('_')),
    );
    return { dir: join(base, PACKAGE), groupVersions };
  }
  throw new Error(`${PACKAGE} is not installed: run npm ci`);
})();

const loaded = new Map<string, Promise<Loaded>>();

/** The kubernetes-models class of a kind: `kubernetes-models/apps/v1/Deployment`, core kinds under `v1/`. */
function loadModel(group: string, version: string, kind: string): Promise<Loaded> {
  const groupVersion = group === '' ? version : `${group}/${version}`;
  const path = `${groupVersion}/${kind}`;
  let pending = loaded.get(path);
  if (!pending) {
    if (!catalog.groupVersions.has(groupVersion)) pending = Promise.resolve({ missing: 'group-version' as const });
    else if (!existsSync(join(catalog.dir, `${path}.js`))) pending = Promise.resolve({ missing: 'kind' as const });
    else {
      pending = importPackage(`${PACKAGE}/${path}`).then((module) => {
        const model = (module as Record<string, unknown>)[kind] as ModelClass | undefined;
        return typeof model === 'function' && model.kind === kind ? { model } : { missing: 'kind' as const };
      });
    }
    loaded.set(path, pending);
  }
  return pending;
}

/** Whether kubernetes-models has the API group at all, in any version. */
function isBuiltinGroup(group: string): boolean {
  return group === '' || [...catalog.groupVersions].some((gv) => gv.startsWith(`${group}/`));
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export async function checkBuiltin(object: KubeObject): Promise<BuiltinCheck> {
  const { group, version } = splitApiVersion(object.apiVersion);
  const kind = object.kind;
  if (!SAFE.group.test(group) || !SAFE.version.test(version) || !SAFE.kind.test(kind)) {
    return group === '' ? { kind: 'unknown', message: `apiVersion "${object.apiVersion}" is not a Kubernetes API version` } : { kind: 'custom' };
  }
  const [found] = await Promise.all([loadModel(group, version, kind), loadSchemaFields()]);
  const served = builtinModelOf(object.apiVersion, kind);
  if ('missing' in found) {
    if (found.missing === 'group-version' && !isBuiltinGroup(group)) return { kind: 'custom' };
    if (served === undefined) return { kind: 'unknown', message: unknownKindMessage(object.apiVersion, kind) };
  }
  if (served === undefined) {
    return { kind: 'unknown', message: `${object.apiVersion} ${kind} is not served by Kubernetes ${SCHEMA_FIELDS_KUBERNETES_VERSION} (the version was removed or is not yet served); use a version the cluster serves` };
  }
  // The API server ignores the status of a built-in object on create and update: so does lint (a rendered
  // `status: {}` is common and harmless).
  const { status: _status, ...written } = object;
  const schema = 'model' in found ? validate(found.model, written as KubeObject) : [];
  return { kind: 'checked', schema, unknownFields: unknownFields(written as KubeObject, served) };
}

function unknownKindMessage(apiVersion: string, kind: string): string {
  return `Kubernetes ${SCHEMA_FIELDS_KUBERNETES_VERSION} has no kind ${kind} in ${apiVersion}; check the spelling of kind and apiVersion`;
}

/** A Secret's values never appear in a message, not even a malformed one. */
function isSecretValue(object: KubeObject, pointer: string): boolean {
  return object.kind === 'Secret' && object.apiVersion === 'v1' && /^\/(data|stringData)\//.test(pointer);
}

function validate(model: ModelClass, object: KubeObject): FieldProblem[] {
  try {
    new model(object).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) throw err;
    return fieldProblems(errors as SchemaError[], object, (pointer) => isSecretValue(object, pointer));
  }
}

/** Fields the 1.34 schema of the kind does not have, anywhere in the object. */
function unknownFields(object: KubeObject, model: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const walk = (value: unknown, shape: FieldShape, path: (string | number)[]): void => {
    if (typeof value !== 'object' || value === null) return;
    switch (shape.kind) {
      case 'scalar':
        return;
      case 'list':
        if (Array.isArray(value)) value.forEach((item, i) => walk(item, shape.item, [...path, i]));
        return;
      case 'map':
        if (!Array.isArray(value)) for (const [key, item] of Object.entries(value)) walk(item, shape.value, [...path, key]);
        return;
      case 'model': {
        const fields = fieldsOf(shape.model);
        if (fields === undefined || Array.isArray(value)) return;
        for (const [key, item] of Object.entries(value)) {
          const field = fields.get(key);
          if (field === undefined) {
            const similar = [...fields.keys()].find((name) => name.toLowerCase() === key.toLowerCase());
            problems.push({
              field: fieldPath([...path, key]),
              message: `unknown field "${key}"${similar ? ` (did you mean "${similar}"?)` : ''}: the API server refuses or drops it`,
            });
          } else {
            walk(item, field, [...path, key]);
          }
        }
      }
    }
  };
  walk(object, { kind: 'model', model }, []);
  return problems;
}
