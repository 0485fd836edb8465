/**
 * The daemon's RBAC in charts/kasane, proved by running kasane with nothing else: the chart is
 * rendered by the real CLI, the rules bound to its ServiceAccount become the devcluster's allow list
 * (a Role's rules only in its namespace), and then
 *   - `kasane sync --env demo` (hooks, a Secret, a new namespace) succeeds, a second sync and a diff
 *     find nothing to do, and `kasane daemon` elects itself leader, syncs a new commit and reports it;
 *   - what the rules leave out is refused: RBAC objects, pods/exec, serviceaccounts/token, nodes/proxy,
 *     and a chart kind not in the list fails with kasane's error naming the verb and the resource;
 *   - the same holds for rbac.namespaces (Roles per namespace), and a namespace not listed is refused;
 *   - statically: no "*", no dangerous resource or verb in any rendered rule.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuthorizationConfig, AuthorizationRule } from '../../src/devcluster/index.js';
import { getStatus, waitFor } from '../controller/support/fixture.js';
import { createRemote } from '../git/support/remote.js';
import { projectRoot, runCli } from '../support/cli.js';
import { useDevcluster } from '../support/devcluster.js';
import { spawnKasane, type Run } from './support.js';

const cluster = useDevcluster({ rolloutDelayMs: 50, jobs: { defaultDurationMs: 100, rules: [] } });
const scratch = mkdtempSync(join(tmpdir(), 'kasane-rbac-'));
const cleanup: (() => void)[] = [];
afterAll(() => {
  for (const f of cleanup.reverse()) f();
  rmSync(scratch, { recursive: true, force: true });
});

/** environments/kasane.yaml installs into kasane-system; the chart's ServiceAccount is `kasane`. */
const NAMESPACE = 'kasane-system';
const USER = `system:serviceaccount:${NAMESPACE}:kasane`;

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface Rendered {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

async function renderChart(values?: string): Promise<Rendered[]> {
  const args = ['render', '--env', 'kasane'];
  if (values !== undefined) {
    const file = join(scratch, `values-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, values);
    args.push('--values', file);
  }
  const res = await runCli(args);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return parseAllDocuments(res.stdout)
    .map((d) => d.toJS() as Rendered | null)
    .filter((o): o is Rendered => o !== null);
}

/** The rules RBAC would give the chart's ServiceAccount: each bound role's, a Role's in its namespace. */
function grantedRules(objects: Rendered[]): { namespace: string | undefined; rule: PolicyRule }[] {
  const boundToUs = (b: Rendered): boolean => (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && `system:serviceaccount:${s.namespace}:${s.name}` === USER);
  const granted: { namespace: string | undefined; rule: PolicyRule }[] = [];
  for (const binding of objects.filter((o) => (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') && boundToUs(o))) {
    const scope = binding.kind === 'RoleBinding' ? (binding.metadata.namespace ?? NAMESPACE) : undefined;
    const role = objects.find(
      (o) => o.kind === binding.roleRef?.kind && o.metadata.name === binding.roleRef.name && (o.kind === 'ClusterRole' || (o.metadata.namespace ?? NAMESPACE) === scope),
    );
    expect(role, `${binding.kind} ${binding.metadata.name} refers to a role the chart renders`).toBeDefined();
    for (const rule of role?.rules ?? []) granted.push({ namespace: scope, rule });
  }
  return granted;
}

/** One devcluster allow rule per verb × group × resource (× name) of each granted rule. */
function allowList(objects: Rendered[]): AuthorizationConfig {
  const allow: AuthorizationRule[] = [];
  for (const { namespace, rule } of grantedRules(objects)) {
    for (const verb of rule.verbs ?? [])
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? []) {
          const base: AuthorizationRule = { verb, resource, group, ...(namespace === undefined ? {} : { namespace }) };
          if (rule.resourceNames === undefined) allow.push(base);
          else for (const name of rule.resourceNames) allow.push({ ...base, name });
        }
  }
  return { user: USER, allow };
}

const DANGEROUS_RESOURCES = [
  'pods/exec', 'pods/attach', 'pods/portforward', 'pods/proxy', 'pods/ephemeralcontainers', 'services/proxy', 'nodes', 'nodes/proxy',
  'serviceaccounts/token', 'roles', 'rolebindings', 'clusterroles', 'clusterrolebindings', 'customresourcedefinitions',
  'mutatingwebhookconfigurations', 'validatingwebhookconfigurations', 'certificatesigningrequests', 'tokenreviews', 'subjectaccessreviews',
];
const VERBS_KASANE_SENDS = ['get', 'list', 'create', 'patch', 'delete'];

function staticProblems(objects: Rendered[]): string[] {
  const problems: string[] = [];
  for (const role of objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')) {
    const where = `${role.kind} ${role.metadata.name}`;
    for (const rule of role.rules ?? []) {
      const fields = [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.verbs ?? []), ...(rule.resourceNames ?? [])];
      if (fields.some((f) => f.includes('*'))) problems.push(`${where}: a wildcard in ${JSON.stringify(rule)}`);
      if (rule.nonResourceURLs !== undefined) problems.push(`${where}: nonResourceURLs`);
      for (const r of rule.resources ?? []) if (DANGEROUS_RESOURCES.includes(r)) problems.push(`${where}: ${r}`);
      for (const v of rule.verbs ?? []) if (!VERBS_KASANE_SENDS.includes(v)) problems.push(`${where}: verb ${v}`);
    }
  }
  return problems;
}

/** A kasane run against the test cluster; `cwd` is a repository root (default: this checkout). */
function kasane(args: string[], cwd = projectRoot) {
  return runCli([...args, '--kubeconfig', cluster().kubeconfigPath], { cwd, repoRoot: cwd, timeoutMs: 120_000 });
}

/** Sets up what an installer (not kasane) makes first: kasane's own namespace. Then only the rules hold. */
async function withOnly(authorization: AuthorizationConfig): Promise<void> {
  cluster().cluster.reset();
  cluster().cluster.setConfig({ rolloutDelayMs: 50, jobs: { defaultDurationMs: 100, rules: [] } });
  expect((await cluster().kubectl(['create', 'namespace', NAMESPACE])).code).toBe(0);
  cluster().cluster.setConfig({ rolloutDelayMs: 50, jobs: { defaultDurationMs: 100, rules: [] }, authorization });
}

/** A repository holding one more chart, `extra`, with the given objects, and an environment using it. */
function extraRepo(name: string, namespace: string, manifest: string): string {
  const root = join(scratch, name);
  mkdirSync(join(root, 'charts', 'extra', 'templates'), { recursive: true });
  mkdirSync(join(root, 'environments'), { recursive: true });
  writeFileSync(join(root, 'charts', 'extra', 'Chart.yaml'), 'apiVersion: v2\nname: extra\nversion: 0.1.0\n');
  writeFileSync(join(root, 'charts', 'extra', 'templates', 'objects.yaml'), manifest);
  writeFileSync(join(root, 'environments', 'extra.yaml'), `releases:\n  - name: extra\n    chart: extra\n    namespace: ${namespace}\n    createNamespace: true\n`);
  return root;
}

const ROLE_CHART = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\nrules:\n  - apiGroups: [""]\n    resources: [configmaps]\n    verbs: [get]\n';

describe('charts/kasane RBAC, default values (one ClusterRole)', { timeout: 300_000 }, () => {
  it('has no wildcard, no dangerous resource and only the verbs kasane sends, also with rbac.namespaces', async () => {
    const defaults = await renderChart();
    expect(defaults.filter((o) => o.kind.endsWith('Role')).length).toBeGreaterThan(0);
    expect(staticProblems(defaults)).toEqual([]);
    expect(staticProblems(await renderChart('rbac:\n  namespaces: [demo, shop]\n'))).toEqual([]);
    // The check itself catches the old rule.
    expect(staticProblems([{ kind: 'ClusterRole', metadata: { name: 'old' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get'] }] }])).not.toEqual([]);
  });

  it('is enough for kasane sync of the demo environment (hooks, a Secret, a new namespace), and a second sync and a diff are clean', async () => {
    await withOnly(allowList(await renderChart()));
    const first = await kasane(['sync', '--env', 'demo']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/pre-sync hook .*succeeded/);
    expect(first.stdout).toMatch(/created +v1 Secret demo\//);

    const second = await kasane(['sync', '--env', 'demo']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('in sync, nothing to do');
    const diff = await kasane(['diff', '--env', 'demo', '--detailed-exitcode']);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
  });

  it('refuses what the rules leave out: RBAC objects, pods/exec, serviceaccounts/token, nodes/proxy', async () => {
    await withOnly(allowList(await renderChart()));
    const k = cluster().kubectl;
    const crb = await k(['create', 'clusterrolebinding', 'escalate', '--clusterrole=cluster-admin', `--serviceaccount=${NAMESPACE}:kasane`]);
    expect(crb.stderr).toContain(`User "${USER}" cannot create resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope`);
    const role = await k(['create', 'role', 'r', '--verb=get', '--resource=pods', '-n', 'demo']);
    expect(role.stderr).toContain('cannot create resource "roles"');
    const token = await k(['create', 'token', 'default', '-n', 'demo']);
    expect(token.stderr).toContain('cannot create resource "serviceaccounts/token" in API group "" in the namespace "demo"');
    expect((await k(['get', 'pods', '-n', 'demo'])).code).toBe(0);
    // Authorization comes before the lookup, as on a real server: the pod need not exist.
    const exec = await k(['create', '--raw', '/api/v1/namespaces/demo/pods/web/exec?command=sh', '-f', '-'], { stdin: '{}' });
    expect(exec.stderr).toContain('cannot create resource "pods/exec" in API group "" in the namespace "demo"');
    const proxy = await k(['get', '--raw', '/api/v1/nodes/devcluster/proxy']);
    expect(proxy.stderr).toContain('cannot get resource "nodes/proxy"');
  });

  it('a chart kind outside the rules fails the sync with an error naming the verb and the resource', async () => {
    await withOnly(allowList(await renderChart()));
    const root = extraRepo('role-chart', 'demo', ROLE_CHART);
    const res = await kasane(['sync', '--env', 'extra'], root);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Role demo\/reader: forbidden to \w+ roles\.rbac\.authorization\.k8s\.io in namespace demo/);
    expect(res.stderr).toContain(`User "${USER}" cannot`);
    expect(res.stderr).toMatch(/grant the user of context "devcluster" the RBAC permission to \w+ roles/);
  });

  it('is enough for kasane daemon: it takes the leader Lease, syncs a new commit with its hooks, reports a failed one with Events', async () => {
    const authorization = allowList(await renderChart());
    await withOnly(authorization);
    const remote = createRemote();
    cleanup.push(() => remote.remove());
    const files: Record<string, string> = {};
    const copy = (dir: string): void => {
      for (const entry of readdirSync(join(projectRoot, dir))) {
        const path = join(dir, entry);
        if (statSync(join(projectRoot, path)).isDirectory()) copy(path);
        else files[path] = readFileSync(join(projectRoot, path), 'utf8');
      }
    };
    copy(join('charts', 'demo-app'));
    files['environments/demo.yaml'] = readFileSync(join(projectRoot, 'environments', 'demo.yaml'), 'utf8').replace('Hello from the demo environment', 'Hello from the daemon').replace('interval: 30s', 'interval: 1s');
    const revision = remote.commit(files, 'demo');

    const cache = join(scratch, 'daemon-cache');
    const daemon = spawnKasane(
      ['daemon', '--repo', remote.fileUrl, '--env', 'demo', '--listen', '127.0.0.1:0', '--cache-dir', cache, '--identity', 'kasane-0', '--lease-namespace', NAMESPACE, '--lease-name', 'kasane', '--lease-duration', '15s'],
      { KUBECONFIG: cluster().kubeconfigPath },
    );
    cleanup.push(() => daemon.child.kill('SIGKILL'));
    try {
      const url = await waitFor('the daemon to listen', () => listening(daemon), 60_000);
      const status = await waitFor(
        'the daemon to sync the commit',
        async () => {
          const s = await getStatus(url);
          return s.environments[0]?.state === 'Synced' && s.environments[0].revision === revision ? s : undefined;
        },
        90_000,
      );
      expect(status.leader).toBe(true);
      const lease = await cluster().kubectl(['get', 'lease', 'kasane', '-n', NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}']);
      expect(lease.stdout).toBe('kasane-0');
      const greeting = await cluster().kubectl(['get', 'configmaps', '-n', 'demo', '-o', 'jsonpath={.items[*].data}']);
      expect(greeting.stdout).toContain('Hello from the daemon');
      expect(daemon.stdout).toContain('"hook started"');

      // A failing hook: the daemon records Events about it in the release namespace.
      cluster().cluster.setConfig({ rolloutDelayMs: 50, jobs: { defaultDurationMs: 100, rules: [{ name: '*smoke-test*', result: 'fail', logs: 'smoke test failed\n' }] }, authorization });
      const failing = remote.commit({ 'environments/demo.yaml': files['environments/demo.yaml']!.replace('Hello from the daemon', 'Hello again') }, 'failing smoke test');
      let last: unknown;
      await waitFor('the failed sync', async () => {
        const s = await getStatus(url);
        last = s.environments[0];
        return s.environments[0]?.state === 'Failed' && s.environments[0].desiredRevision === failing;
      }, 60_000).catch((err: unknown) => {
        throw new Error(`${String(err)}; last status ${JSON.stringify(last)}; daemon log ${daemon.stdout.slice(-3000)}`);
      });
      await waitFor('the Events', () => daemon.stdout.includes('release failed'), 10_000);
      expect(daemon.stdout).not.toMatch(/forbidden|cannot record/i);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    cluster().cluster.setConfig({});
    const events = await cluster().kubectl(['get', 'events', '-n', 'demo', '-o', 'jsonpath={.items[*].reason}']);
    expect(events.stdout).toContain('HookFailed');
    expect(events.stdout).toContain('SyncFailed');
  });
});

describe('charts/kasane RBAC with rbac.namespaces (Roles per namespace)', { timeout: 300_000 }, () => {
  it('is enough to sync the demo into a listed namespace; another namespace is refused', async () => {
    await withOnly(allowList(await renderChart('rbac:\n  namespaces: [demo]\n')));
    const sync = await kasane(['sync', '--env', 'demo']);
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    expect((await kasane(['diff', '--env', 'demo', '--detailed-exitcode'])).code).toBe(0);

    const root = extraRepo('elsewhere', 'elsewhere', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n');
    const refused = await kasane(['sync', '--env', 'extra'], root);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('forbidden to list secrets in namespace elsewhere');
    expect((await cluster().kubectl(['get', 'configmaps', '-n', 'demo'])).code).toBe(0);
    expect((await cluster().kubectl(['get', 'configmaps', '-n', 'default'])).stderr).toContain('cannot list resource "configmaps" in API group "" in the namespace "default"');
    cluster().cluster.setConfig({});
    expect((await cluster().kubectl(['get', 'namespace', 'elsewhere'])).stderr).toContain('NotFound');
  });
});

/** The daemon's address, once its "daemon started" log line is out. */
function listening(run: Run): string | undefined {
  for (const line of run.stdout.split('\n')) {
    if (!line.includes('"daemon started"')) continue;
    const parsed = JSON.parse(line) as { address?: string };
    if (parsed.address !== undefined) return `http://${parsed.address}`;
  }
  if (run.child.exitCode !== null) throw new Error(`the daemon exited with ${run.child.exitCode}: ${run.stderr}`);
  return undefined;
}
