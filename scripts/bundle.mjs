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

// Handlebars' compiler builds its output through source-map's SourceNode when that package loads,
// and through a plain string builder of its own when it does not. kasane never asks for a source
// map, so the bundle leaves the package out: the compiled templates are the same, the bundle
// loads ~120 KB less, and compiling a template is cheaper.
const withoutSourceMap = {
  name: 'without-source-map',
  setup(b) {
    b.onResolve({ filter: /^source-map$/ }, () => ({ path: 'source-map', namespace: 'without-source-map' }));
    b.onLoad({ filter: /.*/, namespace: 'without-source-map' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

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
  plugins: [withoutSourceMap],
});
