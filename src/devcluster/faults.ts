/**
 * Fault injection for the devcluster: the misbehaviour of a real, busy API server (slow answers, 5xx,
 * throttling, connections that die, watch streams cut short), made reproducible by a seed so a
 * reliability test that fails can be run again with the same faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A fixed number, or a number drawn uniformly from [min, max] per request. */
export type Millis = number | { min: number; max: number };

export interface FaultConfig {
  /** Seed of the pseudo-random sequence; the same seed and request order give the same faults. */
  seed?: number;
  /** Delay before every non-exempt request is handled. */
  latencyMs?: Millis;
  /** Fraction of requests answered 500 InternalError or 503 ServiceUnavailable. */
  errorRate?: number;
  /** Fraction of requests answered 429 TooManyRequests with a Retry-After header. */
  throttleRate?: number;
  /** Retry-After of throttled requests; 1 unless set. */
  retryAfterSeconds?: number;
  /** Fraction of requests whose connection is destroyed without an answer. */
  dropRate?: number;
  /** A watch stream is ended by the server after this long (a real server ends watches too). */
  watchCutAfterMs?: Millis;
  /** Path prefixes never faulted, e.g. `/version`, `/api`, `/apis`, `/openapi`. */
  exempt?: string[];
}

/** mulberry32: small, fast, and good enough to spread faults; the point is reproducibility. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['seed', 'latencyMs', 'errorRate', 'throttleRate', 'retryAfterSeconds', 'dropRate', 'watchCutAfterMs', 'exempt'];

/** Every problem with a fault configuration (e.g. read from a file), each naming its field; empty when valid. */
export function faultConfigProblems(config: unknown): string[] {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return ['faults must be a mapping'];
  const c = config as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(c)) {
    if (!KEYS.includes(key)) problems.push(`faults.${key} is not a fault setting (expected one of ${KEYS.join(', ')})`);
  }
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (c['seed'] !== undefined && !isNumber(c['seed'])) problems.push('faults.seed must be a number');
  let total = 0;
  for (const key of ['errorRate', 'throttleRate', 'dropRate']) {
    const rate = c[key];
    if (rate === undefined) continue;
    if (!isNumber(rate) || rate < 0 || rate > 1) problems.push(`faults.${key} must be a fraction between 0 and 1, got ${JSON.stringify(rate)}`);
    else total += rate;
  }
  if (total > 1) problems.push(`faults.errorRate + throttleRate + dropRate must not exceed 1, got ${total}`);
  const retry = c['retryAfterSeconds'];
  if (retry !== undefined && !(Number.isInteger(retry) && (retry as number) >= 0)) problems.push('faults.retryAfterSeconds must be a whole number of seconds, 0 or more');
  for (const key of ['latencyMs', 'watchCutAfterMs']) {
    const v = c[key];
    if (v === undefined) continue;
    const range = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
    const ok = isNumber(v) ? v >= 0 : range !== undefined && isNumber(range['min']) && isNumber(range['max']) && range['min'] >= 0 && range['min'] <= range['max'];
    if (!ok) problems.push(`faults.${key} must be milliseconds (0 or more) or { min, max } with min <= max`);
  }
  const exempt = c['exempt'];
  if (exempt !== undefined && !(Array.isArray(exempt) && exempt.every((p) => typeof p === 'string' && p.startsWith('/')))) {
    problems.push('faults.exempt must be a list of paths starting with /');
  }
  return problems;
}

type Outcome = 'drop' | 'throttle' | 'error' | 'pass';

export class FaultInjector {
  private readonly config: FaultConfig;
  private readonly random: () => number;

  constructor(config: FaultConfig, random: () => number = seededRandom(config.seed ?? 1)) {
    const problems = faultConfigProblems(config);
    if (problems.length > 0) throw new RangeError(problems.join('; '));
    this.config = config;
    this.random = random;
  }

  /**
   * Delays the request, then maybe answers it with a failure or drops its connection.
   * Returns true when the request was answered or dropped here and must not be handled further.
   */
  async intercept(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (this.isExempt(req.url ?? '/')) return false;
    // Every request draws the same number of values whatever its fate, so the faults depend only on
    // the seed and the order in which requests arrive.
    const latency = this.draw(this.config.latencyMs);
    const roll = this.random();
    const pick = this.random();
    if (latency !== undefined && latency > 0) await sleep(latency);

    switch (this.outcome(roll)) {
      case 'pass':
        return false;
      case 'drop':
        req.socket.destroy();
        return true;
      case 'throttle': {
        const retryAfter = this.config.retryAfterSeconds ?? 1;
        sendStatus(res, 429, 'TooManyRequests', 'Too many requests, please try again later.', {
          'Retry-After': String(retryAfter),
        }, { retryAfterSeconds: retryAfter });
        return true;
      }
      case 'error':
        if (pick < 0.5) {
          sendStatus(res, 500, 'InternalError', 'Internal error occurred: injected fault', {}, {
            causes: [{ message: 'injected fault' }],
          });
        } else {
          sendStatus(res, 503, 'ServiceUnavailable', 'The server is currently unable to handle the request', {});
        }
        return true;
    }
  }

  /** How long the next watch stream may live before the server ends it; undefined: no cut. */
  watchCutAfterMs(): number | undefined {
    return this.draw(this.config.watchCutAfterMs);
  }

  private outcome(roll: number): Outcome {
    let edge = this.config.dropRate ?? 0;
    if (roll < edge) return 'drop';
    edge += this.config.throttleRate ?? 0;
    if (roll < edge) return 'throttle';
    edge += this.config.errorRate ?? 0;
    if (roll < edge) return 'error';
    return 'pass';
  }

  private isExempt(url: string): boolean {
    const path = url.split('?', 1)[0] ?? '/';
    return (this.config.exempt ?? []).some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
  }

  private draw(value: Millis | undefined): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'number') return value;
    return Math.round(value.min + this.random() * (value.max - value.min));
  }
}

function sendStatus(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  headers: Record<string, string>,
  details?: Record<string, unknown>,
): void {
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  });
  res.writeHead(code, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
