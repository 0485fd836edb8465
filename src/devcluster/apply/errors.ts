/**
 * A patch or applied configuration the server cannot use. `message` is what the API server puts in
 * its Status; `code` is the HTTP status (400 malformed request, 422 well-formed but not applicable).
 */
export class PatchError extends Error {
  override readonly name = 'PatchError';

  constructor(
    message: string,
    readonly code: 400 | 422 = 422,
  ) {
    super(message);
  }
}
