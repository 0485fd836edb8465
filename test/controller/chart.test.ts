/** charts/kasane, rendered by kasane itself from environments/kasane.yaml. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { projectRoot } from '../support/cli.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _e: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function kasane(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(['node', 'kasane', '--repo-root', projectRoot, ...args], { stdout, stderr, env: {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

type Obj = { kind: string; metadata: { name: string; namespace?: string }; rules?: { verbs: string[]; resources?: string[] }[]; spec?: any };

async function render(extra: string[] = []): Promise<Obj[]> {
  const res = await kasane(['render', '--env', 'kasane', ...extra]);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return parseAllDocuments(res.stdout).map((d) => d.toJS() as Obj).filter(Boolean);
}

const dir = mkdtempSync(join(tmpdir(), 'kasane-chart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('charts/kasane', () => {
  it('renders and lints from environments/kasane.yaml', async () => {
    expect((await kasane(['lint', '--env', 'kasane'])).code).toBe(0);
    const objects = await render();
    expect(objects.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Service', 'ServiceAccount']);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const container = deployment.spec.template.spec.containers[0];
    expect(container.args).toEqual(expect.arrayContaining(['daemon', '--env=staging', '--env=production', '--git-password-env=KASANE_GIT_PASSWORD', '--webhook-secret-env=KASANE_WEBHOOK_SECRET']));
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.env.find((e: { name: string }) => e.name === 'KASANE_GIT_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'kasane-git', key: 'token' });
    // Credentials reach the pod from Secrets only, never as literal arguments.
    expect(JSON.stringify(container.args)).not.toMatch(/token=|password=/i);
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    // Only the verbs kasane uses.
    const role = objects.find((o) => o.kind === 'ClusterRole')!;
    expect([...new Set(role.rules?.flatMap((r) => r.verbs))].sort()).toEqual(['create', 'delete', 'get', 'list', 'patch']);
    expect(role.rules?.flatMap((r) => r.resources ?? [])).not.toContain('*');
  });

  it('narrows RBAC to Roles in the listed namespaces', async () => {
    const values = join(dir, 'narrow.yaml');
    writeFileSync(values, 'rbac:\n  namespaces: [shop, web]\n');
    const objects = await render(['--values', values]);
    // Cluster-wide, only the listed namespaces themselves, by name (a sync checks its namespace exists).
    const clusterRoles = objects.filter((o) => o.kind === 'ClusterRole');
    expect(clusterRoles.map((o) => o.rules)).toEqual([[{ apiGroups: [''], resources: ['namespaces'], resourceNames: ['shop', 'web'], verbs: ['get', 'create', 'patch'] }]]);
    const roles = objects.filter((o) => o.kind === 'Role').map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
    expect(roles).toEqual(['kasane-system/kasane-leader-election', 'shop/kasane', 'web/kasane']);
    const bindings = objects.filter((o) => o.kind === 'RoleBinding');
    expect(bindings).toHaveLength(3);
    const leaderRole = objects.find((o) => o.kind === 'Role' && o.metadata.name === 'kasane-leader-election')!;
    expect(JSON.stringify(leaderRole.rules)).toContain('leases');
  });

  it('mounts an SSH key Secret and follows a tag when asked', async () => {
    const values = join(dir, 'ssh.yaml');
    writeFileSync(values, 'repo: {url: "ssh://git@example.com/platform.git", tag: v1.2.0}\ngit: {passwordSecret: {name: ""}, sshSecret: {name: kasane-ssh}}\n');
    const objects = await render(['--values', values]);
    const spec = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec;
    expect(spec.containers[0].args).toEqual(expect.arrayContaining(['--tag=v1.2.0', '--ssh-key-file=/etc/kasane/ssh/identity', '--ssh-known-hosts=/etc/kasane/ssh/known_hosts']));
    expect(spec.containers[0].args.some((a: string) => a.startsWith('--branch'))).toBe(false);
    expect(spec.volumes.find((v: { name: string }) => v.name === 'ssh').secret.secretName).toBe('kasane-ssh');
  });
});
