import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compareObject,
  LAST_APPLIED_ANNOTATION,
  maskSecrets,
  normalize,
  printJson,
  printMarkdown,
  printText,
  summarize,
  type DiffReport,
  type ObjectDiff,
} from '../../src/diff/index.js';
import type { KubeObject } from '../../src/model/object.js';

const deployment = (replicas: number, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: { replicas, template: { spec: { serviceAccountName: 'web', containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
  ...extra,
});

const secret = (data: Record<string, string>, stringData?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'shop' },
  type: 'Opaque',
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  ...(stringData ? { stringData } : {}),
});

describe('normalize', () => {
  it('drops what only the server writes and keeps what the user wrote', () => {
    const live = deployment(2, { status: { replicas: 2 } });
    Object.assign(live.metadata, {
      uid: 'u-1',
      resourceVersion: '42',
      generation: 3,
      creationTimestamp: '2026-01-01T00:00:00Z',
      managedFields: [{ manager: 'kasane' }],
      selfLink: '/apis/apps/v1/x',
      annotations: { [LAST_APPLIED_ANNOTATION]: '{"secret":"x"}', team: 'a' },
      finalizers: ['example.com/keep'],
    });
    (live['spec'] as { template: { spec: Record<string, unknown> } }).template.spec['serviceAccount'] = 'web';
    const n = normalize(live);
    expect(n.metadata).toEqual({
      name: 'web',
      namespace: 'shop',
      labels: { app: 'web' },
      annotations: { team: 'a' },
      finalizers: ['example.com/keep'],
    });
    expect(n['status']).toBeUndefined();
    expect(n).toEqual({ ...deployment(2), metadata: n.metadata });
    // the input is not touched
    expect(live.metadata['uid']).toBe('u-1');
  });

  it('removes an annotations map left empty', () => {
    const obj = deployment(1);
    obj.metadata.annotations = { [LAST_APPLIED_ANNOTATION]: '{}' };
    expect(normalize(obj).metadata.annotations).toBeUndefined();
  });
});

describe('maskSecrets', () => {
  it('gives equal values the same mask and changed values different ones, per key', () => {
    const before = secret({ user: 'admin', password: 'hunter2' });
    const after = secret({ user: 'admin', password: 'correct horse battery staple' });
    const m = maskSecrets(before, after, { show: false });
    const b = m.before['data'] as Record<string, string>;
    const a = m.after['data'] as Record<string, string>;
    expect(a['user']).toBe(b['user']);
    expect(a['password']).not.toBe(b['password']);
    const text = JSON.stringify(m);
    for (const plain of ['admin', 'hunter2', 'correct horse', Buffer.from('hunter2').toString('base64')]) {
      expect(text).not.toContain(plain);
    }
  });

  it('does not reveal the length of a value', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (x, y) => {
        const m = maskSecrets(secret({ k: x }), secret({ k: y }), { show: false });
        const b = (m.before['data'] as Record<string, string>)['k'] ?? '';
        const a = (m.after['data'] as Record<string, string>)['k'] ?? '';
        expect(b.length).toBe(a.length);
        expect(a === b).toBe(x === y);
      }),
    );
  });

  it('compares data and stringData by the bytes they stand for', () => {
    const m = maskSecrets(secret({ token: 'abc' }), secret({}, { token: 'abc' }), { show: false });
    expect((m.after['stringData'] as Record<string, string>)['token']).toBe((m.before['data'] as Record<string, string>)['token']);
  });

  it('shows values with show, and leaves other kinds alone', () => {
    const s = secret({ a: 'b' });
    expect(maskSecrets(s, undefined, { show: true }).before).toBe(s);
    const d = deployment(1);
    expect(maskSecrets(d, d, { show: false }).after).toBe(d);
  });
});

describe('compareObject', () => {
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };

  it('reports server bookkeeping alone as unchanged', () => {
    const live = deployment(2, { status: { readyReplicas: 2 } });
    live.metadata['resourceVersion'] = '7';
    expect(compareObject(ref, live, deployment(2)).action).toBe('unchanged');
  });

  it('shows an update as a unified YAML diff of the changed lines', () => {
    const d = compareObject(ref, deployment(2), deployment(3), { context: 1 });
    expect(d.action).toBe('update');
    expect(d.diffText).toContain('-  replicas: 2\n+  replicas: 3\n');
    expect(d.diffText).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@/);
    expect(d.diffText).not.toContain('image');
  });

  it('more context lines show more of the object', () => {
    const narrow = compareObject(ref, deployment(2), deployment(3), { context: 0 }).diffText ?? '';
    const wide = compareObject(ref, deployment(2), deployment(3), { context: 20 }).diffText ?? '';
    expect(narrow.split('\n').length).toBeLessThan(wide.split('\n').length);
    expect(wide).toContain('image: nginx:1.27');
  });

  it('a create is all additions and a prune all removals', () => {
    const c = compareObject(ref, undefined, deployment(1));
    expect(c.action).toBe('create');
    expect(c.diffText?.split('\n').filter((l) => l.startsWith('-'))).toEqual([]);
    const p = compareObject(ref, deployment(1), undefined);
    expect(p.action).toBe('prune');
    expect(p.diffText?.split('\n').filter((l) => l.startsWith('+'))).toEqual([]);
  });

  it('never puts a Secret value into the diff unless asked', () => {
    const sref = { apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'db' };
    const d = compareObject(sref, secret({ password: 's3cr3t-old' }), secret({ password: 's3cr3t-new' }));
    expect(d.action).toBe('update');
    const all = JSON.stringify(d);
    expect(all).not.toContain('s3cr3t');
    expect(all).not.toContain(Buffer.from('s3cr3t-old').toString('base64'));
    expect(d.diffText).toContain("-  password: '*** value 1 ***'");
    expect(d.diffText).toContain("+  password: '*** value 2 ***'");
    const shown = compareObject(sref, secret({ password: 'old' }), secret({ password: 'new' }), { showSecrets: true });
    expect(shown.diffText).toContain(Buffer.from('new').toString('base64'));
  });
});

function report(objects: ObjectDiff[]): DiffReport {
  return { environment: 'staging', source: { type: 'cluster', server: 'http://127.0.0.1:1', context: 'dev' }, objects, summary: summarize(objects) };
}

describe('printers', () => {
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
  const update = compareObject(ref, deployment(2), deployment(3), { release: 'web' });
  const same = compareObject({ ...ref, name: 'api' }, deployment(1), deployment(1), { release: 'web' });

  it('text: one section per changed object and the summary line', () => {
    const text = printText(report([update, same]), { color: false });
    expect(text).toContain('apps/v1 Deployment shop/web: update (release web)\n@@');
    expect(text).not.toContain('shop/api');
    expect(text.trimEnd().split('\n').at(-1)).toBe('0 to create, 1 to update, 0 to prune, 1 unchanged');
    expect(text).not.toContain('\u001b[');
    expect(printText(report([update]), { color: true })).toContain('\u001b[32m+  replicas: 3');
  });

  it('json: the documented structure', () => {
    const parsed = JSON.parse(printJson(report([update, same]))) as Record<string, unknown>;
    expect(parsed['format']).toBe('kasane.diff/v1');
    expect(parsed['summary']).toEqual({ create: 0, update: 1, prune: 0, unchanged: 1 });
    expect(parsed['changes']).toBe(true);
    const objects = parsed['objects'] as Record<string, unknown>[];
    expect(objects[0]).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', release: 'web', action: 'update' });
    expect(objects[1]).toMatchObject({ name: 'api', action: 'unchanged', before: null, after: null, diff: null });
  });

  it('markdown: a table and a collapsible section per object', () => {
    const md = printMarkdown(report([update, same]));
    expect(md).toContain('| update | `apps/v1 Deployment shop/web` | web |');
    expect(md).toContain('<details><summary>update <code>apps/v1 Deployment shop/web</code></summary>');
    expect(md).toContain('```diff\n@@');
    expect(md).not.toContain('shop/api');
  });

  it('markdown: cut with a note before the limit, never over it', () => {
    const many = Array.from({ length: 400 }, (_, i) => compareObject({ ...ref, name: `web-${i}` }, deployment(i), deployment(i + 1)));
    const md = printMarkdown(report(many), { limit: 40_000 });
    expect(md.length).toBeLessThanOrEqual(40_000);
    expect(md).toMatch(/The diffs of \d+ changed objects are not shown: this comment would exceed 40000 characters/);
    expect(md).toContain('| update | `apps/v1 Deployment shop/web-399` |');
    const tiny = printMarkdown(report(many), { limit: 3_000 });
    expect(tiny.length).toBeLessThanOrEqual(3_000);
    expect(tiny).toMatch(/\d+ more changed objects not listed/);
  });

  it('markdown: a diff containing backticks cannot close its fence', () => {
    const cm = (v: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: v } });
    const d = compareObject({ apiVersion: 'v1', kind: 'ConfigMap', name: 'c' }, cm('a'), cm('```\n</details>'));
    const md = printMarkdown(report([d]));
    expect(md).toContain('````diff');
  });
});
