/**
 * Errors a real API server gives that kasane must turn into clear, bounded failures: an RBAC denial
 * (the devcluster's `authorization.deny` rules, checked against the real kubectl) and a server-side
 * apply the server can never accept (a 500 that no retry can cure).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { connect, InvalidError, type ClusterClient } from '../../src/cluster/index.js';
import type { KubeObject } from '../../src/model/object.js';
import { useDevcluster } from '../support/devcluster.js';

const cluster = useDevcluster();
let client: ClusterClient;

beforeEach(async () => {
  cluster().cluster.reset();
  cluster().cluster.setConfig({});
  client = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
});

const deployment = (extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', ...extra }] } },
  },
});

describe('devcluster authorization deny rules', () => {
  it('answer what a real API server answers when RBAC denies a request, to kubectl too', async () => {
    cluster().cluster.setConfig({
      authorization: { user: 'ci-bot', deny: [{ verb: 'list', resource: 'deployments', group: 'apps', namespace: 'default' }, { verb: 'delete', resource: 'namespaces' }] },
    });
    const list = await cluster().kubectl(['get', 'deployments', '-n', 'default']);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain(
      'Error from server (Forbidden): deployments.apps is forbidden: User "ci-bot" cannot list resource "deployments" in API group "apps" in the namespace "default"',
    );
    const remove = await cluster().kubectl(['delete', 'namespace', 'kube-public']);
    expect(remove.stderr).toContain('namespaces "kube-public" is forbidden: User "ci-bot" cannot delete resource "namespaces" in API group "" at the cluster scope');
    // Not denied: other namespaces, other verbs.
    expect((await cluster().kubectl(['get', 'deployments', '-n', 'kube-system'])).code).toBe(0);
    expect((await cluster().kubectl(['get', 'namespaces'])).code).toBe(0);
  });
});

describe('a 500 that no retry can cure', () => {
  it('a server-side apply the server cannot type fails at once, naming the object and the field', async () => {
    const patient = await connect({ kubeconfig: cluster().kubeconfigPath, env: {}, retry: { maxAttempts: 6, baseDelayMs: 400, maxDelayMs: 4000, maxRetryAfterMs: 4000 } });
    await patient.resourceFor('apps/v1', 'Deployment');
    const before = patient.stats.requests;
    const started = Date.now();
    const err = await patient.apply(deployment({ imagePullPolice: 'Always' }), { dryRun: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as Error).message).toContain('apps/v1 Deployment default/web');
    expect((err as Error).message).toContain('imagePullPolice: field not declared in schema');
    expect((err as InvalidError).hint).toMatch(/fix the object in the chart/);
    // One try: five more with this backoff would have taken seconds.
    expect(patient.stats.requests - before).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a transient 500 is still tried again, a bounded number of times', async () => {
    cluster().cluster.setConfig({ faults: { errorRate: 1 } });
    const failing = await connect({ kubeconfig: cluster().kubeconfigPath, env: {}, retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 } });
    const err = await failing.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(failing.stats.requests).toBe(4);
  });
});
