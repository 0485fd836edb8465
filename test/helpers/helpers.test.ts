import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { HELPER_NAMES, HelperError, MAX_INDENT, registerHelpers } from '../../src/render/helpers.js';
import { MAX_PRINTF_WIDTH } from '../../src/render/helpers/go-format.js';
import { makeRenderer } from './render.js';

const render = makeRenderer(
  { labels: 'app: {{name}}\ntier: {{tier}}' },
  { 'config.ini': 'port=8080\nhost=0.0.0.0\n' },
);

function helperError(template: string, context: unknown = {}): HelperError {
  try {
    render(template, context);
  } catch (error) {
    if (error instanceof HelperError) return error;
    throw error;
  }
  throw new Error(`expected ${template} to fail`);
}

describe('registerHelpers', () => {
  it('registers every helper the chart contract lists', () => {
    const contract = `include tpl required default toYaml toJson fromYaml fromJson indent nindent quote squote b64enc b64dec
      sha256sum lower upper title trim trunc trimPrefix trimSuffix replace contains hasPrefix hasSuffix printf join split
      list dict merge eq ne lt le gt ge and or not empty coalesce ternary int add sub mul div mod max min toString file`;
    const hb = Handlebars.create();
    registerHelpers(hb, { readFile: () => '', include: () => '', tpl: () => '' });
    for (const name of contract.split(/\s+/).filter(Boolean)) {
      expect(HELPER_NAMES).toContain(name);
      expect(hb.helpers[name]).toBeTypeOf('function');
    }
  });
});

describe('helpers that reach the chart', () => {
  it('include renders a partial with the given context, ready for nindent', () => {
    expect(render('metadata:\n  labels:{{nindent 4 (include "labels" (dict "name" "web" "tier" "front"))}}')).toBe(
      'metadata:\n  labels:\n    app: web\n    tier: front',
    );
  });

  it('tpl renders a string from the values as a template', () => {
    expect(render('{{tpl Values.greeting @root}}', { Values: { greeting: 'hello {{Values.who}}', who: 'world' } })).toBe('hello world');
  });

  it('file reads a chart file as text', () => {
    expect(render('{{file "config.ini"}}')).toBe('port=8080\nhost=0.0.0.0\n');
  });
});

describe('errors carry the helper, the detail and the template line', () => {
  it('required names the missing value like Helm', () => {
    const error = helperError('a: 1\nb: {{required "Values.image.tag is required" Values.image.tag}}\n', { Values: { image: {} } });
    expect(error.helper).toBe('required');
    expect(error.line).toBe(2);
    expect(error.detail).toBe('required value missing: Values.image.tag is required');
  });

  it('a string helper given a number says so', () => {
    const error = helperError('\n\n{{upper 5}}');
    expect(error).toMatchObject({ helper: 'upper', line: 3 });
    expect(error.detail).toMatch(/^upper: the text must be a string, got a number$/);
  });

  it('the line is the subexpression\'s own line', () => {
    const error = helperError('{{quote\n  (trunc "x" "abc")}}');
    expect(error).toMatchObject({ helper: 'trunc', line: 2 });
  });

  it('wrong argument counts are reported', () => {
    expect(helperError('{{indent 2}}').detail).toBe('indent: takes 2 arguments, got 1');
    expect(helperError('{{ternary "a" "b" "notbool"}}').detail).toMatch(/condition .* must be a boolean/);
  });

  it('division by zero is an error, as in Go', () => {
    expect(helperError('{{div 1 0}}').detail).toBe('div: integer divide by zero');
    expect(helperError('{{mod 1 0}}').detail).toBe('mod: integer divide by zero');
  });

  it('comparing a list or ordering mixed types is an error', () => {
    expect(helperError('{{eq Values.l Values.l}}', { Values: { l: [1] } }).detail).toMatch(/cannot compare a list/);
    expect(helperError('{{lt 1 "2"}}').detail).toMatch(/cannot order a number and a string/);
    // Helm: error calling eq: incompatible types for comparison: int and string
    expect(helperError('{{eq 1 "1"}}').detail).toBe('eq: incompatible types for comparison: number and string');
    expect(helperError('{{ne true "true"}}').detail).toBe('ne: incompatible types for comparison: boolean and string');
    expect(render('{{eq Values.missing "x"}}', { Values: {} })).toBe('false');
  });
});

describe('hostile arguments fail fast instead of exhausting memory', () => {
  it('indent and nindent refuse absurd or negative widths', () => {
    const started = Date.now();
    expect(helperError(`{{indent ${MAX_INDENT + 1} "x"}}`).detail).toMatch(/above the maximum/);
    expect(helperError('{{nindent 1000000000 "x"}}').detail).toMatch(/above the maximum/);
    expect(helperError('{{indent -1 "x"}}').detail).toMatch(/must not be negative/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(render(`{{indent ${MAX_INDENT} "x"}}`)).toHaveLength(MAX_INDENT + 1);
  });

  it('printf refuses huge widths and precisions', () => {
    expect(helperError(`{{printf "%${MAX_PRINTF_WIDTH + 1}s" "x"}}`).detail).toMatch(/printf: width or precision/);
    expect(helperError('{{printf "%.99999999f" 1.5}}').detail).toMatch(/above the maximum/);
  });

  it('trunc with a huge or negative length behaves like Sprig and allocates nothing', () => {
    expect(render('{{trunc 1000000000000 "abc"}}')).toBe('abc');
    expect(render('{{trunc -1000000000000 "abc"}}')).toBe('abc');
    expect(render('{{trunc -2 "abc"}}')).toBe('bc');
  });

  it('int64 arithmetic wraps instead of growing', () => {
    expect(render('{{mul 4294967296 4294967296}}')).toBe('0');
  });
});

describe('merge follows Sprig: the first map wins and is filled in place', () => {
  it('keeps existing values, fills empty ones and recurses into maps', () => {
    const ctx = { Values: { a: { x: 1, y: '', nested: { p: 1 } }, b: { x: 2, y: 'b', z: 3, nested: { q: 2 } } } };
    expect(render('{{toJson (merge Values.a Values.b)}}', ctx)).toBe('{"nested":{"p":1,"q":2},"x":1,"y":"b","z":3}');
  });

  it('dict keeps a __proto__ key as a key, sorted among the others', () => {
    expect(render('{{toJson (dict "b" 1 "__proto__" "x" "a" 2)}}')).toBe('{"__proto__":"x","a":2,"b":1}');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('toYaml of a map after merge changed it shows the change', () => {
    const ctx = { Values: { a: { p: 1 }, b: { q: 2 } } };
    expect(render('{{toYaml Values.a}}|{{#with (merge Values.a Values.b)}}{{/with}}{{toYaml Values.a}}', ctx)).toBe('p: 1|p: 1\nq: 2');
  });

  it('never writes through __proto__', () => {
    render('{{toJson (merge (dict) (fromJson "{\\"__proto__\\": {\\"polluted\\": true}}"))}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
