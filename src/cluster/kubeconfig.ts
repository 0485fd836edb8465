/**
 * Loads the kubeconfig the way kubectl does: `--kubeconfig FILE` alone; else every file of
 * KUBECONFIG merged (the first file to define a name or the current context wins, missing files
 * are skipped); else ~/.kube/config; and when none of these gives a context, the in-cluster service
 * account of the pod kasane runs in.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { Cluster, Context, User } from '@kubernetes/client-node';
import { load as loadYaml } from 'js-yaml';
import { importPackage } from '../import-package.js';
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
  /**
   * Puts the context's TLS material and credentials into request options, as client-node's
   * KubeConfig.applyToHTTPSOptions does (which does it for exec plugins, auth providers and proxies).
   */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
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
 * client-node is loaded only for what kasane does not do itself (exec plugins, auth providers,
 * proxies): importing it costs a third of a second of start-up (its generated API clients) and
 * tens of MB of memory, which a token or a client certificate does not need.
 */
let clientNode: Promise<ClientNode> | undefined;
function loadClientNode(): Promise<ClientNode> {
  clientNode ??= importPackage('@kubernetes/client-node') as Promise<ClientNode>;
  return clientNode;
}

type Yaml = Record<string, unknown>;
const isMap = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Entries of clusters, users or contexts; one without what it needs fails as client-node's reader fails. */
function entries<T>(list: unknown, kind: string, read: (entry: Yaml, at: string) => T): T[] {
  if (!Array.isArray(list)) return [];
  return list.map((e: unknown, i) => {
    const entry = isMap(e) ? e : {};
    if (!entry['name']) throw new Error(`${kind}[${i}].name is missing`);
    return read(entry, `${kind}[${i}]`);
  });
}

/** One kubeconfig file, read as client-node reads it (the same fields, files relative to the kubeconfig). */
function readFile(file: string): ConfigParts {
  try {
    const doc = loadYaml(readFileSync(file, 'utf8'));
    const obj = isMap(doc) ? doc : {};
    const relative = (f: string | undefined): string | undefined => (f === undefined || isAbsolute(f) ? f : join(dirname(file), f));
    const clusters = entries(obj['clusters'], 'clusters', (e, at): Cluster => {
      const c = e['cluster'];
      if (!isMap(c)) throw new Error(`${at}.cluster is missing`);
      if (!c['server']) throw new Error(`${at}.cluster.server is missing`);
      return {
        name: String(e['name']),
        server: String(c['server']).replace(/\/$/, ''),
        caData: str(c['certificate-authority-data']),
        caFile: relative(str(c['certificate-authority'])),
        skipTLSVerify: c['insecure-skip-tls-verify'] === true,
        tlsServerName: str(c['tls-server-name']),
        proxyUrl: str(c['proxy-url']),
      } as Cluster;
    });
    const users = entries(obj['users'], 'users', (e): User => {
      const u = isMap(e['user']) ? e['user'] : {};
      const tokenFile = str(u['token-file']);
      return {
        name: String(e['name']),
        authProvider: u['auth-provider'] ?? null,
        certData: str(u['client-certificate-data']),
        certFile: relative(str(u['client-certificate'])),
        exec: u['exec'] ?? null,
        keyData: str(u['client-key-data']),
        keyFile: relative(str(u['client-key'])),
        token: str(u['token']) ?? (tokenFile === undefined ? undefined : readFileSync(tokenFile, 'utf8').trim()),
        password: str(u['password']),
        username: str(u['username']),
        impersonateUser: str(u['as']),
      } as User;
    });
    const contexts = entries(obj['contexts'], 'contexts', (e, at): Context => {
      const c = e['context'];
      if (!isMap(c)) throw new Error(`${at}.context is missing`);
      if (!c['cluster']) throw new Error(`${at}.context.cluster is missing`);
      return { name: String(e['name']), cluster: String(c['cluster']), user: str(c['user']), namespace: str(c['namespace']) } as Context;
    });
    return { clusters, users, contexts, currentContext: str(obj['current-context']) };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new KubeconfigError(`cannot read kubeconfig ${file}: ${why}`, file, undefined, err);
  }
}

/** A certificate or key from its file (read now) or its base64 data. */
function material(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

/** How long a token read from a file (a pod's rotated service-account token) is used before it is read again. */
const TOKEN_FILE_TTL_MS = 60_000;

/**
 * Credentials and TLS options for the common cases kasane handles itself: a token (inline, in a
 * file, or the service-account token file), basic auth, client certificates, a CA, skipping
 * verification, the TLS server name, impersonation. Anything else goes through client-node.
 */
function ownCredentials(cluster: Cluster, user: User | null): ((opts: RequestOptions) => Promise<void>) | undefined {
  const provider = user?.authProvider as { name?: string; config?: Record<string, unknown> } | null | undefined;
  const tokenFile = provider ? (typeof provider.config?.['tokenFile'] === 'string' ? provider.config['tokenFile'] : undefined) : undefined;
  if (cluster.proxyUrl || user?.exec || (provider && tokenFile === undefined)) return undefined;
  let fileToken: { token: string; readAt: number } | undefined;
  let tls: { ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined } | undefined;
  return async (opts) => {
    if (cluster.skipTLSVerify) opts.rejectUnauthorized = false;
    if (cluster.tlsServerName) opts.servername = cluster.tlsServerName;
    if (user === null) return;
    tls ??= {
      ca: material(cluster.caFile, cluster.caData),
      cert: material(user.certFile, user.certData),
      key: material(user.keyFile, user.keyData),
    };
    if (tls.ca) opts.ca = tls.ca;
    if (tls.cert) opts.cert = tls.cert;
    if (tls.key) opts.key = tls.key;
    const headers = (opts.headers ??= {}) as Record<string, string>;
    if (user.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;
    if (tokenFile !== undefined) {
      if (fileToken === undefined || Date.now() - fileToken.readAt > TOKEN_FILE_TTL_MS) {
        fileToken = { token: readFileSync(tokenFile, 'utf8').trim(), readAt: Date.now() };
      }
      if (fileToken.token) headers['Authorization'] = `Bearer ${fileToken.token}`;
    }
    if (user.token) headers['Authorization'] = `Bearer ${user.token}`;
    if (user.username) opts.auth = `${user.username}:${user.password}`;
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
  const { files, explicit, source } = configFiles(opts);
  let parts = merge(files.map((f) => readFile(f)));

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

  // One KubeConfig for the whole run: its exec plugins and auth providers cache their tokens.
  let config: Promise<import('@kubernetes/client-node').KubeConfig> | undefined;
  const viaClientNode = async (options: RequestOptions): Promise<void> => {
    config ??= loadClientNode().then((lib) => {
      const kc = new lib.KubeConfig();
      kc.loadFromOptions({
        // Plain HTTP has no TLS to verify; client-node refuses http:// unless told so, kubectl does not.
        clusters: parts.clusters.map((c) => (c.server.startsWith('http:') ? { ...c, skipTLSVerify: true } : c)),
        users: parts.users,
        contexts: parts.contexts,
        currentContext: contextName,
      });
      return kc;
    });
    await (await config).applyToHTTPSOptions(options);
  };
  return {
    applyToHTTPSOptions: ownCredentials(cluster, user) ?? viaClientNode,
    contextName,
    server: cluster.server.replace(/\/+$/, ''),
    namespace: context.namespace || 'default',
    cluster,
    user,
  };
}
