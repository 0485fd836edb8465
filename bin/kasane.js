#!/usr/bin/env node
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBundle } from './load-bundle.js';

// dist/bundle/kasane.cjs (scripts/bundle.mjs, run by `npm run build`) loads as one file what dist/
// loads as hundreds, with a V8 code cache. It is used only while at least as new as
// dist/cli/main.js, which every tsc build rewrites.
const dist = new URL('../dist/', import.meta.url);
const bundle = fileURLToPath(new URL('bundle/kasane.cjs', dist));
let fresh = false;
try {
  fresh = statSync(bundle).mtimeMs >= statSync(new URL('cli/main.js', dist)).mtimeMs;
} catch {
  // No bundle: the tsc output.
}
let main;
if (fresh) {
  let cache;
  try {
    cache = readFileSync(`${bundle}.cache`);
  } catch {
    // No code cache: V8 compiles the bundle from source.
  }
  ({ main } = loadBundle(bundle, cache));
} else {
  ({ main } = await import('../dist/cli/main.js'));
}
process.exitCode = await main(process.argv);
