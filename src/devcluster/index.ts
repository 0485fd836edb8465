/**
 * A local Kubernetes API server on loopback that kubectl and @kubernetes/client-node accept as a
 * cluster: everything in memory, optionally persisted to a state file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify as toYaml } from 'yaml';
import { KasaneError } from '../errors.js';
import { Cluster } from './cluster.js';
import type { DevclusterConfig } from './config.js';
import { Controllers } from './controllers.js';
import { FaultInjector } from './faults.js';
import { ApiServer } from './server.js';
import type { StoreSnapshot } from './store.js';

export type { DevclusterConfig, JobRule } from './config.js';
export { loadConfigFile, DevclusterConfigError } from './config.js';
export type { FaultConfig } from './faults.js';
export type { AuthorizationConfig, AuthorizationRule } from './authorization.js';

export interface DevclusterOptions {
  /** 0 or absent: a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  config?: DevclusterConfig;
  /** Load state from this file at start (when it exists) and save it on changes and at stop. */
  stateFile?: string;
}

export interface Devcluster {
  readonly url: string;
  readonly port: number;
  /** A kubeconfig (YAML) whose current context points at this server. */
  kubeconfig(options?: { context?: string }): string;
  writeKubeconfig(path: string): void;
  /** Back to a fresh cluster: only the initial namespaces and the node; open watches end. */
  reset(): void;
  stop(): Promise<void>;
  /** Change faults, job rules and timing at runtime. */
  setConfig(config: DevclusterConfig): void;
}

export class DevclusterStateError extends KasaneError {
  override readonly name: string = 'DevclusterStateError';
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`devcluster state file ${file}: ${detail}`, { hint: 'move the file away to start with an empty cluster' });
  }
}

const SAVE_DEBOUNCE_MS = 100;

function loadState(file: string): StoreSnapshot | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as StoreSnapshot;
    if (typeof parsed.resourceVersion !== 'number' || !Array.isArray(parsed.objects)) throw new Error('not a devcluster state file');
    return parsed;
  } catch (err) {
    throw new DevclusterStateError(file, err instanceof Error ? err.message : String(err));
  }
}

function saveState(file: string, cluster: Cluster): void {
  const temp = `${file}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(cluster.store.snapshot()));
    renameSync(temp, file);
  } catch (err) {
    throw new DevclusterStateError(file, `cannot save: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function startDevcluster(options: DevclusterOptions = {}): Promise<Devcluster> {
  const host = options.host ?? '127.0.0.1';
  let config: DevclusterConfig = options.config ?? {};
  let faults = config.faults === undefined ? undefined : new FaultInjector(config.faults);

  const cluster = new Cluster();
  const snapshot = options.stateFile === undefined ? undefined : loadState(options.stateFile);
  if (snapshot !== undefined) {
    cluster.store.restore(snapshot);
    cluster.restored(snapshot.objects);
  }
  const controllers = new Controllers(cluster, () => config);
  if (snapshot === undefined) cluster.seed();

  let saveTimer: NodeJS.Timeout | undefined;
  const stateFile = options.stateFile;
  const scheduleSave = (): void => {
    if (stateFile === undefined || saveTimer !== undefined) return;
    saveTimer = setTimeout(() => {
      saveTimer = undefined;
      try {
        saveState(stateFile, cluster);
      } catch {
        // Reported by stop(), whose final save fails the same way; the server keeps serving meanwhile.
      }
    }, SAVE_DEBOUNCE_MS);
  };
  if (stateFile !== undefined) cluster.store.subscribe(scheduleSave);

  let address = '';
  const api = new ApiServer(
    cluster,
    { podLogs: (pod) => controllers.podLogs(pod), faults: () => faults, authorization: () => config.authorization },
    () => address,
  );
  const server: Server = createServer((req, res) => {
    void api.handle(req, res);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => {
      controllers.stop();
      cluster.stop();
      reject(new KasaneError(`the devcluster cannot listen on ${host}:${options.port ?? 0}: ${err.message}`, { hint: 'choose another --port, or 0 for any free port' }));
    });
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const url = `http://${hostInUrl}:${port}`;
  address = `${hostInUrl}:${port}`;

  // Controllers catch up with objects read back from the state file.
  if (snapshot !== undefined) {
    controllers.catchUp(snapshot.objects);
  }

  const kubeconfig = (opts: { context?: string } = {}): string => {
    const context = opts.context ?? 'devcluster';
    return toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node refuses plain http unless TLS verification is marked as skipped.
      clusters: [{ name: context, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: context, user: { token: 'devcluster' } }],
      contexts: [{ name: context, context: { cluster: context, user: context, namespace: 'default' } }],
      'current-context': context,
      preferences: {},
    });
  };

  let stopped = false;
  return {
    url,
    port,
    kubeconfig,
    writeKubeconfig(path: string): void {
      writeFileSync(path, kubeconfig(), { mode: 0o600 });
    },
    reset(): void {
      controllers.cancelAll();
      api.closeWatches();
      cluster.reset();
    },
    setConfig(next: DevclusterConfig): void {
      config = next;
      faults = next.faults === undefined ? undefined : new FaultInjector(next.faults);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      controllers.stop();
      cluster.stop();
      api.closeWatches();
      if (saveTimer !== undefined) clearTimeout(saveTimer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // A moment for in-process clients to see their pooled connections closed, so that none of
      // them sends its next request down a dead socket to a server restarted on the same port.
      await new Promise<void>((resolve) => setTimeout(resolve, 20));
      if (stateFile !== undefined) saveState(stateFile, cluster);
    },
  };
}
