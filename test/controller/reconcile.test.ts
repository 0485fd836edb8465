import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDevcluster } from '../support/devcluster.js';
import { remoteFactory, serveHttp } from '../git/support/remote.js';
import { appFiles, getMetrics, getStatus, metricValue, startDaemon, waitFor, type InProcessDaemon } from './support/fixture.js';
import { useCleanup } from '../support/cleanup.js';

const cluster = useDevcluster({ rolloutDelayMs: 50, jobs: { defaultDurationMs: 100, rules: [{ name: 'failing-migration', result: 'fail', logs: 'migration exploded' }] } });

const defer = useCleanup();

const remote = remoteFactory(defer);

async function daemon(opts: Parameters<typeof startDaemon>[0]): Promise<InProcessDaemon> {
  const d = await startDaemon(opts);
  defer(() => d.stop());
  return d;
}

async function configMessage(namespace: string): Promise<string | undefined> {
  const res = await cluster().kubectl(['get', 'configmap', 'web-config', '-n', namespace, '-o', 'jsonpath={.data.message}']);
  return res.code === 0 ? res.stdout : undefined;
}

async function getJson(args: string[]): Promise<Record<string, any>> {
  const res = await cluster().kubectl([...args, '-o', 'json']);
  if (res.code !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout) as Record<string, any>;
}

describe('kasane daemon: reconcile loop', () => {
  it('applies a commit pushed to a file:// remote within one interval, and reports it in status and metrics', async () => {
    const r = remote();
    const first = r.commit(appFiles({ namespace: 'poll', message: 'one', interval: '2s' }));
    const d = await daemon({ kubeconfig: cluster().kubeconfigPath, repo: r.fileUrl });
    await waitFor('first sync', async () => (await configMessage('poll')) === 'one');
    await waitFor('ready', async () => (await fetch(`${d.url}/readyz`)).status === 200);
    const status = await getStatus(d.url);
    expect(status.environments[0]?.revision).toBe(first);
    expect(status.environments[0]?.state).toBe('Synced');
    expect(status.environments[0]?.releases[0]).toMatchObject({ name: 'web', namespace: 'poll', state: 'Synced', revision: first });
    expect(status.environments[0]?.releases[0]?.lastHookRuns.map((h) => h.phase)).toEqual(['pre-sync']);
    expect(status.environments[0]?.releases[0]?.health?.status).toBe('Healthy');
    expect(status.source).toMatchObject({ url: r.fileUrl, ref: 'main', revision: first, lastFetchError: null });

    const second = r.commit(appFiles({ namespace: 'poll', message: 'two', interval: '2s' }));
    const pushedAt = Date.now();
    await waitFor('second commit applied', async () => (await configMessage('poll')) === 'two', 10_000);
    // One interval (2s) plus the sync itself.
    expect(Date.now() - pushedAt).toBeLessThan(2_000 + 3_000);
    await waitFor('status shows the new revision', async () => (await getStatus(d.url)).environments[0]?.revision === second);

    const metrics = await getMetrics(d.url);
    expect(metricValue(metrics, 'kasane_syncs_total', { environment: 'demo', result: 'succeeded' })).toBeGreaterThanOrEqual(2);
    expect(metricValue(metrics, 'kasane_hook_runs_total', { environment: 'demo', phase: 'pre-sync', result: 'Succeeded' })).toBe(2);
    expect(metricValue(metrics, 'kasane_last_successful_sync_timestamp_seconds', { environment: 'demo' })).toBeGreaterThan(pushedAt / 1000 - 1);
    expect(metricValue(metrics, 'kasane_render_duration_seconds_count', { environment: 'demo' })).toBeGreaterThanOrEqual(2);
    expect(metricValue(metrics, 'kasane_sync_duration_seconds_count', { environment: 'demo' })).toBeGreaterThanOrEqual(2);
    // Structured logs: one JSON object per line, naming the environment.
    expect(d.logs.lines.some((l) => l['msg'] === 'synced' && l['environment'] === 'demo' && l['revision'] === second)).toBe(true);
  });

  it('follows a smart-HTTP remote with a token, which never shows in logs, status or metrics', async () => {
    const r = remote();
    const token = 'ghp_SuperSecretToken_12345';
    r.commit(appFiles({ namespace: 'http', message: 'over-http', interval: '1s' }));
    const http = await serveHttp(r.dir, { password: token });
    defer(() => http.close());
    const tokenFile = join(r.dir, 'token');
    writeFileSync(tokenFile, token);
    const d = await daemon({ kubeconfig: cluster().kubeconfigPath, repo: http.url, auth: { password: { file: tokenFile } } });
    await waitFor('applied over HTTP', async () => (await configMessage('http')) === 'over-http');
    r.commit(appFiles({ namespace: 'http', message: 'second', interval: '1s' }));
    await waitFor('second applied over HTTP', async () => (await configMessage('http')) === 'second', 8_000);

    // Remote down: the last applied state stays, status and metrics say why, fetching resumes.
    http.up = false;
    r.commit(appFiles({ namespace: 'http', message: 'while-down', interval: '1s' }));
    const failing = await waitFor('fetch error in status', async () => {
      const s = await getStatus(d.url);
      return s.source.lastFetchError !== null && s.environments[0]?.lastError ? s : undefined;
    });
    expect(failing.source.lastFetchError).toContain('127.0.0.1');
    expect(failing.environments[0]?.state).toBe('Failed');
    expect(await configMessage('http')).toBe('second');
    const metricsDown = await getMetrics(d.url);
    expect(metricValue(metricsDown, 'kasane_git_fetch_errors_total')).toBeGreaterThanOrEqual(1);
    http.up = true;
    await waitFor('applied after the remote returned', async () => (await configMessage('http')) === 'while-down', 10_000);
    await waitFor('error cleared', async () => (await getStatus(d.url)).source.lastFetchError === null);

    const everything = [d.logs.text, JSON.stringify(await getStatus(d.url)), await getMetrics(d.url)].join('\n');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(Buffer.from(`x-access-token:${token}`).toString('base64'));
  });

  it('webhook: a valid signature applies within seconds, an invalid one gets 401 and triggers nothing', async () => {
    const r = remote();
    const secret = 'webhook-secret-for-tests';
    r.commit(appFiles({ namespace: 'hook', message: 'before', interval: '1h' }));
    const d = await daemon({ kubeconfig: cluster().kubeconfigPath, repo: r.fileUrl, webhookSecret: secret });
    await waitFor('first sync', async () => (await configMessage('hook')) === 'before');
    await waitFor('idle', async () => (await getStatus(d.url)).environments[0]?.state === 'Synced');
    r.commit(appFiles({ namespace: 'hook', message: 'after', interval: '1h' }));
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'x' });
    const sign = (key: string): string => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    const post = (headers: Record<string, string>, payload = body): Promise<Response> =>
      fetch(`${d.url}/api/v1/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });

    const fetchesBefore = metricValue(await getMetrics(d.url), 'kasane_git_fetches_total');
    expect((await post({ 'x-hub-signature-256': sign('wrong-secret') })).status).toBe(401);
    expect((await post({})).status).toBe(401);
    expect((await post({ 'x-gitlab-token': 'wrong-secret' })).status).toBe(401);
    expect((await post({ 'x-kasane-signature': sign('wrong-secret') })).status).toBe(401);
    await new Promise((res) => setTimeout(res, 1_500));
    expect(await configMessage('hook')).toBe('before');
    expect(metricValue(await getMetrics(d.url), 'kasane_git_fetches_total')).toBe(fetchesBefore);

    // Signed but not JSON: refused.
    const notJson = 'not json';
    expect((await post({ 'x-kasane-signature': `sha256=${createHmac('sha256', secret).update(notJson).digest('hex')}` }, notJson)).status).toBe(400);
    // Too large: refused before being read.
    expect((await post({ 'x-hub-signature-256': sign(secret) }, 'x'.repeat(2 * 1024 * 1024))).status).toBe(413);

    const sent = Date.now();
    const ok = await post({ 'x-hub-signature-256': sign(secret), 'x-github-event': 'push' });
    expect(ok.status).toBe(202);
    await waitFor('applied after the webhook', async () => (await configMessage('hook')) === 'after', 5_000);
    expect(Date.now() - sent).toBeLessThan(5_000);

    // GitLab's shared token and the generic signature trigger too.
    r.commit(appFiles({ namespace: 'hook', message: 'gitlab', interval: '1h' }));
    expect((await post({ 'x-gitlab-token': secret })).status).toBe(202);
    await waitFor('applied after the GitLab webhook', async () => (await configMessage('hook')) === 'gitlab', 5_000);
    r.commit(appFiles({ namespace: 'hook', message: 'generic', interval: '1h' }));
    expect((await post({ 'x-kasane-signature': sign(secret) })).status).toBe(202);
    await waitFor('applied after the generic webhook', async () => (await configMessage('hook')) === 'generic', 5_000);
    // A push to another branch is accepted but triggers nothing.
    const other = JSON.stringify({ ref: 'refs/heads/feature' });
    const res = await post({ 'x-kasane-signature': `sha256=${createHmac('sha256', secret).update(other).digest('hex')}` }, other);
    expect(res.status).toBe(202);
    expect(((await res.json()) as { triggered: boolean }).triggered).toBe(false);
  });

  it('reverts drift made with kubectl (scale, a managed label) without running hooks again', async () => {
    const r = remote();
    r.commit(appFiles({ namespace: 'drift', replicas: 2, interval: '1s' }));
    const d = await daemon({ kubeconfig: cluster().kubeconfigPath, repo: r.fileUrl });
    await waitFor('first sync', async () => (await getStatus(d.url)).environments[0]?.state === 'Synced');
    const hook = await getJson(['get', 'configmap', 'web-pre-sync', '-n', 'drift']);
    const hookRuns = (): Promise<number> => getMetrics(d.url).then((m) => metricValue(m, 'kasane_hook_runs_total'));
    expect(await hookRuns()).toBe(1);

    expect((await cluster().kubectl(['scale', 'deployment/web', '-n', 'drift', '--replicas=5'])).code).toBe(0);
    expect((await cluster().kubectl(['label', 'configmap/web-config', '-n', 'drift', 'tier=hacked', '--overwrite'])).code).toBe(0);
    await waitFor('replicas reverted', async () => (await getJson(['get', 'deployment', 'web', '-n', 'drift']))['spec']['replicas'] === 2, 10_000);
    await waitFor('label reverted', async () => (await getJson(['get', 'configmap', 'web-config', '-n', 'drift']))['metadata']['labels']['tier'] === 'frontend', 10_000);

    expect(await hookRuns()).toBe(1);
    const hookAfter = await getJson(['get', 'configmap', 'web-pre-sync', '-n', 'drift']);
    expect(hookAfter['metadata']['uid']).toBe(hook['metadata']['uid']);
    expect(d.logs.lines.some((l) => l['msg'] === 'drift corrected')).toBe(true);
    const metrics = await getMetrics(d.url);
    expect(metricValue(metrics, 'kasane_syncs_total', { environment: 'demo', result: 'succeeded' })).toBeGreaterThanOrEqual(2);
  });

  it('without selfHeal reports drift as OutOfSync and leaves it', async () => {
    const r = remote();
    r.commit(appFiles({ namespace: 'noheal', replicas: 1, interval: '1s', selfHeal: false }));
    const d = await daemon({ kubeconfig: cluster().kubeconfigPath, repo: r.fileUrl });
    await waitFor('first sync', async () => (await getStatus(d.url)).environments[0]?.state === 'Synced');
    expect((await cluster().kubectl(['scale', 'deployment/web', '-n', 'noheal', '--replicas=3'])).code).toBe(0);
    const s = await waitFor('OutOfSync', async () => {
      const st = await getStatus(d.url);
      return st.environments[0]?.state === 'OutOfSync' ? st : undefined;
    });
    expect(s.environments[0]?.releases[0]?.driftedObjects).toBe(1);
    expect(metricValue(await getMetrics(d.url), 'kasane_drifted_objects', { environment: 'demo', release: 'web' })).toBe(1);
    expect((await getJson(['get', 'deployment', 'web', '-n', 'noheal']))['spec']['replicas']).toBe(3);
  });

  it('one failing environment does not stall another, and backs off', async () => {
    const r = remote();
    r.commit({
      ...appFiles({ namespace: 'good', message: 'good-1', env: 'good' }),
      'environments/broken.yaml': 'releases:\n  - name: web\n    chart: missing-chart\n    namespace: broken\nsync:\n  interval: 1s\n',
    });
    const d = await daemon({ kubeconfig: cluster().kubeconfigPath, repo: r.fileUrl, env: ['broken', 'good'] });
    await waitFor('good synced', async () => (await configMessage('good')) === 'good-1');
    r.commit(appFiles({ namespace: 'good', message: 'good-2', env: 'good' }));
    await waitFor('good synced again', async () => (await configMessage('good')) === 'good-2', 8_000);
    const s = await getStatus(d.url);
    const broken = s.environments.find((e) => e.name === 'broken');
    expect(broken?.state).toBe('Failed');
    expect(broken?.lastError).toContain('missing-chart');
    expect(broken?.consecutiveFailures).toBeGreaterThanOrEqual(2);
    // Backoff: each retry waits longer than the one before, up to the cap (backoffMaxMs); read from the
    // daemon's own log rather than the clock, which a loaded machine makes racy.
    const waits = d.logs.lines
      .filter((l) => l['msg'] === 'reconcile failed' && l['environment'] === 'broken')
      .map((l) => Number(l['retryInMs']));
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect(Math.max(...waits)).toBeLessThanOrEqual(1_000);
    expect(Date.parse(broken!.nextSyncAt!)).toBeGreaterThan(Date.parse(broken!.lastSyncTime!));
    expect((await fetch(`${d.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
  });

  it('a failed hook fails the sync: status, metrics and Kubernetes Events on the release record say so', async () => {
    const r = remote();
    r.commit(appFiles({ namespace: 'failing', failingHook: true }));
    const d = await daemon({ kubeconfig: cluster().kubeconfigPath, repo: r.fileUrl });
    const s = await waitFor('failed', async () => {
      const st = await getStatus(d.url);
      return st.environments[0]?.releases[0]?.state === 'Failed' ? st : undefined;
    });
    const release = s.environments[0]!.releases[0]!;
    expect(release.lastError).toContain('failing-migration');
    expect(release.lastHookRuns).toContainEqual(expect.objectContaining({ phase: 'pre-sync', status: 'Failed', object: 'batch/v1 Job failing/failing-migration' }));
    expect(metricValue(await getMetrics(d.url), 'kasane_hook_runs_total', { phase: 'pre-sync', result: 'Failed' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(await getMetrics(d.url), 'kasane_syncs_total', { result: 'failed' })).toBeGreaterThanOrEqual(1);
    const events = await waitFor('events', async () => {
      const list = (await getJson(['get', 'events', '-n', 'failing']))['items'] as { reason: string; type: string; involvedObject: { kind: string; name: string } }[];
      return list.some((e) => e.reason === 'SyncFailed') && list.some((e) => e.reason === 'HookFailed') ? list : undefined;
    });
    for (const e of events.filter((x) => x.reason === 'SyncFailed' || x.reason === 'HookFailed')) {
      expect(e.type).toBe('Warning');
      expect(e.involvedObject).toMatchObject({ kind: 'Secret', name: expect.stringMatching(/^kasane\.demo\.web\.v\d+$/) });
    }
    // The main objects were never applied: the hook failed before them.
    expect(await configMessage('failing')).toBeUndefined();
  });
});
