#!/bin/sh
':' //; [ -z "${NODE_EXTRA_CA_CERTS-}" ] || { KASANE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export KASANE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; }; exec node "$0" "$@"
// The line above is for sh, which runs this file when it is started as a program (`kasane`, or
// bin/kasane.js); node reads it as a string and a comment. Node 20 parses NODE_EXTRA_CA_CERTS and
// its bundled roots while it starts, on every command, tens of milliseconds before any of kasane
// runs, though most commands never open a TLS connection. So sh hands the variable on under
// another name, and kasane (src/cluster/extra-ca.ts) puts it back and loads the certificates when a
// connection needs them. `node bin/kasane.js` skips that line and runs as node always does.
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
