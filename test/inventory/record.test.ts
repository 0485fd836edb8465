import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { decodeRecord, encodeRecord, InventoryDecodeError, type InventoryRecord } from '../../src/inventory/record.js';
import { releaseDigest } from '../../src/inventory/digest.js';
import { release, rendered } from '../sync/fixtures.js';

const sample: InventoryRecord = {
  environment: 'staging',
  release: 'web',
  namespace: 'shop',
  revision: 7,
  status: 'deployed',
  gitRevision: 'abc123',
  digest: 'sha256:00',
  time: '2026-11-23T18:00:00.000Z',
  description: 'sync',
  objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', wave: 0 }],
  hooks: [{ phase: 'pre-sync', ref: { apiVersion: 'batch/v1', kind: 'Job', namespace: 'shop', name: 'migrate-x1y2z' }, status: 'Failed', message: 'failed', logs: 'boom\n', startedAt: 't0', finishedAt: 't1' }],
  rendered: [rendered('Deployment', 'web')],
};

describe('inventory records', () => {
  it('are stored as labelled Secrets of their own type, the body gzipped JSON', () => {
    const secret = encodeRecord(sample);
    expect(secret.metadata.name).toBe('kasane.staging.web.v7');
    expect(secret.metadata.namespace).toBe('shop');
    expect(secret['type']).toBe('kasane.io/inventory');
    expect(secret.metadata.labels).toEqual({
      owner: 'kasane',
      'kasane.io/environment': 'staging',
      'kasane.io/release': 'web',
      'kasane.io/revision': '7',
      'kasane.io/status': 'deployed',
    });
    const body = (secret['data'] as Record<string, string>)['record']!;
    expect(JSON.parse(gunzipSync(Buffer.from(body, 'base64')).toString()).revision).toBe(7);
    expect(decodeRecord(secret)).toEqual(sample);
  });

  it('a Secret that is not a record fails to decode, naming it', () => {
    const bad = { ...encodeRecord(sample), data: { record: Buffer.from('not gzip').toString('base64') } };
    expect(() => decodeRecord(bad)).toThrow(InventoryDecodeError);
    expect(() => decodeRecord(bad)).toThrow(/shop\/kasane\.staging\.web\.v7/);
  });
});

describe('releaseDigest', () => {
  it('does not depend on object order or key order, and changes with any value', () => {
    const a = rendered('ConfigMap', 'a', { body: { data: { x: '1', y: '2' } } });
    const b = rendered('ConfigMap', 'b');
    const aReordered = rendered('ConfigMap', 'a', { body: { data: { y: '2', x: '1' } } });
    expect(releaseDigest(release([a, b]))).toBe(releaseDigest(release([b, aReordered])));
    const changed = rendered('ConfigMap', 'a', { body: { data: { x: '1', y: '3' } } });
    expect(releaseDigest(release([changed, b]))).not.toBe(releaseDigest(release([a, b])));
    expect(releaseDigest(release([a, b], { namespace: 'other' }))).not.toBe(releaseDigest(release([a, b])));
    expect(releaseDigest(release([a, b]))).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('oversized records', () => {
  it('keep everything but the rendered objects, and say so', () => {
    // Random data does not compress: a ConfigMap of 1 MiB of it cannot fit a Secret.
    const noise = (n: number) => Array.from({ length: n }, () => Math.random().toString(36).slice(2)).join('');
    const big = { ...sample, rendered: [rendered('ConfigMap', 'huge', { body: { data: { blob: noise(120_000) } } })] };
    const decoded = decodeRecord(encodeRecord(big));
    expect(decoded.renderedOmitted).toBe(true);
    expect(decoded.rendered).toEqual([]);
    expect(decoded.objects).toEqual(sample.objects);
    expect(decodeRecord(encodeRecord(sample)).renderedOmitted).toBeUndefined();
  });
});
