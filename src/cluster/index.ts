/** The only door to a Kubernetes cluster: everything else imports from here, never from client-node. */
export { connect, FIELD_MANAGER, type ClusterClient, type ConnectOptions, type WatchEventType } from './client.js';
export { provablyUnchanged } from './owned.js';
export { Limiter, mapLimit, settleLimit, type Settled } from './concurrency.js';
export { isCrd, resourceName, resourcesOfCrd, type ResourceInfo } from './discovery.js';
export * from './errors.js';
export { loadKubeconfig, type KubeconfigOptions, type LoadedKubeconfig } from './kubeconfig.js';
export { DEFAULT_RETRY, type RetryPolicy } from './transport.js';
