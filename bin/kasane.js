#!/usr/bin/env node
import { statSync } from 'node:fs';

// dist/bundle (scripts/bundle.mjs, run by `npm run build`) loads as a few files what dist/ loads as
// hundreds. It is used only while at least as new as dist/cli/main.js, which every tsc build rewrites.
const dist = new URL('../dist/', import.meta.url);
let entry = '../dist/cli/main.js';
try {
  if (statSync(new URL('bundle/main.mjs', dist)).mtimeMs >= statSync(new URL('cli/main.js', dist)).mtimeMs) entry = '../dist/bundle/main.mjs';
} catch {
  // No bundle: the tsc output.
}
const { main } = await import(entry);
process.exitCode = await main(process.argv);
