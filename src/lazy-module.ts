/**
 * A module required on first use instead of at start-up: for the ones that cost milliseconds to
 * load (node:crypto, node-cron) and that most commands never call. Static imports are all
 * evaluated when kasane starts, in the bundle as in dist/.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(specifier) as T);
}
