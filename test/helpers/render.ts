/** A small, real Handlebars environment with kasane's helpers, as charts use them. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { registerHelpers } from '../../src/render/helpers.js';

export function makeRenderer(partials: Record<string, string> = {}, files: Record<string, string> = {}) {
  const hb = Handlebars.create();
  const dir = mkdtempSync(join(tmpdir(), 'kasane-helpers-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  registerHelpers(hb, {
    readFile: (path) => readFileSync(join(dir, path), 'utf8'),
    include: (name, context) => hb.compile(partials[name] ?? '', { noEscape: true })(context),
    tpl: (template, context) => hb.compile(template, { noEscape: true })(context),
  });
  return (template: string, context: unknown = {}): string => hb.compile(template, { noEscape: true })(context);
}
