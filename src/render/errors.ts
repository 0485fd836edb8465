import { SourceError, type SourceLocation } from '../errors.js';
import { formatRef, refOf, type KubeObject } from '../model/object.js';

/**
 * A template could not be rendered: bad Handlebars, an unknown helper or partial, a helper that
 * failed (`required`), rendered text that is not YAML. `location.line` is a line of the template.
 */
export class TemplateError extends SourceError {
  override readonly name = 'TemplateError';
  constructor(
    location: SourceLocation,
    detail: string,
    /** The template line the error points at, shown under the message. */
    readonly excerpt?: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(location, excerpt === undefined ? detail : `${detail}\n      ${location.line} | ${excerpt}`, options);
  }
}

/** A rendered object kasane cannot accept: no kind, no name, a duplicate, a malformed hook annotation. */
export class ManifestError extends SourceError {
  override readonly name = 'ManifestError';
  constructor(
    location: SourceLocation,
    detail: string,
    /** `apps/v1 Deployment shop/web`, when the object can be named. */
    readonly object?: string,
    options: { hint?: string } = {},
  ) {
    super(location, object === undefined ? detail : `${object}: ${detail}`, options);
  }
}

export function describeObject(obj: KubeObject): string {
  return formatRef(refOf(obj));
}
