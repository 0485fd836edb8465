/**
 * Returns `text` stored as one piece. A string built by `+=` is a rope: one node per piece, every
 * piece kept alive while the rope is. Ropes that live long (a rendered template is kept until it is
 * parsed) make every young-generation collection copy all their pieces; a flat copy is one object.
 * Reading a character is what makes V8 join a rope in place; the text itself does not change.
 */
export function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}
