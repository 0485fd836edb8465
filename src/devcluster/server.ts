/**
 * HTTP in front of the Cluster: routing of Kubernetes API paths, query parameters, bodies, content
 * types, Table answers and watch streams.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../model/object.js';
import { authorize, requestVerb, type AuthorizationConfig } from './authorization.js';
import type { Cluster, DeleteOptions, PatchType, PropagationPolicy, WriteOptions } from './cluster.js';
import { apiVersions, group as groupDoc, groupList, resourceList, versionInfo } from './discovery.js';
import type { FaultInjector } from './faults.js';
import { typeKey, type ResourceType } from './kinds.js';
import { decodeProtobuf } from './protobuf.js';
import { objectFilter, type ObjectFilter } from './selectors.js';
import { ApiError, badRequest, expired, methodNotAllowed } from './status.js';
import type { StoreEvent } from './store.js';
import { toTable, type IncludeObject } from './table.js';

type Obj = Record<string, unknown>;

interface ResourceRoute {
  type: ResourceType;
  version: string;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  /** A subresource this server does not serve (exec, token, proxy…): authorized first, then 404, as on a real server. */
  unserved: boolean;
  watchPath: boolean;
}

interface Answer {
  code: number;
  body: unknown;
}

export interface ServerHooks {
  /** The simulated log text of a pod. */
  podLogs(pod: KubeObject): string;
  faults(): FaultInjector | undefined;
  /** The deny or allow rules standing in for RBAC, read on every request. */
  authorization(): AuthorizationConfig | undefined;
}

const NOT_FOUND_PAGE = new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

const PATCH_TYPES: Record<string, PatchType> = {
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
};

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(body: Buffer, contentType: string): unknown {
  if (contentType.includes('protobuf')) return decodeProtobuf(body);
  if (contentType.includes('cbor')) {
    throw new ApiError(415, 'UnsupportedMediaType', 'the devcluster does not decode application/cbor; send application/json or YAML');
  }
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return contentType.includes('yaml') ? parseYamlBody(text) : JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A YAML body. kubectl and kasane send apply patches as compact JSON (JSON is YAML), which
 * JSON.parse reads ten times faster than the YAML parser. A body is taken from JSON.parse only when
 * JSON.stringify writes it back at the same length (outer whitespace aside): a duplicate key (which
 * the YAML parser refuses and JSON.parse drops) shortens it, and spaces, escapes or exponents change
 * it; all those go to the YAML parser.
 */
function parseYamlBody(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (JSON.stringify(parsed).length === trimmed.length) return parsed;
    } catch {
      // Not JSON after all: YAML decides.
    }
  }
  return parseYaml(text);
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function success(type: ResourceType, object: KubeObject): Obj {
  const details: Obj = { name: object.metadata.name };
  if (type.group !== '') details['group'] = type.group;
  details['kind'] = type.plural;
  details['uid'] = object.metadata['uid'];
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

export class ApiServer {
  private readonly watches = new Set<() => void>();

  constructor(
    private readonly cluster: Cluster,
    private readonly hooks: ServerHooks,
    private readonly address: () => string,
  ) {}

  /** Ends every open watch stream (on reset and stop). */
  closeWatches(): void {
    for (const close of [...this.watches]) close();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const faults = this.hooks.faults();
      if (faults !== undefined && (await faults.intercept(req, res))) return;
      const url = new URL(req.url ?? '/', 'http://devcluster');
      const answer = await this.route(req, res, url);
      if (answer !== undefined) sendJson(res, answer.code, answer.body);
    } catch (err) {
      const apiError = err instanceof ApiError ? err : new ApiError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) sendJson(res, apiError.code, apiError.toStatus());
      else res.end();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<Answer | undefined> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    switch (path) {
      case '/version':
        return { code: 200, body: versionInfo() };
      case '/healthz':
      case '/livez':
      case '/readyz':
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        return undefined;
      case '/openapi/v2':
        // kubectl parses v2 as protobuf and skips validation when it is empty.
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 0 });
        res.end();
        return undefined;
      case '/api':
        return { code: 200, body: apiVersions(this.address()) };
      case '/apis':
        return { code: 200, body: groupList(this.cluster.registry) };
      default:
        break;
    }
    const segments = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
    let groupName: string;
    let version: string | undefined;
    let rest: string[];
    if (segments[0] === 'api') {
      groupName = '';
      version = segments[1];
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments[1] !== undefined) {
      groupName = segments[1];
      version = segments[2];
      rest = segments.slice(3);
      if (version === undefined) {
        const doc = groupDoc(this.cluster.registry, groupName);
        if (doc === undefined) throw NOT_FOUND_PAGE;
        return { code: 200, body: doc };
      }
    } else {
      throw NOT_FOUND_PAGE;
    }
    if (version === undefined) throw NOT_FOUND_PAGE;
    if (rest.length === 0) {
      const doc = resourceList(this.cluster.registry, groupName, version);
      if (doc === undefined) throw NOT_FOUND_PAGE;
      return { code: 200, body: doc };
    }
    const route = this.resourceRoute(groupName, version, rest);
    return this.dispatch(method, route, req, res, url);
  }

  private resourceRoute(groupName: string, version: string, segments: string[]): ResourceRoute {
    let rest = segments;
    let watchPath = false;
    if (rest[0] === 'watch') {
      watchPath = true;
      rest = rest.slice(1);
    }
    let namespace: string | undefined;
    const namespaceSubresource = groupName === '' && rest[0] === 'namespaces' && rest.length === 3 && ['status', 'finalize'].includes(rest[2] ?? '');
    if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresource) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (rest.length === 0 || rest.length > 3) throw NOT_FOUND_PAGE;
    const type = this.cluster.registry.find(groupName, version, rest[0] ?? '');
    if (type === undefined) throw NOT_FOUND_PAGE;
    if (namespace !== undefined && !type.namespaced) throw NOT_FOUND_PAGE;
    const subresource = rest[2];
    const known = (subresource === 'status' && type.status) || (subresource === 'scale' && type.scale) || (subresource === 'log' && type.plural === 'pods' && type.group === '');
    return { type, version, namespace, name: rest[1], subresource, unserved: subresource !== undefined && !known, watchPath };
  }

  private async dispatch(method: string, route: ResourceRoute, req: IncomingMessage, res: ServerResponse, url: URL): Promise<Answer | undefined> {
    const { type, version, namespace, name } = route;
    const q = url.searchParams;
    const dryRun = q.getAll('dryRun').includes('All');
    const userAgent = String(req.headers['user-agent'] ?? '');
    const manager = q.get('fieldManager') ?? (userAgent.split('/')[0] || 'unknown');
    const subresource = route.subresource === 'status' ? 'status' : undefined;
    const validation = q.get('fieldValidation');
    const warnings: string[] = [];
    const writeOptions: WriteOptions = {
      dryRun,
      manager,
      warnings,
      ...(subresource === undefined ? {} : { subresource }),
      ...(validation === 'Strict' || validation === 'Warn' || validation === 'Ignore' ? { fieldValidation: validation } : {}),
    };
    const wantsTable = String(req.headers['accept'] ?? '').includes('as=Table');
    const watch = method === 'GET' && (route.watchPath || q.get('watch') === 'true' || q.get('watch') === '1');
    authorize(this.hooks.authorization(), { verb: requestVerb(method, name, watch), type, subresource: route.subresource, namespace, name });
    if (route.unserved) throw NOT_FOUND_PAGE;

    if (route.subresource === 'scale' && name !== undefined) return this.scale(method, route, req, writeOptions);
    if (method === 'GET') {
      if (watch) {
        this.watch(route, q, req, res, wantsTable);
        return undefined;
      }
      if (name !== undefined) {
        const object = this.cluster.get(type, namespace, name);
        if (route.subresource === 'log') {
          const text = tail(this.hooks.podLogs(object), q.get('tailLines'));
          res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
          res.end(text);
          return undefined;
        }
        const shown = this.cluster.view(type, version, object);
        if (wantsTable) return { code: 200, body: toTable(type.group, type.kind, [shown], { resourceVersion: shown.metadata['resourceVersion'] }, includeObject(q)) };
        return { code: 200, body: shown };
      }
      return { code: 200, body: this.list(route, q, wantsTable) };
    }

    const answer = await this.write(method, route, req, url, writeOptions);
    if (warnings.length > 0) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
    return answer;
  }

  private async write(method: string, route: ResourceRoute, req: IncomingMessage, url: URL, writeOptions: WriteOptions): Promise<Answer> {
    const { type, version, namespace, name } = route;
    const q = url.searchParams;
    const manager = writeOptions.manager;
    const body = parseBody(await readBody(req), String(req.headers['content-type'] ?? ''));
    if (route.subresource === 'log') throw methodNotAllowed();
    if (type.namespaced && namespace === undefined && (method !== 'DELETE' || name !== undefined)) throw methodNotAllowed();
    switch (method) {
      case 'POST': {
        if (name !== undefined) throw methodNotAllowed();
        const { object } = this.cluster.create(type, version, namespace, body, writeOptions);
        return { code: 201, body: object };
      }
      case 'PUT': {
        if (name === undefined) throw methodNotAllowed();
        const { object } = this.cluster.update(type, version, namespace, name, body, writeOptions);
        return { code: 200, body: object };
      }
      case 'PATCH': {
        if (name === undefined) throw methodNotAllowed();
        const contentType = String(req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
        const patchType = PATCH_TYPES[contentType];
        if (patchType === undefined) {
          throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`);
        }
        const force = q.get('force') === 'true';
        const applyOptions = { ...writeOptions, manager: patchType === 'apply' ? (q.get('fieldManager') ?? '') : manager, force };
        if (patchType !== 'apply' && q.get('force') !== null) throw badRequest('force may not be specified for non-apply patch');
        // An apply that creates the object needs create as well as patch, as the real patch handler checks.
        if (patchType === 'apply' && route.subresource === undefined && this.cluster.store.get(typeKey(type), type.namespaced ? namespace : undefined, name) === undefined) {
          authorize(this.hooks.authorization(), { verb: 'create', type, subresource: undefined, namespace, name });
        }
        const { object, created } = this.cluster.patch(type, version, namespace, name, patchType, body, applyOptions);
        return { code: created ? 201 : 200, body: object };
      }
      case 'DELETE': {
        const options = deleteOptions(q, body);
        if (name === undefined) return { code: 200, body: this.deleteCollection(route, q, options) };
        const { object, pending } = this.cluster.delete(type, namespace, name, options);
        return { code: 200, body: pending || options.dryRun ? this.cluster.view(type, version, object) : success(type, object) };
      }
      default:
        throw methodNotAllowed();
    }
  }

  private async scale(method: string, route: ResourceRoute, req: IncomingMessage, writeOptions: WriteOptions): Promise<Answer> {
    const { type, version, namespace } = route;
    const name = route.name ?? '';
    if (method === 'GET') return { code: 200, body: this.cluster.getScale(type, namespace, name) };
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    const body = parseBody(await readBody(req), contentType);
    if (method === 'PUT') return { code: 200, body: this.cluster.writeScale(type, version, namespace, name, body, undefined, writeOptions) };
    if (method === 'PATCH') {
      const patchType = PATCH_TYPES[contentType];
      if (patchType === undefined || patchType === 'apply') {
        throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
      }
      return { code: 200, body: this.cluster.writeScale(type, version, namespace, name, body, patchType, writeOptions) };
    }
    throw methodNotAllowed();
  }

  private filterFor(route: ResourceRoute, q: URLSearchParams): ObjectFilter {
    let fieldSelector = q.get('fieldSelector');
    if (route.name !== undefined) fieldSelector = [fieldSelector, `metadata.name=${route.name}`].filter(Boolean).join(',');
    return objectFilter(q.get('labelSelector'), fieldSelector, route.type.fieldSelectors);
  }

  private list(route: ResourceRoute, q: URLSearchParams, wantsTable: boolean): Obj {
    const { type, version, namespace } = route;
    const filter = this.filterFor(route, q);
    let items = this.cluster.list(type, namespace).filter(filter);
    const resourceVersion = String(this.cluster.store.resourceVersion);
    const meta: Obj = { resourceVersion };
    const token = q.get('continue');
    if (token) {
      let start: string;
      try {
        const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: unknown };
        if (typeof decoded.start !== 'string') throw new Error('no start');
        start = decoded.start;
      } catch {
        throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
      }
      items = items.filter((o) => keyOf(o) > start);
    }
    const limit = Number.parseInt(q.get('limit') ?? '0', 10);
    if (limit > 0 && items.length > limit) {
      const page = items.slice(0, limit);
      const last = page[page.length - 1];
      meta['continue'] = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(resourceVersion), start: last === undefined ? '' : keyOf(last) })).toString('base64url');
      meta['remainingItemCount'] = items.length - limit;
      items = page;
    }
    const shown = items.map((o) => this.cluster.view(type, version, o));
    if (wantsTable) return toTable(type.group, type.kind, shown, meta, includeObject(q));
    return {
      kind: `${type.kind}List`,
      apiVersion: shown[0]?.apiVersion ?? (type.group === '' ? version : `${type.group}/${version}`),
      metadata: meta,
      items: shown.map((o) => {
        const { apiVersion: _a, kind: _k, ...rest } = o;
        return { apiVersion: o.apiVersion, kind: o.kind, ...rest };
      }),
    };
  }

  private deleteCollection(route: ResourceRoute, q: URLSearchParams, options: DeleteOptions): Obj {
    const { type, version, namespace } = route;
    const filter = this.filterFor(route, q);
    const deleted = this.cluster
      .list(type, namespace)
      .filter(filter)
      .map((o) => this.cluster.delete(type, o.metadata.namespace, o.metadata.name ?? '', options).object);
    return {
      kind: `${type.kind}List`,
      apiVersion: type.group === '' ? version : `${type.group}/${version}`,
      metadata: { resourceVersion: String(this.cluster.store.resourceVersion) },
      items: deleted.map((o) => this.cluster.view(type, version, o)),
    };
  }

  private watch(route: ResourceRoute, q: URLSearchParams, req: IncomingMessage, res: ServerResponse, wantsTable: boolean): void {
    const { type, version, namespace } = route;
    const resource = typeKey(type);
    const filter = this.filterFor(route, q);
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const sendInitial = q.get('sendInitialEvents') === 'true';
    const rvParam = q.get('resourceVersion') ?? '';
    const store = this.cluster.store;

    const inScope = (o: KubeObject): boolean => !type.namespaced || namespace === undefined || o.metadata.namespace === namespace;
    const render = (o: KubeObject): unknown => {
      const shown = this.cluster.view(type, version, o);
      return wantsTable ? toTable(type.group, type.kind, [shown], { resourceVersion: shown.metadata['resourceVersion'] }, includeObject(q)) : shown;
    };
    const lines: string[] = [];
    const eventLine = (eventType: string, object: unknown): string => `${JSON.stringify({ type: eventType, object })}\n`;
    const translate = (e: StoreEvent): string | undefined => {
      if (e.resource !== resource || !inScope(e.object)) return undefined;
      const now = filter(e.object);
      const before = e.previous !== undefined && filter(e.previous);
      if (e.type === 'MODIFIED') {
        if (now && before) return eventLine('MODIFIED', render(e.object));
        if (now) return eventLine('ADDED', render(e.object));
        if (before) return eventLine('DELETED', render(e.object));
        return undefined;
      }
      return now ? eventLine(e.type, render(e.object)) : undefined;
    };
    const bookmark = (annotations?: Record<string, string>): string =>
      eventLine('BOOKMARK', {
        kind: type.kind,
        apiVersion: type.group === '' ? version : `${type.group}/${version}`,
        metadata: { resourceVersion: String(store.resourceVersion), ...(annotations ? { annotations } : {}) },
      });

    if (sendInitial || rvParam === '' || rvParam === '0') {
      for (const o of this.cluster.list(type, namespace).filter(filter)) lines.push(eventLine('ADDED', render(o)));
      if (sendInitial) lines.push(bookmark({ 'k8s.io/initial-events-end': 'true' }));
    } else {
      const rv = Number(rvParam);
      if (!Number.isInteger(rv) || rv < 0) throw badRequest(`invalid resource version: ${rvParam}`);
      const events = store.eventsSince(resource, rv);
      if (events === undefined) {
        lines.push(eventLine('ERROR', expired(`too old resource version: ${rv} (${store.oldestResourceVersion(resource) + 1})`).toStatus()));
      } else {
        for (const e of events) {
          const line = translate(e);
          if (line !== undefined) lines.push(line);
        }
      }
    }

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    for (const line of lines) res.write(line);
    if (lines.some((l) => l.startsWith('{"type":"ERROR"'))) {
      res.end();
      return;
    }

    const unsubscribe = store.subscribe((e) => {
      const line = translate(e);
      if (line !== undefined) res.write(line);
    });
    const timers: NodeJS.Timeout[] = [];
    const close = (): void => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.watches.delete(close);
      if (!res.writableEnded) res.end();
    };
    this.watches.add(close);
    req.on('close', close);
    res.on('close', close);
    const timeoutSeconds = Number.parseInt(q.get('timeoutSeconds') ?? '', 10);
    if (timeoutSeconds > 0) timers.push(setTimeout(close, timeoutSeconds * 1000));
    const cut = this.hooks.faults()?.watchCutAfterMs();
    if (cut !== undefined) timers.push(setTimeout(close, cut));
    if (bookmarks) {
      const interval = setInterval(() => res.write(bookmark()), 5_000);
      timers.push(interval);
      res.on('close', () => clearInterval(interval));
    }
  }
}

/** The last `tailLines` lines of a log, as `kubectl logs --tail` shows them. */
function tail(text: string, tailLines: string | null): string {
  const n = tailLines === null ? NaN : Number.parseInt(tailLines, 10);
  if (!Number.isInteger(n) || n < 0) return text;
  const lines = text.split(/(?<=\n)/);
  return n === 0 ? '' : lines.slice(-n).join('');
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

const POLICIES = new Set(['Foreground', 'Background', 'Orphan']);

function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const b = isObj(body) ? body : {};
  const options: DeleteOptions = {};
  const policy = q.get('propagationPolicy') ?? (typeof b['propagationPolicy'] === 'string' ? b['propagationPolicy'] : undefined) ?? (b['orphanDependents'] === true || q.get('orphanDependents') === 'true' ? 'Orphan' : undefined);
  if (policy !== undefined) {
    if (!POLICIES.has(policy)) throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    options.propagationPolicy = policy as PropagationPolicy;
  }
  const dryRun = [...q.getAll('dryRun'), ...(Array.isArray(b['dryRun']) ? b['dryRun'].map(String) : [])];
  if (dryRun.includes('All')) options.dryRun = true;
  if (isObj(b['preconditions'])) {
    const p = b['preconditions'];
    options.preconditions = {};
    if (typeof p['uid'] === 'string') options.preconditions.uid = p['uid'];
    if (typeof p['resourceVersion'] === 'string') options.preconditions.resourceVersion = p['resourceVersion'];
  }
  return options;
}
