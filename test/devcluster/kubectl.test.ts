/**
 * The real kubectl 1.34 against the devcluster: what a user types, what they see.
 */
import { describe, expect, it } from 'vitest';
import { useDevcluster, type TestCluster } from '../support/devcluster.js';
import type { KubectlResult } from '../support/kubectl.js';
import type { DevclusterConfig } from '../../src/devcluster/index.js';

const CONFIG: DevclusterConfig = {
  rolloutDelayMs: 100,
  jobs: {
    defaultDurationMs: 150,
    rules: [
      { namespace: 'shop', name: 'migrate-fail*', result: 'fail', durationMs: 150, logs: 'error: relation "orders" does not exist\n' },
      { namespace: 'shop', name: 'migrate', result: 'complete', logs: 'applied 3 migrations\n' },
      { namespace: 'shop', name: 'slow-*', result: 'complete', durationMs: 30_000 },
    ],
  },
};
const getCluster = useDevcluster(CONFIG);

const STACK = `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
  labels: {app: web}
data:
  greeting: hello
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
  namespace: shop
data:
  password: aHVudGVyMg==
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
    - name: http
      port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 80
        - name: sidecar
          image: busybox
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: shop
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: busybox:1.36
          command: [sh, -c, "echo migrating"]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: gear
  namespace: shop
spec:
  teeth: 12
`;

/** The result of a kubectl run that must succeed; otherwise fails the test with kubectl's own words. */
function expectOk(result: KubectlResult): KubectlResult {
  if (result.code !== 0) throw new Error(`kubectl exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result;
}

async function applyYaml(c: TestCluster, yaml: string, ...extra: string[]): Promise<KubectlResult> {
  return c.kubectl(['apply', '--server-side', '-f', '-', ...extra], { stdin: yaml });
}

async function getJson(c: TestCluster, args: string[]): Promise<any> {
  return JSON.parse(expectOk(await c.kubectl(['get', ...args, '-o', 'json'])).stdout);
}

describe('kubectl against the devcluster', () => {
  it('applies a multi-document file with a CRD and its custom resource, as a user would', async () => {
    const c = getCluster();
    const file = c.writeFile('stack.yaml', STACK);
    // kubectl maps every document before applying any, so the Widget is unknown on the first run.
    const first = await c.kubectl(['apply', '--server-side', '-f', file]);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('no matches for kind "Widget" in version "example.com/v1"');
    expect(first.stderr).toContain('ensure CRDs are installed first');
    expect(first.stdout).toContain('namespace/shop serverside-applied');
    expect(first.stdout).toContain('deployment.apps/web serverside-applied');
    expect(first.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/widgets.example.com serverside-applied');
    expectOk(await c.kubectl(['wait', '--for=condition=established', 'crd/widgets.example.com', '--timeout=10s']));

    const second = expectOk(await c.kubectl(['apply', '--server-side', '-f', file]));
    for (const line of [
      'namespace/shop serverside-applied',
      'configmap/web-config serverside-applied',
      'secret/web-secret serverside-applied',
      'service/web serverside-applied',
      'deployment.apps/web serverside-applied',
      'job.batch/migrate serverside-applied',
      'widget.example.com/gear serverside-applied',
    ]) {
      expect(second.stdout).toContain(line);
    }
    const gear = await getJson(c, ['widget', 'gear', '-n', 'shop']);
    expect(gear.spec).toEqual({ teeth: 12 });
    expect((await getJson(c, ['wd', 'gear', '-n', 'shop'])).metadata.uid).toBe(gear.metadata.uid);
  });

  it('shows the defaults a real API server fills in', async () => {
    const c = getCluster();
    const [ns, deploy, svc, job, secret] = await Promise.all([
      getJson(c, ['namespace', 'shop']),
      getJson(c, ['deployment', 'web', '-n', 'shop']),
      getJson(c, ['service', 'web', '-n', 'shop']),
      getJson(c, ['job', 'migrate', '-n', 'shop']),
      getJson(c, ['secret', 'web-secret', '-n', 'shop']),
    ]);
    expect(ns.metadata.labels).toMatchObject({ 'kubernetes.io/metadata.name': 'shop' });

    expect(deploy.spec.replicas).toBe(1);
    expect(deploy.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(deploy.spec.revisionHistoryLimit).toBe(10);
    expect(deploy.spec.progressDeadlineSeconds).toBe(600);
    const pod = deploy.spec.template.spec;
    expect(pod).toMatchObject({ dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler', securityContext: {} });
    const [web, sidecar] = pod.containers;
    expect(web).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', ports: [{ containerPort: 80, protocol: 'TCP' }] });
    expect(sidecar.imagePullPolicy).toBe('Always');
    expect(deploy.metadata.generation).toBe(1);

    expect(svc.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }] });
    expect(svc.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    expect(job.spec).toMatchObject({ backoffLimit: 6, completions: 1, parallelism: 1 });
    expect(Object.values(job.spec.selector.matchLabels)).toContain(job.metadata.uid);
    expect(Object.values(job.spec.template.metadata.labels)).toContain(job.metadata.uid);
    expect(job.spec.template.metadata.labels).toMatchObject({ 'job-name': 'migrate' });

    expect(secret.type).toBe('Opaque');
    expect(secret.data).toEqual({ password: 'aHVudGVyMg==' });
  });

  it('diff --server-side exits 1 on a change and 0 once it is applied', async () => {
    const c = getCluster();
    const manifest = (replicas: number, image: string) => `
apiVersion: v1
kind: Namespace
metadata: {name: diffing}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: diffing}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "${image}"}]
`;
    expectOk(await applyYaml(c, manifest(2, 'api:1')));
    expectOk(await c.kubectl(['rollout', 'status', 'deployment/api', '-n', 'diffing', '--timeout=30s']));
    const unchanged = await c.kubectl(['diff', '--server-side', '-f', c.writeFile('same.yaml', manifest(2, 'api:1'))]);
    expect(unchanged.stderr).toBe('');
    expect(unchanged).toMatchObject({ code: 0, stdout: '' });

    const changed = c.writeFile('changed.yaml', manifest(4, 'api:2'));
    const diff = await c.kubectl(['diff', '--server-side', '-f', changed]);
    expect(diff.stderr).toBe('');
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/^-\s+replicas: 2$/m);
    expect(diff.stdout).toMatch(/^\+\s+replicas: 4$/m);
    expect(diff.stdout).toMatch(/^\+\s+- image: api:2$/m);
    expect(diff.stdout).not.toContain('managedFields');
    expectOk(await c.kubectl(['apply', '--server-side', '-f', changed]));
    // kubectl diff compares a GET with a dry-run PATCH made a moment later, status included (as against
    // a real cluster): a rollout moving between the two shows up. Once it is done the diff is empty
    // (the same wait before the first diff above).
    expectOk(await c.kubectl(['rollout', 'status', 'deployment/api', '-n', 'diffing', '--timeout=30s']));
    expect(await c.kubectl(['diff', '--server-side', '-f', changed])).toMatchObject({ code: 0, stdout: '' });
  });

  it('supports client-side apply and diff: created, unchanged, configured with a three-way merge', async () => {
    const c = getCluster();
    const manifest = (data: string, value: string) => `
apiVersion: v1
kind: Namespace
metadata: {name: classic}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: classic}
data: {${data}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: classic}
spec:
  selector: {matchLabels: {app: classic}}
  template:
    metadata: {labels: {app: classic}}
    spec:
      containers: [{name: app, image: "app:1", env: [{name: MODE, value: "${value}"}]}]
`;
    const v1 = c.writeFile('classic-v1.yaml', manifest('a: "1"', 'fast'));
    expect(expectOk(await c.kubectl(['apply', '-f', v1])).stdout).toContain('configmap/settings created');
    const again = expectOk(await c.kubectl(['apply', '-f', v1])).stdout;
    expect(again).toContain('configmap/settings unchanged');
    expect(again).toContain('deployment.apps/app unchanged');

    // Someone adds a key by hand; the next apply keeps it (not in last-applied) but drops `a` (removed from the file).
    expectOk(await c.kubectl(['patch', 'configmap', 'settings', '-n', 'classic', '--type=merge', '-p', '{"data":{"manual":"yes"}}']));
    const v2 = c.writeFile('classic-v2.yaml', manifest('b: "2"', 'safe'));
    const diff = await c.kubectl(['diff', '-f', v2]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/^-\s+a: "1"$/m);
    expect(diff.stdout).toMatch(/^\+\s+value: safe$/m);
    expect(expectOk(await c.kubectl(['apply', '-f', v2])).stdout).toContain('configmap/settings configured');
    expect((await getJson(c, ['cm', 'settings', '-n', 'classic'])).data).toEqual({ b: '2', manual: 'yes' });
    expect((await getJson(c, ['deploy', 'app', '-n', 'classic'])).spec.template.spec.containers[0].env).toEqual([{ name: 'MODE', value: 'safe' }]);
    expect(await c.kubectl(['diff', '-f', v2])).toMatchObject({ code: 0, stdout: '' });
  });

  it('refuses a server-side apply with a misspelt field, as a real API server does', async () => {
    const c = getCluster();
    expectOk(await applyYaml(c, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: typos}\n'));
    const typo = await applyYaml(c, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: typo, namespace: typos}
spec:
  replicass: 2
  selector: {matchLabels: {app: typo}}
  template:
    metadata: {labels: {app: typo}}
    spec:
      containers: [{name: typo, image: "typo:1"}]
`);
    expect(typo.code).toBe(1);
    // The real server answers 500 here (kubernetes/kubernetes#122480), which kubectl prints without a reason.
    expect(typo.stderr).toContain('failed to create typed patch object (typos/typo; apps/v1, Kind=Deployment): .spec.replicass: field not declared in schema');
    expect((await c.kubectl(['get', 'deployment', 'typo', '-n', 'typos'])).code).toBe(1);
  });

  it('refuses a second field manager changing an owned field until --force-conflicts', async () => {
    const c = getCluster();
    const manifest = (replicas: number) => `
apiVersion: v1
kind: Namespace
metadata: {name: owners}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: owners}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
`;
    expectOk(await applyYaml(c, manifest(2)));
    const conflict = await applyYaml(c, manifest(3), '--field-manager=hpa-sim');
    expect(conflict.code).toBe(1);
    // An Apply manager is named alone; an Update manager comes with its apiVersion (see below).
    expect(conflict.stderr).toContain('error: Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas\n');
    expect(conflict.stderr).toContain('Please review the fields above--they currently have other managers.');
    expect(conflict.stderr).toContain('--force-conflicts');
    expect((await getJson(c, ['deploy', 'web', '-n', 'owners'])).spec.replicas).toBe(2);

    // The same value is shared ownership, not a conflict.
    expectOk(await applyYaml(c, manifest(2), '--field-manager=hpa-sim'));

    expectOk(await applyYaml(c, manifest(3), '--field-manager=hpa-sim', '--force-conflicts'));
    const deploy = await c.kubectl(['get', 'deploy', 'web', '-n', 'owners', '-o', 'json', '--show-managed-fields']);
    const parsed = JSON.parse(expectOk(deploy).stdout);
    expect(parsed.spec.replicas).toBe(3);
    const owners = (parsed.metadata.managedFields as Array<{ manager: string; operation: string; fieldsV1: { 'f:spec'?: Record<string, unknown> } }>)
      .filter((m) => m.fieldsV1['f:spec']?.['f:replicas'] !== undefined)
      .map((m) => `${m.manager}/${m.operation}`);
    expect(owners).toEqual(['hpa-sim/Apply']);

    // A plain patch makes kubectl-patch the owner through an Update; applying over it names that manager and version.
    expectOk(await c.kubectl(['patch', 'deploy', 'web', '-n', 'owners', '--type=merge', '-p', '{"spec":{"replicas":5}}']));
    const overUpdate = await applyYaml(c, manifest(6), '--field-manager=hpa-sim');
    expect(overUpdate.code).toBe(1);
    expect(overUpdate.stderr).toContain('error: Apply failed with 1 conflict: conflict with "kubectl-patch" using apps/v1: .spec.replicas\n');
  });

  it('rollout status succeeds once the simulated controller catches up', async () => {
    const c = getCluster();
    const result = expectOk(await c.kubectl(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s']));
    expect(result.stdout).toContain('deployment "web" successfully rolled out');
    const deploy = await getJson(c, ['deployment', 'web', '-n', 'shop']);
    expect(deploy.status).toMatchObject({ observedGeneration: deploy.metadata.generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
  });

  it('rollout status waits for a changed Deployment instead of trusting stale status', async () => {
    const c = getCluster();
    c.cluster.setConfig({ ...CONFIG, rolloutDelayMs: 1_000 });
    try {
      expectOk(await c.kubectl(['set', 'env', 'deployment/web', '-n', 'shop', '-c', 'web', 'MODE=canary']));
      const changed = Date.now();
      const lagging = await getJson(c, ['deployment', 'web', '-n', 'shop']);
      expect(lagging.status.observedGeneration).toBeLessThan(lagging.metadata.generation);
      const result = expectOk(await c.kubectl(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s']));
      expect(result.stdout).toContain('deployment "web" successfully rolled out');
      expect(Date.now() - changed).toBeGreaterThanOrEqual(800);
      const done = await getJson(c, ['deployment', 'web', '-n', 'shop']);
      expect(done.status.observedGeneration).toBe(done.metadata.generation);
    } finally {
      c.cluster.setConfig(CONFIG);
    }
  });

  it('rollout status succeeds for StatefulSets and DaemonSets too', async () => {
    const c = getCluster();
    const podTemplate = `
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers: [{name: x, image: "x:1"}]`;
    expectOk(
      await applyYaml(c, `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db
  replicas: 2${podTemplate}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop}
spec:${podTemplate}
`),
    );
    const sts = expectOk(await c.kubectl(['rollout', 'status', 'statefulset/db', '-n', 'shop', '--timeout=20s']));
    expect(sts.stdout).toMatch(/partitioned roll out complete|rolling update complete/);
    const ds = expectOk(await c.kubectl(['rollout', 'status', 'daemonset/agent', '-n', 'shop', '--timeout=20s']));
    expect(ds.stdout).toContain('daemon set "agent" successfully rolled out');
  });

  it('waits for a Job to complete, shows its logs, and reports a configured failure', async () => {
    const c = getCluster();
    const done = expectOk(await c.kubectl(['wait', '--for=condition=complete', 'job/migrate', '-n', 'shop', '--timeout=20s']));
    expect(done.stdout).toContain('job.batch/migrate condition met');
    const logs = expectOk(await c.kubectl(['logs', 'job/migrate', '-n', 'shop']));
    expect(logs.stdout).toBe('applied 3 migrations\n');

    expectOk(
      await applyYaml(c, `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate-fail-1, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: "busybox:1.36"}]
`),
    );
    const failed = expectOk(await c.kubectl(['wait', '--for=condition=failed', 'job/migrate-fail-1', '-n', 'shop', '--timeout=20s']));
    expect(failed.stdout).toContain('job.batch/migrate-fail-1 condition met');
    const job = await getJson(c, ['job', 'migrate-fail-1', '-n', 'shop']);
    expect(job.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' })]));
    const never = await c.kubectl(['wait', '--for=condition=complete', 'job/migrate-fail-1', '-n', 'shop', '--timeout=1s']);
    expect(never.code).toBe(1);
    expect(never.stderr).toContain('timed out waiting for the condition on jobs/migrate-fail-1');
    expect(expectOk(await c.kubectl(['logs', 'job/migrate-fail-1', '-n', 'shop'])).stdout).toBe('error: relation "orders" does not exist\n');

    // A Job that outlives its activeDeadlineSeconds fails with DeadlineExceeded.
    expectOk(
      await applyYaml(c, `
apiVersion: batch/v1
kind: Job
metadata: {name: slow-report, namespace: shop}
spec:
  activeDeadlineSeconds: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: report, image: "busybox:1.36"}]
`),
    );
    expectOk(await c.kubectl(['wait', '--for=condition=failed', 'job/slow-report', '-n', 'shop', '--timeout=20s']));
    const slow = await getJson(c, ['job', 'slow-report', '-n', 'shop']);
    expect(slow.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' })]));
  });

  it('selects by labels and fields, and pages with --chunk-size', async () => {
    const c = getCluster();
    const cm = (name: string, labels: string) => `---
apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}, namespace: sel, labels: {suite: sel, ${labels}}}
`;
    expectOk(
      await applyYaml(c, `apiVersion: v1\nkind: Namespace\nmetadata: {name: sel}\n${cm('a', 'app: web, env: a')}${cm('b', 'app: web, env: b, x: "1"')}${cm('c', 'app: db, env: c')}`),
    );
    const names = async (...args: string[]): Promise<string[]> =>
      expectOk(await c.kubectl(['get', 'configmaps', '-n', 'sel', '-o', 'name', ...args])).stdout.split('\n').filter(Boolean).sort();
    const selections: Array<[string[], string[]]> = [
      [['-l', 'app=web'], ['configmap/a', 'configmap/b']],
      [['-l', 'app!=web,suite=sel'], ['configmap/c']],
      [['-l', 'env in (a,c)'], ['configmap/a', 'configmap/c']],
      [['-l', 'env notin (a),suite'], ['configmap/b', 'configmap/c']],
      [['-l', 'suite=sel,!x'], ['configmap/a', 'configmap/c']],
      [['--field-selector', 'metadata.name=b'], ['configmap/b']],
      [['-l', 'app in (nothing)'], []],
    ];
    const selected = await Promise.all(selections.map(([args]) => names(...args)));
    selections.forEach(([args, expected], i) => expect(selected[i], args.join(' ')).toEqual(expected));

    const bad = await c.kubectl(['get', 'configmaps', '-n', 'sel', '--field-selector', 'data.greeting=hi']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('data.greeting');

    const paged = await c.kubectl(['get', 'configmaps', '-n', 'sel', '-l', 'suite=sel', '-o', 'name', '--chunk-size=1', '-v=6']);
    expect(paged.code).toBe(0);
    expect(paged.stdout.split('\n').filter(Boolean).sort()).toEqual(['configmap/a', 'configmap/b', 'configmap/c']);
    const listCalls = paged.stderr.split('\n').filter((l) => l.includes('/namespaces/sel/configmaps?') && l.includes('limit=1'));
    expect(listCalls.length).toBeGreaterThanOrEqual(3);
    expect(listCalls.filter((l) => l.includes('continue=')).length).toBeGreaterThanOrEqual(2);

    const all = expectOk(await c.kubectl(['get', 'configmaps', '-A', '-l', 'app=web', '-o', 'name'])).stdout;
    expect(all.split('\n').filter(Boolean).sort()).toEqual(['configmap/a', 'configmap/b', 'configmap/web-config']);
  });

  it('prints tables and lists every kind in api-resources, the CRD included', async () => {
    const c = getCluster();
    const table = expectOk(await c.kubectl(['get', 'deploy', '-n', 'shop']));
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+/);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['web']);

    const resources = expectOk(await c.kubectl(['api-resources', '--no-headers'], { cacheDir: c.freshCacheDir() })).stdout;
    const kinds = new Set(resources.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/).at(-1)));
    for (const kind of [
      'Namespace', 'ConfigMap', 'Secret', 'Service', 'ServiceAccount', 'Pod', 'Event', 'PersistentVolumeClaim',
      'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Ingress', 'IngressClass',
      'NetworkPolicy', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'HorizontalPodAutoscaler',
      'PodDisruptionBudget', 'Lease', 'CustomResourceDefinition', 'Widget',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
    expect(resources).toMatch(/^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget$/m);
    expect(resources).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(resources).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);

    const version = JSON.parse(expectOk(await c.kubectl(['version', '-o', 'json'])).stdout);
    expect(version.serverVersion).toMatchObject({ major: '1', gitVersion: expect.stringMatching(/^v1\.\d+\.\d+/) });
  });

  it('labels, scales and patches with merge, strategic and json patches', async () => {
    const c = getCluster();
    expect(expectOk(await c.kubectl(['label', 'configmap', 'web-config', '-n', 'shop', 'tier=front'])).stdout).toContain('configmap/web-config labeled');
    expect((await getJson(c, ['cm', 'web-config', '-n', 'shop'])).metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expectOk(await c.kubectl(['label', 'configmap', 'web-config', '-n', 'shop', 'tier-']));
    expect((await getJson(c, ['cm', 'web-config', '-n', 'shop'])).metadata.labels).toEqual({ app: 'web' });

    const before = (await getJson(c, ['deploy', 'web', '-n', 'shop'])).metadata.generation as number;
    expect(expectOk(await c.kubectl(['scale', 'deployment/web', '-n', 'shop', '--replicas=3'])).stdout).toContain('deployment.apps/web scaled');
    const scaled = await getJson(c, ['deploy', 'web', '-n', 'shop']);
    expect(scaled.spec.replicas).toBe(3);
    expect(scaled.metadata.generation).toBe(before + 1);

    // Strategic merge: containers merge by name, the sidecar stays.
    expectOk(await c.kubectl(['patch', 'deployment', 'web', '-n', 'shop', '--type=strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}']));
    let deploy = await getJson(c, ['deploy', 'web', '-n', 'shop']);
    expect(deploy.spec.template.spec.containers.map((x: { name: string; image: string }) => `${x.name}=${x.image}`)).toEqual(['web=nginx:1.28', 'sidecar=busybox']);
    expect(deploy.metadata.generation).toBe(before + 2);

    // JSON merge patch: a list is replaced whole.
    expectOk(await c.kubectl(['patch', 'deployment', 'web', '-n', 'shop', '--type=merge', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.29"}]}}}}']));
    deploy = await getJson(c, ['deploy', 'web', '-n', 'shop']);
    expect(deploy.spec.template.spec.containers.map((x: { name: string }) => x.name)).toEqual(['web']);
    expect(deploy.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');

    expectOk(await c.kubectl(['patch', 'configmap', 'web-config', '-n', 'shop', '--type=json', '-p', '[{"op":"replace","path":"/data/greeting","value":"hi"},{"op":"add","path":"/data/extra","value":"1"}]']));
    expect((await getJson(c, ['cm', 'web-config', '-n', 'shop'])).data).toEqual({ greeting: 'hi', extra: '1' });
    const failing = await c.kubectl(['patch', 'configmap', 'web-config', '-n', 'shop', '--type=json', '-p', '[{"op":"test","path":"/data/greeting","value":"nope"}]']);
    expect(failing.code).toBe(1);
    expect((await getJson(c, ['cm', 'web-config', '-n', 'shop'])).data.greeting).toBe('hi');
  });

  it('keeps an object with finalizers until they are removed', async () => {
    const c = getCluster();
    expectOk(await applyYaml(c, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, namespace: sel}\ndata: {k: v}\n'));
    expectOk(await c.kubectl(['patch', 'configmap', 'held', '-n', 'sel', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']));
    expectOk(await c.kubectl(['delete', 'configmap', 'held', '-n', 'sel', '--wait=false']));
    const held = await getJson(c, ['cm', 'held', '-n', 'sel']);
    expect(held.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(held.metadata.finalizers).toEqual(['example.com/hold']);

    expectOk(await c.kubectl(['patch', 'configmap', 'held', '-n', 'sel', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']));
    const gone = await c.kubectl(['get', 'configmap', 'held', '-n', 'sel']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('configmaps "held" not found');
  });

  it('creates objects with the imperative kubectl create commands, which send protobuf', async () => {
    const c = getCluster();
    expectOk(await c.kubectl(['create', 'namespace', 'imperative']));
    const created = await Promise.all([
      c.kubectl(['create', 'configmap', 'cfg', '-n', 'imperative', '--from-literal=a=1']),
      c.kubectl(['create', 'secret', 'generic', 'pw', '-n', 'imperative', '--from-literal=password=hunter2']),
      c.kubectl(['create', 'deployment', 'web', '-n', 'imperative', '--image=nginx:1.27', '--replicas=2', '--port=80']),
      c.kubectl(['create', 'service', 'clusterip', 'web', '-n', 'imperative', '--tcp=80:8080']),
      c.kubectl(['create', 'cronjob', 'nightly', '-n', 'imperative', '--image=busybox:1.36', '--schedule=0 3 * * *']),
    ]);
    created.forEach(expectOk);
    // Triggering a CronJob by hand, a common operation.
    expect(expectOk(await c.kubectl(['create', 'job', 'nightly-now', '-n', 'imperative', '--from=cronjob/nightly'])).stdout).toContain('job.batch/nightly-now created');
    const deploy = await getJson(c, ['deployment', 'web', '-n', 'imperative']);
    expect(deploy.spec.replicas).toBe(2);
    expect(deploy.spec.template.spec.containers).toEqual([expect.objectContaining({ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] })]);
    const secret = await getJson(c, ['secret', 'pw', '-n', 'imperative']);
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('hunter2');
    const svc = await getJson(c, ['service', 'web', '-n', 'imperative']);
    expect(svc.spec.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 8080, protocol: 'TCP' })]);
    const job = await getJson(c, ['job', 'nightly-now', '-n', 'imperative']);
    expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'CronJob', name: 'nightly' })]);
  });

  it('refuses to create in a missing namespace', async () => {
    const c = getCluster();
    const result = await c.kubectl(['create', 'configmap', 'x', '-n', 'missing', '--from-literal=a=b']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('namespaces "missing" not found');
  });

  it('deleting a namespace removes everything in it', async () => {
    const c = getCluster();
    expectOk(
      await applyYaml(c, `
apiVersion: v1
kind: Namespace
metadata: {name: doomed}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: left, namespace: doomed}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: doomed}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers: [{name: x, image: "x:1"}]
`),
    );
    expect(expectOk(await c.kubectl(['delete', 'namespace', 'doomed', '--timeout=20s'])).stdout).toContain('namespace "doomed" deleted');
    const ns = await c.kubectl(['get', 'namespace', 'doomed']);
    expect(ns.stderr).toContain('namespaces "doomed" not found');
    const left = expectOk(await c.kubectl(['get', 'configmaps,deployments', '-n', 'doomed', '-o', 'name']));
    expect(left.stdout).toBe('');
  });
});
