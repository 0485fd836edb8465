/**
 * bin/kasane.js started as a program (the installed `kasane` command) leaves NODE_EXTRA_CA_CERTS to
 * kasane instead of node's start-up, and the certificates must still count where node would have used
 * them: a TLS API server whose kubeconfig names no CA. Child processes (here an exec credential
 * plugin) must see the variable as the user set it.
 *
 * The devcluster speaks plain HTTP, so the test puts a TLS front of its own before it, with a
 * certificate from a CA made here by the real openssl that no trust store holds.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/cli.js';
import { useDevcluster } from '../support/devcluster.js';

const cluster = useDevcluster();
let dir: string;
let repo: string;
let front: https.Server;
let kubeconfig: string;
let caFile: string;
let pluginLog: string;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kasane-launcher-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=kasane test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.pem']);
  caFile = join(dir, 'ca.pem');

  const upstream = new URL(cluster().cluster.url);
  front = https.createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) }, (req, res) => {
    const forward = http.request(
      { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const { port } = front.address() as AddressInfo;

  // An exec credential plugin that records the environment kasane started it with.
  pluginLog = join(dir, 'plugin-env');
  const plugin = join(dir, 'credential-plugin');
  writeFileSync(
    plugin,
    `#!/bin/sh\nprintf '%s|%s\\n' "\${NODE_EXTRA_CA_CERTS-unset}" "\${KASANE_EXTRA_CA_CERTS-unset}" >> '${pluginLog}'\n` +
      `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}'\n`,
  );
  chmodSync(plugin, 0o755);
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'tls', cluster: { server: `https://127.0.0.1:${port}` } }],
      users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } } }],
      contexts: [{ name: 'tls', context: { cluster: 'tls', user: 'u' } }],
      'current-context': 'tls',
    }),
  );

  repo = join(dir, 'repo');
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  };
  write('charts/app/Chart.yaml', 'name: app\nversion: 0.1.0\n');
  write('charts/app/values.yaml', 'greeting: hello\n');
  write('charts/app/templates/config.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeting\ndata:\n  text: {{Values.greeting}}\n');
  write('environments/dev.yaml', 'releases:\n  - name: app\n    chart: app\n    namespace: launcher\n    createNamespace: true\n');
});

afterAll(async () => {
  await new Promise((resolve) => front.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stderr: string;
}

/** Runs kasane as `command` would (the launcher itself, or node with the file), with `extra` in a clean environment. */
function run(command: 'launcher' | 'node', args: string[], extra: NodeJS.ProcessEnv): Promise<Run> {
  const entry = join(projectRoot, 'bin', 'kasane.js');
  const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: dir, LANG: 'C', ...extra };
  const child = command === 'launcher' ? spawn(entry, args, { env }) : spawn(process.execPath, [entry, ...args], { env });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdout.resume();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

const args = (): string[] => ['--repo-root', repo, '--kubeconfig', kubeconfig, 'diff', '--env', 'dev', '--detailed-exitcode'];

describe('bin/kasane.js as a program', () => {
  it('trusts the CAs of NODE_EXTRA_CA_CERTS for an API server whose kubeconfig names no CA', async () => {
    rmSync(pluginLog, { force: true });
    const r = await run('launcher', args(), { NODE_EXTRA_CA_CERTS: caFile });
    expect(r.stderr).not.toMatch(/certificate|error/i);
    // Exit 2: the ConfigMap would be created, which only a diff against the cluster can say.
    expect(r.code).toBe(2);
    // The plugin, a child process, saw the variable as set, and not the launcher's name for it.
    expect(readFileSync(pluginLog, 'utf8').trim().split('\n')).toContain(`${caFile}|unset`);
  });

  it('refuses the same server without NODE_EXTRA_CA_CERTS', async () => {
    const r = await run('launcher', args(), {});
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/certificate/i);
  });

  it('behaves the same when node runs the file (node then loads the certificates itself)', async () => {
    const r = await run('node', args(), { NODE_EXTRA_CA_CERTS: caFile });
    expect(r.stderr).not.toMatch(/certificate|error/i);
    expect(r.code).toBe(2);
  });

  it('still warns, and fails to verify, when NODE_EXTRA_CA_CERTS names no readable file', async () => {
    const r = await run('launcher', args(), { NODE_EXTRA_CA_CERTS: join(dir, 'missing.pem') });
    expect(r.stderr).toContain(`Ignoring extra certs from \`${join(dir, 'missing.pem')}\``);
    expect(r.code).toBe(1);
  });
});
