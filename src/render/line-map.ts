/**
 * Maps lines of rendered text back to lines of the template that produced them.
 *
 * Before compiling, each piece of the template's literal text gets a marker naming the template line
 * it starts on, and one after each of its newlines; after rendering, the markers are read and removed.
 * Text produced by a helper (`toYaml`, `include`) carries no markers and maps to the line where that
 * helper was called.
 * Only text Handlebars copies through unchanged is marked: content inside a helper's block is left
 * alone, since a helper might hash or transform it.
 */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const MARKER = /\uE000(\d+)\uE001/g;
const LEADING_MARKERS = /^(?:\uE000\d+\uE001)+/;
/** Blocks whose content Handlebars emits as-is. */
const PASS_THROUGH_BLOCKS: ReadonlySet<string> = new Set(['if', 'unless', 'each', 'with']);

const marker = (line: number): string => `${OPEN}${line}${CLOSE}`;

/** Adds line markers to the content of a parsed (whitespace-processed) template, in place. */
export function markLines(program: hbs.AST.Program): void {
  for (const statement of program.body) {
    if (statement.type === 'ContentStatement') {
      markContent(statement as hbs.AST.ContentStatement);
    } else if (statement.type === 'BlockStatement') {
      const block = statement as hbs.AST.BlockStatement;
      const name = block.path.type === 'PathExpression' ? (block.path as hbs.AST.PathExpression).original : '';
      if (!PASS_THROUGH_BLOCKS.has(name)) continue;
      if (block.program) markLines(block.program);
      if (block.inverse) markLines(block.inverse);
    }
  }
}

function markContent(content: hbs.AST.ContentStatement): void {
  const { value, loc } = content;
  // The typings call `original` strip flags; at runtime it is the text before whitespace control.
  const original = (content as unknown as { original: string }).original;
  if (value === '' || !loc) return;
  // Whitespace control only trims the ends, so the kept text sits inside the original one.
  const skipped = Math.max(0, original.indexOf(value));
  const prefix = original.slice(0, skipped);
  let line = loc.start.line + countNewlines(prefix);
  let marked = marker(line);
  for (const ch of value) {
    marked += ch;
    if (ch === '\n') marked += marker(++line);
  }
  content.value = marked;
}

export function countNewlines(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === '\n') n++;
  return n;
}

export interface UnmarkedText {
  readonly text: string;
  /** templateLineOf(renderedLine): 1-based in, 1-based out. */
  templateLineOf(renderedLine: number): number;
}

/** Removes the markers of rendered text and remembers which template line each rendered line came from. */
export function unmark(rendered: string): UnmarkedText {
  const lines = rendered.split('\n');
  const origins: number[] = [];
  let current = 1;
  const clean = lines.map((line) => {
    if (!line.includes(OPEN)) {
      origins.push(current);
      return line;
    }
    const leading = LEADING_MARKERS.exec(line)?.[0] ?? '';
    for (const m of leading.matchAll(MARKER)) current = Number(m[1]);
    origins.push(current);
    const rest = line.slice(leading.length);
    for (const m of rest.matchAll(MARKER)) current = Number(m[1]);
    return rest.replace(MARKER, '');
  });
  return {
    text: clean.join('\n'),
    templateLineOf: (renderedLine) => origins[Math.min(Math.max(renderedLine, 1), origins.length) - 1] ?? 1,
  };
}
