#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json): node runs a CommonJS entry without first setting up its ES module
// loader, a few milliseconds of every start.
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { loadBundle } = require('./load-bundle.js');

// dist/bundle/kasane.cjs (scripts/bundle.mjs, run by `npm run build`) loads as one file what dist/
// loads as hundreds, with a V8 code cache. It is used only while at least as new as
// dist/cli/main.js, which every tsc build rewrites.
const dist = join(__dirname, '..', 'dist');
const bundle = join(dist, 'bundle', 'kasane.cjs');

function fresh() {
  try {
    return statSync(bundle).mtimeMs >= statSync(join(dist, 'cli', 'main.js')).mtimeMs;
  } catch {
    return false; // No bundle: the tsc output.
  }
}

function cache() {
  try {
    return readFileSync(`${bundle}.cache`);
  } catch {
    return undefined; // No code cache: V8 compiles the bundle from source.
  }
}

const loaded = fresh() ? Promise.resolve(loadBundle(bundle, cache())) : import(pathToFileURL(join(dist, 'cli', 'main.js')).href);
loaded.then(({ main }) => main(process.argv)).then((code) => {
  process.exitCode = code;
});
