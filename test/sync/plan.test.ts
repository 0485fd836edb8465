import { describe, expect, it } from 'vitest';
import { formatRef, refOf } from '../../src/model/object.js';
import type { Inventory, InventoryRecord } from '../../src/inventory/record.js';
import { planSync, type SyncPlan } from '../../src/sync/plan.js';
import { release, rendered } from './fixtures.js';

const opts = { prune: true, hooks: 'auto' as const, desiredDigest: 'sha256:new' };

function applyOrder(plan: SyncPlan): string[] {
  return plan.apply.flatMap((s) => s.objects.map((o) => `${String(s.wave)} ${o.object.kind}/${o.object.metadata.name}`));
}

function record(revision: number, status: InventoryRecord['status'], digest: string, objects: InventoryRecord['objects']): InventoryRecord {
  return {
    environment: 'staging', release: 'web', namespace: 'shop', revision, status, digest,
    time: '2026-01-01T00:00:00Z', description: 'sync', objects, hooks: [], rendered: [],
  };
}

describe('planSync', () => {
  it('applies namespaces and CRDs first, then waves in order, kinds in install order, then names', () => {
    const r = release([
      rendered('Deployment', 'web', { wave: 1 }),
      rendered('Service', 'web', { wave: 1 }),
      rendered('ConfigMap', 'b-config'),
      rendered('ConfigMap', 'a-config'),
      rendered('Widget', 'w', { apiVersion: 'example.com/v1', wave: -1 }),
      rendered('CustomResourceDefinition', 'widgets.example.com', { namespace: null, wave: 5 }),
      rendered('Namespace', 'extra', { namespace: null, wave: 2 }),
      rendered('Secret', 'creds', { wave: 1 }),
    ]);
    const plan = planSync(r, undefined, opts);
    expect(applyOrder(plan)).toEqual([
      'bootstrap Namespace/extra',
      'bootstrap CustomResourceDefinition/widgets.example.com',
      '-1 Widget/w',
      '0 ConfigMap/a-config',
      '0 ConfigMap/b-config',
      '1 Secret/creds',
      '1 Service/web',
      '1 Deployment/web',
    ]);
    expect(plan.entries.map((e) => e.name)).toEqual(['extra', 'widgets.example.com', 'w', 'a-config', 'b-config', 'creds', 'web', 'web']);
  });

  it('creates the release namespace when asked, unless the chart renders it', () => {
    const objs = [rendered('ConfigMap', 'c')];
    expect(planSync(release(objs, { createNamespace: true }), undefined, opts).createNamespace?.metadata.name).toBe('shop');
    expect(planSync(release(objs), undefined, opts).createNamespace).toBeUndefined();
    const withNs = release([...objs, rendered('Namespace', 'shop', { namespace: null })], { createNamespace: true });
    expect(planSync(withNs, undefined, opts).createNamespace).toBeUndefined();
  });

  it('keeps hooks out of the main apply and orders them by weight, kind, name', () => {
    const r = release([
      rendered('Deployment', 'web'),
      rendered('Job', 'migrate', { hook: { weight: 5 } }),
      rendered('Job', 'backup', { hook: { weight: 5 } }),
      rendered('ConfigMap', 'migrate-config', { hook: { weight: 5 } }),
      rendered('Job', 'first', { hook: { weight: -3 } }),
      rendered('Job', 'notify', { hook: { phases: ['post-sync', 'sync-fail'] } }),
    ]);
    const plan = planSync(r, undefined, opts);
    expect(applyOrder(plan)).toEqual(['0 Deployment/web']);
    expect(plan.preSync.map((h) => h.object.metadata.name)).toEqual(['first', 'migrate-config', 'backup', 'migrate']);
    expect(plan.postSync.map((h) => h.object.metadata.name)).toEqual(['notify']);
    expect(plan.syncFail.map((h) => h.object.metadata.name)).toEqual(['notify']);
    expect(plan.entries.map((e) => e.name)).toEqual(['web']);
  });

  it('runs hooks on the first sync and when the desired state changed, not when it did not', () => {
    const r = release([rendered('Job', 'migrate', { hook: {} }), rendered('ConfigMap', 'c')]);
    const deployed = (digest: string): Inventory => ({ records: [record(1, 'deployed', digest, [])] });

    expect(planSync(r, undefined, opts).hooks).toEqual({ run: true, reason: 'first-sync' });
    expect(planSync(r, deployed('sha256:old'), opts).hooks).toEqual({ run: true, reason: 'desired-state-changed' });
    const same = planSync(r, deployed('sha256:new'), opts);
    expect(same.hooks).toEqual({ run: false, reason: 'unchanged' });
    expect(same.preSync).toEqual([]);
    expect(planSync(r, deployed('sha256:new'), { ...opts, hooks: 'always' }).preSync).toHaveLength(1);
    expect(planSync(r, undefined, { ...opts, hooks: 'never' }).hooks).toEqual({ run: false, reason: 'disabled' });
  });

  it('compares the digest with the last successful sync, not a failed one after it', () => {
    const r = release([rendered('Job', 'migrate', { hook: {} })]);
    const inv: Inventory = { records: [record(2, 'failed', 'sha256:new', []), record(1, 'deployed', 'sha256:old', [])] };
    expect(planSync(r, inv, opts).hooks.run).toBe(true);
  });

  it('prunes what is no longer rendered, in reverse apply order, never prune-disabled objects', () => {
    const entry = (kind: string, name: string, wave = 0, pruneDisabled = false) => ({
      apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, namespace: 'shop', name, wave,
      ...(pruneDisabled ? { pruneDisabled } : {}),
    });
    const inv: Inventory = {
      records: [
        record(3, 'failed', 'x', [entry('ConfigMap', 'kept'), entry('Service', 'added-by-failed-sync')]),
        record(2, 'deployed', 'y', [entry('ConfigMap', 'kept'), entry('Deployment', 'old', 1), entry('ConfigMap', 'old-config'), entry('Secret', 'precious', 0, true)]),
        record(1, 'superseded', 'z', [entry('ConfigMap', 'ancient')]),
      ],
    };
    const plan = planSync(release([rendered('ConfigMap', 'kept')]), inv, opts);
    expect(plan.prune.map((e) => formatRef(e))).toEqual([
      'apps/v1 Deployment shop/old',
      'v1 Service shop/added-by-failed-sync',
      'v1 ConfigMap shop/old-config',
    ]);
  });

  it('matches prune candidates by identity, not API version', () => {
    const inv: Inventory = {
      records: [record(1, 'deployed', 'x', [{ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web', wave: 0 }])],
    };
    const plan = planSync(release([rendered('HorizontalPodAutoscaler', 'web', { apiVersion: 'autoscaling/v2' })]), inv, opts);
    expect(plan.prune).toEqual([]);
    expect(refOf(plan.apply[0]!.objects[0]!.object).apiVersion).toBe('autoscaling/v2');
  });
});
