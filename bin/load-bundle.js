// Loads dist/bundle/kasane.cjs (see scripts/bundle.mjs) the way node loads a CommonJS file, except
// that V8 is handed the bundle's code cache: compiled code instead of source to parse and compile.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { readFileSync } from 'node:fs';
import { Script } from 'node:vm';

/** The name under which the bundle sees `importPackage`, the loader's import() (see src/import-package.ts). */
export const IMPORT_PACKAGE = '__kasaneImportPackage';

const importPackage = (specifier) => import(specifier);

/**
 * Compiles and evaluates the bundle. `cachedData` is the code cache, or undefined to compile from
 * source; V8 ignores a cache it cannot use (another node version, other flags), so any cache is safe.
 * Returns the script (for createCachedData) and the bundle's `main`.
 */
export function loadBundle(file, cachedData) {
  const source = `(function (exports, require, module, __filename, __dirname, ${IMPORT_PACKAGE}) {${readFileSync(file, 'utf8')}\n})`;
  const script = new Script(source, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), importPackage);
  return { script, main: module.exports.main };
}
