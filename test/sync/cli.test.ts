/**
 * `kasane sync`, `history` and `rollback` as a user runs them: a chart in a real Git repository,
 * the devcluster over HTTP, and the real kubectl to look at the result.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kasane } from '../cli/in-process.js';
import { useDevcluster } from '../support/devcluster.js';

const cluster = useDevcluster({ rolloutDelayMs: 50, jobs: { defaultDurationMs: 100, rules: [] } });

let repo: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
}

function commit(message: string): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
  git('add', '-A');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD').trim();
}

function setMode(mode: string): string {
  write('charts/app/values.yaml', `mode: ${mode}\n`);
  return commit(`mode ${mode}`);
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'kasane-sync-cli-'));
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  write('charts/app/Chart.yaml', 'name: app\nversion: 0.1.0\nappVersion: "1.0"\n');
  write(
    'charts/app/templates/configmap.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-settings\ndata:\n  mode: {{ Values.mode }}\n',
  );
  write(
    'charts/app/templates/migrate.yaml',
    [
      'apiVersion: batch/v1',
      'kind: Job',
      'metadata:',
      '  name: app-migrate',
      '  annotations:',
      '    kasane.io/hook: pre-sync',
      'spec:',
      '  backoffLimit: 0',
      '  template:',
      '    spec:',
      '      restartPolicy: Never',
      '      containers:',
      '        - name: migrate',
      '          image: busybox:1.36',
      '          command: ["sh", "-c", "echo migrating to {{ Values.mode }}"]',
      '',
    ].join('\n'),
  );
  // A Helm chart's hook, as ported: read as a post-sync hook.
  write(
    'charts/app/templates/done.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-done\n  annotations:\n    helm.sh/hook: post-install,post-upgrade\ndata:\n  mode: {{ Values.mode }}\n',
  );
  write(
    'environments/dev.yaml',
    'releases:\n  - name: app\n    chart: app\n    namespace: shop\n    createNamespace: true\nsync:\n  prune: true\n  timeout: 20s\n',
  );
  setMode('blue');
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

const run = (...args: string[]) => kasane([...args, '--kubeconfig', cluster().kubeconfigPath], repo);

async function liveMode(): Promise<string> {
  const got = await cluster().kubectl(['get', 'configmap', 'app-settings', '-n', 'shop', '-o', 'jsonpath={.data.mode}']);
  return got.stdout;
}

describe('kasane sync, history, rollback', () => {
  it('dry run, sync, no-op sync, change, history, rollback', async () => {
    const dry = await run('sync', '--env', 'dev', '--dry-run', '--detailed-exitcode');
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(2);
    expect(dry.stdout).toContain('would create     v1 ConfigMap shop/app-settings');
    expect(dry.stdout).toContain('pre-sync hook batch/v1 Job shop/app-migrate would run');
    expect((await cluster().kubectl(['get', 'namespace', 'shop'])).code).not.toBe(0);

    const first = await run('sync', '--env', 'dev');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('pre-sync hook batch/v1 Job shop/app-migrate succeeded');
    expect(first.stdout).toContain('created          v1 ConfigMap shop/app-settings');
    expect(first.stdout).toContain('post-sync hook v1 ConfigMap shop/app-done succeeded');
    expect(first.stdout).toContain('release app: synced, revision 1');
    expect(await liveMode()).toBe('blue');

    const again = await run('sync', '--env', 'dev', '--dry-run', '--detailed-exitcode');
    expect(again.code).toBe(0);
    const noop = await run('sync', '--env', 'dev');
    expect(noop.code).toBe(0);
    expect(noop.stdout).toContain('release app: in sync, nothing to do');

    const green = setMode('green');
    const changed = await run('sync', '--env', 'dev');
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain('configured       v1 ConfigMap shop/app-settings');
    expect(changed.stdout).toContain('synced, revision 2');
    expect(await liveMode()).toBe('green');

    const history = await run('history', '--env', 'dev', '--release', 'app');
    expect(history.code).toBe(0);
    const rows = history.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^REVISION\s+STATUS\s+TIME\s+GIT/);
    expect(rows[1]).toMatch(new RegExp(`^2\\s+deployed\\s+\\S+\\s+${green.slice(0, 12)}\\s+1\\s+app-migrate:ok,app-done:ok\\s+sync$`));
    expect(rows[2]).toMatch(/^1\s+superseded/);

    const back = await run('rollback', '--env', 'dev', '--release', 'app');
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('synced, revision 3');
    expect(await liveMode()).toBe('blue');
    const json = JSON.parse((await run('history', '--env', 'dev', '--release', 'app', '-o', 'json')).stdout) as { revision: number; description: string }[];
    expect(json.map((r) => `${r.revision} ${r.description}`)).toEqual(['3 rollback to revision 1', '2 sync', '1 sync']);
  });

  it('a failing hook exits 1, with the hook pod logs on stdout and the error on stderr', async () => {
    cluster().cluster.setConfig({
      rolloutDelayMs: 50,
      jobs: { defaultDurationMs: 100, rules: [{ name: 'app-migrate', result: 'fail', logs: 'psql: relation "orders" already exists\n' }] },
    });
    setMode('red');
    const failed = await run('sync', '--env', 'dev');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('pre-sync hook batch/v1 Job shop/app-migrate FAILED');
    expect(failed.stdout).toContain('    | psql: relation "orders" already exists');
    expect(failed.stderr).toMatch(/^error: release app: pre-sync hook batch\/v1 Job shop\/app-migrate failed/);
    expect(await liveMode()).toBe('blue');
  });

  it('--log-format json prints one event per line, errors with their message and hint', async () => {
    const out = await run('sync', '--env', 'dev', '--log-format', 'json');
    expect(out.code).toBe(1);
    const events = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; logs?: string; result?: { status: string; error?: { name: string; message: string } } });
    expect(events[0]?.type).toBe('release-started');
    expect(events.find((e) => e.type === 'hook-failed')?.logs).toContain('relation "orders" already exists');
    const finished = events.find((e) => e.type === 'release-finished');
    expect(finished?.result?.status).toBe('failed');
    expect(finished?.result?.error).toMatchObject({ name: 'HookFailedError', message: expect.stringContaining('app-migrate failed') });
    expect(events[events.length - 1]?.type).toBe('sync-finished');
  });

  it('rollback to a revision that does not exist says which ones do', async () => {
    const r = await run('rollback', '--env', 'dev', '--release', 'app', '--to', '99');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('has no stored revision 99');
    expect(r.stderr).toMatch(/hint: stored revisions: 5 \(failed\), 4 \(failed\), 3 \(deployed\)/);
  });
});
