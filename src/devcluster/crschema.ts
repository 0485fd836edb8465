/**
 * What a real server does with a custom resource's structural schema: fills in `default`s, and
 * prunes fields the schema does not declare — or, with fieldValidation=Strict, refuses them.
 */
import type { KubeObject } from '../model/object.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Walks `value` against `schema`; returns the dotted paths of undeclared fields, which it removes. */
function walk(value: unknown, schema: Obj, path: string, unknown: string[]): void {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && !isObj(schema['properties'])) return;
  if (Array.isArray(value)) {
    const items = schema['items'];
    if (isObj(items)) value.forEach((item, i) => walk(item, items, `${path}[${i}]`, unknown));
    return;
  }
  if (!isObj(value)) return;
  const properties = isObj(schema['properties']) ? schema['properties'] : undefined;
  const additional = schema['additionalProperties'];
  for (const [key, child] of Object.entries(properties ?? {})) {
    if (isObj(child) && value[key] === undefined && child['default'] !== undefined) value[key] = structuredClone(child['default']);
  }
  for (const key of Object.keys(value)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    const declared = properties?.[key];
    if (isObj(declared)) walk(value[key], declared, childPath, unknown);
    else if (isObj(additional)) walk(value[key], additional, childPath, unknown);
    else if (additional === true || schema['x-kubernetes-preserve-unknown-fields'] === true) continue;
    else if (properties !== undefined || schema['type'] === 'object') {
      unknown.push(childPath);
      delete value[key];
    }
  }
}

/**
 * Defaults and prunes a custom resource in place by its version's openAPIV3Schema. apiVersion,
 * kind and metadata are the server's, never pruned. Returns the undeclared fields it dropped.
 */
export function applyStructuralSchema(o: KubeObject, openAPIV3Schema: unknown): string[] {
  if (!isObj(openAPIV3Schema)) return [];
  const { apiVersion, kind, metadata, ...body } = o;
  const unknown: string[] = [];
  const schema: Obj = { ...openAPIV3Schema, properties: { ...(isObj(openAPIV3Schema['properties']) ? openAPIV3Schema['properties'] : {}) } };
  for (const key of ['apiVersion', 'kind', 'metadata']) delete (schema['properties'] as Obj)[key];
  walk(body, schema, '', unknown);
  for (const key of Object.keys(o)) if (!['apiVersion', 'kind', 'metadata'].includes(key)) delete o[key];
  Object.assign(o, body, { apiVersion, kind, metadata });
  return unknown;
}
