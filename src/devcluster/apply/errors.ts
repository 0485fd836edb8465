/**
 * A patch or applied configuration the server cannot use. `message` is what the API server puts in
 * its Status; `code` is the HTTP status (400 malformed request, 422 well-formed but not applicable,
 * 500 where the real server fails internally, as it does for an applied list item it cannot key).
 */
export class PatchError extends Error {
  override readonly name = 'PatchError';

  constructor(
    message: string,
    readonly code: 400 | 422 | 500 = 422,
  ) {
    super(message);
  }
}
