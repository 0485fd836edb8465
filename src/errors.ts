/**
 * Every failure kasane reports is a KasaneError: the facts travel as fields, the message says what is
 * wrong and what to do. Only cli/ turns these into exit codes and text.
 */
export class KasaneError extends Error {
  override readonly name: string = 'KasaneError';
  /** What the user can do about it, printed after the message. */
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }
}

/** Where in a user's file something went wrong: `charts/web/templates/deployment.yaml:14`. */
export interface SourceLocation {
  /** Repository-relative path, with forward slashes. */
  readonly file: string;
  /** 1-based line, when known. */
  readonly line?: number;
}

export function formatLocation(loc: SourceLocation): string {
  return loc.line === undefined ? loc.file : `${loc.file}:${loc.line}`;
}

/** A problem in a file the user wrote: a chart, a template, a values or environment file. */
export class SourceError extends KasaneError {
  override readonly name: string = 'SourceError';
  readonly location: SourceLocation;
  readonly detail: string;

  constructor(location: SourceLocation, detail: string, options: { hint?: string; cause?: unknown } = {}) {
    super(`${formatLocation(location)}: ${detail}`, options);
    this.location = location;
    this.detail = detail;
  }
}

/** Several independent problems found in one pass, reported together (validation collects, then fails once). */
export class AggregateKasaneError extends KasaneError {
  override readonly name: string = 'AggregateKasaneError';
  readonly errors: readonly KasaneError[];

  constructor(summary: string, errors: readonly KasaneError[]) {
    super(`${summary}\n${errors.map((e) => `  - ${e.message}`).join('\n')}`);
    this.errors = errors;
  }
}
