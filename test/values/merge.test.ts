import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layerValues, ValuesLayerError } from '../../src/values/merge.js';
import { parseSetArgument } from '../../src/values/set.js';
import { parseYamlDocument } from '../../src/yaml/read.js';
import { helmAvailable, helmTemplate } from '../yaml/helm.js';

const chartDefaults = `
image: {repository: web, tag: "1.0", pullPolicy: IfNotPresent}
replicas: 1
ports: [80, 443]
resources: {limits: {cpu: 1, memory: 1Gi}, requests: {cpu: 100m}}
keepNull: null
overriddenNull: null
gone: {x: 1}
nested: {deep: {a: 1, b: 2}}
`;
const userFiles = [
  `
image: {tag: "2.0", pullPolicy: null}
ports: [8080]
resources: {limits: null}
overriddenNull: 5
nested: {deep: {b: null, c: 3}, extra: null}
onlyUser: {x: 1}
`,
  `
gone: null
onlyUser: null
brandNew: null
replicas: 3
`,
];
const sets = ['nested.deep.a=null,image.repository=registry/web'];

describe.skipIf(!helmAvailable)('layerValues against the real helm', () => {
  it('layers chart defaults, values files and --set exactly as helm does, nulls included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kasane-values-'));
    try {
      const args: string[] = [];
      userFiles.forEach((text, i) => {
        writeFileSync(join(dir, `u${i}.yaml`), text);
        args.push('-f', join(dir, `u${i}.yaml`));
      });
      for (const s of sets) args.push('--set', s);
      const out = helmTemplate(
        { 'values.yaml': chartDefaults, 'templates/v.yaml': 'v: {{ toJson .Values | b64enc | quote }}\n' },
        args,
      );
      const helm = JSON.parse(Buffer.from(/^v: "([^"]*)"$/m.exec(out)![1]!, 'base64').toString('utf8'));

      const ours = layerValues([
        parseYamlDocument(chartDefaults, 'values.yaml'),
        ...userFiles.map((text, i) => parseYamlDocument(text, `u${i}.yaml`)),
        ...sets.map((s) => parseSetArgument(s, { asString: false })),
      ]);
      expect(ours).toEqual(helm);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('layerValues', () => {
  it('merges maps key by key, replaces lists and scalars, and deletes defaults a null lands on', () => {
    expect(
      layerValues([
        { a: { x: 1, y: 2 }, list: [1, 2], s: 'a', d: { k: 1 } },
        { a: { y: 3 }, list: [9], d: null },
        { s: 'b' },
      ]),
    ).toEqual({ a: { x: 1, y: 3 }, list: [9], s: 'b' });
  });

  it('lists every map\'s keys in Go\'s sorted order, as Helm\'s range visits them', () => {
    const out = layerValues([{ z: 1, env: { ZONE: 'a', API_URL: 'b' } }, { b: { y: 1, x: 2 }, a: 0 }]);
    expect(Object.keys(out)).toEqual(['a', 'b', 'env', 'z']);
    expect(Object.keys(out.env as object)).toEqual(['API_URL', 'ZONE']);
    expect(Object.keys(out.b as object)).toEqual(['x', 'y']);
  });

  it('never mutates its inputs', () => {
    const base = { a: { x: 1 }, l: [{ m: 1 }] };
    const over = { a: { y: 2 }, z: null };
    const snapshot = JSON.stringify([base, over]);
    const out = layerValues([base, over]);
    (out.a as Record<string, unknown>).x = 99;
    (out.l as Array<Record<string, unknown>>)[0]!.m = 99;
    expect(JSON.stringify([base, over])).toBe(snapshot);
  });

  it('treats missing layers as empty and rejects a layer that is not a map', () => {
    expect(layerValues([null, { a: 1 }])).toEqual({ a: 1 });
    expect(() => layerValues([{}, [1, 2]])).toThrow(ValuesLayerError);
  });

  it('keeps __proto__ from a values file as data', () => {
    const file = parseYamlDocument('__proto__: {polluted: true}\nconstructor: {prototype: {polluted: true}}\n', 'v.yaml');
    const out = layerValues([{ safe: 1 }, file]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out).sort()).toEqual(['__proto__', 'constructor', 'safe']);
  });
});
