/**
 * Planted secrets never show: a Secret's values (and their base64), a Git token and a webhook secret
 * are searched for in every output of a full scenario — `kasane render` without --show-secrets
 * (stdout, -o json, --output-dir files, stderr), `diff`,
 * `sync`, `history`, a failing render whose broken line holds a value, the daemon's logs, its status
 * and metrics endpoints, webhook answers, and the Kubernetes Events in the devcluster.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kasane } from '../cli/in-process.js';
import { getMetrics, getStatus, startDaemon, waitFor } from '../controller/support/fixture.js';
import { useDevcluster } from '../support/devcluster.js';
import { createRemote, serveHttp } from '../git/support/remote.js';

const cluster = useDevcluster({ rolloutDelayMs: 50, jobs: { defaultDurationMs: 100, rules: [] } });
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
const PASSWORD = secret('pw');
const PASSWORD2 = secret('pw2');
const TOKEN = secret('stringdata');
const GIT_TOKEN = secret('ghp');
const WEBHOOK_SECRET = secret('whsec');

function files(password: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.0.0\n',
    'charts/web/values.yaml': 'password: ""\ntoken: ""\n',
    'charts/web/templates/secret.yaml': [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '  name: db',
      'type: Opaque',
      'data:',
      '  password: {{ b64enc Values.password }}',
      'stringData:',
      '  token: {{ quote Values.token }}',
      '',
    ].join('\n'),
    'charts/web/templates/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  mode: plain\n',
    'environments/demo.yaml': [
      'releases:',
      '  - name: web',
      '    chart: web',
      '    namespace: secrets',
      '    createNamespace: true',
      '    values:',
      `      password: ${JSON.stringify(password)}`,
      `      token: ${JSON.stringify(TOKEN)}`,
      'sync:',
      '  interval: 1s',
      '  prune: true',
      '',
    ].join('\n'),
    ...extra,
  };
}

/** Every form a value could leak in: itself, base64 (also of the Basic auth pair), hex. */
function forms(value: string): string[] {
  return [value, Buffer.from(value).toString('base64'), Buffer.from(`x-access-token:${value}`).toString('base64'), Buffer.from(value).toString('hex')];
}

describe('secrets stay out of every output', { timeout: 180_000 }, () => {
  it('CLI, daemon, endpoints and Events never contain a planted value', async () => {
    const outputs: Record<string, string> = {};
    const r = createRemote();
    cleanup.push(() => r.remove());
    r.commit(files(PASSWORD));
    const kube = ['--kubeconfig', cluster().kubeconfigPath];
    const cli = async (name: string, args: string[]) => {
      const res = await kasane(args, r.work);
      outputs[name] = `${res.stdout}\n${res.stderr}`;
      return res;
    };

    // `kasane render` without --show-secrets: stdout, -o json, --output-dir files and stderr are all
    // scanned. With --show-secrets the value is there (so the scan is not passing on an empty Secret).
    const rendered = await cli('render', ['render', '--env', 'demo']);
    expect(rendered.code).toBe(0);
    expect(rendered.stdout).toMatch(/kind: Secret/);
    await cli('render -o json', ['render', '--env', 'demo', '-o', 'json']);
    const outDir = join(r.work, 'rendered-out');
    await cli('render --output-dir', ['render', '--env', 'demo', '--output-dir', outDir]);
    outputs['render --output-dir files'] = readdirSync(outDir, { recursive: true, encoding: 'utf8' })
      .map((f) => join(outDir, f))
      .filter((f) => statSync(f).isFile())
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    rmSync(outDir, { recursive: true, force: true });
    const shown = await kasane(['render', '--env', 'demo', '--show-secrets'], r.work);
    expect(shown.stdout).toContain(Buffer.from(PASSWORD).toString('base64'));
    await cli('diff before the first sync', ['diff', '--env', 'demo', ...kube]);
    expect((await cli('sync', ['sync', '--env', 'demo', ...kube])).code).toBe(0);
    r.commit(files(PASSWORD2));
    const diff = await cli('diff of a changed value', ['diff', '--env', 'demo', ...kube]);
    expect(diff.stdout).toMatch(/Secret secrets\/db/);
    await cli('diff -o json', ['diff', '--env', 'demo', '-o', 'json', ...kube]);
    await cli('diff -o markdown', ['diff', '--env', 'demo', '-o', 'markdown', ...kube]);
    await cli('sync --dry-run', ['sync', '--env', 'demo', '--dry-run', ...kube]);
    expect((await cli('sync of the change', ['sync', '--env', 'demo', ...kube])).code).toBe(0);
    await cli('history', ['history', '--env', 'demo', '--release', 'web', ...kube]);
    await cli('history -o json', ['history', '--env', 'demo', '--release', 'web', '-o', 'json', ...kube]);
    // An error on the very line that holds a value: the rendered YAML breaks there.
    const broken = files(`${PASSWORD}: [`, {
      'charts/web/templates/broken.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: broken\nstringData:\n  value: {{ Values.password }}\n',
    });
    r.commit(broken);
    const failed = await cli('render error', ['render', '--env', 'demo']);
    expect(failed.code).toBe(1);
    await cli('sync error', ['sync', '--env', 'demo', ...kube]);
    r.commit(files(PASSWORD2));

    // The daemon: Git over HTTP with a token, a webhook secret.
    const http = await serveHttp(r.dir, { password: GIT_TOKEN });
    cleanup.push(() => http.close());
    const tokenFile = join(r.dir, 'token');
    writeFileSync(tokenFile, GIT_TOKEN);
    const d = await startDaemon({ kubeconfig: cluster().kubeconfigPath, repo: http.url, auth: { password: { file: tokenFile } }, webhookSecret: WEBHOOK_SECRET });
    cleanup.push(() => d.stop());
    await waitFor('the daemon synced', async () => (await getStatus(d.url)).environments[0]?.state === 'Synced', 30_000);
    r.commit(files(PASSWORD));
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const sign = (key: string) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    for (const [name, headers] of [
      ['webhook signed', { 'x-hub-signature-256': sign(WEBHOOK_SECRET) }],
      ['webhook bad signature', { 'x-hub-signature-256': sign('wrong') }],
      ['webhook gitlab wrong token', { 'x-gitlab-token': `${WEBHOOK_SECRET}x` }],
    ] as const) {
      const res = await fetch(`${d.url}/api/v1/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      outputs[name] = `${res.status} ${JSON.stringify(Object.fromEntries(res.headers))} ${await res.text()}`;
    }
    const pw = Buffer.from(PASSWORD).toString('base64');
    await waitFor('the daemon applied the new value', async () => {
      const res = await cluster().kubectl(['get', 'secret', 'db', '-n', 'secrets', '-o', 'jsonpath={.data.password}']);
      return res.stdout === pw;
    }, 30_000);
    // The remote goes down: errors about it are reported, without the token.
    http.up = false;
    r.commit(files(PASSWORD2));
    await waitFor('a fetch error', async () => (await getStatus(d.url)).source.lastFetchError !== null, 30_000);
    http.up = true;

    outputs['status'] = JSON.stringify(await getStatus(d.url));
    outputs['metrics'] = await getMetrics(d.url);
    outputs['healthz'] = await (await fetch(`${d.url}/healthz`)).text();
    outputs['daemon logs'] = d.logs.text;
    const events = await cluster().kubectl(['get', 'events', '-A', '-o', 'json']);
    outputs['events'] = events.stdout;

    for (const [name, text] of Object.entries(outputs)) {
      for (const value of [PASSWORD, PASSWORD2, TOKEN, GIT_TOKEN, WEBHOOK_SECRET]) {
        for (const form of forms(value)) expect(text.includes(form), `${name} contains ${value} (as ${form})`).toBe(false);
      }
    }
    // The scan looked at real output, not at nothing.
    expect(outputs['daemon logs']!.length).toBeGreaterThan(500);
    expect(outputs['metrics']).toContain('kasane_');
    expect(Object.keys(outputs).length).toBeGreaterThanOrEqual(18);
  });
});
