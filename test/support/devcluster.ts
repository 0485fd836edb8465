/**
 * A devcluster per test file: started on a free loopback port, with a kubeconfig and a kubectl
 * discovery cache in a fresh temp dir. `useDevcluster()` wires start/stop into the file's hooks:
 *
 *   const getCluster = useDevcluster({ rolloutDelayMs: 50 });
 *   it('…', async () => {
 *     const c = getCluster();
 *     await c.kubectl(['apply', '--server-side', '-f', c.writeFile('app.yaml', yaml)]);
 *     // kasane itself: pass `--kubeconfig ${c.kubeconfigPath}`; client-node: kubeConfigFor(c) from ./client-node.js.
 *   });
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startDevcluster, type Devcluster, type DevclusterConfig } from '../../src/devcluster/index.js';
import { runKubectl, type KubectlOptions, type KubectlResult } from './kubectl.js';

export interface TestClusterOptions {
  /** Keep state in a file in the temp dir, so `restart()` comes back with the same objects. */
  persistent?: boolean;
}

export interface TestCluster {
  /** The running devcluster; a new instance after `restart()`. */
  readonly cluster: Devcluster;
  /** Temp dir owned by this cluster; removed on stop. */
  dir: string;
  kubeconfigPath: string;
  /** The real kubectl against this cluster. */
  kubectl(args: readonly string[], options?: Omit<KubectlOptions, 'kubeconfig' | 'cacheDir'> & { cacheDir?: string }): Promise<KubectlResult>;
  /** Writes a file into the temp dir and returns its path. */
  writeFile(name: string, content: string): string;
  /** A fresh kubectl discovery cache, for when a test changes discovery (new CRDs). */
  freshCacheDir(): string;
  /**
   * Stops the server and starts it again on the same port (kubeconfigs stay valid), like an API server
   * restart: open connections are cut, and with `persistent` the objects survive but the watch history does not.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestCluster(config?: DevclusterConfig, options: TestClusterOptions = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'kasane-devcluster-'));
  const stateFile = options.persistent === true ? join(dir, 'state.json') : undefined;
  const start = (port: number): Promise<Devcluster> =>
    startDevcluster({
      host: '127.0.0.1',
      port,
      ...(config === undefined ? {} : { config }),
      ...(stateFile === undefined ? {} : { stateFile }),
    });
  let cluster = await start(0);
  const kubeconfigPath = join(dir, 'kubeconfig');
  cluster.writeKubeconfig(kubeconfigPath);
  let caches = 0;
  const freshCacheDir = (): string => join(dir, `kube-cache-${caches++}`);
  const defaultCache = freshCacheDir();
  return {
    get cluster() {
      return cluster;
    },
    dir,
    kubeconfigPath,
    kubectl: (args, opts = {}) =>
      runKubectl(args, { home: dir, ...opts, kubeconfig: kubeconfigPath, cacheDir: opts.cacheDir ?? defaultCache }),
    writeFile: (name, content) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    freshCacheDir,
    restart: async () => {
      const { port } = cluster;
      await cluster.stop();
      cluster = await start(port);
    },
    stop: async () => {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a devcluster before the file's tests and stops it after; call the returned getter inside tests. */
export function useDevcluster(config?: DevclusterConfig, options: TestClusterOptions = {}): () => TestCluster {
  let current: TestCluster | undefined;
  beforeAll(async () => {
    current = await startTestCluster(config, options);
  });
  afterAll(async () => {
    await current?.stop();
  });
  return () => {
    if (current === undefined) throw new Error('useDevcluster(): the cluster is only available inside tests');
    return current;
  };
}
