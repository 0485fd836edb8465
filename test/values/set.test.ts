import { describe, expect, it } from 'vitest';
import { layerValues } from '../../src/values/merge.js';
import { MAX_SET_INDEX, parseSetArgument, SetSyntaxError } from '../../src/values/set.js';
import { helmAvailable, helmTemplate } from '../yaml/helm.js';

const setArgs = [
  'a=1,b=true,c=null,d=1.5,e=007,f=-3,g=TRUE,h=Null,i=0,j=+5,k=1e3,big=9223372036854775807',
  'esc\\.key=x\\,y,path.to.deep=v',
  'l={x,y,1,true}',
  'n[0][1]=z',
  'o[1].b=x,o[1].c=y',
  'p=',
  'q[0]=first',
  'q[2]=third',
];
const setStringArgs = ['s=1,t=true,u=null'];

function helmValues(args: readonly string[]): unknown {
  const out = helmTemplate({ 'values.yaml': '{}', 'templates/v.yaml': 'v: {{ toJson .Values | b64enc | quote }}\n' }, args);
  const m = /^v: "([^"]*)"$/m.exec(out);
  return JSON.parse(Buffer.from(m![1]!, 'base64').toString('utf8'));
}

describe.skipIf(!helmAvailable)('parseSetArgument against the real helm', () => {
  it('builds the same values as helm --set and --set-string', () => {
    const helm = helmValues([...setArgs.flatMap((a) => ['--set', a]), ...setStringArgs.flatMap((a) => ['--set-string', a])]);
    const ours: Record<string, unknown> = {};
    for (const a of setArgs) parseSetArgument(a, { asString: false }, ours);
    for (const a of setStringArgs) parseSetArgument(a, { asString: true }, ours);
    expect(layerValues([{}, ours])).toEqual(helm);
  });
});

describe('parseSetArgument', () => {
  it('keeps floats and leading-zero numbers as strings and types integers, booleans and null', () => {
    expect(parseSetArgument('a=1.5,b=007,c=42,d=false,e=null', { asString: false })).toEqual({
      a: '1.5',
      b: '007',
      c: 42,
      d: false,
      e: null,
    });
  });

  it('keeps everything a string for --set-string', () => {
    expect(parseSetArgument('a=42,b={1,true}', { asString: true })).toEqual({ a: '42', b: ['1', 'true'] });
  });

  it.each([
    ['a', 1, /key "a" has no value/],
    ['a,b=1', 1, /cannot end with ,/],
    ['a[x]=1', 2, /not a number/],
    ['a[-1]=1', 2, /negative/],
    [`a[${MAX_SET_INDEX + 1}]=1`, 2, /maximum/],
    ['a[0', 1, /unterminated \[/],
    ['a={x', 2, /unterminated \{/],
    ['=x', 0, /empty key/],
    ['a=x\\', 3, /backslash/],
  ])('rejects %s with the position of the problem', (expr, position, detail) => {
    let caught: unknown;
    try {
      parseSetArgument(expr, { asString: false });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SetSyntaxError);
    const e = caught as SetSyntaxError;
    expect(e.expression).toBe(expr);
    expect(e.position).toBe(position);
    expect(e.message).toMatch(detail);
    expect(e.message).toContain(expr);
  });

  it('stores __proto__, constructor and prototype as plain keys, leaving Object.prototype alone', () => {
    const values = parseSetArgument('__proto__.polluted=1,constructor.prototype.polluted=2,a.__proto__.polluted=3', {
      asString: false,
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    expect(Object.keys(values)).toEqual(['__proto__', 'constructor', 'a']);
    const layered = layerValues([{}, values]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(layered, '__proto__')?.value).toEqual({ polluted: 1 });
  });
});
