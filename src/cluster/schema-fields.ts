/**
 * The fields of every built-in Kubernetes kind, as client-node's generated models know them (generated
 * from the Kubernetes 1.34 OpenAPI). Offline lint walks rendered objects with this to find fields the
 * API server does not know. Only the shapes leave this module, never client-node's classes.
 */
import { importPackage } from '../import-package.js';

/** The Kubernetes version the models were generated from (the `OpenAPI spec version` of client-node 1.4). */
export const SCHEMA_FIELDS_KUBERNETES_VERSION = '1.34';

/** The shape of one field: a value with no fields of its own, a model, or a list or map of shapes. */
export type FieldShape =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'model'; readonly model: string }
  | { readonly kind: 'list'; readonly item: FieldShape }
  | { readonly kind: 'map'; readonly value: FieldShape };

interface Attribute {
  readonly baseName: string;
  readonly type: string;
}

/**
 * client-node's models, imported on first use: the module is large (its generated API clients come
 * with it) and only lint's offline checks read it.
 */
let models: Readonly<Record<string, unknown>> | undefined;
let loading: Promise<void> | undefined;

/** Loads the models; call (and await) before fieldsOf or builtinModelOf. */
export function loadSchemaFields(): Promise<void> {
  loading ??= importPackage('@kubernetes/client-node').then((module) => {
    models = module as Record<string, unknown>;
  });
  return loading;
}

function attributesOf(model: string): readonly Attribute[] | undefined {
  if (models === undefined) throw new Error('schema fields used before loadSchemaFields() finished');
  const candidate = models[model] as { attributeTypeMap?: unknown } | undefined;
  const map = candidate?.attributeTypeMap;
  return Array.isArray(map) ? (map as Attribute[]) : undefined;
}

const LIST = /^Array<(.+)>$/;
const MAP = /^\{ \[key: string\]: (.+); \}$/;

function shapeOf(type: string): FieldShape {
  const list = LIST.exec(type);
  if (list?.[1] !== undefined) return { kind: 'list', item: shapeOf(list[1]) };
  const map = MAP.exec(type);
  if (map?.[1] !== undefined) return { kind: 'map', value: shapeOf(map[1]) };
  return attributesOf(type) === undefined ? { kind: 'scalar' } : { kind: 'model', model: type };
}

const fieldCache = new Map<string, ReadonlyMap<string, FieldShape> | undefined>();

/** JSON field name → shape, for one model; undefined for a name that is not a model. */
export function fieldsOf(model: string): ReadonlyMap<string, FieldShape> | undefined {
  if (!fieldCache.has(model)) {
    const attributes = attributesOf(model);
    fieldCache.set(model, attributes && new Map(attributes.map((a) => [a.baseName, shapeOf(a.type)])));
  }
  return fieldCache.get(model);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The model of a top-level kind, e.g. `apps/v1` `Deployment` → `V1Deployment`; undefined when Kubernetes 1.34
 * serves no such kind at that version. Models are named version + kind, with the group in front where two
 * groups share a kind (`CoreV1Event`, `EventsV1Event`). Call it only for built-in groups: a custom resource
 * `example.com/v1 Deployment` would otherwise match `V1Deployment`.
 */
export function builtinModelOf(apiVersion: string, kind: string): string | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = capitalize(slash < 0 ? apiVersion : apiVersion.slice(slash + 1));
  const groupPrefix = group === '' ? 'Core' : group.replace(/\.k8s\.io$/, '').split('.').map(capitalize).join('');
  for (const model of [`${groupPrefix}${version}${kind}`, `${version}${kind}`]) {
    const fields = fieldsOf(model);
    if (fields?.has('apiVersion') && fields.has('kind') && fields.has('metadata')) return model;
  }
  return undefined;
}
