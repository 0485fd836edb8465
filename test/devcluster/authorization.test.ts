/**
 * The devcluster's allow list: with `authorization.allow`, a request no rule names gets the 403 a
 * real API server's RBAC authorizer sends, to the real kubectl as to any client. Also what RBAC does
 * that a plain verb check would miss: an apply that creates an object needs `create` too, a rule with
 * a name covers that object only, and a subresource the devcluster does not serve is refused before
 * it is found missing.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DevclusterConfigError, validateConfig } from '../../src/devcluster/config.js';
import type { AuthorizationRule } from '../../src/devcluster/index.js';
import { useDevcluster } from '../support/devcluster.js';

const cluster = useDevcluster();

const configMap = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\ndata:\n  a: "1"\n`;

const reads = (resource: string, namespace?: string): AuthorizationRule[] =>
  ['get', 'list'].map((verb) => ({ verb, resource, group: '', ...(namespace === undefined ? {} : { namespace }) }));

beforeEach(() => {
  cluster().cluster.reset();
  cluster().cluster.setConfig({});
});

describe('authorization.allow', () => {
  it('serves what the rules name and refuses everything else with Forbidden, naming verb, resource and scope', async () => {
    cluster().cluster.setConfig({ authorization: { user: 'system:serviceaccount:kasane-system:kasane', allow: reads('configmaps', 'default') } });
    expect((await cluster().kubectl(['get', 'configmaps', '-n', 'default'])).code).toBe(0);

    const otherNamespace = await cluster().kubectl(['get', 'configmaps', '-n', 'kube-system']);
    expect(otherNamespace.code).toBe(1);
    expect(otherNamespace.stderr).toContain(
      'configmaps is forbidden: User "system:serviceaccount:kasane-system:kasane" cannot list resource "configmaps" in API group "" in the namespace "kube-system"',
    );
    const otherKind = await cluster().kubectl(['get', 'secrets', '-n', 'default']);
    expect(otherKind.stderr).toContain('cannot list resource "secrets" in API group "" in the namespace "default"');
    const otherVerb = await cluster().kubectl(['delete', 'configmap', 'kube-root-ca.crt', '-n', 'default']);
    expect(otherVerb.stderr).toContain('cannot delete resource "configmaps"');
    const clusterScoped = await cluster().kubectl(['create', 'clusterrolebinding', 'mine', '--clusterrole=cluster-admin', '--user=me']);
    expect(clusterScoped.code).toBe(1);
    expect(clusterScoped.stderr).toContain('cannot create resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope');
  });

  it('an empty list refuses every API request; discovery stays open, as for any authenticated user', async () => {
    cluster().cluster.setConfig({ authorization: { allow: [] } });
    const denied = await cluster().kubectl(['get', 'namespaces']);
    expect(denied.stderr).toContain('User "devcluster" cannot list resource "namespaces"');
    expect((await cluster().kubectl(['api-resources', '--api-group=apps'])).stdout).toContain('deployments');
  });

  it('a server-side apply that creates the object needs create as well as patch', async () => {
    const file = cluster().writeFile('cm.yaml', configMap('settings'));
    const apply = ['apply', '--server-side', '-f', file];
    cluster().cluster.setConfig({ authorization: { allow: [...reads('configmaps'), { verb: 'patch', resource: 'configmaps', group: '' }] } });
    const refused = await cluster().kubectl(apply);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('configmaps "settings" is forbidden: User "devcluster" cannot create resource "configmaps"');

    cluster().cluster.setConfig({});
    expect((await cluster().kubectl(apply)).code).toBe(0);
    // The object exists: patch alone now does.
    cluster().cluster.setConfig({ authorization: { allow: [...reads('configmaps'), { verb: 'patch', resource: 'configmaps', group: '' }] } });
    const changed = await cluster().kubectl(['apply', '--server-side', '-f', cluster().writeFile('cm2.yaml', configMap('settings').replace('"1"', '"2"'))]);
    expect(changed.code, changed.stderr).toBe(0);
    expect((await cluster().kubectl(['get', 'configmap', 'settings', '-n', 'default', '-o', 'jsonpath={.data.a}'])).stdout).toBe('2');
  });

  it('a rule with a name covers that one object, as resourceNames do', async () => {
    cluster().cluster.setConfig({ authorization: { allow: [{ verb: 'get', resource: 'namespaces', group: '', name: 'default' }] } });
    expect((await cluster().kubectl(['get', 'namespace', 'default'])).code).toBe(0);
    expect((await cluster().kubectl(['get', 'namespace', 'kube-system'])).stderr).toContain('namespaces "kube-system" is forbidden');
    // A list names no object: not covered.
    expect((await cluster().kubectl(['get', 'namespaces'])).stderr).toContain('cannot list resource "namespaces"');
  });

  it('subresources are resources of their own: pods does not cover pods/log, and unserved ones are refused, not missing', async () => {
    cluster().cluster.setConfig({});
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: shell\n  namespace: default\nspec:\n  containers:\n    - {name: sh, image: busybox:1.36}\n';
    expect((await cluster().kubectl(['apply', '--server-side', '-f', cluster().writeFile('pod.yaml', pod)])).code).toBe(0);
    expect((await cluster().kubectl(['create', 'serviceaccount', 'robot', '-n', 'default'])).code).toBe(0);
    cluster().cluster.setConfig({ authorization: { allow: [...reads('pods'), ...reads('serviceaccounts')] } });

    expect((await cluster().kubectl(['get', 'pod', 'shell', '-n', 'default'])).code).toBe(0);
    expect((await cluster().kubectl(['logs', 'shell', '-n', 'default'])).stderr).toContain('cannot get resource "pods/log"');
    const token = await cluster().kubectl(['create', 'token', 'robot', '-n', 'default']);
    expect(token.code).toBe(1);
    expect(token.stderr).toContain('cannot create resource "serviceaccounts/token" in API group "" in the namespace "default"');
    const exec = await cluster().kubectl(['create', '--raw', '/api/v1/namespaces/default/pods/shell/exec?command=sh', '-f', '-'], { stdin: '{}' });
    expect(exec.stderr).toContain('cannot create resource "pods/exec"');

    // Allowed, the unserved subresource is what it is on the devcluster: not found.
    cluster().cluster.setConfig({ authorization: { allow: [{ verb: 'create', resource: 'serviceaccounts/token', group: '' }] } });
    expect((await cluster().kubectl(['create', 'token', 'robot', '-n', 'default'])).stderr).toContain('the server could not find the requested resource');
  });

  it('a deny rule wins over an allow rule', async () => {
    cluster().cluster.setConfig({ authorization: { allow: reads('configmaps'), deny: [{ verb: 'list', resource: 'configmaps', namespace: 'kube-system' }] } });
    expect((await cluster().kubectl(['get', 'configmaps', '-n', 'default'])).code).toBe(0);
    expect((await cluster().kubectl(['get', 'configmaps', '-n', 'kube-system'])).stderr).toContain('cannot list resource "configmaps"');
  });
});

describe('authorization configuration', () => {
  it('names the rule that is malformed', () => {
    const bad = (authorization: unknown): string => {
      try {
        validateConfig({ authorization }, 'devcluster.yaml');
        return 'accepted';
      } catch (err) {
        expect(err).toBeInstanceOf(DevclusterConfigError);
        return (err as Error).message;
      }
    };
    expect(bad({ allow: [{ verb: 'get', resource: 'pods', names: 'x' }] })).toBe('devcluster.yaml: authorization.allow[0]: unknown key "names" (expected verb, resource, group, namespace, name)');
    expect(bad({ allow: [{ verb: 'get' }] })).toContain('authorization.allow[0] needs a verb and a resource');
    expect(bad({ allow: { verb: 'get', resource: 'pods' } })).toContain('authorization.allow must be a list');
    expect(bad({ deny: [{ verb: 'get', resource: 'pods', namespace: 3 }] })).toContain('authorization.deny[0].namespace must be a string');
    expect(bad({ allowed: [] })).toContain('authorization: unknown key "allowed" (expected user, deny, allow)');
    expect(bad({ allow: [{ verb: 'get', resource: 'pods', group: '', namespace: 'a', name: 'b' }], deny: [] })).toBe('accepted');
  });
});
