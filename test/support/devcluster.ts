/**
 * A devcluster per test file: started on a free loopback port, with a kubeconfig and a kubectl
 * discovery cache in a fresh temp dir. `useDevcluster()` wires start/stop into the file's hooks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { startDevcluster, type Devcluster, type DevclusterConfig } from '../../src/devcluster/index.js';
import { runKubectl, type KubectlOptions, type KubectlResult } from './kubectl.js';

export interface TestCluster {
  cluster: Devcluster;
  /** Temp dir owned by this cluster; removed on stop. */
  dir: string;
  kubeconfigPath: string;
  /** The real kubectl against this cluster. */
  kubectl(args: readonly string[], options?: Omit<KubectlOptions, 'kubeconfig' | 'cacheDir'> & { cacheDir?: string }): Promise<KubectlResult>;
  /** A @kubernetes/client-node KubeConfig pointing at this cluster. */
  kubeConfig(): KubeConfig;
  /** Writes a file into the temp dir and returns its path. */
  writeFile(name: string, content: string): string;
  /** A fresh kubectl discovery cache, for when a test changes discovery (new CRDs). */
  freshCacheDir(): string;
  stop(): Promise<void>;
}

export async function startTestCluster(config?: DevclusterConfig): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'kasane-devcluster-'));
  const cluster = await startDevcluster({ host: '127.0.0.1', port: 0, ...(config === undefined ? {} : { config }) });
  const kubeconfigPath = join(dir, 'kubeconfig');
  cluster.writeKubeconfig(kubeconfigPath);
  let caches = 0;
  const freshCacheDir = (): string => join(dir, `kube-cache-${caches++}`);
  const defaultCache = freshCacheDir();
  return {
    cluster,
    dir,
    kubeconfigPath,
    kubectl: (args, options = {}) =>
      runKubectl(args, { home: dir, ...options, kubeconfig: kubeconfigPath, cacheDir: options.cacheDir ?? defaultCache }),
    kubeConfig: () => {
      const kc = new KubeConfig();
      kc.loadFromString(cluster.kubeconfig());
      return kc;
    },
    writeFile: (name, content) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    freshCacheDir,
    stop: async () => {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a devcluster before the file's tests and stops it after; call the returned getter inside tests. */
export function useDevcluster(config?: DevclusterConfig): () => TestCluster {
  let current: TestCluster | undefined;
  beforeAll(async () => {
    current = await startTestCluster(config);
  });
  afterAll(async () => {
    await current?.stop();
  });
  return () => {
    if (current === undefined) throw new Error('useDevcluster(): the cluster is only available inside tests');
    return current;
  };
}
