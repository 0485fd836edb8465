/**
 * kasane reads kubeconfig credentials itself for tokens, basic auth, client certificates and CAs
 * (client-node costs a third of a second of start-up); what it puts into request options must be
 * what client-node's KubeConfig.applyToHTTPSOptions puts there for the same file.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeconfigError, loadKubeconfig } from '../../src/cluster/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kasane-credentials-'));
mkdirSync(join(dir, 'certs'));
writeFileSync(join(dir, 'certs', 'ca.crt'), 'CA FROM FILE');
writeFileSync(join(dir, 'certs', 'client.crt'), 'CERT FROM FILE');
writeFileSync(join(dir, 'certs', 'client.key'), 'KEY FROM FILE');
writeFileSync(join(dir, 'token'), 'token-from-file');
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function kubeconfig(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'ctx',
      clusters: [{ name: 'c', cluster: { server: 'https://k8s.example:6443/', ...cluster } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'shop' } }],
    }),
  );
  return file;
}

/** The fields of request options a credential or TLS setting ends up in. */
function shown(opts: RequestOptions): Record<string, unknown> {
  const text = (b: unknown): unknown => (Buffer.isBuffer(b) ? b.toString('utf8') : b);
  const headers = Object.fromEntries(Object.entries(opts.headers ?? {}).filter(([, v]) => v !== undefined));
  return { headers, auth: opts.auth, ca: text(opts.ca), cert: text(opts.cert), key: text(opts.key), rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername };
}

async function both(file: string): Promise<{ kasane: Record<string, unknown>; clientNode: Record<string, unknown> }> {
  const loaded = await loadKubeconfig({ kubeconfig: file, env: {} });
  const mine: RequestOptions = {};
  await loaded.applyToHTTPSOptions(mine);
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  const theirs: RequestOptions = {};
  await kc.applyToHTTPSOptions(theirs);
  return { kasane: shown(mine), clientNode: shown(theirs) };
}

describe('kubeconfig credentials without client-node', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['inline token, CA data', { 'certificate-authority-data': b64('CA DATA') }, { token: 'abc' }],
    ['token file, CA file relative to the kubeconfig', { 'certificate-authority': 'certs/ca.crt' }, { 'token-file': join(dir, 'token') }],
    ['client certificate and key as data', { 'insecure-skip-tls-verify': true }, { 'client-certificate-data': b64('CERT DATA'), 'client-key-data': b64('KEY DATA') }],
    ['client certificate and key as files, TLS server name', { 'tls-server-name': 'api.internal' }, { 'client-certificate': 'certs/client.crt', 'client-key': 'certs/client.key' }],
    ['basic auth and impersonation', {}, { username: 'admin', password: 'secret', as: 'someone' }],
    ['no credentials', {}, {}],
  ];
  for (const [name, cluster, user] of cases) {
    it(`${name}: the same options as client-node`, async () => {
      const { kasane, clientNode } = await both(kubeconfig(`${name.replace(/\W+/g, '-')}.yaml`, cluster, user));
      expect(kasane).toEqual(clientNode);
    });
  }

  it("in a pod: the service account's token (read again as the kubelet rotates it) and CA", async () => {
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'first-token\n');
    writeFileSync(join(sa, 'ca.crt'), 'CLUSTER CA');
    const loaded = await loadKubeconfig({ env: { HOME: join(dir, 'nobody'), KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa });
    const opts: RequestOptions = {};
    await loaded.applyToHTTPSOptions(opts);
    expect(shown(opts)).toMatchObject({ headers: { Authorization: 'Bearer first-token' }, ca: 'CLUSTER CA' });
  });

  it('an entry without what it needs fails with the same reason as client-node', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, stringify({ 'current-context': 'ctx', clusters: [{ name: 'c', cluster: {} }], contexts: [{ name: 'ctx', context: { cluster: 'c' } }] }));
    const err = await loadKubeconfig({ kubeconfig: file, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeconfigError);
    const theirs = (() => {
      try {
        new KubeConfig().loadFromFile(file);
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect((err as Error).message).toBe(`cannot read kubeconfig ${file}: ${theirs}`);
  });
});
