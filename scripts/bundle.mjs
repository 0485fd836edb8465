#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js and all it imports, dependencies included) into
// dist/bundle/ with esbuild, so a command loads a few files instead of hundreds (client-node alone
// is 826 modules). Commands stay lazy: each is its own chunk, loaded when named on the command line.
// bin/kasane.js uses the bundle only while it is at least as new as dist/cli/main.js, which every
// tsc build rewrites, so a plain `tsc` build is never shadowed by a stale bundle.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: join(root, 'dist', 'cli', 'main.js') },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true,
  outdir,
  outExtension: { '.js': '.mjs' },
  // CommonJS dependencies call require(), which ESM output lacks unless given one.
  banner: { js: "import { createRequire as __kasaneRequire } from 'node:module'; const require = __kasaneRequire(import.meta.url);" },
  logLevel: 'warning',
});
