// The benchmark cases as data: each sets up its inputs and names the two commands to compare.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function generated(services) {
  return async ({ root }) => {
    const dir = mkdtempSync(join(tmpdir(), `kasane-bench-${services}-`));
    execFileSync(process.execPath, [join(root, 'bench', 'generate.mjs'), '--services', String(services), '--out', dir]);
    return {
      kasane: { bin: process.execPath, args: [join(root, 'bin', 'kasane.js'), 'render', '--env', 'bench', '--repo-root', join(dir, 'kasane')] },
      peer: { bin: join(root, '.tools', 'bin', 'helm'), args: ['template', 'bench', join(dir, 'helm', 'svc'), '--namespace', 'bench'] },
      teardown: () => rmSync(dir, { recursive: true, force: true }),
    };
  };
}

export const cases = [
  {
    name: 'render 5,000 services',
    peer: 'helm template',
    target: 0.33,
    describe: 'render a generated chart of 5,000 services (~21,000 objects, ~10 MB of YAML)',
    setup: generated(5000),
  },
  {
    name: 'render 1,000 services',
    peer: 'helm template',
    target: 0.5,
    describe: 'render a generated chart of 1,000 services (~4,200 objects)',
    setup: generated(1000),
  },
  {
    name: 'render small chart, cold process',
    peer: 'helm template',
    target: 1.5,
    describe: 'render a generated chart of 3 services in a fresh process (start-up dominates)',
    setup: generated(3),
  },
];
