/**
 * Acceptance checks for issues 6 (`kasane daemon`) and 9 (kasane in CI pipelines) that the
 * per-module tests leave open: /readyz before the first successful fetch and sync, every metric the
 * issue names in one scrape, and docs/ci.md naming only example files that exist and flags the CLI has.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDevcluster } from '../support/devcluster.js';
import { projectRoot } from '../support/cli.js';
import { createRemote, serveHttp } from '../git/support/remote.js';
import { appFiles, getMetrics, startDaemon, waitFor } from '../controller/support/fixture.js';
import { useCleanup } from '../support/cleanup.js';

const cluster = useDevcluster({ rolloutDelayMs: 50, jobs: { defaultDurationMs: 100 } });

const defer = useCleanup();

async function configMessage(namespace: string): Promise<string | undefined> {
  const res = await cluster().kubectl(['get', 'configmap', 'web-config', '-n', namespace, '-o', 'jsonpath={.data.message}']);
  return res.code === 0 ? res.stdout : undefined;
}

describe('issue 6: kasane daemon', () => {
  it('/readyz stays 503 until the first fetch and sync succeed; /metrics then has every metric the issue names', async () => {
    const r = createRemote();
    defer(() => r.remove());
    r.commit(appFiles({ namespace: 'ready', message: 'first', interval: '1s' }));
    const http = await serveHttp(r.dir);
    defer(() => http.close());
    http.up = false;
    const d = await startDaemon({ kubeconfig: cluster().kubeconfigPath, repo: http.url });
    defer(() => d.stop());

    // The remote is down: fetches fail, so the daemon is alive but not ready.
    await waitFor('a failed fetch', async () => (await getMetrics(d.url)).match(/^kasane_git_fetch_errors_total\S* [1-9]/m) !== null);
    expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${d.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain('no successful fetch and sync');

    // Once the remote is back, ready means the first sync has been applied.
    http.up = true;
    await waitFor('ready', async () => (await fetch(`${d.url}/readyz`)).status === 200, 20_000);
    expect(await configMessage('ready')).toBe('first');

    const metrics = await getMetrics(d.url);
    for (const name of [
      'kasane_syncs_total{', // syncs by result
      'kasane_sync_duration_seconds_count{',
      'kasane_render_duration_seconds_count{',
      'kasane_drifted_objects{',
      'kasane_last_successful_sync_timestamp_seconds{',
      'kasane_git_fetch_errors_total',
      'kasane_hook_runs_total{', // by phase and result
    ]) expect(metrics, name).toContain(name);
    expect(metrics).toMatch(/^kasane_syncs_total\{[^}]*result="succeeded"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^kasane_hook_runs_total\{[^}]*phase="pre-sync"[^}]*result="Succeeded"[^}]*\} [1-9]/m);
  });
});

describe('issue 9: docs/ci.md and examples/ci', () => {
  const doc = readFileSync(join(projectRoot, 'docs', 'ci.md'), 'utf8');
  const exampleFiles = ['github', 'gitlab'].flatMap((dir) =>
    readdirSync(join(projectRoot, 'examples', 'ci', dir)).map((f) => `${dir}/${f}`),
  );

  it('names every example file, and every file it names exists', () => {
    for (const f of exampleFiles) expect(doc, f).toContain(f);
    for (const m of doc.matchAll(/`((?:github|gitlab)\/[^`]+)`/g)) expect(existsSync(join(projectRoot, 'examples', 'ci', m[1]!)), m[1]).toBe(true);
  });

  it('uses only commands and flags the CLI has, in the docs and in the examples', () => {
    const sources = [doc, ...exampleFiles.map((f) => readFileSync(join(projectRoot, 'examples', 'ci', f), 'utf8'))];
    const uses = new Map<string, Set<string>>();
    for (const text of sources) {
      for (const m of text.matchAll(/\bkasane ([a-z]+)((?: +(?:-[-\w]+|"[^"]*"|[\w$./|[\]-]+))*)/g)) {
        const flags = uses.get(m[1]!) ?? new Set<string>();
        for (const f of m[2]!.matchAll(/(?:^| )(--?[a-zA-Z][-\w]*)/g)) flags.add(f[1]!);
        uses.set(m[1]!, flags);
      }
    }
    const kasaneHelp = (...args: string[]): string => execFileSync(process.execPath, [join(projectRoot, 'bin', 'kasane.js'), ...args], { encoding: 'utf8' });
    // Words after "kasane " in prose ("kasane in CI pipelines") are not commands: check the CLI's own.
    const globalHelp = kasaneHelp('--help');
    const commands = new Set([...globalHelp.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]!));
    expect([...uses.keys()].filter((c) => commands.has(c))).toEqual(expect.arrayContaining(['lint', 'diff', 'sync', 'render']));
    for (const [command, flags] of uses) {
      if (!commands.has(command)) continue;
      const help = `${kasaneHelp(command, '--help')}\n${globalHelp}`;
      for (const flag of flags) expect(help, `kasane ${command} ${flag}`).toMatch(new RegExp(`(^|[ ,])${flag}([ ,=]|$)`, 'm'));
    }
  });
});

describe('issue 6: the Dockerfile', () => {
  it('copies into its build stage every file `npm run build` reads outside src/', () => {
    const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
    const buildStage = dockerfile.split(/^FROM /m)[1] ?? '';
    const copied = [...buildStage.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
    const build = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build']!;
    const scripts = [...build.matchAll(/(?:node|-p) (\S+)/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    // The files the build's scripts import from the repository (bin/load-bundle.js for the bundle).
    const imported = scripts
      .filter((f) => f.endsWith('.mjs'))
      .flatMap((f) => [...readFileSync(join(projectRoot, f), 'utf8').matchAll(/^import .* from '(\.\.?\/[^']+)';$/gm)].map((m) => posix.join(posix.dirname(f), m[1]!)));
    expect(imported).toContain('bin/load-bundle.js');
    // scripts/bundle.mjs renders the demo and production environments to make the bundle's code cache.
    const rendered = ['charts/demo-app/Chart.yaml', 'environments/demo.yaml', 'environments/production.yaml'];
    for (const file of [...scripts, ...imported, ...rendered]) {
      expect(copied.some((c) => file === c || file.startsWith(`${c.replace(/\/$/, '')}/`)), file).toBe(true);
    }
  });
});
