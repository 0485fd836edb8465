/** The daemon's HTTP endpoints: probes, metrics, status and the push webhook. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DaemonMetrics } from './metrics.js';
import type { DaemonStatus } from './status.js';
import { concernsRef, pushedRef, verifyWebhook, type Headers } from './webhook.js';

/** Push payloads are small; anything larger is refused before it is read in full. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export interface Endpoints {
  readonly metrics: DaemonMetrics;
  readonly log: Logger;
  /** The ref the daemon follows, to ignore pushes to other branches. */
  readonly ref: string;
  /** Undefined: the webhook is off. */
  readonly webhookSecret: string | undefined;
  alive(): boolean;
  ready(): boolean;
  status(): DaemonStatus;
  /** A verified push for our ref: fetch and reconcile now. Returns false when this replica cannot act (stopping). */
  onPush(sender: string, headers: Headers, body: Buffer): Promise<{ accepted: boolean; detail: string }>;
}

export function createDaemonServer(endpoints: Endpoints): Server {
  return createServer((req, res) => {
    handle(endpoints, req, res).catch((err: unknown) => {
      endpoints.log.error({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.end();
    });
  });
}

async function handle(ep: Endpoints, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = `${req.method ?? 'GET'} ${path}`;
  switch (route) {
    case 'GET /healthz':
      return text(res, ep.alive() ? 200 : 503, ep.alive() ? 'ok\n' : 'stopping\n');
    case 'GET /readyz':
      return text(res, ep.ready() ? 200 : 503, ep.ready() ? 'ready\n' : 'not ready: no successful fetch and sync yet\n');
    case 'GET /metrics':
      res.writeHead(200, { 'Content-Type': ep.metrics.registry.contentType });
      res.end(await ep.metrics.registry.metrics());
      return;
    case 'GET /api/v1/status':
      return json(res, 200, ep.status());
    case 'POST /api/v1/webhook':
      return webhook(ep, req, res);
    default:
      if (['/healthz', '/readyz', '/metrics', '/api/v1/status', '/api/v1/webhook'].includes(path)) return json(res, 405, { error: `${req.method} not allowed on ${path}` });
      return json(res, 404, { error: `no endpoint ${path}` });
  }
}

async function webhook(ep: Endpoints, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (ep.webhookSecret === undefined) {
    ep.metrics.webhooks.inc({ outcome: 'unauthorized' });
    return json(res, 401, { error: 'the webhook is off: start the daemon with --webhook-secret-file or --webhook-secret-env' });
  }
  const body = await readBody(req, MAX_WEBHOOK_BYTES);
  if (body === undefined) {
    ep.metrics.webhooks.inc({ outcome: 'invalid' });
    res.setHeader('Connection', 'close');
    return json(res, 413, { error: `payload larger than ${MAX_WEBHOOK_BYTES} bytes` });
  }
  const verdict = verifyWebhook(ep.webhookSecret, req.headers, body);
  if (!verdict.ok) {
    ep.metrics.webhooks.inc({ outcome: 'unauthorized' });
    ep.log.warn({ remote: req.socket.remoteAddress, reason: verdict.reason }, 'webhook refused');
    return json(res, 401, { error: verdict.reason });
  }
  let payload: unknown;
  try {
    payload = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    ep.metrics.webhooks.inc({ outcome: 'invalid' });
    return json(res, 400, { error: 'the body is not JSON' });
  }
  if (req.headers['x-github-event'] === 'ping') {
    ep.metrics.webhooks.inc({ outcome: 'ignored' });
    return json(res, 200, { triggered: false, detail: 'pong' });
  }
  const ref = pushedRef(payload);
  if (!concernsRef(ref, ep.ref)) {
    ep.metrics.webhooks.inc({ outcome: 'ignored' });
    return json(res, 202, { triggered: false, detail: `push to ${ref ?? '?'} ignored: following ${ep.ref}` });
  }
  const outcome = await ep.onPush(verdict.sender, req.headers, body);
  ep.metrics.webhooks.inc({ outcome: outcome.accepted ? 'triggered' : 'ignored' });
  ep.log.info({ sender: verdict.sender, ref, accepted: outcome.accepted, detail: outcome.detail }, 'webhook received');
  return json(res, outcome.accepted ? 202 : 503, { triggered: outcome.accepted, detail: outcome.detail });
}

/** The body, or undefined when it exceeds `limit` bytes (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        resolve(undefined);
        req.pause();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function json(res: ServerResponse, code: number, value: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(`${JSON.stringify(value, null, 2)}\n`);
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}
