/**
 * The rule the sync engine follows for hooks across repeated syncs (docs/sync.md, "Hooks after a
 * crash or a failed sync"): a hook runs at most once per run — one desired state on top of one last
 * deployed revision — unless nothing proves it ran. Checked by the uid of the hook Job in the cluster.
 */
import { describe, expect, it } from 'vitest';
import { connect, type ClusterClient } from '../../src/cluster/index.js';
import { runSync, type SyncOptions } from '../../src/sync/engine.js';
import { useDevcluster } from '../support/devcluster.js';
import { configMap, environment, job, release } from '../sync/fixtures.js';

const cluster = useDevcluster({ rolloutDelayMs: 50, jobs: { defaultDurationMs: 100, rules: [{ name: 'broken-*', result: 'fail' }] } });

const migrateRef = { apiVersion: 'batch/v1', kind: 'Job', namespace: 'shop', name: 'migrate' };

async function sync(c: ClusterClient, mode: string, opts: { broken?: boolean } & SyncOptions = {}) {
  const objects = [
    job('migrate', { hook: { phases: ['pre-sync'] } }),
    configMap('settings', { mode }),
    ...(opts.broken ? [job(`broken-${mode}`)] : []),
  ];
  const result = await runSync(c, environment([release(objects, { createNamespace: true })]), opts, () => undefined);
  return result.releases[0]!;
}

async function migrateUid(c: ClusterClient): Promise<string> {
  return String((await c.get(migrateRef))?.metadata['uid']);
}

describe('hooks run once per run', () => {
  it('a failed sync repeated with the same desired state does not rerun a hook that succeeded; a new state, or the old one again later, does', async () => {
    const c = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
    expect((await sync(c, 'blue')).status).toBe('synced');
    const first = await migrateUid(c);

    // Green fails after its pre-sync hook succeeded (a main Job fails): the hook ran for green.
    const failed = await sync(c, 'green', { broken: true });
    expect(failed.status).toBe('failed');
    const green = await migrateUid(c);
    expect(green).not.toBe(first);

    // The same desired state again: the hook's object proves it ran for this run; not run again.
    expect((await sync(c, 'green', { broken: true })).status).toBe('failed');
    expect(await migrateUid(c)).toBe(green);
    // Even after the object is gone, the record of the run proves it.
    await c.delete(migrateRef, { propagationPolicy: 'Background' });
    for (let i = 0; i < 50 && (await c.get(migrateRef)) !== undefined; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await sync(c, 'green', { broken: true })).status).toBe('failed');
    expect(await c.get(migrateRef)).toBeUndefined();

    // --hooks always ignores the proof.
    await sync(c, 'green', { broken: true, hooks: 'always' });
    const forced = await migrateUid(c);
    expect(forced).not.toBe('undefined');

    // A new desired state is a new run; blue again after green was deployed is one too.
    expect((await sync(c, 'green')).status).toBe('synced');
    const fixed = await migrateUid(c);
    expect(fixed).not.toBe(forced);
    expect((await sync(c, 'blue')).status).toBe('synced');
    expect(await migrateUid(c)).not.toBe(fixed);
  });
});
