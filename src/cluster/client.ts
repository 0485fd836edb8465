/**
 * The cluster as kasane's engines see it: plain objects in and out, server-side apply with the field
 * manager `kasane`, typed errors that name the object, the verb and the server's reason.
 */
import type { KubeObject, ObjectRef } from '../model/object.js';
import { refOf } from '../model/object.js';
import { Limiter } from './concurrency.js';
import { Discovery, collectionPath, objectPath, resourceName, type ResourceInfo } from './discovery.js';
import {
  AlreadyExistsError,
  ClusterApiError,
  ConflictError,
  ExpiredError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  UnauthorizedError,
  UnknownKindError,
  type ApiErrorFacts,
  type ApiStatus,
  type Verb,
} from './errors.js';
import { loadKubeconfig, type LoadedKubeconfig } from './kubeconfig.js';
import { DEFAULT_RETRY, retryable, Transport, type HttpRequest, type HttpResponse, type RetryPolicy } from './transport.js';

export const FIELD_MANAGER = 'kasane';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ClusterClient {
  readonly server: string;
  readonly contextName: string;
  resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo>;
  /** CRDs about to be applied: their kinds count as known (with their declared scope) until the cluster serves them. */
  addPendingCrds(crds: KubeObject[]): void;
  /** undefined when the object does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Every object of a kind (in one namespace, or in all when namespace is absent), pages followed. */
  list(apiVersion: string, kind: string, opts?: { namespace?: string; labelSelector?: string }): Promise<KubeObject[]>;
  /** Server-side apply with field manager `kasane`; creates the object when missing. */
  apply(obj: KubeObject, opts?: { dryRun?: boolean; force?: boolean }): Promise<KubeObject>;
  create(obj: KubeObject, opts?: { dryRun?: boolean }): Promise<KubeObject>;
  /** false when there was nothing to delete. */
  delete(ref: ObjectRef, opts?: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' }): Promise<boolean>;
  /**
   * Streams changes after `resourceVersion`. Resolves once the server accepted the watch (rejects
   * with a typed error otherwise). onDone is called exactly once: with no argument when the server
   * ended the stream or stop() was called, with an error (ExpiredError for 410 Gone) otherwise.
   */
  watch(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string; resourceVersion?: string },
    onEvent: (type: WatchEventType, obj: KubeObject) => void,
    onDone: (err?: unknown) => void,
  ): Promise<{ stop(): void }>;
  podLogs(namespace: string, pod: string, opts?: { tailLines?: number }): Promise<string>;
  /** requests: HTTP tries sent (retries included); writes: non-dry-run apply, create and delete calls. */
  readonly stats: { requests: number; writes: number };
}

export interface ConnectOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  env: NodeJS.ProcessEnv;
  retry?: RetryPolicy;
  /** Requests in flight at once through this client (watches not counted); default 16. */
  concurrency?: number;
}

/** Loads the kubeconfig (and client-node) and prepares a client; no request is sent until the first call. */
export async function connect(opts: ConnectOptions): Promise<ClusterClient> {
  const kube = await loadKubeconfig({ kubeconfig: opts.kubeconfig, context: opts.context, env: opts.env });
  return new HttpClusterClient(kube, opts.retry ?? DEFAULT_RETRY, opts.concurrency ?? 16);
}

function parseStatus(body: string): ApiStatus | undefined {
  try {
    const parsed = JSON.parse(body) as ApiStatus;
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return body.trim() ? { message: body.trim().slice(0, 500) } : undefined;
  }
}

function stripNamespace(obj: KubeObject): KubeObject {
  const { namespace: _ignored, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

class HttpClusterClient implements ClusterClient {
  private readonly transport: Transport;
  private readonly discovery: Discovery;
  private readonly limiter: Limiter;
  private writes = 0;

  constructor(
    private readonly kube: LoadedKubeconfig,
    retry: RetryPolicy,
    concurrency: number,
  ) {
    this.transport = new Transport(kube, retry);
    this.limiter = new Limiter(concurrency);
    this.discovery = new Discovery(async (groupVersion) => {
      const path = groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
      const res = await this.send({ method: 'GET', path });
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw this.error(res, { verb: 'discover', resource: path });
      return JSON.parse(res.body) as { resources?: { name: string; kind: string; namespaced: boolean }[] };
    });
  }

  get server(): string {
    return this.kube.server;
  }

  get contextName(): string {
    return this.kube.contextName;
  }

  get stats(): { requests: number; writes: number } {
    return { requests: this.transport.requests, writes: this.writes };
  }

  private send(req: HttpRequest): Promise<HttpResponse> {
    return this.limiter.run(() => this.transport.request(req));
  }

  private error(res: { status: number; body: string; tries?: number }, facts: Omit<ApiErrorFacts, 'status' | 'apiStatus'>): Error {
    const full: ApiErrorFacts = { ...facts, status: res.status, apiStatus: parseStatus(res.body) };
    if ((res.tries ?? 1) > 1 && retryable(res.status, res.body)) {
      // The server kept failing through every try: say so, and where, rather than only its last answer.
      const plain = new ClusterApiError(full);
      return new ClusterApiError(
        full,
        `${plain.message}; the API server at ${this.kube.server} (context ${this.kube.contextName}) gave this answer to all ${res.tries} tries`,
        'kasane retried with backoff and gave up; check the API server\'s health and load, then run the command again',
      );
    }
    switch (res.status) {
      case 401:
        return new UnauthorizedError(full, this.kube.contextName);
      case 403:
        return new ForbiddenError(full, this.kube.contextName);
      case 404:
        return new NotFoundError(full);
      case 409:
        return full.apiStatus?.reason === 'AlreadyExists' ? new AlreadyExistsError(full) : new ConflictError(full);
      case 410:
        return new ExpiredError(full);
      case 422:
        return new InvalidError(full);
      case 400:
        // Strict field validation answers 400 for unknown or duplicate fields: the object is at fault.
        return facts.ref ? new InvalidError(full) : new ClusterApiError(full);
      case 500:
        // A 500 that can never succeed (server-side apply cannot type the object): the object is at fault.
        return facts.ref && !retryable(res.status, res.body) ? new InvalidError(full) : new ClusterApiError(full);
      default:
        return new ClusterApiError(full);
    }
  }

  resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    return this.discovery.resourceFor(apiVersion, kind);
  }

  addPendingCrds(crds: KubeObject[]): void {
    this.discovery.addPendingCrds(crds);
  }

  /** The resource of an object, with the object named in the error when the kind is unknown. */
  private async locate(ref: ObjectRef): Promise<{ info: ResourceInfo; namespace: string | undefined; facts: Omit<ApiErrorFacts, 'status' | 'apiStatus' | 'verb'> }> {
    let info: ResourceInfo;
    try {
      info = await this.discovery.resourceFor(ref.apiVersion, ref.kind);
    } catch (err) {
      if (err instanceof UnknownKindError) throw new UnknownKindError(ref.apiVersion, ref.kind, ref);
      throw err;
    }
    const namespace = info.namespaced ? (ref.namespace ?? this.kube.namespace) : undefined;
    return { info, namespace, facts: { ref: { ...ref, namespace }, resource: resourceName(info), namespace } };
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const { info, namespace, facts } = await this.locate(ref);
    const res = await this.send({ method: 'GET', path: objectPath(info, namespace, ref.name) });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.error(res, { ...facts, verb: 'get' });
    return JSON.parse(res.body) as KubeObject;
  }

  async list(apiVersion: string, kind: string, opts: { namespace?: string; labelSelector?: string } = {}): Promise<KubeObject[]> {
    const info = await this.discovery.resourceFor(apiVersion, kind);
    const namespace = info.namespaced ? opts.namespace : undefined;
    const items: KubeObject[] = [];
    let cont: string | undefined;
    do {
      const res = await this.send({
        method: 'GET',
        path: collectionPath(info, namespace),
        query: { labelSelector: opts.labelSelector, limit: 500, continue: cont },
      });
      // A kind known only from a pending CRD has no objects yet.
      if (res.status === 404 && info.pending) return [];
      if (res.status !== 200) throw this.error(res, { verb: 'list', resource: resourceName(info), namespace });
      const page = JSON.parse(res.body) as { items?: KubeObject[]; metadata?: { continue?: string } };
      // Items of a list carry no apiVersion and kind on a real server.
      for (const item of page.items ?? []) items.push({ ...item, apiVersion, kind });
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return items;
  }

  async apply(obj: KubeObject, opts: { dryRun?: boolean; force?: boolean } = {}): Promise<KubeObject> {
    const { info, namespace, facts } = await this.locate(refOf(obj));
    const body = info.namespaced ? { ...obj, metadata: { ...obj.metadata, namespace } } : stripNamespace(obj);
    if (!opts.dryRun) this.writes++;
    const res = await this.send({
      method: 'PATCH',
      path: objectPath(info, namespace, obj.metadata.name ?? ''),
      query: {
        fieldManager: FIELD_MANAGER,
        fieldValidation: 'Strict',
        force: opts.force ? true : undefined,
        dryRun: opts.dryRun ? 'All' : undefined,
      },
      contentType: 'application/apply-patch+yaml',
      // JSON is YAML: the apply body needs no YAML serializer.
      body: JSON.stringify(body),
    });
    if (res.status !== 200 && res.status !== 201) throw this.error(res, { ...facts, verb: 'patch' });
    return JSON.parse(res.body) as KubeObject;
  }

  async create(obj: KubeObject, opts: { dryRun?: boolean } = {}): Promise<KubeObject> {
    const { info, namespace, facts } = await this.locate(refOf(obj));
    const body = info.namespaced ? { ...obj, metadata: { ...obj.metadata, namespace } } : stripNamespace(obj);
    if (!opts.dryRun) this.writes++;
    const named = Boolean(obj.metadata.name);
    const res = await this.send({
      method: 'POST',
      path: collectionPath(info, namespace),
      query: { fieldManager: FIELD_MANAGER, fieldValidation: 'Strict', dryRun: opts.dryRun ? 'All' : undefined },
      body: JSON.stringify(body),
      // A second try of a generateName create would make a second object.
      retryDropped: named,
    });
    if (res.status === 409 && res.afterDrop && parseStatus(res.body)?.reason === 'AlreadyExists') {
      // The try whose connection dropped created it; this is the object we made.
      const created = await this.get(refOf(obj));
      if (created) return created;
    }
    if (res.status !== 200 && res.status !== 201 && res.status !== 202) throw this.error(res, { ...facts, verb: 'create' });
    return JSON.parse(res.body) as KubeObject;
  }

  async delete(ref: ObjectRef, opts: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {}): Promise<boolean> {
    const { info, namespace, facts } = await this.locate(ref);
    this.writes++;
    const res = await this.send({
      method: 'DELETE',
      path: objectPath(info, namespace, ref.name),
      query: { propagationPolicy: opts.propagationPolicy },
    });
    if (res.status === 404) return false;
    if (res.status !== 200 && res.status !== 202) throw this.error(res, { ...facts, verb: 'delete' });
    return true;
  }

  async watch(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string; resourceVersion?: string },
    onEvent: (type: WatchEventType, obj: KubeObject) => void,
    onDone: (err?: unknown) => void,
  ): Promise<{ stop(): void }> {
    const info = await this.discovery.resourceFor(apiVersion, kind);
    const namespace = info.namespaced ? opts.namespace : undefined;
    const facts = { verb: 'watch' as Verb, resource: resourceName(info), namespace };
    const controller = new AbortController();
    const res = await this.transport.open(
      {
        method: 'GET',
        path: collectionPath(info, namespace),
        query: { watch: true, allowWatchBookmarks: true, resourceVersion: opts.resourceVersion, labelSelector: opts.labelSelector },
      },
      controller.signal,
    );
    if (res.statusCode !== 200) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      throw this.error({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }, facts);
    }

    let finished = false;
    const finish = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      if (!controller.signal.aborted) controller.abort();
      if (err === undefined) onDone();
      else onDone(err);
    };
    const handle = (line: string): void => {
      if (!line.trim() || finished) return;
      let event: { type?: string; object?: KubeObject };
      try {
        event = JSON.parse(line) as { type?: string; object?: KubeObject };
      } catch (err) {
        finish(err);
        return;
      }
      if (event.type === 'ERROR') {
        const status = event.object as unknown as ApiStatus;
        finish(this.error({ status: status?.code ?? 500, body: JSON.stringify(status) }, facts));
        return;
      }
      if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
        if (event.object) onEvent(event.type, { ...event.object, apiVersion: event.object.apiVersion ?? apiVersion, kind: event.object.kind ?? kind });
      }
      // BOOKMARK: progress only; the caller's next watch starts from the last object it saw.
    };

    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 1);
        try {
          handle(line);
        } catch (err) {
          finish(err);
        }
      }
    });
    res.on('end', () => {
      try {
        handle(buffer);
      } catch (err) {
        finish(err);
      }
      finish();
    });
    res.on('error', (err) => finish(controller.signal.aborted ? undefined : err));
    res.on('close', () => finish(controller.signal.aborted || res.complete ? undefined : new Error('watch connection closed')));
    return { stop: () => finish() };
  }

  async podLogs(namespace: string, pod: string, opts: { tailLines?: number } = {}): Promise<string> {
    const res = await this.send({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
      query: { tailLines: opts.tailLines },
      accept: '*/*',
    });
    if (res.status !== 200) {
      throw this.error(res, { verb: 'get', ref: { apiVersion: 'v1', kind: 'Pod', namespace, name: pod }, resource: 'pods/log', namespace });
    }
    return res.body;
  }
}
