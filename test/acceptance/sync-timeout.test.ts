/**
 * `sync.timeout` and `--timeout` bound every wait of `kasane sync`, through the CLI: a wave whose
 * Deployment never becomes healthy, and a hook Job that runs on (which must then be stopped).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kasane } from '../cli/in-process.js';
import { useDevcluster } from '../support/devcluster.js';

// Rollouts and Jobs that take far longer than any timeout below.
const SLOW = { rolloutDelayMs: 120_000, jobs: { defaultDurationMs: 120_000, rules: [] } };
const cluster = useDevcluster(SLOW);
let repo: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
}

function environment(timeout: string, withHook: boolean): void {
  write('environments/dev.yaml', `releases:\n  - name: app\n    chart: app\n    namespace: shop\n    createNamespace: true\n    values: {hook: ${withHook}}\nsync:\n  timeout: ${timeout}\n`);
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'kasane-accept-timeout-'));
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  write('charts/app/Chart.yaml', 'name: app\nversion: 0.1.0\n');
  write('charts/app/values.yaml', 'hook: false\n');
  write(
    'charts/app/templates/web.yaml',
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n',
  );
  write(
    'charts/app/templates/migrate.yaml',
    '{{#if Values.hook}}\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    kasane.io/hook: pre-sync\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: migrate\n          image: busybox:1.36\n{{/if}}\n',
  );
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

beforeEach(() => {
  cluster().cluster.reset();
  cluster().cluster.setConfig(SLOW);
});

const run = (...args: string[]) => kasane([...args, '--kubeconfig', cluster().kubeconfigPath], repo);

describe('sync timeouts', () => {
  it('sync.timeout bounds the wait for a wave to become healthy', async () => {
    environment('1s', false);
    const started = Date.now();
    const r = await run('sync', '--env', 'dev');
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stderr).toContain('apps/v1 Deployment shop/web');
    expect(r.stderr).toMatch(/1s|timed out|timeout/i);
  });

  it('--timeout overrides sync.timeout', async () => {
    environment('10m', false);
    const started = Date.now();
    const r = await run('sync', '--env', 'dev', '--timeout', '1s');
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stderr).toContain('apps/v1 Deployment shop/web');
  });

  it('a hook Job that outlives the timeout fails the sync and is stopped, not left running', async () => {
    environment('10m', true);
    const r = await run('sync', '--env', 'dev', '--timeout', '1s');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('batch/v1 Job shop/migrate');
    const job = await cluster().kubectl(['get', 'job', 'migrate', '-n', 'shop', '-o', 'name']);
    expect(job.stdout.trim()).toBe('');
    expect(job.stderr).toContain('NotFound');
    // No main object was created after the failed pre-sync hook.
    expect((await cluster().kubectl(['get', 'deployment', 'web', '-n', 'shop'])).code).not.toBe(0);
  });
});
