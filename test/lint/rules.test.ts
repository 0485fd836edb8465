/** The pure parts of lint: field paths, the metadata rules of apimachinery, CRD pruning. */
import { describe, expect, it } from 'vitest';
import { prunedFields } from '../../src/lint/crd.js';
import { fieldPath, pointerSegments } from '../../src/lint/findings.js';
import { checkAnnotations, checkName, keyProblem, labelValueProblem } from '../../src/lint/metadata.js';
import type { KubeObject } from '../../src/model/object.js';

const object = (apiVersion: string, kind: string, name: string, rest: Record<string, unknown> = {}): KubeObject => ({ apiVersion, kind, metadata: { name }, ...rest });

describe('field paths', () => {
  it('reads indexes off the data: a numeric map key stays a key', () => {
    const data = { spec: { containers: [{ env: [] }] }, data: { '0': 'x' } };
    expect(fieldPath(pointerSegments('/spec/containers/0/env', data))).toBe('spec.containers[0].env');
    expect(fieldPath(pointerSegments('/data/0', data))).toBe('data["0"]');
    expect(fieldPath(pointerSegments('/metadata/labels/app.kubernetes.io~1name', data))).toBe('metadata.labels["app.kubernetes.io/name"]');
  });
});

describe('names', () => {
  it('follow the rule of the kind', () => {
    expect(checkName(object('v1', 'ConfigMap', 'a.b-c'))).toEqual([]);
    expect(checkName(object('v1', 'Service', 'a.b'))[0]?.message).toContain('DNS-1035');
    expect(checkName(object('v1', 'Namespace', 'a.b'))[0]?.message).toContain('DNS-1123 label');
    expect(checkName(object('rbac.authorization.k8s.io/v1', 'ClusterRole', 'system:reader'))).toEqual([]);
    expect(checkName(object('rbac.authorization.k8s.io/v1', 'Role', 'a/b'))[0]?.message).toContain('path segment');
    expect(checkName(object('batch/v1', 'CronJob', 'c'.repeat(53)))[0]?.message).toContain('at most 52');
    expect(checkName(object('batch/v1', 'CronJob', 'c'.repeat(52)))).toEqual([]);
  });

  it('a generateName prefix may end with "-"; a CRD is named <plural>.<group>', () => {
    const job: KubeObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'smoke-' } };
    expect(checkName(job)).toEqual([]);
    const crd = object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widget.example.com', { spec: { group: 'example.com', names: { plural: 'widgets' } } });
    expect(checkName(crd)[0]?.message).toContain('"widgets.example.com"');
  });
});

describe('label and annotation keys and values', () => {
  it('keys: an optional DNS-1123 subdomain prefix, a name of at most 63 characters', () => {
    expect(keyProblem('app.kubernetes.io/name')).toBeUndefined();
    expect(keyProblem('Team_Name')).toBeUndefined();
    expect(keyProblem('Example.com/x')).toContain('prefix');
    expect(keyProblem(`x/${'n'.repeat(64)}`)).toContain('1 to 63');
    expect(keyProblem('a/')).toContain('1 to 63');
    expect(keyProblem('-x')).toContain('start and end');
  });

  it('values: empty, or at most 63 characters starting and ending alphanumeric', () => {
    expect(labelValueProblem('')).toBeUndefined();
    expect(labelValueProblem('v1.2_3-a')).toBeUndefined();
    expect(labelValueProblem('v'.repeat(64))).toContain('at most 63');
    expect(labelValueProblem('a b')).toBeDefined();
    expect(labelValueProblem('x-')).toBeDefined();
  });

  it("kasane's annotations: unknown keys are errors, hook settings without a hook are warnings", () => {
    const withAnnotations = (annotations: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations } });
    expect(checkAnnotations(withAnnotations({ 'kasane.io/sync-wave': '2', 'kasane.io/prune': 'false' }))).toEqual([]);
    expect(checkAnnotations(withAnnotations({ 'kasane.io/hook-wieght': '1' }))[0]).toMatchObject({ severity: 'error', rule: 'annotation' });
    expect(checkAnnotations(withAnnotations({ 'kasane.io/hook-weight': '1' }))[0]).toMatchObject({ severity: 'warning', rule: 'hook' });
    expect(checkAnnotations(withAnnotations({ 'kasane.io/hook': 'pre-sync', 'kasane.io/hook-weight': '1' }))).toEqual([]);
  });
});

describe('fields a structural CRD schema prunes', () => {
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          known: { type: 'string' },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          byName: { type: 'object', additionalProperties: { type: 'object', properties: { size: { type: 'integer' } } } },
          items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } },
        },
      },
    },
  };

  it('names every field the schema does not specify, and none it keeps', () => {
    const cr = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', labels: { a: 'b' } },
      spec: {
        known: 'x',
        typo: 1,
        free: { anything: { deep: true } },
        byName: { a: { size: 1, colour: 'red' } },
        items: [{ id: '1' }, { id: '2', extra: true }],
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {}, other: 1 },
      },
    } as KubeObject;
    expect(prunedFields(cr, schema).map((p) => p.field)).toEqual(['spec.typo', 'spec.byName.a.colour', 'spec.items[1].extra', 'spec.template.other']);
  });
});
