/**
 * Names, label and annotation keys and values, kasane's own annotations: the API server's rules for
 * object metadata (apimachinery's validation), checked offline.
 */
import { groupOf, type KubeObject } from '../model/object.js';
import { isCrd } from './crd.js';
import { fieldPath } from './findings.js';
import type { FieldProblem } from './schema-errors.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

interface NameRule {
  readonly describe: string;
  readonly max: number;
  readonly test: (name: string) => boolean;
}

const SUBDOMAIN: NameRule = { describe: 'a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)', max: 253, test: (n) => DNS1123_SUBDOMAIN.test(n) };
const LABEL: NameRule = { describe: 'a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)', max: 63, test: (n) => DNS1123_LABEL.test(n) };
const DNS1035: NameRule = { describe: 'a DNS-1035 label (lowercase letters, digits and "-", starting with a letter, ending with a letter or digit)', max: 63, test: (n) => DNS1035_LABEL.test(n) };
const PATH_SEGMENT: NameRule = { describe: 'a path segment (no "/" or "%", not "." or "..")', max: 253, test: (n) => n !== '.' && n !== '..' && !/[/%]/.test(n) };

/** Kinds whose names follow another rule than a DNS-1123 subdomain (`group/Kind`). */
const NAME_RULES: ReadonlyMap<string, NameRule> = new Map([
  ['/Namespace', LABEL],
  ['/Service', DNS1035],
  ['rbac.authorization.k8s.io/Role', PATH_SEGMENT],
  ['rbac.authorization.k8s.io/ClusterRole', PATH_SEGMENT],
  ['rbac.authorization.k8s.io/RoleBinding', PATH_SEGMENT],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', PATH_SEGMENT],
  // The CronJob controller appends an 11-character suffix to name its Jobs (which are DNS-1123 labels' worth shorter).
  ['batch/CronJob', { ...SUBDOMAIN, max: 52 }],
]);

function nameProblem(name: string, rule: NameRule): string | undefined {
  if (name === '') return 'must not be empty';
  if (name.length > rule.max) return `"${name}" is ${name.length} characters long; at most ${rule.max} are allowed`;
  if (!rule.test(name)) return `"${name}" is not ${rule.describe}`;
  return undefined;
}

export function checkName(object: KubeObject): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const rule = NAME_RULES.get(`${groupOf(object.apiVersion)}/${object.kind}`) ?? SUBDOMAIN;
  const { name, generateName, namespace } = object.metadata;
  if (typeof name === 'string') {
    const problem = nameProblem(name, rule);
    if (problem) problems.push({ field: 'metadata.name', message: problem });
  }
  if (typeof generateName === 'string') {
    // The API server appends 5 random characters; the prefix (without its trailing "-") follows the name rule.
    const problem = nameProblem(generateName.replace(/-$/, ''), { ...rule, max: rule.max - 5 });
    if (problem) problems.push({ field: 'metadata.generateName', message: problem });
  }
  if (typeof namespace === 'string') {
    const problem = nameProblem(namespace, LABEL);
    if (problem) problems.push({ field: 'metadata.namespace', message: problem });
  }
  if (isCrd(object) && typeof name === 'string') {
    const spec = object['spec'] as { group?: unknown; names?: { plural?: unknown } } | undefined;
    const expected = `${String(spec?.names?.plural)}.${String(spec?.group)}`;
    if (typeof spec?.group === 'string' && typeof spec.names?.plural === 'string' && name !== expected) {
      problems.push({ field: 'metadata.name', message: `a CustomResourceDefinition must be named <plural>.<group>: "${expected}", not "${name}"` });
    }
  }
  return problems;
}

/** A label or annotation key: an optional DNS-1123 subdomain prefix and "/", then a name of at most 63 characters. */
export function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined) {
    if (prefix === '' || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
      return `key "${key}": the prefix "${prefix}" must be a DNS-1123 subdomain of at most 253 characters`;
    }
  }
  if (name === '' || name.length > 63) return `key "${key}": the name part must be 1 to 63 characters long, not ${name.length}`;
  if (!QUALIFIED_NAME.test(name)) return `key "${key}": the name part may hold letters, digits, "-", "_" and ".", and must start and end with a letter or digit`;
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return `value "${value.slice(0, 20)}…" is ${value.length} characters long; at most 63 are allowed`;
  if (!LABEL_VALUE.test(value)) return `value "${value}" may hold only letters, digits, "-", "_" and ".", and must start and end with a letter or digit`;
  return undefined;
}

const TOTAL_ANNOTATIONS_LIMIT = 256 * 1024;

/** Label maps an object carries: its own, a pod template's, a selector's. */
const LABEL_MAPS: readonly (readonly string[])[] = [
  ['metadata', 'labels'],
  ['spec', 'selector', 'matchLabels'],
  ['spec', 'template', 'metadata', 'labels'],
  ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'],
];

function at(object: unknown, path: readonly string[]): unknown {
  let node = object;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export function checkLabels(object: KubeObject): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const path of LABEL_MAPS) {
    const labels = at(object, path);
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) continue;
    for (const [key, value] of Object.entries(labels)) {
      const field = fieldPath([...path, key]);
      const keyText = keyProblem(key);
      if (keyText) problems.push({ field, message: `label ${keyText}` });
      // Non-string values are the schema's (and render's) to report.
      const valueText = typeof value === 'string' ? labelValueProblem(value) : undefined;
      if (valueText) problems.push({ field, message: `label ${valueText}` });
    }
  }
  return problems;
}

/** kasane's annotations (the contract's table); any other key under kasane.io/ is a typo. */
const KASANE_ANNOTATIONS: ReadonlySet<string> = new Set([
  'kasane.io/hook',
  'kasane.io/hook-weight',
  'kasane.io/hook-delete-policy',
  'kasane.io/hook-timeout',
  'kasane.io/sync-wave',
  'kasane.io/prune',
]);
const HOOK_ONLY = ['kasane.io/hook-weight', 'kasane.io/hook-delete-policy', 'kasane.io/hook-timeout'];

export interface AnnotationProblem extends FieldProblem {
  readonly severity: 'error' | 'warning';
  readonly rule: 'annotation' | 'hook';
}

export function checkAnnotations(object: KubeObject): AnnotationProblem[] {
  const problems: AnnotationProblem[] = [];
  const annotations = object.metadata.annotations;
  if (typeof annotations !== 'object' || annotations === null) return problems;
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) {
    const field = fieldPath(['metadata', 'annotations', key]);
    total += key.length + (typeof value === 'string' ? value.length : 0);
    const keyText = keyProblem(key);
    if (keyText) problems.push({ field, severity: 'error', rule: 'annotation', message: `annotation ${keyText}` });
    if (key.startsWith('kasane.io/') && !KASANE_ANNOTATIONS.has(key)) {
      problems.push({ field, severity: 'error', rule: 'annotation', message: `unknown kasane annotation "${key}" (known: ${[...KASANE_ANNOTATIONS].join(', ')})` });
    }
  }
  if (total > TOTAL_ANNOTATIONS_LIMIT) {
    problems.push({ field: 'metadata.annotations', severity: 'error', rule: 'annotation', message: `annotations total ${total} bytes; the API server allows at most ${TOTAL_ANNOTATIONS_LIMIT}` });
  }
  const isHook = annotations['kasane.io/hook'] !== undefined || annotations['helm.sh/hook'] !== undefined;
  if (!isHook) {
    for (const key of HOOK_ONLY.filter((k) => annotations[k] !== undefined)) {
      problems.push({ field: fieldPath(['metadata', 'annotations', key]), severity: 'warning', rule: 'hook', message: `${key} has no effect: the object is not a hook (add kasane.io/hook)` });
    }
  } else if (annotations['kasane.io/sync-wave'] !== undefined) {
    problems.push({ field: fieldPath(['metadata', 'annotations', 'kasane.io/sync-wave']), severity: 'warning', rule: 'hook', message: 'kasane.io/sync-wave has no effect on a hook: hooks run by kasane.io/hook-weight' });
  }
  return problems;
}
