import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDevcluster, type Devcluster } from '../../src/devcluster/index.js';

// Apply bodies (application/apply-patch+yaml) are read by JSON.parse when they are compact JSON and
// by the YAML parser otherwise: the answer must not depend on which one read the body.
let cluster: Devcluster;

beforeAll(async () => {
  cluster = await startDevcluster({ config: { rolloutDelayMs: 0 } });
});
afterAll(async () => {
  await cluster.stop();
});
beforeEach(() => cluster.reset());

const PATH = '/api/v1/namespaces/default/configmaps/settings?fieldManager=test';

async function apply(body: string): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${cluster.url}${PATH}`, { method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const compact = (data: string): string => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":${data}}`;

describe('apply bodies', () => {
  it('compact JSON, JSON with spaces, a trailing newline and YAML give the same object', async () => {
    const bodies = [
      compact('{"a":"1","b":"x\\u00e9"}'),
      `${compact('{"a":"1","b":"x\\u00e9"}')}\n`,
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1', b: 'xé' } }, null, 2),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n  b: xé\n',
    ];
    for (const body of bodies) {
      cluster.reset();
      const res = await apply(body);
      expect(res.status).toBe(201);
      expect(res.body['data']).toEqual({ a: '1', b: 'xé' });
    }
  });

  it('a duplicate key is refused in compact JSON as in YAML, not silently dropped', async () => {
    for (const body of [compact('{"a":"1","a":"2"}'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n  a: "2"\n']) {
      const res = await apply(body);
      expect(res.status).toBe(400);
      expect(res.body['message']).toMatch(/could not be decoded/);
    }
  });
});
