/**
 * The line markers kasane threads through a template must never change what it renders, and must
 * map each rendered line back to the template line it was written on.
 */
import fc from 'fast-check';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { markLines, unmark } from '../../src/render/line-map.js';

const context = { yes: true, no: false, items: ['a', 'b'], empty: [], name: 'x', blank: '' };

function renderPlain(template: string): string {
  return Handlebars.create().compile(template, { noEscape: true })(context);
}

function renderMarked(template: string): ReturnType<typeof unmark> {
  const hb = Handlebars.create();
  const ast = hb.parse(template);
  markLines(ast);
  return unmark(hb.compile(ast, { noEscape: true, ignoreStandalone: true })(context));
}

/** Template pieces: text lines carrying a unique id, blank lines, mustaches, and balanced blocks. */
const piece: fc.Memo<string> = fc.memo((depth) =>
  fc.oneof(
    { depthSize: 'small' },
    fc.constant('ID: text\n'),
    fc.constant('  ID: indented\n'),
    fc.constant('\n'),
    fc.constant('   \n'),
    fc.constant('ID: {{name}}\n'),
    fc.constant('ID{{~blank~}}\n'),
    fc.constant('{{! a comment }}\n'),
    fc.constant('key: {{#if yes}}inline{{/if}}\n'),
    ...(depth > 2
      ? []
      : [
          fc
            .tuple(fc.constantFrom('if yes', 'if no', 'unless no', 'each items', 'each empty', 'with name'), fc.array(piece(depth + 1), { maxLength: 4 }), fc.array(piece(depth + 1), { maxLength: 3 }), fc.boolean(), fc.boolean())
            .map(([open, body, otherwise, tildeOpen, tildeClose]) => {
              const name = open.split(' ')[0];
              const elseBranch = otherwise.length > 0 && !open.startsWith('with') ? `{{else}}\n${otherwise.join('')}` : '';
              return `${tildeOpen ? '{{~' : '{{'}#${open}}}\n${body.join('')}${elseBranch}{{/${name}${tildeClose ? '~}}' : '}}'}\n`;
            }),
        ]),
  ),
);

/** Numbers the IDs, so each names its own template line. */
function numbered(pieces: string[]): string {
  let n = 0;
  return pieces.join('').replace(/ID/g, () => `id${n++}`);
}

describe('template line markers', () => {
  it('never change the rendered text', () => {
    fc.assert(
      fc.property(fc.array(piece(0), { maxLength: 8 }), (pieces) => {
        const template = numbered(pieces);
        expect(renderMarked(template).text).toBe(renderPlain(template));
      }),
      { numRuns: 300 },
    );
  });

  it('map a line that starts with written text to the template line it was written on', () => {
    fc.assert(
      fc.property(fc.array(piece(0), { maxLength: 8 }), (pieces) => {
        const template = numbered(pieces);
        const templateLines = template.split('\n');
        const output = renderMarked(template);
        output.text.split('\n').forEach((line, i) => {
          const id = /^\s*(id\d+)\b/.exec(line)?.[1];
          if (id === undefined) return;
          const written = templateLines.findIndex((l) => new RegExp(`^\\s*${id}\\b`).test(l)) + 1;
          if (written === 0) return; // the id followed a tag on its template line
          expect(output.templateLineOf(i + 1), `rendered line ${i + 1} "${line}" of\n${template}`).toBe(written);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('maps lines a helper produced to the line of the call', () => {
    const hb = Handlebars.create();
    hb.registerHelper('three', () => 'a: 1\nb: 2\nc: 3');
    const ast = hb.parse('first: 1\nnested:\n  {{three}}\nlast: 1\n');
    markLines(ast);
    const output = unmark(hb.compile(ast, { noEscape: true, ignoreStandalone: true })({}));
    expect(output.text).toBe('first: 1\nnested:\n  a: 1\nb: 2\nc: 3\nlast: 1\n');
    expect([1, 2, 3, 4, 5, 6].map((l) => output.templateLineOf(l))).toEqual([1, 2, 3, 3, 3, 4]);
  });

  it('leaves the content of other block helpers untouched', () => {
    const hb = Handlebars.create();
    let seen = '';
    hb.registerHelper('capture', (options: Handlebars.HelperOptions) => {
      seen = options.fn({});
      return seen;
    });
    const ast = hb.parse('{{#capture}}\na\nb\n{{/capture}}\n');
    markLines(ast);
    hb.compile(ast, { noEscape: true, ignoreStandalone: true })({});
    expect(seen).toBe('a\nb\n');
  });

  it('reads markers as a character-by-character reading does, wherever they are', () => {
    // The reading unmark implements in one pass: a marker \u0001L:N\u0002 sets the line to L, and each
    // line feed among the N characters after it moves to the next line; a line's origin is the line
    // in force at its first character. Anything else, marker-like text included, is text.
    const byCharacters = (rendered: string): { text: string; origins: number[] } => {
      let current = 1;
      let started = false;
      let contentEnd = -1;
      let text = '';
      const origins: number[] = [];
      for (let i = 0; i < rendered.length; ) {
        const marker = i >= contentEnd ? /^\u0001(\d+):(\d+)\u0002/.exec(rendered.slice(i)) : null;
        if (marker) {
          current = Number(marker[1]);
          i += marker[0].length;
          contentEnd = i + Number(marker[2]);
          continue;
        }
        if (!started) origins.push(current);
        started = true;
        text += rendered[i];
        if (rendered[i] === '\n') {
          started = false;
          if (i < contentEnd) current++;
        }
        i++;
      }
      if (!started) origins.push(current);
      return { text, origins };
    };
    const part = fc.oneof(
      fc.constantFrom('a', 'bc', ' ', '\n', '\n\n', 'x\ny\n', '\u0001', '\u0002', '\u00017', '\u00017\u0002', '\u00017:\u0002', '\u0001:3\u0002', '\u0001x\u0002'),
      fc.tuple(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 0, max: 12 })).map(([line, length]) => `\u0001${line}:${length}\u0002`),
    );
    const agrees = (parts: string[]): void => {
      const rendered = parts.join('');
      const expected = byCharacters(rendered);
      const output = unmark(rendered);
      expect(output.text).toBe(expected.text);
      expect(expected.origins.map((_, i) => output.templateLineOf(i + 1))).toEqual(expected.origins);
    };
    fc.assert(fc.property(fc.array(part, { maxLength: 30 }), agrees), { numRuns: 3000 });
    // Long output: the clean text is assembled in blocks of a few hundred pieces.
    fc.assert(fc.property(fc.array(part, { minLength: 1000, maxLength: 3000, size: 'max' }), agrees), { numRuns: 50, endOnFailure: true });
  });
});
