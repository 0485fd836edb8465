/**
 * HTTP to the API server with the kubeconfig's credentials, and the retry policy: 429 (after its
 * Retry-After), 500 (unless it says the request can never succeed), 503, 504 and dropped connections
 * are tried again with exponential backoff and full jitter, a bounded number of times. Everything
 * else is the caller's to interpret.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LoadedKubeconfig } from './kubeconfig.js';
import { UnreachableError } from './errors.js';
import { deferredDefaultCa } from './extra-ca.js';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this is cut to it. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 8_000, maxRetryAfterMs: 30_000 };

const RETRY_STATUS = new Set([429, 500, 503, 504]);
/**
 * 500 answers that say the request itself can never succeed: server-side apply could not type the
 * object by its schema (an undeclared field). Trying again only repeats the failure.
 */
const PERMANENT_500 = [/^failed to create typed (patch|live) object\b/];

/** Whether an answer may succeed when the same request is sent again. */
export function retryable(status: number, body: string): boolean {
  if (!RETRY_STATUS.has(status)) return false;
  if (status !== 500) return true;
  let message = '';
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not a Status body: nothing says the failure is permanent.
  }
  return !PERMANENT_500.some((re) => re.test(message));
}
/** Connection failures after which the same request may succeed; a refused connection is not one. */
const RETRY_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

export type Query = Record<string, string | number | boolean | undefined>;

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Query;
  readonly body?: string;
  readonly contentType?: string;
  readonly accept?: string;
  /** Per-try timeout; a try that takes longer counts as a dropped connection. */
  readonly timeoutMs?: number;
  /**
   * false: a dropped connection is not tried again, because the server may have acted on the request
   * and a second try would act twice (a create with generateName makes a second object).
   */
  readonly retryDropped?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** An earlier try lost its connection: the server may already have acted on this request. */
  readonly afterDrop: boolean;
  /** How many tries this answer took (1 when the first one counted). */
  readonly tries?: number;
}

/** Delay before try number `attempt + 1` (attempt counts from 1): full jitter over an exponential cap. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * cap);
}

/** Retry-After as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Characters URLSearchParams leaves as they are; text made only of them needs no encoding. */
const PLAIN = /^[A-Za-z0-9*._-]*$/;

export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  let text = '';
  let params: URLSearchParams | undefined;
  for (const key in query) {
    const value = query[key];
    if (value === undefined) continue;
    const v = String(value);
    if (params === undefined && PLAIN.test(key) && PLAIN.test(v)) {
      // Most queries (fieldManager=kasane&force=true) need no encoding: no URLSearchParams for them.
      text += `${text ? '&' : ''}${key}=${v}`;
      continue;
    }
    params ??= new URLSearchParams(text);
    params.set(key, v);
  }
  if (params !== undefined) text = params.toString();
  return text ? `?${text}` : '';
}

/** The whole body of a response, as text. */
function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('close', () => {
      if (res.complete) return;
      const err = new Error('the connection closed before the whole answer arrived') as NodeJS.ErrnoException;
      err.code = 'ECONNRESET';
      reject(err);
    });
  });
}

export class Transport {
  /** Every try sent, retries included. */
  requests = 0;
  private agent: http.Agent | undefined;
  private readonly base: URL;
  /** Where every request goes: the server's host, port and path prefix, read from its URL once. */
  private readonly target: { protocol: string; hostname: string; port: string; prefix: string; auth?: string };
  private staticAuth: { headers: Record<string, string>; auth?: string } | undefined;
  private readonly dynamicAuth: boolean;

  constructor(
    private readonly kube: LoadedKubeconfig,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.base = new URL(kube.server);
    this.target = {
      protocol: this.base.protocol,
      // A bracketed IPv6 literal is a hostname without its brackets.
      hostname: this.base.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.base.port,
      prefix: this.base.pathname.replace(/\/+$/, ''),
      ...(this.base.username ? { auth: `${decodeURIComponent(this.base.username)}:${decodeURIComponent(this.base.password)}` } : {}),
    };
    const user = kube.user;
    // Tokens from exec plugins, auth providers and token files can change while kasane runs.
    this.dynamicAuth = Boolean(user && (user.exec || user.authProvider));
  }

  get server(): string {
    return this.kube.server;
  }

  private async credentials(): Promise<{ headers: Record<string, string>; auth?: string; agent: http.Agent }> {
    if (this.staticAuth && this.agent && !this.dynamicAuth) return { ...this.staticAuth, agent: this.agent };
    // The kubeconfig's own CA, if it names one, takes the place of these defaults (as in node).
    const defaultCa = this.base.protocol === 'https:' ? deferredDefaultCa() : undefined;
    const opts: https.RequestOptions = defaultCa ? { ca: defaultCa } : {};
    await this.kube.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    const found = { headers, ...(typeof opts.auth === 'string' ? { auth: opts.auth } : {}) };
    this.staticAuth = found;
    if (!this.agent) {
      if (this.kube.cluster.proxyUrl && opts.agent instanceof http.Agent) {
        // Behind a proxy, client-node's agent knows how to tunnel.
        this.agent = opts.agent;
      } else if (this.base.protocol === 'http:') {
        this.agent = new http.Agent({ keepAlive: true });
      } else {
        // A keep-alive agent with the TLS material client-node gathered (CA, client cert and key).
        this.agent = new https.Agent({
          keepAlive: true,
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key,
          ...(opts.servername ? { servername: opts.servername } : {}),
          ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
        });
      }
    }
    return { ...found, agent: this.agent };
  }

  /** One try; resolves with the response stream, rejects on a connection failure. */
  private async send(req: HttpRequest, signal?: AbortSignal): Promise<IncomingMessage> {
    const { headers, auth, agent } = await this.credentials();
    const { protocol, hostname, port, prefix } = this.target;
    // Credentials in the server's URL count unless the kubeconfig's own take their place.
    const userinfo = auth ?? this.target.auth;
    const lib = protocol === 'http:' ? http : https;
    this.requests++;
    return new Promise<IncomingMessage>((resolve, reject) => {
      // Request options rather than a URL: the same request without parsing and re-splitting a URL each time.
      const request = lib.request(
        {
          protocol,
          hostname,
          ...(port ? { port } : {}),
          path: `${prefix}${req.path}${buildQuery(req.query)}`,
          method: req.method,
          agent,
          ...(userinfo ? { auth: userinfo } : {}),
          headers: {
            ...headers,
            Accept: req.accept ?? 'application/json',
            'User-Agent': 'kasane',
            ...(req.body !== undefined
              ? { 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(req.body) }
              : {}),
          },
          ...(signal ? { signal } : {}),
        },
        resolve,
      );
      request.on('error', reject);
      if (req.timeoutMs !== undefined) {
        request.setTimeout(req.timeoutMs, () => {
          const err = new Error(`no answer within ${req.timeoutMs} ms`) as NodeJS.ErrnoException;
          err.code = 'ETIMEDOUT';
          request.destroy(err);
        });
      }
      if (req.body !== undefined) request.write(req.body);
      request.end();
    });
  }

  private unreachable(err: unknown): UnreachableError {
    return new UnreachableError(this.kube.server, this.kube.contextName, err);
  }

  /** Sends the request, retrying what may succeed on a later try, and reads the whole answer. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const timed = { timeoutMs: 60_000, ...req };
    let afterDrop = false;
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse;
      try {
        const res = await this.send(timed);
        response = { status: res.statusCode ?? 0, headers: res.headers, body: await readAll(res), afterDrop, tries: attempt };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (req.retryDropped !== false && attempt < this.policy.maxAttempts && code !== undefined && RETRY_CODES.has(code)) {
          afterDrop = true;
          await sleep(backoffDelay(this.policy, attempt));
          continue;
        }
        throw this.unreachable(err);
      }
      if (attempt < this.policy.maxAttempts && retryable(response.status, response.body)) {
        const after = response.status === 429 ? parseRetryAfter(response.headers['retry-after']) : undefined;
        const delay =
          after === undefined
            ? backoffDelay(this.policy, attempt)
            : Math.min(after, this.policy.maxRetryAfterMs) + backoffDelay(this.policy, 1);
        await sleep(delay);
        continue;
      }
      return response;
    }
  }

  /** Opens a long-lived response (a watch): connection failures are retried, the status is the caller's. */
  async open(req: HttpRequest, signal: AbortSignal): Promise<IncomingMessage> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.send(req, signal);
        if (attempt < this.policy.maxAttempts && RETRY_STATUS.has(res.statusCode ?? 0)) {
          const after = res.statusCode === 429 ? parseRetryAfter(res.headers['retry-after']) : undefined;
          res.resume();
          await sleep(after === undefined ? backoffDelay(this.policy, attempt) : Math.min(after, this.policy.maxRetryAfterMs));
          continue;
        }
        return res;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (!signal.aborted && attempt < this.policy.maxAttempts && code !== undefined && RETRY_CODES.has(code)) {
          await sleep(backoffDelay(this.policy, attempt));
          continue;
        }
        throw signal.aborted ? err : this.unreachable(err);
      }
    }
  }

  close(): void {
    this.agent?.destroy();
  }
}
