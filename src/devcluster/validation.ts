/**
 * The validation a real API server does that users run into: names, required fields and
 * immutable fields. Returns field errors; the caller turns them into one 422 Invalid.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../model/object.js';
import { fieldError, type FieldError } from './status.js';

type Obj = Record<string, unknown>;

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_TEXT =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_TEXT =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Kinds whose names must be DNS labels rather than subdomains. */
const LABEL_NAMED = new Set(['/Namespace', '/Service']);
/** RBAC names are path segments: anything but `/`, `%`, `.` and `..`. */
const PATH_NAMED = new Set(['rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/RoleBinding', 'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding']);

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

export function validateName(group: string, o: KubeObject): FieldError[] {
  const name = o.metadata.name ?? '';
  const key = `${group}/${o.kind}`;
  if (name === '') return [fieldError('Required', 'metadata.name', 'name or generateName is required')];
  if (PATH_NAMED.has(key)) {
    return name === '.' || name === '..' || /[/%]/.test(name)
      ? [fieldError('Invalid', 'metadata.name', 'may not contain "/" or "%"', name)]
      : [];
  }
  if (LABEL_NAMED.has(key)) {
    if (name.length > 63) return [fieldError('Invalid', 'metadata.name', 'must be no more than 63 characters', name)];
    return LABEL.test(name) ? [] : [fieldError('Invalid', 'metadata.name', LABEL_TEXT, name)];
  }
  if (name.length > 253) return [fieldError('Invalid', 'metadata.name', 'must be no more than 253 characters', name)];
  return SUBDOMAIN.test(name) ? [] : [fieldError('Invalid', 'metadata.name', SUBDOMAIN_TEXT, name)];
}

function labelsOf(selector: unknown): Record<string, unknown> {
  return obj(obj(selector)['matchLabels']);
}

function selectorMatchesTemplate(spec: Obj): FieldError[] {
  const selector = spec['selector'];
  if (selector === undefined) return [fieldError('Required', 'spec.selector', '')];
  const templateLabels = obj(obj(obj(spec['template'])['metadata'])['labels']);
  const wanted = labelsOf(selector);
  const ok = Object.entries(wanted).every(([k, v]) => templateLabels[k] === v);
  return ok ? [] : [fieldError('Invalid', 'spec.template.metadata.labels', '`selector` does not match template `labels`', templateLabels)];
}

function containersRequired(podSpec: Obj, path: string): FieldError[] {
  const containers = podSpec['containers'];
  if (!Array.isArray(containers) || containers.length === 0) return [fieldError('Required', `${path}.containers`, '')];
  const errors: FieldError[] = [];
  containers.forEach((c, i) => {
    const container = obj(c);
    if (typeof container['name'] !== 'string' || container['name'] === '') errors.push(fieldError('Required', `${path}.containers[${i}].name`, ''));
    if (typeof container['image'] !== 'string' || container['image'] === '') errors.push(fieldError('Required', `${path}.containers[${i}].image`, ''));
  });
  return errors;
}

type Check = (o: KubeObject, old: KubeObject | undefined) => FieldError[];

function immutable(path: string, detail = 'field is immutable'): Check {
  const parts = path.split('.');
  const get = (o: KubeObject): unknown => parts.reduce<unknown>((cur, p) => obj(cur)[p], o);
  return (o, old) => {
    if (old === undefined) return [];
    const now = get(o);
    return isDeepStrictEqual(now, get(old)) ? [] : [fieldError('Invalid', path, detail, now)];
  };
}

const CHECKS: Record<string, Check[]> = {
  'apps/Deployment': [
    (o) => selectorMatchesTemplate(obj(o['spec'])),
    (o) => containersRequired(obj(obj(obj(o['spec'])['template'])['spec']), 'spec.template.spec'),
    immutable('spec.selector'),
  ],
  'apps/StatefulSet': [
    (o) => selectorMatchesTemplate(obj(o['spec'])),
    (o) => containersRequired(obj(obj(obj(o['spec'])['template'])['spec']), 'spec.template.spec'),
    immutable('spec.selector'),
    (o, old) => {
      if (old === undefined) return [];
      const strip = (s: Obj): Obj => {
        const { replicas: _r, template: _t, updateStrategy: _u, persistentVolumeClaimRetentionPolicy: _p, minReadySeconds: _m, ordinals: _o, ...rest } = s;
        return rest;
      };
      return isDeepStrictEqual(strip(obj(o['spec'])), strip(obj(old['spec'])))
        ? []
        : [{ type: 'Forbidden', field: 'spec', detail: "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden" }];
    },
  ],
  'apps/DaemonSet': [(o) => selectorMatchesTemplate(obj(o['spec'])), immutable('spec.selector')],
  'apps/ReplicaSet': [(o) => selectorMatchesTemplate(obj(o['spec'])), immutable('spec.selector')],
  'batch/Job': [
    (o) => {
      const policy = obj(obj(obj(o['spec'])['template'])['spec'])['restartPolicy'];
      return policy === 'Never' || policy === 'OnFailure'
        ? []
        : [fieldError('NotSupported', 'spec.template.spec.restartPolicy', 'supported values: "OnFailure", "Never"', policy)];
    },
    (o) => containersRequired(obj(obj(obj(o['spec'])['template'])['spec']), 'spec.template.spec'),
    immutable('spec.selector'),
    immutable('spec.template'),
    immutable('spec.completions'),
  ],
  '/Pod': [(o) => containersRequired(obj(o['spec']), 'spec')],
  '/Service': [
    (o, old) => {
      if (old === undefined) return [];
      const before = obj(old['spec'])['clusterIP'];
      const now = obj(o['spec'])['clusterIP'];
      if (before === undefined || before === '' || now === before) return [];
      return [
        fieldError('Invalid', 'spec.clusterIPs[0]', 'may not change once set', now),
      ];
    },
    (o) => {
      const type = obj(o['spec'])['type'];
      return ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(type))
        ? []
        : [fieldError('NotSupported', 'spec.type', 'supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"', type)];
    },
  ],
  '/PersistentVolumeClaim': [
    (o, old) => {
      if (old === undefined) return [];
      const strip = (s: Obj): Obj => {
        const { resources: _r, volumeAttributesClassName: _v, ...rest } = s;
        return rest;
      };
      return isDeepStrictEqual(strip(obj(o['spec'])), strip(obj(old['spec'])))
        ? []
        : [{ type: 'Forbidden', field: 'spec', detail: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' }];
    },
  ],
  'apiextensions.k8s.io/CustomResourceDefinition': [
    (o) => {
      const spec = obj(o['spec']);
      const names = obj(spec['names']);
      const errors: FieldError[] = [];
      const expected = `${String(names['plural'] ?? '')}.${String(spec['group'] ?? '')}`;
      if (o.metadata.name !== expected) errors.push(fieldError('Invalid', 'metadata.name', 'must be spec.names.plural+"."+spec.group', o.metadata.name));
      if (typeof names['kind'] !== 'string' || names['kind'] === '') errors.push(fieldError('Required', 'spec.names.kind', ''));
      if (!['Namespaced', 'Cluster'].includes(String(spec['scope']))) {
        errors.push(fieldError('NotSupported', 'spec.scope', 'supported values: "Cluster", "Namespaced"', spec['scope']));
      }
      const versions = Array.isArray(spec['versions']) ? spec['versions'].map(obj) : [];
      if (versions.filter((v) => v['storage'] === true).length !== 1) {
        errors.push(fieldError('Invalid', 'spec.versions', 'must have exactly one version marked as storage version', versions.map((v) => v['name'])));
      }
      return errors;
    },
    immutable('spec.scope'),
  ],
  '/Secret': [immutableIfMarked('data'), immutableIfMarked('stringData')],
  '/ConfigMap': [immutableIfMarked('data'), immutableIfMarked('binaryData')],
};

function immutableIfMarked(field: string): Check {
  return (o, old) =>
    old !== undefined && old['immutable'] === true && !isDeepStrictEqual(o[field], old[field])
      ? [{ type: 'Forbidden', field, detail: 'Forbidden: field is immutable when `immutable` is set' }]
      : [];
}

/** Kind-specific checks; `old` is the live object on update, undefined on create. */
export function validateObject(group: string, o: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errors: FieldError[] = old === undefined ? validateName(group, o) : [];
  for (const check of CHECKS[`${group}/${o.kind}`] ?? []) errors.push(...check(o, old));
  return errors;
}
