import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/model/object.js';
import { PatchError, jsonPatch, mergePatch, strategicMergePatch } from '../../src/devcluster/apply/index.js';

type Obj = Record<string, unknown>;

const live: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a'] },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }], command: ['x', 'y'] },
          { name: 'sidecar', image: 'proxy:1' },
        ],
        tolerations: [{ key: 'a', operator: 'Exists' }],
      },
    },
  },
};

const podSpec = (obj: KubeObject): Obj => ((obj['spec'] as Obj)['template'] as Obj)['spec'] as Obj;
const ctrs = (obj: KubeObject): Obj[] => podSpec(obj)['containers'] as Obj[];
const tpl = (spec: Obj): Obj => ({ spec: { template: { spec } } });

// What each directive does is checked against kubectl itself in patch-parity.test.ts; these are
// the engine's own promises: inputs stay untouched and failures carry an HTTP status.
describe('strategicMergePatch', () => {
  it('leaves the live object untouched', () => {
    const before = structuredClone(live);
    const out = strategicMergePatch(live, tpl({ containers: [{ name: 'web', image: 'nginx:2' }] }));
    expect(live).toEqual(before);
    expect(ctrs(out)[0]!['image']).toBe('nginx:2');
  });

  it('rejects what it cannot apply with a PatchError', () => {
    expect(() => strategicMergePatch(live, [1])).toThrow(PatchError);
    expect(() => strategicMergePatch(live, tpl({ containers: [{ image: 'no-name' }] }))).toThrow('does not contain declared merge key: name');
    expect(() => strategicMergePatch(live, { metadata: { $patch: 'explode' } })).toThrow('unknown patch type: explode');
  });
});

describe('mergePatch (RFC 7386)', () => {
  it('merges maps, deletes nulls, replaces lists', () => {
    const out = mergePatch(live, { metadata: { labels: { tier: null, new: 'x' }, finalizers: ['z'] }, spec: { replicas: 5 } });
    expect(out.metadata.labels).toEqual({ app: 'web', new: 'x' });
    expect(out.metadata['finalizers']).toEqual(['z']);
    expect((out['spec'] as Obj)['replicas']).toBe(5);
    expect(ctrs(out)).toHaveLength(2);
  });

  it('rejects a patch that is not an object', () => {
    const err = (() => {
      try {
        mergePatch(live, 'nope');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PatchError);
    expect((err as PatchError).code).toBe(400);
  });
});

describe('jsonPatch (RFC 6902)', () => {
  it('applies operations without touching its input', () => {
    const out = jsonPatch(live, [
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/metadata/labels/new', value: 'x' },
      { op: 'remove', path: '/metadata/finalizers/0' },
      { op: 'test', path: '/metadata/name', value: 'web' },
    ]);
    expect((out['spec'] as Obj)['replicas']).toBe(3);
    expect(out.metadata.labels).toEqual({ app: 'web', tier: 'front', new: 'x' });
    expect(out.metadata['finalizers']).toEqual([]);
    expect((live['spec'] as Obj)['replicas']).toBe(2);
  });

  it('reports failed tests and missing paths as 422, malformed patches as 400', () => {
    const fail = (ops: unknown): PatchError => {
      try {
        jsonPatch(live, ops);
      } catch (e) {
        if (e instanceof PatchError) return e;
        throw e;
      }
      throw new Error('no error');
    };
    expect(fail([{ op: 'test', path: '/spec/replicas', value: 9 }])).toMatchObject({
      code: 422,
      message: 'testing value /spec/replicas failed: test failed',
    });
    expect(fail([{ op: 'replace', path: '/spec/nothing/here', value: 1 }]).code).toBe(422);
    expect(fail({ op: 'add' }).code).toBe(400);
    expect(fail([{ op: 'explode', path: '/x' }]).code).toBe(400);
  });
});
