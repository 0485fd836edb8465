import { KasaneError } from '../errors.js';
import type { CliContext } from './context.js';

/** The one place that turns an error into text for a person (stderr, never stdout). */
export function reportError(err: unknown, ctx: CliContext): void {
  if (err instanceof KasaneError) {
    ctx.stderr.write(`error: ${err.message}\n`);
    if (err.hint) ctx.stderr.write(`hint: ${err.hint}\n`);
    return;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  ctx.stderr.write(`internal error (please report it): ${message}\n`);
}
