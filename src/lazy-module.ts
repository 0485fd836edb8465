/**
 * Modules required on first use instead of at start-up: ones that cost milliseconds to load and
 * that most commands never call (static imports are all evaluated when kasane starts, in the
 * bundle as in dist/).
 *
 * A package is named in a literal require() where the bundle has `require` (the bundle's own): so
 * esbuild keeps it in the bundle, and evaluates it on that first call. dist/ is ES modules, which
 * have no `require`, and asks node.
 */
import { createRequire } from 'node:module';

const nodeRequire = createRequire(import.meta.url);
const inBundle = typeof require === 'function';

function once<T>(load: () => unknown): () => T {
  let loaded: { module: T } | undefined;
  return () => (loaded ??= { module: load() as T }).module;
}

export const nodeCrypto = once<typeof import('node:crypto')>(() => nodeRequire('node:crypto'));
export const nodeTls = once<typeof import('node:tls')>(() => nodeRequire('node:tls'));
export const nodeCron = once<typeof import('node-cron')>(() => (inBundle ? require('node-cron') : nodeRequire('node-cron')));
