import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultInjector, faultConfigProblems, seededRandom, type FaultConfig } from '../../src/devcluster/faults.js';

interface Answer {
  code: number | 'dropped';
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A real HTTP server that runs the injector in front of a handler answering 200 `ok`. */
async function serve(injector: FaultInjector): Promise<(path?: string) => Promise<Answer>> {
  const server = createServer((req, res) => {
    void injector.intercept(req, res).then((handled) => {
      if (!handled) res.end('ok');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return (path = '/api/v1/namespaces/default/configmaps') =>
    new Promise((resolve) => {
      const started = Date.now();
      const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - started }));
      });
      req.on('error', () => resolve({ code: 'dropped', headers: {}, body: '', ms: Date.now() - started }));
      req.end();
    });
}

async function codes(config: FaultConfig, n: number): Promise<Array<number | 'dropped'>> {
  const get = await serve(new FaultInjector(config));
  const out: Array<number | 'dropped'> = [];
  for (let i = 0; i < n; i++) out.push((await get()).code);
  return out;
}

describe('FaultInjector', () => {
  it('gives the same faults for the same seed and different ones for another seed', async () => {
    const config = { seed: 42, errorRate: 0.2, throttleRate: 0.2, dropRate: 0.1 };
    const first = await codes(config, 60);
    const again = await codes(config, 60);
    const other = await codes({ ...config, seed: 7 }, 60);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 429, 500, 503, 'dropped']));
  });

  it('fails about the configured fraction of requests', async () => {
    const injected = (await codes({ seed: 3, errorRate: 0.3 }, 400)).filter((c) => c !== 200);
    expect(injected.length / 400).toBeGreaterThan(0.22);
    expect(injected.length / 400).toBeLessThan(0.38);
    expect(new Set(injected)).toEqual(new Set([500, 503]));
  });

  it('answers throttled requests 429 with Retry-After and a TooManyRequests Status', async () => {
    const get = await serve(new FaultInjector({ throttleRate: 1, retryAfterSeconds: 3 }));
    const answer = await get();
    expect(answer.code).toBe(429);
    expect(answer.headers['retry-after']).toBe('3');
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'TooManyRequests',
      code: 429,
      details: { retryAfterSeconds: 3 },
    });
  });

  it('answers errors with InternalError and ServiceUnavailable Status bodies', async () => {
    const get = await serve(new FaultInjector({ seed: 5, errorRate: 1 }));
    const seen = new Map<number | 'dropped', unknown>();
    for (let i = 0; i < 20; i++) {
      const a = await get();
      seen.set(a.code, JSON.parse(a.body));
    }
    expect(seen.get(500)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'InternalError', code: 500 });
    expect(seen.get(503)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'ServiceUnavailable', code: 503 });
  });

  it('drops connections without an answer', async () => {
    const get = await serve(new FaultInjector({ dropRate: 1 }));
    expect((await get()).code).toBe('dropped');
  });

  it('delays requests by the configured latency', async () => {
    const fixed = await serve(new FaultInjector({ latencyMs: 120 }));
    expect((await fixed()).ms).toBeGreaterThanOrEqual(110);
    const ranged = await serve(new FaultInjector({ latencyMs: { min: 40, max: 80 } }));
    const a = await ranged();
    expect(a.code).toBe(200);
    expect(a.ms).toBeGreaterThanOrEqual(35);
  });

  it('never faults exempt path prefixes, matching whole path segments', async () => {
    const get = await serve(new FaultInjector({ errorRate: 1, latencyMs: 300, exempt: ['/version', '/apis'] }));
    const version = await get('/version?timeout=32s');
    expect(version.code).toBe(200);
    expect((await get('/apis/apps/v1')).code).toBe(200);
    expect((await get('/versions')).code).not.toBe(200);
    expect((await get('/api/v1')).code).not.toBe(200);
  });

  it('cuts watches after a fixed time, a drawn time in range, or never', () => {
    expect(new FaultInjector({}).watchCutAfterMs()).toBeUndefined();
    expect(new FaultInjector({ watchCutAfterMs: 500 }).watchCutAfterMs()).toBe(500);
    const ranged = new FaultInjector({ seed: 9, watchCutAfterMs: { min: 100, max: 200 } });
    const draws = Array.from({ length: 50 }, () => ranged.watchCutAfterMs() ?? -1);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...draws)).toBeLessThanOrEqual(200);
    expect(new Set(draws).size).toBeGreaterThan(10);
  });

  it('rejects rates outside [0, 1] and rates summing above 1', () => {
    expect(() => new FaultInjector({ errorRate: 1.5 })).toThrow(/errorRate/);
    expect(() => new FaultInjector({ errorRate: 0.6, throttleRate: 0.6 })).toThrow(/must not exceed 1/);
  });

  it('reports every problem of a configuration read from a file, each naming its field', () => {
    expect(faultConfigProblems({ seed: 1, latencyMs: { min: 1, max: 5 }, errorRate: 0.1, exempt: ['/version'] })).toEqual([]);
    expect(faultConfigProblems({ errorrate: 0.1, latencyMs: { min: 9, max: 5 }, retryAfterSeconds: 1.5, watchCutAfterMs: -1, exempt: ['version'], dropRate: '0.1' })).toEqual([
      'faults.errorrate is not a fault setting (expected one of seed, latencyMs, errorRate, throttleRate, retryAfterSeconds, dropRate, watchCutAfterMs, exempt)',
      'faults.dropRate must be a fraction between 0 and 1, got "0.1"',
      'faults.retryAfterSeconds must be a whole number of seconds, 0 or more',
      'faults.latencyMs must be milliseconds (0 or more) or { min, max } with min <= max',
      'faults.watchCutAfterMs must be milliseconds (0 or more) or { min, max } with min <= max',
      'faults.exempt must be a list of paths starting with /',
    ]);
    expect(faultConfigProblems([])).toEqual(['faults must be a mapping']);
  });

  it('uses an injected random source instead of the seed', async () => {
    const get = await serve(new FaultInjector({ throttleRate: 0.5 }, () => 0.9));
    for (let i = 0; i < 5; i++) expect((await get()).code).toBe(200);
    const r = seededRandom(1);
    expect(Array.from({ length: 3 }, r)).toEqual(Array.from({ length: 3 }, seededRandom(1)));
  });
});
