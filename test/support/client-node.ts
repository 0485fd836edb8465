/**
 * @kubernetes/client-node pointed at a test devcluster. Kept apart from devcluster.ts so suites that only
 * drive kubectl or plain HTTP do not pay client-node's import time.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { TestCluster } from './devcluster.js';

/** A KubeConfig for the cluster as it runs now (after a restart, the same port and so the same config). */
export function kubeConfigFor(c: TestCluster): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(c.cluster.kubeconfig());
  return kc;
}
