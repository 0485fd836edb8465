/**
 * Loads the kubeconfig the way kubectl does: `--kubeconfig FILE` alone; else every file of
 * KUBECONFIG merged (the first file to define a name or the current context wins, missing files
 * are skipped); else ~/.kube/config; and when none of these gives a context, the in-cluster service
 * account of the pod kasane runs in.
 */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { KubeconfigError } from './errors.js';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const IN_CLUSTER = 'in-cluster';

export interface KubeconfigOptions {
  /** `--kubeconfig`: this file only. */
  readonly kubeconfig?: string | undefined;
  /** `--context`, else the environment's `cluster.context`; absent: the current context. */
  readonly context?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Where the service account files are mounted in a pod; tests point it elsewhere. */
  readonly serviceAccountDir?: string;
}

export interface LoadedKubeconfig {
  readonly config: KubeConfig;
  readonly contextName: string;
  readonly server: string;
  /** The context's default namespace (kubectl's `-n` default), `default` when unset. */
  readonly namespace: string;
  readonly cluster: Cluster;
  readonly user: User | null;
}

interface ConfigParts {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext: string | undefined;
}

type ClientNode = typeof import('@kubernetes/client-node');

/**
 * client-node is loaded on first use: importing it costs seconds of start-up (its generated API
 * clients), which commands that never talk to a cluster (render, lint) should not pay.
 */
let clientNode: Promise<ClientNode> | undefined;
function loadClientNode(): Promise<ClientNode> {
  clientNode ??= import('@kubernetes/client-node');
  return clientNode;
}

function readFile(lib: ClientNode, file: string): ConfigParts {
  const kc = new lib.KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new KubeconfigError(`cannot read kubeconfig ${file}: ${why}`, file, undefined, err);
  }
  return {
    clusters: kc.clusters ?? [],
    users: kc.users ?? [],
    contexts: kc.contexts ?? [],
    currentContext: kc.currentContext || undefined,
  };
}

/** kubectl's merge: for every named entry and for current-context, the first file that sets it wins. */
function merge(parts: readonly ConfigParts[]): ConfigParts {
  const merged: ConfigParts = { clusters: [], users: [], contexts: [], currentContext: undefined };
  for (const part of parts) {
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      const seen = new Set(merged[key].map((e) => e.name));
      for (const entry of part[key]) {
        if (!seen.has(entry.name)) (merged[key] as { name: string }[]).push(entry);
      }
    }
    merged.currentContext ??= part.currentContext;
  }
  return merged;
}

function configFiles(opts: KubeconfigOptions): { files: string[]; explicit: boolean; source: string } {
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig)) {
      throw new KubeconfigError(`kubeconfig ${opts.kubeconfig} (from --kubeconfig) does not exist`, opts.kubeconfig);
    }
    return { files: [opts.kubeconfig], explicit: true, source: opts.kubeconfig };
  }
  const fromEnv = opts.env['KUBECONFIG'];
  if (fromEnv) {
    const listed = fromEnv.split(delimiter).filter((f) => f.length > 0);
    return { files: listed.filter((f) => existsSync(f)), explicit: false, source: `KUBECONFIG=${fromEnv}` };
  }
  const home = opts.env['HOME'] ?? opts.env['USERPROFILE'];
  const file = home ? join(home, '.kube', 'config') : undefined;
  return { files: file && existsSync(file) ? [file] : [], explicit: false, source: file ?? '~/.kube/config' };
}

function inClusterParts(opts: KubeconfigOptions): ConfigParts | undefined {
  const host = opts.env['KUBERNETES_SERVICE_HOST'];
  const port = opts.env['KUBERNETES_SERVICE_PORT'];
  const dir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (!host || !port || !existsSync(join(dir, 'token'))) return undefined;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const namespaceFile = join(dir, 'namespace');
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined;
  return {
    clusters: [{ name: IN_CLUSTER, server: `https://${hostPart}:${port}`, caFile: join(dir, 'ca.crt'), skipTLSVerify: false }],
    // The token file is re-read by client-node as the kubelet rotates it.
    users: [{ name: IN_CLUSTER, authProvider: { name: 'tokenFile', config: { tokenFile: join(dir, 'token') } } }],
    contexts: [{ name: IN_CLUSTER, cluster: IN_CLUSTER, user: IN_CLUSTER, ...(namespace ? { namespace } : {}) }],
    currentContext: IN_CLUSTER,
  };
}

export async function loadKubeconfig(opts: KubeconfigOptions): Promise<LoadedKubeconfig> {
  const lib = await loadClientNode();
  const { files, explicit, source } = configFiles(opts);
  let parts = merge(files.map((f) => readFile(lib, f)));

  const wanted = opts.context ?? parts.currentContext;
  if (!explicit && wanted === undefined) {
    // Nothing on disk names a context: a pod's service account, as kubectl and client-go do.
    const inCluster = inClusterParts(opts);
    if (inCluster) parts = inCluster;
  }
  const contextName = opts.context ?? parts.currentContext;
  if (contextName === undefined) {
    throw new KubeconfigError(
      files.length === 0
        ? `no kubeconfig found (looked at ${source}) and not running inside a cluster`
        : `the kubeconfig (${files.join(', ')}) sets no current-context`,
      files[0],
      files.length === 0
        ? 'pass --kubeconfig FILE or set KUBECONFIG, or run `kasane devcluster` to try kasane locally'
        : 'pass --context NAME, set cluster.context in the environment file, or run `kubectl config use-context NAME`',
    );
  }
  const context = parts.contexts.find((c) => c.name === contextName);
  if (!context) {
    const known = parts.contexts.map((c) => c.name);
    throw new KubeconfigError(
      `context "${contextName}" is not in the kubeconfig (${files.join(', ') || source})`,
      files[0],
      known.length > 0 ? `known contexts: ${known.join(', ')}` : 'the kubeconfig defines no contexts',
    );
  }
  const cluster = parts.clusters.find((c) => c.name === context.cluster);
  if (!cluster) {
    throw new KubeconfigError(`context "${contextName}" refers to cluster "${context.cluster}", which the kubeconfig does not define`, files[0]);
  }
  const user = parts.users.find((u) => u.name === context.user) ?? null;

  const config = new lib.KubeConfig();
  config.loadFromOptions({
    // Plain HTTP has no TLS to verify; client-node refuses http:// unless told so, kubectl does not.
    clusters: parts.clusters.map((c) => (c.server.startsWith('http:') ? { ...c, skipTLSVerify: true } : c)),
    users: parts.users,
    contexts: parts.contexts,
    currentContext: contextName,
  });
  return {
    config,
    contextName,
    server: cluster.server.replace(/\/+$/, ''),
    namespace: context.namespace || 'default',
    cluster,
    user,
  };
}
