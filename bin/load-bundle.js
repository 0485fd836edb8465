// Loads dist/bundle/kasane.cjs (see scripts/bundle.mjs) the way node loads a CommonJS file, except
// that V8 is handed the bundle's code cache: compiled code instead of source to parse and compile.
'use strict';
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { readFileSync } = require('node:fs');
const { Script } = require('node:vm');

/** The name under which the bundle sees `importPackage`, the loader's import() (see src/import-package.ts). */
const IMPORT_PACKAGE = '__kasaneImportPackage';

const importPackage = (specifier) => import(specifier);

/**
 * Compiles and evaluates the bundle. `cachedData` is the code cache, or undefined to compile from
 * source; V8 ignores a cache it cannot use (another node version, other flags), so any cache is safe.
 * The bundle is ASCII (scripts/bundle.mjs checks), so it is read as latin1: decoded without UTF-8's
 * checks, into a string of one byte per character.
 * Returns the script (for createCachedData) and the bundle's `main`.
 */
function loadBundle(file, cachedData) {
  const source = `(function (exports, require, module, __filename, __dirname, ${IMPORT_PACKAGE}) {${readFileSync(file, 'latin1')}\n})`;
  const script = new Script(source, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), importPackage);
  return { script, main: module.exports.main };
}

exports.IMPORT_PACKAGE = IMPORT_PACKAGE;
exports.loadBundle = loadBundle;
