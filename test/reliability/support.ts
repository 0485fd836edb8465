/**
 * What the reliability tests share: a Git repository with a chart that has hooks, `kasane` as a child
 * process that can be killed at any moment, a seeded random source, and a recorder of every change
 * the devcluster makes to Jobs and ConfigMaps (to count hook runs and deletions).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect, type ClusterClient, type WatchEventType } from '../../src/cluster/index.js';
import { seededRandom } from '../../src/devcluster/faults.js';
import { projectRoot } from '../support/cli.js';

export { seededRandom };

/** Trials and sizes: small in CI, heavier with RELIABILITY_FULL=1 (see docs/reliability.md). */
export const FULL = process.env['RELIABILITY_FULL'] === '1';

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV }, maxBuffer: 64 * 1024 * 1024 });
}

export interface Repo {
  dir: string;
  write(path: string, text: string): void;
  commit(message: string): string;
  remove(): void;
}

export function createRepo(files: Record<string, string> = {}): Repo {
  const dir = mkdtempSync(join(tmpdir(), 'kasane-reliability-'));
  git(dir, 'init', '-q', '-b', 'main');
  const repo: Repo = {
    dir,
    write(path, text) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    },
    commit(message) {
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '--allow-empty', '-m', message);
      return git(dir, 'rev-parse', 'HEAD').trim();
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  for (const [path, text] of Object.entries(files)) repo.write(path, text);
  return repo;
}

/**
 * Chart `app`: a ConfigMap with the mode, one ConfigMap per extra, `count` numbered ConfigMaps, a
 * Deployment, a pre-sync Job `migrate` (kept, before-hook-creation) and a post-sync Job `notify`
 * (deleted once it succeeded).
 */
export const appChart: Record<string, string> = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\nappVersion: "1.0"\n',
  'charts/app/values.yaml': 'mode: one\nreplicas: 1\nextras: []\nitems: []\n',
  'charts/app/templates/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: {{ quote Values.mode }}\n',
  'charts/app/templates/extras.yaml':
    '{{#each Values.extras}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra-{{ this }}\ndata:\n  mode: {{ quote @root.Values.mode }}\n{{/each}}\n',
  'charts/app/templates/many.yaml':
    '{{#each Values.items}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: item-{{ this }}\ndata:\n  mode: {{ quote @root.Values.mode }}\n  index: "{{ this }}"\n{{/each}}\n',
  'charts/app/templates/deployment.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    'spec:',
    '  replicas: {{ Values.replicas }}',
    '  selector:',
    '    matchLabels: {app: web}',
    '  template:',
    '    metadata:',
    '      labels: {app: web}',
    '    spec:',
    '      containers:',
    '        - name: web',
    '          image: nginx:1.27',
    '          env:',
    '            - name: MODE',
    '              value: {{ quote Values.mode }}',
    '',
  ].join('\n'),
  'charts/app/templates/migrate.yaml': hookJob('migrate', 'pre-sync', ''),
  'charts/app/templates/notify.yaml': hookJob('notify', 'post-sync', '    kasane.io/hook-delete-policy: hook-succeeded\n'),
};

function hookJob(name: string, phase: string, extraAnnotations: string): string {
  return [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${name}`,
    '  annotations:',
    `    kasane.io/hook: ${phase}`,
    `${extraAnnotations}spec:`,
    '  backoffLimit: 0',
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    '      containers:',
    `        - {name: run, image: busybox:1.36, command: ["sh", "-c", "echo {{ Values.mode }}"]}`,
    '',
  ]
    .filter((l) => l !== '')
    .join('\n')
    .concat('\n');
}

export function environmentFile(namespace: string, values: { mode: string; replicas?: number; extras?: string[]; count?: number }, sync = 'prune: true\n  timeout: 60s'): string {
  return [
    'releases:',
    '  - name: app',
    '    chart: app',
    `    namespace: ${namespace}`,
    '    createNamespace: true',
    '    values:',
    `      mode: ${JSON.stringify(values.mode)}`,
    `      replicas: ${values.replicas ?? 1}`,
    `      extras: ${JSON.stringify(values.extras ?? [])}`,
    `      items: ${JSON.stringify(Array.from({ length: values.count ?? 0 }, (_, i) => i))}`,
    'sync:',
    `  ${sync}`,
    '',
  ].join('\n');
}

export interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Exit code, or the signal's name. */
  exited: Promise<number | string>;
}

const entry = join(projectRoot, 'bin', 'kasane.js');

function requireBuild(): void {
  if (!existsSync(join(projectRoot, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the reliability tests');
}

/** A small, fixed environment, so a kasane process sees nothing of the test runner's. */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir(), LANG: 'C', ...env };
}

/** Collects a child's output as it comes and resolves `exited` with its code or signal. */
function captured(child: ChildProcess): Run {
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1))),
  };
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (run.stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (run.stderr += c));
  return run;
}

/** `kasane …` from the build, as a user runs it; the caller may kill it at any time. */
export function spawnKasane(args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  requireBuild();
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: projectRoot,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return captured(child);
}

/**
 * A `kasane` process started ahead of time: it loads the CLI, then waits for its arguments on stdin.
 * The CLI's start-up (seconds on a busy machine) is paid while the previous trial runs, and the
 * process killed is a real, separate kasane process all the same.
 */
export interface WarmKasane {
  start(args: readonly string[]): Run;
  /** Ends the process if it is still waiting or running. */
  kill(): void;
}

export function warmKasane(env: NodeJS.ProcessEnv = {}): WarmKasane {
  requireBuild();
  const script = [
    `const { main } = await import(${JSON.stringify(new URL(`file://${join(projectRoot, 'dist', 'cli', 'main.js')}`).href)});`,
    'let input = "";',
    'process.stdin.setEncoding("utf8").on("data", async (c) => {',
    '  input += c;',
    '  if (!input.includes("\\n")) return;',
    '  process.stdin.pause();',
    '  process.exitCode = await main(JSON.parse(input));',
    '});',
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: projectRoot,
    env: childEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const run = captured(child);
  child.stdin!.on('error', () => undefined);
  return {
    start(args) {
      child.stdin!.end(`${JSON.stringify(['node', 'kasane', ...args])}\n`);
      return run;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export async function runKasane(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const run = spawnKasane(args, env);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, stdout: run.stdout, stderr: run.stderr };
}

export interface Change {
  type: WatchEventType;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  annotations: Record<string, string>;
}

/** Watches Jobs and ConfigMaps in every namespace (re-watching when a stream ends) and keeps every event. */
export async function recordChanges(kubeconfig: string): Promise<{ changes: Change[]; client: ClusterClient; stop(): void; cuts: number }> {
  const client = await connect({ kubeconfig, env: {} });
  const changes: Change[] = [];
  const stops: (() => void)[] = [];
  let stopped = false;
  const state = { cuts: 0 };
  const watch = async (apiVersion: string, kind: string, resourceVersion?: string): Promise<void> => {
    let last = resourceVersion;
    const w = await client.watch(
      apiVersion,
      kind,
      last === undefined ? {} : { resourceVersion: last },
      (type, obj) => {
        last = String(obj.metadata['resourceVersion'] ?? last);
        changes.push({
          type,
          kind,
          namespace: obj.metadata.namespace ?? '',
          name: obj.metadata.name ?? '',
          uid: String(obj.metadata['uid'] ?? ''),
          annotations: (obj.metadata.annotations ?? {}) as Record<string, string>,
        });
      },
      () => {
        if (stopped) return;
        state.cuts++;
        void watch(apiVersion, kind, last).catch(() => undefined);
      },
    );
    stops.push(() => w.stop());
  };
  await watch('batch/v1', 'Job');
  await watch('v1', 'ConfigMap');
  return {
    changes,
    client,
    get cuts() {
      return state.cuts;
    },
    stop: () => {
      stopped = true;
      stops.forEach((s) => s());
    },
  };
}

/** Distinct objects (by uid) of one name that were created. */
export function creations(changes: readonly Change[], kind: string, namespace: string, name: string): string[] {
  return [...new Set(changes.filter((c) => c.kind === kind && c.namespace === namespace && c.name === name && c.type === 'ADDED').map((c) => c.uid))];
}

export function deletions(changes: readonly Change[], kind: string, namespace: string): string[] {
  return [...new Set(changes.filter((c) => c.kind === kind && c.namespace === namespace && c.type === 'DELETED').map((c) => c.name))];
}
