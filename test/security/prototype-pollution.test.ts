/**
 * In-process companion of render-security.test.ts: Handlebars hides inherited properties from templates,
 * so a polluted Object.prototype would not show in rendered output. Here the values pipeline (YAML reader,
 * --set parser, layering, environment parser) runs in this process on hostile keys, and Object.prototype
 * itself is checked afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseEnvironment } from '../../src/environment/load.js';
import { layerValues } from '../../src/values/merge.js';
import { parseSetArgument } from '../../src/values/set.js';
import { parseYamlDocument, parseYamlStream } from '../../src/yaml/read.js';

const HOSTILE_YAML = [
  '__proto__: {polluted: yaml}',
  'constructor: {prototype: {polluted: yaml}}',
  'prototype: {polluted: yaml}',
  'nested: {__proto__: {polluted: yaml}, list: [{__proto__: {polluted: yaml}}]}',
].join('\n');

function expectPrototypesClean(): void {
  for (const proto of [Object.prototype, Array.prototype, Function.prototype]) {
    expect(Object.getOwnPropertyNames(proto)).not.toContain('polluted');
  }
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
}

/** Either the input is refused with an error, or it becomes plain data; never a prototype change. */
function tolerate(run: () => unknown): unknown {
  try {
    return run();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return undefined;
  }
}

afterEach(() => {
  // If a test polluted the prototype, clean up so the other tests report their own result.
  for (const proto of [Object.prototype, Array.prototype]) delete (proto as Record<string, unknown>)['polluted'];
});

describe('hostile keys stay data', () => {
  it('the YAML reader keeps __proto__ as an own key', () => {
    const value = tolerate(() => parseYamlDocument(HOSTILE_YAML, 'values.yaml')) as Record<string, unknown> | undefined;
    expectPrototypesClean();
    if (value !== undefined) {
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.keys(value)).toContain('__proto__');
      expect((value as { polluted?: unknown }).polluted).toBeUndefined();
    }
    tolerate(() => parseYamlStream(`${HOSTILE_YAML}\n---\n${HOSTILE_YAML}\n`, 'templates/x.yaml'));
    expectPrototypesClean();
  });

  it.each([
    '__proto__.polluted=set',
    'constructor.prototype.polluted=set',
    'prototype.polluted=set',
    'a.__proto__.polluted=set',
    'list[0].__proto__.polluted=set',
    '__proto__[0]=set',
    'a.b=1,__proto__.polluted=set',
  ])('--set %s', (expr) => {
    for (const asString of [false, true]) {
      const into = tolerate(() => parseSetArgument(expr, { asString })) as Record<string, unknown> | undefined;
      expectPrototypesClean();
      if (into !== undefined) expect(Object.getPrototypeOf(into)).toBe(Object.prototype);
    }
  });

  it('layering hostile layers over each other', () => {
    const fromYaml = parseYamlDocument(HOSTILE_YAML, 'values.yaml');
    const fromJson: unknown = JSON.parse('{"__proto__": {"polluted": "json"}, "a": {"__proto__": {"polluted": "json"}}}');
    const fromSet = tolerate(() => parseSetArgument('__proto__.polluted=set,a.__proto__.x=1', { asString: false })) ?? {};
    const merged = tolerate(() => layerValues([fromYaml, fromJson, fromSet, fromYaml, { __proto__: null }]));
    expectPrototypesClean();
    const later = layerValues([{ a: 1 }, { b: 2 }]);
    expect(later).toEqual({ a: 1, b: 2 });
    expect((later as Record<string, unknown>)['polluted']).toBeUndefined();
    if (merged !== undefined) expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });

  it('the environment parser', () => {
    const text = [
      'values:',
      '  __proto__: {polluted: env}',
      '  constructor: {prototype: {polluted: env}}',
      'releases:',
      '  - name: a',
      '    chart: a',
      '    namespace: a',
      '    values: {__proto__: {polluted: env}}',
      '    __proto__: {polluted: env}',
    ].join('\n');
    tolerate(() => parseEnvironment(text, 'sec', 'environments/sec.yaml'));
    expectPrototypesClean();
  });
});
