/**
 * @kubernetes/client-node 1.4 against the devcluster, used the way kasane's cluster layer uses it.
 */
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1ConfigMap,
  type V1ConfigMapList,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { DevclusterConfig } from '../../src/devcluster/index.js';
import { kubeConfigFor } from '../support/client-node.js';
import { useDevcluster } from '../support/devcluster.js';
import { api } from '../support/http.js';

const CONFIG: DevclusterConfig = { rolloutDelayMs: 50, jobs: { defaultDurationMs: 100 } };
// Persistent, so the informer test can restart the server without losing objects.
const getCluster = useDevcluster(CONFIG, { persistent: true });

/** The ApiException a call fails with, its Status body parsed. */
async function apiError(call: Promise<unknown>): Promise<{ code: number; status: Record<string, any> }> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<string>;
    return { code: e.code, status: typeof e.body === 'string' ? JSON.parse(e.body) : (e.body as Record<string, any>) };
  }
  throw new Error('expected the call to fail');
}

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategicPatch = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

describe('@kubernetes/client-node against the devcluster', () => {
  it('does CRUD through the typed Core, Apps and Batch APIs', async () => {
    const kc = kubeConfigFor(getCluster());
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const batch = kc.makeApiClient(BatchV1Api);

    const ns = await core.createNamespace({ body: { metadata: { name: 'typed' } } });
    expect(ns.metadata?.labels).toMatchObject({ 'kubernetes.io/metadata.name': 'typed' });

    const cm = await core.createNamespacedConfigMap({ namespace: 'typed', body: { metadata: { name: 'cfg', labels: { app: 'web' } }, data: { a: '1' } } });
    expect(cm.metadata?.uid).toBeTruthy();
    const replaced = await core.replaceNamespacedConfigMap({ name: 'cfg', namespace: 'typed', body: { ...cm, data: { a: '2' } } });
    expect(replaced.data).toEqual({ a: '2' });
    const patched = await core.patchNamespacedConfigMap({ name: 'cfg', namespace: 'typed', body: { data: { b: '3' } } }, mergePatch);
    expect(patched.data).toEqual({ a: '2', b: '3' });
    const listed = await core.listNamespacedConfigMap({ namespace: 'typed', labelSelector: 'app=web' });
    expect(listed.items.map((i) => i.metadata?.name)).toEqual(['cfg']);
    await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: 'typed' });
    expect((await apiError(core.readNamespacedConfigMap({ name: 'cfg', namespace: 'typed' }))).code).toBe(404);

    const deploy = await apps.createNamespacedDeployment({
      namespace: 'typed',
      body: {
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'fluentbit:3' }] } },
        },
      },
    });
    expect(deploy.spec?.replicas).toBe(1);
    const bumped = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'typed', body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } } } } },
      strategicPatch,
    );
    expect(bumped.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['web=nginx:1.28', 'log=fluentbit:3']);
    expect(bumped.metadata?.generation).toBe(2);
    // Server-side apply through a typed API: the apply content type set per call, fieldManager and force as parameters.
    const applied = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'typed', fieldManager: 'kasane', force: true, body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'typed' }, spec: { replicas: 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    expect(applied.spec?.replicas).toBe(2);
    expect(applied.metadata?.managedFields?.find((m) => m.manager === 'kasane')).toMatchObject({ operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    expect(applied.metadata?.generation).toBe(3);
    const rolled = await eventually(
      () => apps.readNamespacedDeployment({ name: 'web', namespace: 'typed' }),
      (d) => d.status?.observedGeneration === 3 && d.status.availableReplicas === 2,
    );
    expect(rolled.status?.conditions?.map((c) => c.type).sort()).toEqual(['Available', 'Progressing']);

    await batch.createNamespacedJob({
      namespace: 'typed',
      body: { metadata: { name: 'once' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'busybox:1.36' }] } } } },
    });
    const job = await eventually(
      () => batch.readNamespacedJob({ name: 'once', namespace: 'typed' }),
      (j) => (j.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True'),
    );
    expect(job.status?.succeeded).toBe(1);
    expect(job.status?.conditions?.filter((c) => c.status === 'True').map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(job.status?.completionTime).toBeInstanceOf(Date);
    await batch.deleteNamespacedJob({ name: 'once', namespace: 'typed', propagationPolicy: 'Background' });
    await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'typed' });
    expect((await apps.listNamespacedDeployment({ namespace: 'typed' })).items).toEqual([]);
  });

  it('creates, reads, server-side applies and deletes through the generic object API, custom resources included', async () => {
    const kc = kubeConfigFor(getCluster());
    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'generic' } });

    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'generic' }, spec: { ports: [{ port: 8080 }], selector: { app: 'api' } } };
    const applied: KubernetesObject = await objects.patch<KubernetesObject>(svc, undefined, undefined, 'kasane', undefined, PatchStrategy.ServerSideApply);
    expect(applied.metadata?.managedFields?.map((m) => `${m.manager}/${m.operation}`)).toEqual(['kasane/Apply']);
    const read = (await objects.read({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'generic' } })) as KubernetesObject & {
      spec: { ports: Array<{ port: number; targetPort: number; protocol: string }>; clusterIP: string };
    };
    expect(read.spec.ports).toEqual([expect.objectContaining({ port: 8080, targetPort: 8080, protocol: 'TCP' })]);
    expect(read.spec.clusterIP).toBeTruthy();

    // A second manager changing the selector conflicts; Service selectors are atomic maps, so the
    // conflict names the whole map. Forcing takes it over.
    const conflict = await apiError(
      objects.patch({ ...svc, spec: { ...svc.spec, selector: { app: 'other' } } }, undefined, undefined, 'intruder', undefined, PatchStrategy.ServerSideApply),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.status).toMatchObject({ reason: 'Conflict', details: { causes: [expect.objectContaining({ reason: 'FieldManagerConflict', field: '.spec.selector' })] } });
    expect(conflict.status.message).toContain('conflict with "kasane"');
    const forced = await objects.patch({ ...svc, spec: { ...svc.spec, selector: { app: 'other' } } }, undefined, undefined, 'intruder', true, PatchStrategy.ServerSideApply);
    expect((forced as KubernetesObject & { spec: { selector: Record<string, string> } }).spec.selector).toEqual({ app: 'other' });

    // Custom resource, once its CRD is established. client-node serializes a CRD through its typed model,
    // which knows `x-kubernetes-preserve-unknown-fields` only by its TypeScript name.
    await objects.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.org' },
      spec: {
        group: 'example.org',
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
      },
    } as KubernetesObject);
    await eventually(
      () => api(getCluster().cluster.url, 'GET', '/apis/example.org/v1alpha1'),
      (r) => r.status === 200 && (r.json.resources as Array<{ kind: string }>).some((x) => x.kind === 'Gadget'),
    );
    const gadget = { apiVersion: 'example.org/v1alpha1', kind: 'Gadget', metadata: { name: 'g1', namespace: 'generic' }, spec: { size: 3 } };
    const created: KubernetesObject = await objects.create<KubernetesObject>(gadget);
    expect(created.metadata?.uid).toBeTruthy();
    expect((created as KubernetesObject & { spec?: unknown }).spec).toEqual({ size: 3 });
    const patchedGadget = await objects.patch(
      { ...gadget, spec: { size: 4 } },
      undefined,
      undefined,
      'kasane',
      undefined,
      PatchStrategy.MergePatch,
    );
    expect((patchedGadget as KubernetesObject & { spec: { size: number } }).spec.size).toBe(4);
    const listed = await objects.list('example.org/v1alpha1', 'Gadget', 'generic');
    expect(listed.items.map((i) => i.metadata?.name)).toEqual(['g1']);
    await objects.delete(gadget);
    expect((await apiError(objects.read(gadget))).status).toMatchObject({ reason: 'NotFound', code: 404 });
  });

  it('feeds an informer ADDED, MODIFIED and DELETED, and it re-lists after a 410', async () => {
    const kc = kubeConfigFor(getCluster());
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'watched' } } });
    let lists = 0;
    const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/watched/configmaps', (): Promise<V1ConfigMapList> => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: 'watched' });
    });
    const seen: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.data?.['v'] ?? ''}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    // client-node reports its own stop() as an AbortError; anything else is a real failure.
    informer.on('error', (e) => {
      if ((e as Error | undefined)?.name !== 'AbortError') errors.push(e);
    });
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: 'watched', body: { metadata: { name: 'a' }, data: { v: '1' } } });
      await core.createNamespacedConfigMap({ namespace: 'watched', body: { metadata: { name: 'b' }, data: { v: '1' } } });
      await core.patchNamespacedConfigMap({ name: 'a', namespace: 'watched', body: { data: { v: '2' } } }, mergePatch);
      await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'watched' });
      await eventually(async () => seen, (s) => s.includes('delete a'));
      expect(seen).toEqual(['add a', 'add b', 'update a 2', 'delete a']);
      expect(lists).toBe(1);

      // Disconnected across an API server restart: the watch history is gone, so the informer's watch from
      // its old resourceVersion gets 410, and it must re-list to learn what changed meanwhile.
      await informer.stop();
      await core.deleteNamespacedConfigMap({ name: 'b', namespace: 'watched' });
      await getCluster().restart();
      await core.createNamespacedConfigMap({ namespace: 'watched', body: { metadata: { name: 'while-away' } } });
      await informer.start();
      await eventually(async () => seen, (s) => s.includes('delete b') && s.includes('add while-away'));
      expect(lists).toBe(2);
      expect(informer.list('watched').map((o) => o.metadata?.name)).toEqual(['while-away']);

      // And it keeps watching after the re-list.
      await core.createNamespacedConfigMap({ namespace: 'watched', body: { metadata: { name: 'c' } } });
      await eventually(async () => seen, (s) => s.includes('add c'));
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it('keeps an informer complete across watch streams the server cuts, resuming without a re-list', async () => {
    const c = getCluster();
    const kc = kubeConfigFor(c);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'cut' } } });
    c.cluster.setConfig({ ...CONFIG, faults: { watchCutAfterMs: 150 } });
    let lists = 0;
    let connects = 0;
    const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/cut/configmaps', () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: 'cut' });
    });
    const added = new Set<string>();
    informer.on('add', (o) => added.add(o.metadata?.name ?? ''));
    informer.on('connect', () => connects++);
    await informer.start();
    try {
      for (let i = 0; i < 8; i++) {
        await core.createNamespacedConfigMap({ namespace: 'cut', body: { metadata: { name: `cm-${i}` } } });
        await new Promise((r) => setTimeout(r, 60));
      }
      await eventually(async () => added.size, (n) => n === 8);
      expect(connects).toBeGreaterThanOrEqual(3);
      expect(lists).toBe(1);
    } finally {
      await informer.stop();
      c.cluster.setConfig(CONFIG);
    }
  });

  it('surfaces 404, 409 and 422 as ApiException with the Status a real server sends', async () => {
    const kc = kubeConfigFor(getCluster());
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const batch = kc.makeApiClient(BatchV1Api);

    const missing = await apiError(apps.readNamespacedDeployment({ name: 'nope', namespace: 'default' }));
    expect(missing.code).toBe(404);
    expect(missing.status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'deployments.apps "nope" not found',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
    });

    const noNamespace = await apiError(core.createNamespacedConfigMap({ namespace: 'ghost', body: { metadata: { name: 'x' } } }));
    expect(noNamespace).toMatchObject({ code: 404, status: { reason: 'NotFound', message: 'namespaces "ghost" not found' } });

    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'twice' } } });
    const exists = await apiError(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'twice' } } }));
    expect(exists).toMatchObject({ code: 409, status: { reason: 'AlreadyExists', message: 'configmaps "twice" already exists', details: { name: 'twice', kind: 'configmaps' } } });

    const job = await batch.createNamespacedJob({
      namespace: 'default',
      body: { metadata: { name: 'fixed' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'busybox:1.36' }] } } } },
    });
    const immutable = await apiError(
      batch.patchNamespacedJob({ name: 'fixed', namespace: 'default', body: { spec: { template: { spec: { containers: [{ name: 'x', image: 'busybox:1.37' }] } } } } }, strategicPatch),
    );
    expect(immutable.code).toBe(422);
    expect(immutable.status).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422, details: { name: 'fixed', group: 'batch', kind: 'Job' } });
    // (Invalid names the kind; NotFound and AlreadyExists name the resource.)
    expect(immutable.status.message).toMatch(/^Job\.batch "fixed" is invalid: spec\.template: .*field is immutable/);
    expect(immutable.status.details.causes).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'spec.template' })]));
    const unchanged = await batch.readNamespacedJob({ name: 'fixed', namespace: 'default' });
    expect(unchanged.spec?.template.spec?.containers[0]?.image).toBe('busybox:1.36');
    expect(unchanged.metadata?.uid).toBe(job.metadata?.uid);

    const noManager = await api(getCluster().cluster.url, 'PATCH', '/api/v1/namespaces/default/configmaps/twice', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"twice"}}', 'application/apply-patch+yaml');
    expect(noManager.status).toBe(422);
    expect(noManager.json.message).toContain('fieldManager');
  });
});
