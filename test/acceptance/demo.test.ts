/**
 * The README's first command, `npm run demo` (scripts/demo.sh), does what issue 5 promises: starts
 * a devcluster, syncs environments/demo.yaml with its hooks, changes a value, shows the diff, syncs
 * again and prints the history — without touching this checkout.
 */
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

describe('npm run demo', () => {
  it('syncs the demo environment to a devcluster with hooks, then diffs, syncs a change and lists the history', async () => {
    const status = (await run('git', ['status', '--porcelain', '--', 'charts', 'environments'], { cwd: root })).stdout;
    const { stdout } = await run('bash', [join(root, 'scripts', 'demo.sh')], { cwd: root, timeout: 240_000, maxBuffer: 10 * 1024 * 1024 });
    const sections = stdout.split(/^== /m);
    const section = (title: string, nth = 0): string => sections.filter((s) => s.startsWith(title))[nth] ?? '';

    expect(section('kasane devcluster')).toMatch(/devcluster listening on http:\/\/127\.0\.0\.1:\d+/);
    const first = section('kasane sync --env demo', 0);
    expect(first).toMatch(/pre-sync hook batch\/v1 Job demo\/\S+-migrate succeeded/);
    expect(first).toMatch(/post-sync hook batch\/v1 Job demo\/\S+ succeeded/);
    expect(first).toMatch(/release web: synced, revision 1 /);
    const diff = section('kasane diff --env demo --detailed-exitcode');
    expect(diff).toContain('-  replicas: 1\n+  replicas: 2');
    expect(diff).toContain('0 to create, 1 to update, 0 to prune');
    const second = section('kasane sync --env demo', 1);
    expect(second).toMatch(/configured\s+apps\/v1 Deployment demo\/\S+/);
    expect(second).toMatch(/release web: synced, revision 2 /);
    expect(section('kasane diff --env demo (nothing left to change)')).toMatch(/0 to create, 0 to update, 0 to prune, \d+ unchanged/);
    const history = section('kasane history').trim().split('\n');
    expect(history[2]).toMatch(/^2\s+deployed\s+\S+\s+[0-9a-f]{12}\s/);
    expect(history[3]).toMatch(/^1\s+superseded\s+\S+\s+[0-9a-f]{12}\s/);
    // The value was changed in a scratch copy, not here.
    expect((await run('git', ['status', '--porcelain', '--', 'charts', 'environments'], { cwd: root })).stdout).toBe(status);
  }, 300_000);
});
