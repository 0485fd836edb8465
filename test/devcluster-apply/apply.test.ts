import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/model/object.js';
import {
  PatchError,
  conflictCauses,
  conflictMessage,
  isSemanticNoOp,
  recordUpdate,
  registerListSchema,
  serverSideApply,
  unregisterListSchema,
  type ApplyResult,
} from '../../src/devcluster/apply/index.js';

const T0 = '2026-11-23T10:00:00Z';
const T1 = '2026-11-23T10:05:00Z';
const T2 = '2026-11-23T10:10:00Z';

type Obj = Record<string, unknown>;

function deployment(spec: Obj, metadata: Obj = {}): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', ...metadata }, spec };
}

function podSpec(containers: Obj[]): Obj {
  return {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
  };
}

function apply(live: KubeObject | undefined, applied: KubeObject, manager = 'kasane', force = false, now = T1): ApplyResult {
  return serverSideApply({ live, applied, manager, force, now, apiVersion: applied.apiVersion });
}

function applied(r: ApplyResult): KubeObject {
  if (!r.ok) throw new Error(`unexpected conflicts: ${conflictMessage(r.conflicts)}`);
  return r.object;
}

function entry(obj: KubeObject, manager: string): Obj | undefined {
  const mf = obj.metadata['managedFields'] as Obj[] | undefined;
  return mf?.find((e) => e['manager'] === manager);
}

function fields(obj: KubeObject, manager: string): unknown {
  return entry(obj, manager)?.['fieldsV1'];
}

function containers(obj: KubeObject): Obj[] {
  return ((obj['spec'] as Obj)['template'] as { spec: { containers: Obj[] } }).spec.containers;
}

describe('server-side apply: ownership records', () => {
  it('records the applied fields of a new ConfigMap exactly as the Kubernetes docs show them', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'test-cm', namespace: 'default', labels: { 'test-label': 'test' } },
      data: { key: 'some value' },
    };
    const obj = applied(apply(undefined, cm, 'kubectl'));
    expect(obj.metadata['managedFields']).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: T1,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:key': {} }, 'f:metadata': { 'f:labels': { 'f:test-label': {} } } },
      },
    ]);
    expect(obj['data']).toEqual({ key: 'some value' });
  });

  it('keys containers by name and ports by containerPort+protocol (protocol defaulting to TCP), list items owning themselves', () => {
    const obj = applied(apply(undefined, deployment({ replicas: 2, ...podSpec([{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] }]) })));
    const spec = (fields(obj, 'kasane') as Obj)['f:spec'] as Obj;
    expect(spec['f:replicas']).toEqual({});
    expect(spec['f:selector']).toEqual({}); // LabelSelector is atomic
    const ctr = ((((spec['f:template'] as Obj)['f:spec'] as Obj)['f:containers'] as Obj)['k:{"name":"web"}']) as Obj;
    expect(ctr).toEqual({
      'f:image': {},
      'f:name': {},
      'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { 'f:containerPort': {}, '.': {} } },
      '.': {},
    });
    // `.` comes first, as the API server serialises it
    expect(Object.keys(ctr)).toEqual(['.', 'f:image', 'f:name', 'f:ports']);
  });

  it('never attributes server-owned metadata, and ignores it in the applied configuration', () => {
    const cfg = deployment({ replicas: 1 }, { uid: 'forged', resourceVersion: '999', generation: 7, labels: { a: '1' } });
    const created = applied(apply(undefined, deployment({ replicas: 1 })));
    const live = { ...created, metadata: { ...created.metadata, uid: 'real-uid', resourceVersion: '5' } };
    const obj = applied(apply(live, cfg));
    expect(obj.metadata['uid']).toBe('real-uid');
    expect(obj.metadata['resourceVersion']).toBe('5');
    expect(fields(obj, 'kasane')).toEqual({ 'f:metadata': { 'f:labels': { 'f:a': {} } }, 'f:spec': { 'f:replicas': {} } });
  });
});

describe('server-side apply: conflicts', () => {
  const created = recordUpdate({
    before: undefined,
    after: deployment({ replicas: 2, ...podSpec([{ name: 'web', image: 'nginx:1' }]) }),
    manager: 'kubectl-client-side-apply',
    now: T0,
    apiVersion: 'apps/v1',
  });

  it('refuses to change a field an Update manager owns, with the API server message', () => {
    const r = apply(created, deployment({ replicas: 3 }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.conflicts).toEqual([
      { manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', field: '.spec.replicas', operation: 'Update' },
    ]);
    expect(conflictMessage(r.conflicts)).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    expect(conflictCauses(r.conflicts)).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' },
    ]);
  });

  it('lists several conflicts grouped by manager, managers sorted, as the API server does', () => {
    const both = applied(apply(created, deployment({ minReadySeconds: 5 }), 'argocd', false, T1));
    const withArgo = recordUpdate({
      before: both,
      after: { ...both, spec: { ...(both['spec'] as Obj), paused: true } },
      manager: 'argocd',
      now: T1,
      apiVersion: 'apps/v1',
    });
    const r = apply(withArgo, deployment({ replicas: 3, minReadySeconds: 9, paused: false, ...podSpec([{ name: 'web', image: 'nginx:2' }]) }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(conflictMessage(r.conflicts)).toBe(
      [
        'Apply failed with 4 conflicts: conflicts with "argocd":',
        '- .spec.minReadySeconds',
        'conflicts with "argocd" using apps/v1:',
        '- .spec.paused',
        'conflicts with "kubectl-client-side-apply" using apps/v1:',
        '- .spec.replicas',
        '- .spec.template.spec.containers[name="web"].image',
      ].join('\n'),
    );
  });

  it('names a status-subresource manager with its subresource', () => {
    const withStatus = recordUpdate({
      before: created,
      after: { ...created, status: { replicas: 2 } },
      manager: 'kube-controller-manager',
      now: T1,
      apiVersion: 'apps/v1',
      subresource: 'status',
    });
    const r = apply(withStatus, { ...deployment({}), status: { replicas: 5 } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(conflictMessage(r.conflicts)).toBe(
      'Apply failed with 1 conflict: conflict with "kube-controller-manager" with subresource "status" using apps/v1: .status.replicas',
    );
  });

  it('shares ownership when the applied value equals the owned one', () => {
    const obj = applied(apply(created, deployment({ replicas: 2 })));
    expect(fields(obj, 'kasane')).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(((fields(obj, 'kubectl-client-side-apply') as Obj)['f:spec'] as Obj)['f:replicas']).toEqual({});
    // and now neither may change it alone
    const r = apply(obj, deployment({ replicas: 4 }));
    expect(r.ok).toBe(false);
  });

  it('takes ownership when forced: the value changes and the other manager loses the field', () => {
    const obj = applied(apply(created, deployment({ replicas: 3, ...podSpec([{ name: 'web', image: 'nginx:2' }]) }), 'kasane', true));
    expect((obj['spec'] as Obj)['replicas']).toBe(3);
    expect(containers(obj)[0]!['image']).toBe('nginx:2');
    const other = JSON.stringify(fields(obj, 'kubectl-client-side-apply'));
    expect(other).not.toContain('f:replicas');
    expect(other).not.toContain('f:image');
    expect(other).toContain('f:name'); // shared, same value: kept
  });
});

describe('server-side apply: merging and removal', () => {
  it('merges containers by name, keeps a sidecar another manager added, and replaces atomic lists', () => {
    const first = applied(apply(undefined, deployment(podSpec([{ name: 'web', image: 'nginx:1', command: ['a', 'b'], env: [{ name: 'A', value: '1' }] }]))));
    const withSidecar = applied(
      apply(first, deployment(podSpec([{ name: 'istio-proxy', image: 'proxy:1' }])), 'injector', false, T1),
    );
    expect(containers(withSidecar).map((c) => c['name'])).toEqual(['web', 'istio-proxy']);
    const again = applied(
      apply(withSidecar, deployment(podSpec([{ name: 'web', image: 'nginx:1', command: ['c'], env: [{ name: 'B', value: '2' }] }])), 'kasane', false, T2),
    );
    const [web, sidecar] = containers(again);
    expect(web).toEqual({ name: 'web', image: 'nginx:1', command: ['c'], env: [{ name: 'B', value: '2' }] });
    expect(sidecar).toEqual({ name: 'istio-proxy', image: 'proxy:1' });
  });

  it('orders a merged list as upstream does: live-only items stay, shared items follow the applied order', () => {
    const live = recordUpdate({
      before: undefined,
      after: deployment(podSpec([{ name: 'a' }, { name: 'x' }, { name: 'b' }])),
      manager: 'kubectl-create',
      now: T0,
      apiVersion: 'apps/v1',
    });
    const obj = applied(apply(live, deployment(podSpec([{ name: 'b' }, { name: 'new' }, { name: 'a' }]))));
    expect(containers(obj).map((c) => c['name'])).toEqual(['x', 'b', 'new', 'a']);
  });

  it('removes a field the manager applied before and now omits', () => {
    const first = applied(apply(undefined, deployment({ replicas: 2, minReadySeconds: 5 }, { labels: { a: '1', b: '2' } })));
    const second = applied(apply(first, deployment({ replicas: 2 }, { labels: { a: '1' } })));
    expect(second['spec']).toEqual({ replicas: 2 });
    expect(second.metadata.labels).toEqual({ a: '1' });
  });

  it('keeps an omitted field another manager also owns, and leaves it to that manager', () => {
    const first = applied(apply(undefined, deployment({ replicas: 2, minReadySeconds: 5 })));
    const shared = applied(apply(first, deployment({ minReadySeconds: 5 }), 'helm', false, T1));
    const second = applied(apply(shared, deployment({ replicas: 2 }), 'kasane', false, T2));
    expect((second['spec'] as Obj)['minReadySeconds']).toBe(5);
    expect(fields(second, 'kasane')).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(fields(second, 'helm')).toEqual({ 'f:spec': { 'f:minReadySeconds': {} } });
  });

  it('keeps metadata.name when the last applied metadata field goes', () => {
    const first = applied(apply(undefined, deployment({ replicas: 1 }, { finalizers: ['x/y'] })));
    const second = applied(apply(first, deployment({ replicas: 1 })));
    expect(second.metadata).toMatchObject({ name: 'web', namespace: 'shop' });
    expect(second.metadata['finalizers']).toBeUndefined();
  });

  it('removes a container the manager no longer applies, with everything in it', () => {
    const first = applied(apply(undefined, deployment(podSpec([{ name: 'web', image: 'a' }, { name: 'old', image: 'b' }]))));
    const second = applied(apply(first, deployment(podSpec([{ name: 'web', image: 'a' }]))));
    expect(containers(second)).toEqual([{ name: 'web', image: 'a' }]);
  });

  it('drops an applier that applies nothing any more', () => {
    const first = applied(apply(undefined, deployment({ replicas: 2 })));
    const shared = applied(apply(first, deployment({ replicas: 2 }), 'helm', false, T1));
    const nameOnly: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } };
    const empty = applied(apply(shared, nameOnly, 'kasane', false, T2));
    expect(entry(empty, 'kasane')).toBeUndefined();
    expect((empty['spec'] as Obj)['replicas']).toBe(2);
  });

  it('deletes a field set to null in the applied configuration, which conflicts when another manager owns it', () => {
    const first = applied(apply(undefined, deployment({ replicas: 2, minReadySeconds: 5 })));
    const second = applied(apply(first, deployment({ replicas: 2, minReadySeconds: null })));
    expect(second['spec']).toEqual({ replicas: 2 });
    const r = apply(first, deployment({ minReadySeconds: null }), 'other');
    expect(r.ok ? [] : r.conflicts.map((c) => c.field)).toEqual(['.spec.minReadySeconds']);
  });

  it('is idempotent: applying the same configuration again changes nothing but timestamps', () => {
    const cfg = deployment({ replicas: 2, ...podSpec([{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] }]) });
    const first = applied(apply(undefined, cfg, 'kasane', false, T1));
    const second = applied(apply(first, cfg, 'kasane', false, T2));
    expect(isSemanticNoOp(first, second)).toBe(true);
    expect(entry(second, 'kasane')?.['time']).toBe(T2);
    const changed = applied(apply(second, deployment({ replicas: 3, ...podSpec([{ name: 'web', image: 'nginx:1' }]) })));
    expect(isSemanticNoOp(second, changed)).toBe(false);
  });

  it('neither writes nor owns fields the endpoint resets (status on the main resource)', () => {
    const live = { ...applied(apply(undefined, deployment({ replicas: 1 }))), status: { replicas: 1 } };
    const r = serverSideApply({
      live,
      applied: { ...deployment({ replicas: 1 }), status: { replicas: 9 } },
      manager: 'kasane',
      force: false,
      now: T2,
      apiVersion: 'apps/v1',
      resetFields: ['status'],
    });
    const obj = applied(r);
    expect(obj['status']).toEqual({ replicas: 1 });
    expect(fields(obj, 'kasane')).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });

  it('records an apply through the status subresource as its own entry', () => {
    const live = applied(apply(undefined, deployment({ replicas: 1 })));
    const obj = applied(
      serverSideApply({
        live,
        applied: { ...deployment({}), status: { readyReplicas: 1 } },
        manager: 'kasane',
        force: false,
        now: T2,
        apiVersion: 'apps/v1',
        subresource: 'status',
        resetFields: ['spec'],
      }),
    );
    const mine = (obj.metadata['managedFields'] as Obj[]).filter((e) => e['manager'] === 'kasane');
    expect(mine.map((e) => [e['subresource'], e['fieldsV1']])).toEqual([
      [undefined, { 'f:spec': { 'f:replicas': {} } }],
      ['status', { 'f:status': { 'f:readyReplicas': {} } }],
    ]);
    expect(obj['spec']).toEqual({ replicas: 1 });
  });

  it('rejects a keyed list item without its key', () => {
    expect(() => apply(undefined, deployment(podSpec([{ image: 'nginx' }])))).toThrow(PatchError);
    expect(() => apply(undefined, deployment(podSpec([{ image: 'nginx' }])))).toThrow(
      'failed to create typed patch object (shop/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: element 0: associative list with keys has an element that omits all key fields ["name"] (and doesn\'t have default values for any key fields)',
    );
    expect(() => apply(undefined, deployment(podSpec([{ name: 'a' }, { name: 'a' }])))).toThrow(
      'failed to create typed patch object (shop/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="a"]',
    );
  });

  it('merges Service ports by port+protocol and finalizers as a set', () => {
    const svc = (ports: Obj[], finalizers: string[]): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', finalizers },
      spec: { ports },
    });
    const first = applied(apply(undefined, svc([{ port: 80, name: 'http' }], ['a'])));
    const other = applied(apply(first, svc([{ port: 443, name: 'https' }, { port: 80, protocol: 'UDP' }], ['b']), 'other', false, T1));
    expect((other['spec'] as { ports: Obj[] }).ports.map((p) => `${p['port']}/${p['protocol'] ?? 'TCP'}`)).toEqual(['80/TCP', '443/TCP', '80/UDP']);
    expect(other.metadata['finalizers']).toEqual(['a', 'b']);
    expect((fields(other, 'other') as Obj)['f:metadata']).toEqual({ 'f:finalizers': { 'v:"b"': {} } });
  });
});

describe('server-side apply: custom resources', () => {
  const crSchema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          targets: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['host', 'port'],
            items: { type: 'object', properties: { host: { type: 'string' }, port: { type: 'integer', default: 443 }, weight: { type: 'integer' } } },
          },
          tags: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  };
  const cr = (spec: Obj): KubeObject => ({ apiVersion: 'example.com/v1', kind: 'Route', metadata: { name: 'r' }, spec });

  it('merges lists the CRD declares as maps and replaces undeclared lists', () => {
    registerListSchema('example.com', 'Route', crSchema);
    try {
      const first = applied(apply(undefined, cr({ targets: [{ host: 'a', weight: 1 }], tags: ['x'] })));
      const second = applied(apply(first, cr({ targets: [{ host: 'b', port: 80 }], tags: ['y'] }), 'other', true, T1));
      expect((second['spec'] as Obj)['targets']).toEqual([{ host: 'a', weight: 1 }, { host: 'b', port: 80 }]);
      expect((second['spec'] as Obj)['tags']).toEqual(['y']);
      expect(JSON.stringify(fields(first, 'kasane'))).toContain('k:{\\"host\\":\\"a\\",\\"port\\":443}');
    } finally {
      unregisterListSchema('example.com', 'Route');
    }
    const unregistered = applied(apply(applied(apply(undefined, cr({ targets: [{ host: 'a' }] }))), cr({ targets: [{ host: 'b' }] }), 'other', true));
    expect((unregistered['spec'] as Obj)['targets']).toEqual([{ host: 'b' }]);
  });
});

describe('server-side apply: objects without managedFields', () => {
  it('gives existing fields to before-first-apply, which then conflicts like any other manager', () => {
    const legacy: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', b: '2' } };
    const cm = (data: Obj): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
    const r = apply(legacy, cm({ a: '9' }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(conflictMessage(r.conflicts)).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.a');
    }
    const same = applied(apply(legacy, cm({ a: '1' })));
    expect(fields(same, 'before-first-apply')).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} } });
    expect(fields(same, 'kasane')).toEqual({ 'f:data': { 'f:a': {} } });
  });
});
