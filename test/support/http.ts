/**
 * Plain HTTP against the devcluster, for tests that check the wire itself (status codes, headers, watch
 * streams) rather than what a client library makes of it.
 */
import { request } from 'node:http';

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/**
 * One request on a fresh connection (no keep-alive pool), so a restarted server or a dropped
 * connection affects exactly the request it hit.
 */
export function api(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiResponse> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (payload !== undefined) headers['Content-Type'] = contentType;
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const responseHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') responseHeaders.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface WatchEvent {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  object: any;
}

/** An open watch stream: events arrive in `events`; `ended` settles when the server closes it. */
export interface OpenWatch {
  /** HTTP status of the watch request. */
  status: number;
  events: WatchEvent[];
  /** Resolves with the first event (at or after index `from`) matching, or rejects after timeoutMs. */
  waitFor(match: (e: WatchEvent) => boolean, timeoutMs?: number, from?: number): Promise<WatchEvent>;
  ended: Promise<void>;
  /** The raw body when the server did not answer 200 (e.g. a 410 Status). */
  errorBody: string;
  close(): void;
}

/** Opens `GET path?watch=true&...` and collects newline-delimited events as they stream in. */
export function openWatch(baseUrl: string, path: string, query: Record<string, string> = {}): Promise<OpenWatch> {
  const url = new URL(path, baseUrl);
  url.searchParams.set('watch', 'true');
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: 'application/json' }, agent: false }, (res) => {
      const events: WatchEvent[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      let errorBody = '';
      res.setEncoding('utf8');
      const ended = new Promise<void>((resolveEnd) => {
        res.on('end', resolveEnd);
        res.on('close', resolveEnd);
        res.on('error', () => resolveEnd());
      });
      res.on('data', (chunk: string) => {
        if (res.statusCode !== 200) {
          errorBody += chunk;
          return;
        }
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line !== '') events.push(JSON.parse(line) as WatchEvent);
        }
        for (const w of waiters) w();
      });
      const watch: OpenWatch = {
        status: res.statusCode ?? 0,
        events,
        ended,
        get errorBody() {
          return errorBody;
        },
        waitFor: (match, timeoutMs = 5_000, from = 0) =>
          new Promise((resolveEvent, rejectEvent) => {
            const check = (): boolean => {
              const found = events.slice(from).find(match);
              if (found === undefined) return false;
              waiters.delete(onData);
              clearTimeout(timer);
              resolveEvent(found);
              return true;
            };
            const onData = (): void => void check();
            const timer = setTimeout(() => {
              waiters.delete(onData);
              rejectEvent(new Error(`no matching watch event within ${timeoutMs} ms; saw ${JSON.stringify(events.map((e) => `${e.type} ${e.object?.metadata?.name ?? e.object?.reason ?? ''}`))}`));
            }, timeoutMs);
            if (!check()) waiters.add(onData);
          }),
        close: () => req.destroy(),
      };
      resolve(watch);
    });
    req.on('error', reject);
    req.end();
  });
}

/** True when a watch from `resourceVersion` is refused as expired (HTTP 410, or an ERROR event with code 410). */
export async function watchExpired(baseUrl: string, path: string, resourceVersion: string): Promise<boolean> {
  const watch = await openWatch(baseUrl, path, { resourceVersion, timeoutSeconds: '1' });
  try {
    if (watch.status === 410) return true;
    if (watch.status !== 200) throw new Error(`watch answered ${watch.status}: ${watch.errorBody}`);
    const first = await Promise.race([watch.waitFor(() => true, 1_500).catch(() => undefined), watch.ended.then(() => undefined)]);
    return first?.type === 'ERROR' && first.object?.code === 410;
  } finally {
    watch.close();
  }
}

/**
 * Writes to a scratch ConfigMap in `namespace` until a ConfigMap watch from `resourceVersion` expires, i.e.
 * until the server's watch history no longer reaches back that far. Returns the number of writes it took.
 */
export async function outgrowWatchHistory(baseUrl: string, namespace: string, resourceVersion: string, maxWrites = 1_000): Promise<number> {
  const path = `/api/v1/namespaces/${namespace}/configmaps`;
  const created = await api(baseUrl, 'POST', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'history-filler' }, data: { n: '0' } });
  if (created.status !== 201) throw new Error(`creating history-filler: ${created.status} ${created.text}`);
  for (let n = 1; n <= maxWrites; n++) {
    const res = await api(baseUrl, 'PATCH', `${path}/history-filler`, { data: { n: String(n) } }, 'application/merge-patch+json');
    if (res.status !== 200) throw new Error(`patching history-filler: ${res.status} ${res.text}`);
    if (n % 10 === 0 && (await watchExpired(baseUrl, path, resourceVersion))) return n;
  }
  throw new Error(`a watch from resourceVersion ${resourceVersion} still replays after ${maxWrites} writes`);
}
