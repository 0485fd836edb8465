import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDevcluster, type Devcluster } from '../../src/devcluster/index.js';

let cluster: Devcluster;

beforeAll(async () => {
  cluster = await startDevcluster({ config: { rolloutDelayMs: 20, jobs: { defaultDurationMs: 20 } } });
});
afterAll(async () => {
  await cluster.stop();
});
beforeEach(() => cluster.reset());

type Json = Record<string, any>;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${cluster.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
}

const deployment = (name: string, replicas = 1): Json => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
});

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';

describe('errors are Status objects shaped like a real server', () => {
  it('404 names the qualified resource', async () => {
    const { status, body } = await call('GET', `${DEPLOYMENTS}/web`);
    expect(status).toBe(404);
    expect(body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "web" not found',
      reason: 'NotFound',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
      code: 404,
    });
  });

  it('409 AlreadyExists, and a stale resourceVersion is a Conflict', async () => {
    const created = await call('POST', DEPLOYMENTS, deployment('web'));
    expect(created.status).toBe(201);
    const again = await call('POST', DEPLOYMENTS, deployment('web'));
    expect(again.status).toBe(409);
    expect(again.body['reason']).toBe('AlreadyExists');
    expect(again.body['message']).toBe('deployments.apps "web" already exists');

    const stale = { ...created.body, metadata: { ...created.body['metadata'], resourceVersion: '1' } };
    const update = await call('PUT', `${DEPLOYMENTS}/web`, stale);
    expect(update.status).toBe(409);
    expect(update.body['reason']).toBe('Conflict');
    expect(update.body['message']).toBe(
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('creating in a missing namespace is 404 namespaces "x" not found', async () => {
    const { status, body } = await call('POST', '/api/v1/namespaces/nowhere/configmaps', { metadata: { name: 'c' } });
    expect(status).toBe(404);
    expect(body['message']).toBe('namespaces "nowhere" not found');
  });

  it('immutable Job template is 422 Invalid naming spec.template', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'busybox:1' }] } } },
    };
    expect((await call('POST', '/apis/batch/v1/namespaces/default/jobs', job)).status).toBe(201);
    const patch = { spec: { template: { spec: { containers: [{ name: 'm', image: 'busybox:2' }] } } } };
    const { status, body } = await call('PATCH', '/apis/batch/v1/namespaces/default/jobs/migrate', patch, 'application/strategic-merge-patch+json');
    expect(status).toBe(422);
    expect(body['reason']).toBe('Invalid');
    expect(body['message']).toMatch(/^Job\.batch "migrate" is invalid: spec\.template: Invalid value: .*field is immutable$/);
    expect(body['details']['causes'][0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'spec.template' });
  });

  it('apply needs a fieldManager (422) and rejects managedFields (400)', async () => {
    const noManager = await call('PATCH', `${DEPLOYMENTS}/web`, deployment('web'), 'application/apply-patch+yaml');
    expect(noManager.status).toBe(422);
    expect(noManager.body['message']).toContain('fieldManager');
    const withManaged = deployment('web');
    withManaged['metadata']['managedFields'] = [{ manager: 'x' }];
    const bad = await call('PATCH', `${DEPLOYMENTS}/web?fieldManager=t`, withManaged, 'application/apply-patch+yaml');
    expect(bad.status).toBe(400);
  });
});

describe('metadata', () => {
  it('generation moves only with spec; status is kept on main-resource writes; no-op keeps resourceVersion', async () => {
    const created = (await call('PATCH', `${DEPLOYMENTS}/web?fieldManager=t`, deployment('web'), 'application/apply-patch+yaml')).body;
    expect(created['metadata']['generation']).toBe(1);
    expect(created['metadata']['uid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(created['spec']['strategy']).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });

    // Once the simulated controller has written status, applying the same thing again changes nothing.
    await expect.poll(async () => (await call('GET', `${DEPLOYMENTS}/web`)).body['status']?.['observedGeneration']).toBe(1);
    const settled = (await call('GET', `${DEPLOYMENTS}/web`)).body;
    const same = (await call('PATCH', `${DEPLOYMENTS}/web?fieldManager=t`, deployment('web'), 'application/apply-patch+yaml')).body;
    expect(same['metadata']['resourceVersion']).toBe(settled['metadata']['resourceVersion']);

    const labelled = deployment('web');
    labelled['metadata']['labels']['tier'] = 'front';
    const relabelled = (await call('PATCH', `${DEPLOYMENTS}/web?fieldManager=t`, labelled, 'application/apply-patch+yaml')).body;
    expect(relabelled['metadata']['generation']).toBe(1);
    expect(Number(relabelled['metadata']['resourceVersion'])).toBeGreaterThan(Number(settled['metadata']['resourceVersion']));

    const scaled = (await call('PATCH', `${DEPLOYMENTS}/web?fieldManager=t`, { ...labelled, spec: { ...labelled['spec'], replicas: 3 } }, 'application/apply-patch+yaml')).body;
    expect(scaled['metadata']['generation']).toBe(2);

    const withStatus = { ...scaled, status: { replicas: 99 } };
    const put = (await call('PUT', `${DEPLOYMENTS}/web`, withStatus)).body;
    expect(put['status']?.['replicas']).not.toBe(99);
  });

  it('a resourceVersion in an applied configuration is a precondition', async () => {
    const lease = (rv?: string): Json => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'lock', ...(rv === undefined ? {} : { resourceVersion: rv }) },
      spec: { holderIdentity: 'a' },
    });
    const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    const read = (await call('PATCH', `${LEASES}/lock?fieldManager=a&force=true`, lease(), 'application/apply-patch+yaml')).body;
    const rv = read['metadata']['resourceVersion'] as string;
    const first = await call('PATCH', `${LEASES}/lock?fieldManager=a&force=true`, { ...lease(rv), spec: { holderIdentity: 'b' } }, 'application/apply-patch+yaml');
    expect(first.status).toBe(200);
    const second = await call('PATCH', `${LEASES}/lock?fieldManager=a&force=true`, { ...lease(rv), spec: { holderIdentity: 'c' } }, 'application/apply-patch+yaml');
    expect(second.status).toBe(409);
    expect(second.body['reason']).toBe('Conflict');
    expect((await call('GET', `${LEASES}/lock`)).body['spec']['holderIdentity']).toBe('b');
  });

  it('generateName appends five characters', async () => {
    const { body } = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'run-' } });
    expect(body['metadata']['name']).toMatch(/^run-[a-z0-9]{5}$/);
  });

  it('dryRun=All answers the would-be object and stores nothing', async () => {
    const dry = await call('POST', `${DEPLOYMENTS}?dryRun=All`, deployment('ghost'));
    expect(dry.status).toBe(201);
    expect(dry.body['spec']['revisionHistoryLimit']).toBe(10);
    expect((await call('GET', `${DEPLOYMENTS}/ghost`)).status).toBe(404);
  });

  it('Service gets a clusterIP that may not change', async () => {
    const svc = { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } };
    const created = (await call('POST', '/api/v1/namespaces/default/services', svc)).body;
    expect(created['spec']).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
    expect(created['spec']['clusterIP']).toMatch(/^10\.96\./);
    const moved = await call('PATCH', '/api/v1/namespaces/default/services/web', { spec: { clusterIP: '10.0.0.9' } }, 'application/merge-patch+json');
    expect(moved.status).toBe(422);
    expect(moved.body['details']['causes'][0]['field']).toBe('spec.clusterIPs[0]');
  });
});

describe('lists', () => {
  it('filters by label and field selectors and pages with limit/continue', async () => {
    for (const [name, tier] of [['a', 'front'], ['b', 'back'], ['c', 'front'], ['d', undefined]] as const) {
      const labels = tier === undefined ? {} : { tier };
      await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name, labels } });
    }
    const names = async (query: string): Promise<string[]> =>
      ((await call('GET', `/api/v1/namespaces/default/configmaps?${query}`)).body['items'] as Json[]).map((i) => i['metadata']['name']);
    expect(await names('labelSelector=tier%3Dfront')).toEqual(['a', 'c']);
    expect(await names('labelSelector=tier%21%3Dfront')).toEqual(['b', 'd']);
    expect(await names('labelSelector=tier+in+(front,back)')).toEqual(['a', 'b', 'c']);
    expect(await names('labelSelector=tier+notin+(front)')).toEqual(['b', 'd']);
    expect(await names('labelSelector=%21tier')).toEqual(['d']);
    expect(await names('labelSelector=tier')).toEqual(['a', 'b', 'c']);
    expect(await names('fieldSelector=metadata.name%3Db')).toEqual(['b']);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps?fieldSelector=data.x%3D1')).status).toBe(400);

    const first = (await call('GET', '/api/v1/namespaces/default/configmaps?limit=3')).body;
    expect(first['kind']).toBe('ConfigMapList');
    expect(first['items']).toHaveLength(3);
    const rest = (await call('GET', `/api/v1/namespaces/default/configmaps?limit=3&continue=${first['metadata']['continue']}`)).body;
    expect((rest['items'] as Json[]).map((i) => i['metadata']['name'])).toEqual(['d']);
    expect(rest['metadata']['continue']).toBeUndefined();
  });
});

describe('namespaces and garbage collection', () => {
  it('deleting a namespace deletes what is in it, then the namespace', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'shop' } });
    const ns = (await call('GET', '/api/v1/namespaces/shop')).body;
    expect(ns['metadata']['labels']).toEqual({ 'kubernetes.io/metadata.name': 'shop' });
    await call('POST', '/api/v1/namespaces/shop/configmaps', { metadata: { name: 'c' } });
    await call('DELETE', '/api/v1/namespaces/shop');
    await expect.poll(async () => (await call('GET', '/api/v1/namespaces/shop')).status).toBe(404);
    expect((await call('GET', '/api/v1/namespaces/shop/configmaps/c')).status).toBe(404);
  });

  it('finalizers hold an object with a deletionTimestamp until they are removed', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    const deleted = await call('DELETE', '/api/v1/namespaces/default/configmaps/held');
    expect(deleted.body['metadata']['deletionTimestamp']).toBeDefined();
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/held')).status).toBe(200);
    await call('PATCH', '/api/v1/namespaces/default/configmaps/held', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/held')).status).toBe(404);
  });

  it('owned objects are collected after their owner is deleted', async () => {
    const owner = (await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'owner' } })).body;
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner['metadata']['uid'] };
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'child', ownerReferences: [ref] } });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/owner?propagationPolicy=Background');
    await expect.poll(async () => (await call('GET', '/api/v1/namespaces/default/configmaps/child')).status).toBe(404);
  });
});

describe('simulated controllers', () => {
  it('a Deployment rolls out', async () => {
    await call('POST', DEPLOYMENTS, deployment('web', 2));
    await expect
      .poll(async () => (await call('GET', `${DEPLOYMENTS}/web`)).body['status'])
      .toMatchObject({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    const status = (await call('GET', `${DEPLOYMENTS}/web`)).body['status'];
    expect(status['conditions'].find((c: Json) => c['type'] === 'Progressing')['reason']).toBe('NewReplicaSetAvailable');
  });

  it('a Deployment runs Pods through a ReplicaSet; a new template replaces them; deleting it collects them', async () => {
    await call('POST', DEPLOYMENTS, deployment('web', 2));
    const podsOf = async (): Promise<string[]> =>
      ((await call('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).body['items'] as Json[])
        .filter((p) => p['status']?.['phase'] === 'Running')
        .map((p) => p['metadata']['name']);
    await expect.poll(async () => (await podsOf()).length).toBe(2);
    const first = await podsOf();
    const replicaSets = ((await call('GET', '/apis/apps/v1/namespaces/default/replicasets')).body['items'] as Json[]).map((r) => r['metadata']['name']);
    expect(replicaSets).toHaveLength(1);
    expect(first.every((p) => p.startsWith(`${replicaSets[0]}-`))).toBe(true);

    const scaled = await call('PATCH', `${DEPLOYMENTS}/web/scale`, { spec: { replicas: 3 } }, 'application/merge-patch+json');
    expect(scaled.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { selector: 'app=web' } });
    await call('PATCH', `${DEPLOYMENTS}/web`, { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } } } }, 'application/strategic-merge-patch+json');
    await expect.poll(async () => (await podsOf()).filter((p) => !first.includes(p)).length).toBe(3);
    await expect.poll(async () => (await podsOf()).length).toBe(3);

    await call('DELETE', `${DEPLOYMENTS}/web`);
    await expect.poll(async () => (await podsOf()).length).toBe(0);
    expect((await call('GET', '/apis/apps/v1/namespaces/default/replicasets')).body['items']).toEqual([]);
  });

  it('status is written only through /status', async () => {
    const created = (await call('POST', '/api/v1/namespaces/default/persistentvolumeclaims', {
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    })).body;
    expect(created['status']).toBeUndefined();
    await expect.poll(async () => (await call('GET', '/api/v1/namespaces/default/persistentvolumeclaims/data')).body['status']).toEqual({
      phase: 'Bound',
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '1Gi' },
    });
    const live = (await call('GET', '/api/v1/namespaces/default/persistentvolumeclaims/data')).body;
    const viaStatus = await call('PUT', '/api/v1/namespaces/default/persistentvolumeclaims/data/status', { ...live, status: { phase: 'Lost' } });
    expect(viaStatus.body['status']).toEqual({ phase: 'Lost' });
    expect(viaStatus.body['metadata']['managedFields'].some((m: Json) => m['subresource'] === 'status')).toBe(true);
  });

  it('a Job fails or completes as configured, with a Pod whose logs are configured', async () => {
    cluster.setConfig({ rolloutDelayMs: 20, jobs: { defaultDurationMs: 20, rules: [{ name: 'bad-*', result: 'fail', logs: 'migrating\nboom\n' }] } });
    const job = (name: string): Json => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { generateName: name },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'busybox' }] } } },
    });
    const bad = (await call('POST', '/apis/batch/v1/namespaces/default/jobs', job('bad-'))).body;
    const good = (await call('POST', '/apis/batch/v1/namespaces/default/jobs', job('good-'))).body;
    const conditions = async (name: string): Promise<string[]> =>
      (((await call('GET', `/apis/batch/v1/namespaces/default/jobs/${name}`)).body['status']?.['conditions'] ?? []) as Json[]).map((c) => c['type']);
    await expect.poll(() => conditions(bad['metadata']['name'])).toEqual(['FailureTarget', 'Failed']);
    await expect.poll(() => conditions(good['metadata']['name'])).toEqual(['SuccessCriteriaMet', 'Complete']);
    const pods = (await call('GET', `/api/v1/namespaces/default/pods?labelSelector=job-name%3D${bad['metadata']['name']}`)).body['items'] as Json[];
    expect(pods).toHaveLength(1);
    const res = await fetch(`${cluster.url}/api/v1/namespaces/default/pods/${pods[0]?.['metadata']['name']}/log`);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('migrating\nboom\n');
    const tail = await fetch(`${cluster.url}/api/v1/namespaces/default/pods/${pods[0]?.['metadata']['name']}/log?tailLines=1`);
    expect(await tail.text()).toBe('boom\n');

    await call('DELETE', `/apis/batch/v1/namespaces/default/jobs/${bad['metadata']['name']}?propagationPolicy=Background`);
    await expect
      .poll(async () => ((await call('GET', `/api/v1/namespaces/default/pods?labelSelector=job-name%3D${bad['metadata']['name']}`)).body['items'] as Json[]).length)
      .toBe(0);
  });
});

describe('job deadlines', () => {
  it('a Job running past activeDeadlineSeconds fails with DeadlineExceeded', async () => {
    cluster.setConfig({ jobs: { defaultDurationMs: 60_000 } });
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'slow' },
      spec: { activeDeadlineSeconds: 1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'busybox' }] } } },
    };
    await call('POST', '/apis/batch/v1/namespaces/default/jobs', job);
    await expect
      .poll(async () => ((await call('GET', '/apis/batch/v1/namespaces/default/jobs/slow')).body['status']?.['conditions'] ?? []).map((c: Json) => `${c['type']}/${c['reason']}`), { timeout: 4000 })
      .toEqual(['FailureTarget/DeadlineExceeded', 'Failed/DeadlineExceeded']);
  });
});

describe('custom resources', () => {
  it('are served once their CRD exists, defaulted and pruned by its schema, strict validation refusing unknown fields', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer', default: 1 }, colour: { type: 'string' } } } } } },
          },
        ],
      },
    };
    const GADGETS = '/apis/example.com/v1/namespaces/default/gadgets';
    expect((await call('GET', GADGETS)).status).toBe(404);
    expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    const resources = (await call('GET', '/apis/example.com/v1')).body['resources'] as Json[];
    expect(resources.map((r) => r['name'])).toEqual(['gadgets', 'gadgets/status']);

    const created = await call('POST', GADGETS, { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { colour: 'red', color: 'red' } });
    expect(created.status).toBe(201);
    expect(created.body['spec']).toEqual({ colour: 'red', size: 1 });
    const strict = await call('POST', `${GADGETS}?fieldValidation=Strict`, { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'h' }, spec: { color: 'red' } });
    expect(strict.status).toBe(400);
    expect(strict.body['message']).toContain('unknown field "spec.color"');

    await call('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com');
    await expect.poll(async () => (await call('GET', GADGETS)).status).toBe(404);
  });
});
