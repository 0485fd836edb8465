import { flat } from './flat.js';

/**
 * Maps lines of rendered text back to lines of the template that produced them.
 *
 * Before compiling, each piece of the template's literal text gets a marker naming the template line
 * it starts on and the piece's length; after rendering, the markers are read and removed.
 * Text produced by a helper (`toYaml`, `include`) carries no markers and maps to the line where that
 * helper was called.
 * Only text Handlebars copies through unchanged is marked: content inside a helper's block is left
 * alone, since a helper might hash or transform it.
 */
/**
 * Marker delimiters: C0 control characters, which YAML does not allow in a stream, so no valid
 * rendered YAML contains them; and below U+0100, so rendered text of Latin-1 characters stays a
 * one-byte string in V8 (a character above U+00FF makes the whole text, and every value sliced from
 * it, two bytes per character).
 */
const OPEN = '\u0001';
const CLOSE = '\u0002';
/** Blocks whose content Handlebars emits as-is. */
const PASS_THROUGH_BLOCKS: ReadonlySet<string> = new Set(['if', 'unless', 'each', 'with']);

/** Pieces of clean text joined into one flat block before the next block starts. */
const BLOCK_PIECES = 256;

/** The marker at the start of a piece of template text: the line it starts on and its length. */
const marker = (line: number, length: number): string => `${OPEN}${line}:${length}${CLOSE}`;

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
  const line = loc.start.line + countNewlines(original.slice(0, skipped));
  content.value = marker(line, value.length) + value;
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

/**
 * Removes the markers of rendered text and remembers which template line each rendered line came from.
 * A marker names the template line its piece of text starts on; each line feed inside the piece moves
 * to the next template line. Text after the piece (a helper's output) stays on the line the piece
 * ended on. A line's origin is the line in force where its first character is. One pass over the
 * text: this runs on every rendered byte.
 */
export function unmark(rendered: string): UnmarkedText {
  if (!rendered.includes(OPEN)) return { text: rendered, templateLineOf: () => 1 };
  const origins: number[] = [];
  let current = 1;
  /** Whether the origin of the rendered line being read is known (a character of it was seen). */
  let started = false;
  /** Where the text not yet looked at for line starts begins. */
  let from = 0;
  /** Records the origins of the lines that start in the text from `from` to `to`. */
  const lines = (to: number): void => {
    if (to <= from) return;
    if (!started) {
      origins.push(current);
      started = true;
    }
    for (let nl = rendered.indexOf('\n', from); nl !== -1 && nl < to; nl = rendered.indexOf('\n', nl + 1)) {
      // The text after this line feed starts the next line; its origin is set by what comes first there.
      if (nl + 1 < to) {
        origins.push(current);
      } else {
        started = false;
        break; // (most pieces end with their line: no need to look for the next line feed)
      }
    }
    from = to;
  };
  /** The clean text in flat blocks of at most BLOCK_PIECES pieces (see flat()). */
  const blocks: string[] = [];
  let block = '';
  let pieces = 0;
  /** Where the text not yet copied to the clean text begins. */
  let copied = 0;
  const copy = (to: number): void => {
    if (to <= copied) return;
    block += rendered.slice(copied, to);
    copied = to;
    if (++pieces === BLOCK_PIECES) {
      blocks.push(flat(block));
      block = '';
      pieces = 0;
    }
  };
  for (let open = rendered.indexOf(OPEN); open !== -1; open = rendered.indexOf(OPEN, open)) {
    let end = open + 1;
    let line = 0;
    for (let c = rendered.charCodeAt(end); c >= 48 && c <= 57; c = rendered.charCodeAt(++end)) line = line * 10 + (c - 48);
    const colon = end;
    let length = 0;
    if (rendered.charCodeAt(colon) === 0x3a) {
      for (let c = rendered.charCodeAt(++end); c >= 48 && c <= 57; c = rendered.charCodeAt(++end)) length = length * 10 + (c - 48);
    }
    if (colon === open + 1 || end <= colon + 1 || rendered[end] !== CLOSE) {
      open++; // not a marker: kept as text
      continue;
    }
    lines(open);
    copy(open);
    current = line;
    from = copied = end + 1;
    // The piece itself: every line feed in it moves to the next template line.
    const stop = Math.min(from + length, rendered.length);
    for (let nl = rendered.indexOf('\n', from); nl !== -1 && nl < stop; nl = rendered.indexOf('\n', nl + 1)) {
      if (!started) origins.push(current);
      started = false;
      current++;
      from = nl + 1;
    }
    open = stop;
  }
  lines(rendered.length);
  copy(rendered.length);
  if (!started) origins.push(current);
  return {
    text: blocks.length === 0 ? block : blocks.join('') + block,
    templateLineOf: (renderedLine) => origins[Math.min(Math.max(renderedLine, 1), origins.length) - 1] ?? 1,
  };
}
