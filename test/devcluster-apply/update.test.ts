import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/model/object.js';
import { isSemanticNoOp, recordUpdate, serverSideApply } from '../../src/devcluster/apply/index.js';

const T0 = '2026-11-23T10:00:00Z';
const T1 = '2026-11-23T10:05:00Z';
const T2 = '2026-11-23T10:10:00Z';

type Obj = Record<string, unknown>;

function mf(obj: KubeObject): Obj[] {
  return (obj.metadata['managedFields'] as Obj[] | undefined) ?? [];
}

function fieldsOf(obj: KubeObject, manager: string, subresource?: string): unknown {
  return mf(obj).find((e) => e['manager'] === manager && e['subresource'] === subresource)?.['fieldsV1'];
}

// What `kubectl create` sends for a Deployment after the server's defaulting, trimmed.
const defaulted: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'nginx', namespace: 'default', uid: 'u1', resourceVersion: '1', labels: { app: 'nginx' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'nginx' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'nginx' } },
      spec: {
        containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: {} }],
        restartPolicy: 'Always',
        securityContext: {},
      },
    },
  },
};

describe('recordUpdate', () => {
  it('on create owns every field set, in the shape a real API server records (zero-value structs are not nodes)', () => {
    const obj = recordUpdate({ before: undefined, after: defaulted, manager: 'kubectl-create', now: T0, apiVersion: 'apps/v1' });
    expect(mf(obj)).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {}, '.': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:strategy': { 'f:rollingUpdate': { 'f:maxSurge': {}, 'f:maxUnavailable': {}, '.': {} }, 'f:type': {} },
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {}, '.': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"nginx"}': {
                    'f:image': {},
                    'f:name': {},
                    'f:ports': {
                      'k:{"containerPort":80,"protocol":"TCP"}': { 'f:containerPort': {}, 'f:protocol': {}, '.': {} },
                      '.': {},
                    },
                    'f:resources': {},
                    '.': {},
                  },
                },
                'f:restartPolicy': {},
                'f:securityContext': {},
              },
            },
          },
        },
      },
    ]);
  });

  it('moves a changed field from its owner to the writer, and drops a manager left owning nothing', () => {
    const cm = (data: Obj): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
    const applied = serverSideApply({ live: undefined, applied: cm({ a: '1' }), manager: 'kasane', force: false, now: T0, apiVersion: 'v1' });
    if (!applied.ok) throw new Error('conflict');
    const edited = recordUpdate({ before: applied.object, after: { ...applied.object, data: { a: '2', b: '3' } }, manager: 'kubectl-edit', now: T1, apiVersion: 'v1' });
    expect(fieldsOf(edited, 'kasane')).toBeUndefined();
    expect(fieldsOf(edited, 'kubectl-edit')).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} } });
    // kasane applying its old value again now conflicts with the editor
    const back = serverSideApply({ live: edited, applied: cm({ a: '1' }), manager: 'kasane', force: false, now: T2, apiVersion: 'v1' });
    expect(back.ok).toBe(false);
  });

  it('keeps the writer\'s entry and time when it changes nothing, and loses fields it removed', () => {
    const cm = (data: Obj): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
    const created = recordUpdate({ before: undefined, after: cm({ a: '1', b: '2' }), manager: 'm', now: T0, apiVersion: 'v1' });
    expect(fieldsOf(created, 'm')).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {}, '.': {} } });
    const same = recordUpdate({ before: created, after: created, manager: 'm', now: T1, apiVersion: 'v1' });
    expect(mf(same)[0]!['time']).toBe(T0);
    expect(isSemanticNoOp(created, same)).toBe(true);
    const removed = recordUpdate({ before: created, after: { ...created, data: { a: '1' } }, manager: 'other', now: T2, apiVersion: 'v1' });
    expect(fieldsOf(removed, 'm')).toEqual({ 'f:data': { 'f:a': {}, '.': {} } });
    expect(fieldsOf(removed, 'other')).toBeUndefined();
  });

  it('records status writes as a separate entry with subresource status', () => {
    const created = recordUpdate({ before: undefined, after: defaulted, manager: 'kubectl-create', now: T0, apiVersion: 'apps/v1' });
    const withStatus = recordUpdate({
      before: created,
      after: { ...created, status: { observedGeneration: 1, replicas: 1 } },
      manager: 'kube-controller-manager',
      now: T1,
      apiVersion: 'apps/v1',
      subresource: 'status',
    });
    const entry = mf(withStatus).find((e) => e['manager'] === 'kube-controller-manager');
    expect(entry).toEqual({
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} } },
      subresource: 'status',
    });
    // the same manager writing the main resource gets an entry of its own
    const main = recordUpdate({
      before: withStatus,
      after: { ...withStatus, metadata: { ...withStatus.metadata, annotations: { x: 'y' } } },
      manager: 'kube-controller-manager',
      now: T2,
      apiVersion: 'apps/v1',
    });
    expect(mf(main).filter((e) => e['manager'] === 'kube-controller-manager')).toHaveLength(2);
  });

  it('lets a client clear managedFields by sending [{}]', () => {
    const created = recordUpdate({ before: undefined, after: defaulted, manager: 'kubectl-create', now: T0, apiVersion: 'apps/v1' });
    const cleared = recordUpdate({
      before: created,
      after: { ...created, metadata: { ...created.metadata, managedFields: [{}] } },
      manager: 'kubectl-patch',
      now: T1,
      apiVersion: 'apps/v1',
    });
    expect(cleared.metadata['managedFields']).toBeUndefined();
  });
});

describe('isSemanticNoOp', () => {
  const created = recordUpdate({ before: undefined, after: defaulted, manager: 'kubectl-create', now: T0, apiVersion: 'apps/v1' });

  it('ignores managedFields timestamps only', () => {
    const retimed: KubeObject = {
      ...created,
      metadata: { ...created.metadata, managedFields: mf(created).map((e) => ({ ...e, time: T2 })) },
    };
    expect(isSemanticNoOp(created, retimed)).toBe(true);
    expect(isSemanticNoOp(created, { ...created, spec: { ...(created['spec'] as Obj), replicas: 2 } })).toBe(false);
    expect(isSemanticNoOp(created, { ...created, metadata: { ...created.metadata, managedFields: [] } })).toBe(false);
  });
});
