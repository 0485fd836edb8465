/**
 * Kubeconfig loading as kubectl does it, checked against the real kubectl reading the same files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeconfigError, loadKubeconfig } from '../../src/cluster/index.js';
import { spawnSync } from 'node:child_process';
import { kubectlPath, runKubectl } from '../support/kubectl.js';

const dir = mkdtempSync(join(tmpdir(), 'kasane-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(name: string, opts: { current?: string; clusters: Record<string, string>; contexts: Record<string, { cluster: string; namespace?: string }> }): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      ...(opts.current ? { 'current-context': opts.current } : {}),
      clusters: Object.entries(opts.clusters).map(([n, server]) => ({ name: n, cluster: { server } })),
      users: [{ name: 'me', user: { token: 't' } }],
      contexts: Object.entries(opts.contexts).map(([n, c]) => ({ name: n, context: { cluster: c.cluster, user: 'me', ...(c.namespace ? { namespace: c.namespace } : {}) } })),
    }),
  );
  return path;
}

// first.yaml sets no current-context; second.yaml does; both define cluster "shared".
const first = kubeconfig('first.yaml', {
  clusters: { shared: 'https://first.example:6443', alpha: 'https://alpha.example:6443' },
  contexts: { alpha: { cluster: 'alpha', namespace: 'team-a' }, shared: { cluster: 'shared' } },
});
const second = kubeconfig('second.yaml', {
  current: 'beta',
  clusters: { shared: 'https://second.example:6443', beta: 'https://beta.example:6443' },
  contexts: { beta: { cluster: 'beta' }, shared: { cluster: 'shared' } },
});
const third = kubeconfig('third.yaml', { current: 'gamma', clusters: { gamma: 'https://gamma.example:6443' }, contexts: { gamma: { cluster: 'gamma' } } });

/** The real kubectl with KUBECONFIG alone (the shared helper always passes --kubeconfig, which would hide it). */
function kubectlView(env: Record<string, string>, args: string[]): string {
  const out = spawnSync(kubectlPath(), args, { env: { PATH: process.env['PATH'] ?? '', HOME: dir, KUBERC: 'off', ...env }, encoding: 'utf8' });
  return out.stdout.trim();
}

describe('kubeconfig loading', () => {
  it('merges every KUBECONFIG file, the first to set a name or the current context winning, as kubectl does', async () => {
    const env = { KUBECONFIG: [first, join(dir, 'missing.yaml'), second, third].join(delimiter) };
    const loaded = await loadKubeconfig({ env });
    expect(loaded.contextName).toBe(kubectlView(env, ['config', 'current-context']));
    expect(loaded.contextName).toBe('beta');
    expect(loaded.server).toBe('https://beta.example:6443');

    const shared = await loadKubeconfig({ env, context: 'shared' });
    const kubectlServer = kubectlView(env, ['config', 'view', '--minify', '--context', 'shared', '-o', 'jsonpath={.clusters[0].cluster.server}']);
    expect(shared.server).toBe(kubectlServer);
    expect(shared.server).toBe('https://first.example:6443');
  });

  it('--kubeconfig alone, ignoring KUBECONFIG; --context picks the context and its namespace', async () => {
    const loaded = await loadKubeconfig({ kubeconfig: first, context: 'alpha', env: { KUBECONFIG: second } });
    expect(loaded.contextName).toBe('alpha');
    expect(loaded.server).toBe('https://alpha.example:6443');
    expect(loaded.namespace).toBe('team-a');
    expect((await loadKubeconfig({ kubeconfig: second, env: {} })).namespace).toBe('default');
  });

  it('falls back to ~/.kube/config', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), stringify({ 'current-context': 'home', clusters: [{ name: 'h', cluster: { server: 'https://home.example' } }], users: [{ name: 'u', user: {} }], contexts: [{ name: 'home', context: { cluster: 'h', user: 'u' } }] }));
    expect((await loadKubeconfig({ env: { HOME: home } })).server).toBe('https://home.example');
  });

  it('names the missing context and lists the known ones', async () => {
    const err = await loadKubeconfig({ kubeconfig: first, context: 'nope', env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeconfigError);
    expect((err as KubeconfigError).message).toContain('context "nope"');
    expect((err as KubeconfigError).hint).toContain('alpha, shared');
  });

  it('says what to do when there is no kubeconfig at all', async () => {
    await expect(loadKubeconfig({ env: { HOME: join(dir, 'nobody') } })).rejects.toThrow(/no kubeconfig found/);
    await expect(loadKubeconfig({ kubeconfig: join(dir, 'absent.yaml'), env: {} })).rejects.toThrow(/does not exist/);
    await expect(loadKubeconfig({ kubeconfig: first, env: {} })).rejects.toThrow(/sets no current-context/);
  });

  it('uses the pod service account when no kubeconfig names a context', async () => {
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'tok');
    writeFileSync(join(sa, 'namespace'), 'kasane-system\n');
    writeFileSync(join(sa, 'ca.crt'), '');
    const env = { HOME: join(dir, 'nobody'), KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const loaded = await loadKubeconfig({ env, serviceAccountDir: sa });
    expect(loaded.server).toBe('https://10.0.0.1:443');
    expect(loaded.namespace).toBe('kasane-system');
    expect(loaded.contextName).toBe('in-cluster');
    // an explicit kubeconfig wins over the pod's service account
    expect((await loadKubeconfig({ env, serviceAccountDir: sa, kubeconfig: second })).contextName).toBe('beta');
  });

  it('--kubeconfig picks the same current context as kubectl --kubeconfig', async () => {
    const r = await runKubectl(['config', 'current-context'], { kubeconfig: third, cacheDir: join(dir, 'cache') });
    expect((await loadKubeconfig({ kubeconfig: third, env: { KUBECONFIG: second } })).contextName).toBe(r.stdout.trim());
  });
});
