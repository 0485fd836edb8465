#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js and all it imports, dependencies included) into one
// CommonJS file, dist/bundle/kasane.cjs, with esbuild, and writes a V8 code cache for it,
// dist/bundle/kasane.cjs.cache, made by rendering this repository's demo environment with it.
// client-node, which only some commands import and then late, gets a bundle of its own,
// dist/bundle/client-node.mjs.
//
// Why: start-up dominates small commands. A bundle loads one file instead of hundreds (client-node
// alone is 826 modules), and with the code cache V8 reads compiled code instead of parsing and
// compiling the functions every command runs. Node 20 can hand V8 a code cache only for scripts
// (vm.Script's cachedData), not for ES modules, hence CommonJS. Commands stay lazy: each command's
// module is evaluated only when named on the command line.
//
// bin/kasane.js uses the bundle only while it is at least as new as dist/cli/main.js, which every
// tsc build rewrites, so a plain `tsc` build is never shadowed by a stale bundle. V8 refuses a cache
// made by another node version or with other V8 flags; the bundle then compiles as usual.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { IMPORT_PACKAGE, loadBundle } from '../bin/load-bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
const bundle = join(outdir, 'kasane.cjs');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

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

/**
 * An esbuild plugin that replaces one line of a dependency's file in the bundle. The build fails if
 * the file no longer has that line, so a new version of the dependency is looked at again.
 */
function replaceLine(name, file, line, replacement) {
  return {
    name,
    setup(b) {
      b.onLoad({ filter: file }, ({ path }) => {
        const source = readFileSync(path, 'utf8');
        if (!source.includes(line)) throw new Error(`${path} no longer has the line ${line}`);
        return { contents: source.replace(line, replacement), loader: 'js' };
      });
    },
  };
}

// commander loads node:child_process when it loads (child_process loads net, dgram and more: ~3 ms
// of every start), for the one thing kasane never asks of it: running a subcommand as another
// program. In the bundle it loads it only when it does that.
const lazyChildProcessInCommander = replaceLine(
  'lazy-child-process-in-commander',
  /[\\/]commander[\\/]lib[\\/]command\.js$/,
  "const childProcess = require('node:child_process');",
  "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
);

// Without source-map (above), Handlebars' SourceNode stand-in only joins text, so a string chunk
// needs no node of its own: the generated template code is the same (compared over every template
// in the repository), and the code generator makes a third of the calls. Otherwise its recursive
// wrap()/castChunk() pair grows hot enough while a chart's templates compile that V8 optimizes both,
// ~20 ms of work each on the other core, which node waits for when the process exits: ~13 ms of a
// cold render.
const stringChunksInHandlebars = replaceLine(
  'string-chunks-in-handlebars',
  /[\\/]handlebars[\\/]dist[\\/]cjs[\\/]handlebars[\\/]compiler[\\/]code-gen\.js$/,
  'ret.push(codeGen.wrap(chunk[i], loc));',
  "ret.push(typeof chunk[i] === 'string' ? chunk[i] : codeGen.wrap(chunk[i], loc));",
);

// The one module that calls import() (src/import-package.ts) becomes a call of the function the
// loader passes the bundle: V8 cannot run import() in a script compiled from a code cache on Node 20.
// client-node is imported from its own bundle, next to kasane's: one file instead of 826 modules.
const importByLoader = {
  name: 'import-by-loader',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]import-package\.js$/ }, () => ({
      contents: [
        "import { join } from 'node:path';",
        "import { pathToFileURL } from 'node:url';",
        "const bundled = new Map([['@kubernetes/client-node', pathToFileURL(join(__dirname, 'client-node.mjs')).href]]);",
        `export const importPackage = (specifier) => ${IMPORT_PACKAGE}(bundled.get(specifier) ?? specifier);`,
      ].join('\n'),
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Imported when needed, as ES modules: client-node (14 MB of generated API clients, for exec
  // plugins, auth providers and lint's field lists) from its own bundle, so that other commands
  // never read it; kubernetes-models from node_modules, one kind's class at a time, for lint.
  external: ['@kubernetes/client-node', 'kubernetes-models'],
  // The compiled modules find files next to themselves (package.json, schemas) through
  // import.meta.url; in the bundle that is the bundle's own URL.
  define: { 'import.meta.url': '__kasaneBundleUrl' },
  banner: { js: "const __kasaneBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
  // Without comments and indentation the bundle is a third smaller, so less to read at every start,
  // and ASCII: esbuild writes other characters of strings and regular expressions as escapes, and
  // only comments kept any. The loader relies on that to read it as latin1 (checked below).
  minifyWhitespace: true,
  legalComments: 'none',
  plugins: [withoutSourceMap, importByLoader, lazyChildProcessInCommander, stringChunksInHandlebars],
});
const nonAscii = readFileSync(bundle, 'latin1').search(/[^\x00-\x7f]/);
if (nonAscii >= 0) throw new Error(`${bundle} has a character outside ASCII at offset ${nonAscii}; bin/load-bundle.js reads it as latin1`);

await build({
  stdin: { contents: "export * from '@kubernetes/client-node';", resolveDir: root, loader: 'js' },
  outfile: join(outdir, 'client-node.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // CommonJS dependencies call require(), which ESM output lacks unless given one.
  banner: { js: "import { createRequire as __kasaneRequire } from 'node:module'; const require = __kasaneRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The code cache holds what V8 compiled while the bundle ran, so it is made after real commands:
// rendering the demo environment runs the path every command starts with (options, environment,
// values, charts, templates, the YAML reader and writer), and the production one reads schedules
// (node-cron, evaluated only when an environment has one).
const { script, main } = loadBundle(bundle, undefined);
const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
let messages = '';
const stderr = new Writable({ write: (chunk, _encoding, done) => { messages += chunk; done(); } });
for (const env of ['demo', 'production']) {
  const code = await main(['node', 'kasane', '--repo-root', root, 'render', '--env', env], { stdout: discard, stderr });
  if (code !== 0) throw new Error(`rendering the ${env} environment with the new bundle exited ${code}:\n${messages}`);
}
writeFileSync(`${bundle}.cache`, script.createCachedData());
