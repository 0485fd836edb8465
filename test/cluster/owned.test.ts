/**
 * provablyUnchanged (skipping the dry run for objects whose kasane-owned fields already hold the
 * desired values) against the devcluster: whenever it says "unchanged", a real apply must leave the
 * object exactly as it was; every change made by kasane's chart or by someone else must be seen.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { connect, FIELD_MANAGER, provablyUnchanged, type ClusterClient } from '../../src/cluster/index.js';
import type { KubeObject } from '../../src/model/object.js';
import { drifted } from '../../src/sync/apply.js';
import { useDevcluster } from '../support/devcluster.js';

const cluster = useDevcluster();
let client: ClusterClient;

beforeEach(async () => {
  cluster().cluster.reset();
  client = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
});

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' };

function deployment(over: { image?: string; replicas?: number; labels?: Record<string, string>; env?: Record<string, string>; ports?: readonly number[] } = {}): KubeObject {
  const labels = over.labels ?? { app: 'web', tier: 'front' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels },
    spec: {
      replicas: over.replicas ?? 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: over.image ?? 'registry.example.com/web:1.0.0',
              ports: (over.ports ?? [8080]).map((containerPort) => ({ containerPort })),
              env: Object.entries(over.env ?? { LOG: 'info' }).map(([name, value]) => ({ name, value })),
              resources: { limits: { cpu: '200m', memory: '128Mi' } },
            },
          ],
        },
      },
    },
  };
}

async function live(): Promise<KubeObject> {
  const obj = await client.get(ref);
  if (obj === undefined) throw new Error('deployment missing');
  return obj;
}

/** What a real apply would do: the server's own dry run, compared as the sync compares it. */
async function applyWouldChange(desired: KubeObject): Promise<boolean> {
  const before = await live();
  const preview = await client.apply(desired, { dryRun: true, force: true });
  return drifted(before, preview);
}

async function mergePatch(manager: string, patch: unknown): Promise<void> {
  const res = await fetch(`${cluster().cluster.url}/apis/apps/v1/namespaces/default/deployments/web?fieldManager=${manager}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json', authorization: 'Bearer devcluster' },
    body: JSON.stringify(patch),
  });
  expect(res.status).toBe(200);
}

describe('provablyUnchanged', () => {
  it('is true right after kasane applied the same object, and a real apply agrees', async () => {
    await client.apply(deployment(), { force: true });
    expect(provablyUnchanged(deployment(), await live(), FIELD_MANAGER)).toBe(true);
    expect(await applyWouldChange(deployment())).toBe(false);
  });

  it('sees a changed chart: another image, a dropped label, an added env var, another port', async () => {
    await client.apply(deployment(), { force: true });
    const current = await live();
    for (const changed of [
      deployment({ image: 'registry.example.com/web:2.0.0' }),
      deployment({ labels: { app: 'web' } }),
      deployment({ env: { LOG: 'info', EXTRA: '1' } }),
      deployment({ ports: [8080, 9090] }),
      deployment({ replicas: 3 }),
    ]) {
      expect(provablyUnchanged(changed, current, FIELD_MANAGER)).toBe(false);
      expect(await applyWouldChange(changed)).toBe(true);
    }
  });

  it('sees a field kasane owns changed in the cluster by someone else', async () => {
    await client.apply(deployment(), { force: true });
    await mergePatch('kubectl-edit', { spec: { replicas: 5 } });
    expect(provablyUnchanged(deployment(), await live(), FIELD_MANAGER)).toBe(false);
    expect(await applyWouldChange(deployment())).toBe(true);
  });

  it('ignores what another manager added beside kasane (an apply would keep it too)', async () => {
    await client.apply(deployment(), { force: true });
    await mergePatch('kubectl-label', { metadata: { labels: { owner: 'ops' } } });
    expect(provablyUnchanged(deployment(), await live(), FIELD_MANAGER)).toBe(true);
    expect(await applyWouldChange(deployment())).toBe(false);
  });

  it('is false for an object kasane never applied', async () => {
    const res = await fetch(`${cluster().cluster.url}/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer devcluster' },
      body: JSON.stringify(deployment()),
    });
    expect(res.status).toBe(201);
    expect(provablyUnchanged(deployment(), await live(), FIELD_MANAGER)).toBe(false);
  });

  it('never says unchanged when a real apply would change the object (random charts and edits)', async () => {
    const variant = fc.record({
      image: fc.constantFrom('web:1', 'web:2'),
      replicas: fc.integer({ min: 1, max: 3 }),
      labels: fc.constantFrom<Record<string, string>>({ app: 'web' }, { app: 'web', tier: 'front' }, { app: 'web', tier: 'back' }),
      env: fc.constantFrom<Record<string, string>>({ LOG: 'info' }, { LOG: 'debug' }, { LOG: 'info', EXTRA: '1' }),
      ports: fc.constantFrom([8080], [8080, 9090], [9090, 8080]),
    });
    const edit = fc.option(fc.constantFrom<unknown>({ spec: { replicas: 7 } }, { metadata: { labels: { tier: 'edited' } } }, { metadata: { labels: { extra: 'x' } } }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(variant, variant, edit, async (first, second, patch) => {
        cluster().cluster.reset();
        await client.apply(deployment(first), { force: true });
        if (patch !== undefined) await mergePatch('someone-else', patch);
        const desired = deployment(second);
        if (provablyUnchanged(desired, await live(), FIELD_MANAGER)) expect(await applyWouldChange(desired)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});
