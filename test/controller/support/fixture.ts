/**
 * What the daemon tests share: a repository with a chart and an environment (committed to a real
 * bare remote), daemons in-process or as child processes, and readers for their endpoints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { connect } from '../../../src/cluster/index.js';
import { Daemon, type DaemonOptions, type DaemonStatus } from '../../../src/controller/index.js';
import { GitSource, type GitAuth } from '../../../src/git/index.js';

export interface AppSpec {
  replicas?: number;
  message?: string;
  interval?: string;
  /** sync.schedule (cron) instead of the interval. */
  schedule?: string;
  selfHeal?: boolean;
  windows?: string;
  /** Extra ConfigMaps, each its own object (to exercise prune). */
  extras?: string[];
  /** Environment name (default `demo`). */
  env?: string;
  namespace?: string;
  /** Adds a pre-sync hook Job named `failing-migration` (the devcluster tests make it fail). */
  failingHook?: boolean;
}

/** The repository tree: charts/web and environments/<env>.yaml. */
export function appFiles(spec: AppSpec = {}): Record<string, string> {
  const env = spec.env ?? 'demo';
  return {
    'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.0.0\nappVersion: "1.0"\n',
    'charts/web/values.yaml': `replicas: 1\nmessage: hello\nextras: []\n`,
    'charts/web/templates/config.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: web-config',
      '  labels:',
      '    tier: frontend',
      'data:',
      '  message: {{ quote Values.message }}',
      '',
    ].join('\n'),
    'charts/web/templates/extras.yaml': '{{#each Values.extras}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra-{{ this }}\ndata:\n  name: {{ this }}\n{{/each}}\n',
    'charts/web/templates/deployment.yaml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  labels:',
      '    tier: frontend',
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
      '',
    ].join('\n'),
    'charts/web/templates/hook.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: web-pre-sync',
      '  annotations:',
      '    kasane.io/hook: pre-sync',
      'data:',
      '  message: {{ quote Values.message }}',
      '',
    ].join('\n'),
    ...(spec.failingHook
      ? {
          'charts/web/templates/migration.yaml': [
            'apiVersion: batch/v1',
            'kind: Job',
            'metadata:',
            '  name: failing-migration',
            '  annotations:',
            '    kasane.io/hook: pre-sync',
            'spec:',
            '  backoffLimit: 0',
            '  template:',
            '    spec:',
            '      restartPolicy: Never',
            '      containers:',
            '        - {name: migrate, image: busybox:1.36, command: ["false"]}',
            '',
          ].join('\n'),
        }
      : {}),
    [`environments/${env}.yaml`]: [
      'releases:',
      '  - name: web',
      '    chart: web',
      `    namespace: ${spec.namespace ?? 'shop'}`,
      '    createNamespace: true',
      '    values:',
      `      replicas: ${spec.replicas ?? 1}`,
      `      message: ${JSON.stringify(spec.message ?? 'hello')}`,
      `      extras: ${JSON.stringify(spec.extras ?? [])}`,
      'sync:',
      `  interval: ${spec.interval ?? '1s'}`,
      ...(spec.schedule === undefined ? [] : [`  schedule: ${JSON.stringify(spec.schedule)}`]),
      `  selfHeal: ${spec.selfHeal ?? true}`,
      '  prune: true',
      '  timeout: 30s',
      ...(spec.windows === undefined ? [] : [`  windows: ${spec.windows}`]),
      '',
    ].join('\n'),
  };
}

/** Collects a daemon's JSON log lines. */
export class LogSink extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    const s = chunk.toString();
    this.text += s;
    for (const line of s.split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    cb();
  }
}

export interface InProcessDaemon {
  daemon: Daemon;
  url: string;
  logs: LogSink;
  stop(): Promise<void>;
}

export async function startDaemon(opts: {
  kubeconfig: string;
  repo: string;
  env?: string[];
  auth?: GitAuth;
  identity?: string;
  webhookSecret?: string;
  now?: () => Date;
  extra?: Partial<DaemonOptions>;
}): Promise<InProcessDaemon> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'kasane-daemon-test-'));
  const logs = new LogSink();
  const source = new GitSource({ url: opts.repo, ref: 'main', cacheDir, env: process.env, ...(opts.auth === undefined ? {} : { auth: opts.auth }) });
  const log = pino({ hooks: { streamWrite: (s: string) => source.redact(s) } }, logs);
  const client = await connect({ kubeconfig: opts.kubeconfig, env: {} });
  const daemon = new Daemon({
    client,
    source,
    environments: opts.env ?? ['demo'],
    log,
    identity: opts.identity ?? 'test-daemon',
    listen: { host: '127.0.0.1', port: 0 },
    backoffBaseMs: 200,
    backoffMaxMs: 1_000,
    lockWaitMs: 5_000,
    ...(opts.webhookSecret === undefined ? {} : { webhookSecret: opts.webhookSecret }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
    ...opts.extra,
  });
  const { port } = await daemon.start();
  return {
    daemon,
    url: `http://127.0.0.1:${port}`,
    logs,
    stop: async () => {
      await daemon.shutdown();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

export async function getStatus(url: string): Promise<DaemonStatus> {
  return (await (await fetch(`${url}/api/v1/status`)).json()) as DaemonStatus;
}

export async function getMetrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** The value of one sample line of the Prometheus text, e.g. `kasane_hook_runs_total{…}`; 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[3]);
  }
  return total;
}

/** Polls until `check` returns a value other than undefined/false, or fails with the last state. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..', '..', '..');

export interface ChildDaemon {
  readonly child: ChildProcess;
  /** Resolves with the daemon's base URL once it logged that it listens. */
  readonly url: Promise<string>;
  readonly logs: LogSink;
  stderr: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

/** `kasane daemon …` from source in a child process, logs collected as JSON lines. */
export function spawnDaemon(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildDaemon {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'kasane.ts'), 'daemon', '--listen', '127.0.0.1:0', ...args], {
    cwd: projectRoot,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = new LogSink();
  child.stdout!.pipe(logs);
  const result: ChildDaemon = {
    child,
    logs,
    stderr: '',
    url: waitFor(
      'the daemon to listen',
      () => {
        const started = logs.lines.find((l) => l['msg'] === 'daemon started');
        if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${result.stderr}`);
        return started === undefined ? undefined : `http://${String(started['address'])}`;
      },
      // Compiling the sources with tsx takes a while on a loaded machine.
      90_000,
    ),
    exited: new Promise((resolveExit) => child.on('exit', (code, signal) => resolveExit(code ?? signal ?? -1))),
  };
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (result.stderr += c));
  return result;
}
