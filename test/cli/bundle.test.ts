/**
 * The bundle that bin/kasane.js runs renders exactly what the TypeScript sources render. Its build
 * (scripts/bundle.mjs) rewrites lines of dependencies (commander, Handlebars' code generator) and
 * leaves source-map out; none of that may change a byte of output.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listEnvironments } from '../../src/environment/load.js';
import { projectRoot, runCli } from '../support/cli.js';
import { kasane } from './in-process.js';

const repos = [projectRoot, join(projectRoot, 'test', 'parity', 'fixtures', 'repo')];

describe('the bundle', () => {
  it('is what bin/kasane.js runs after a build', () => {
    const bundle = statSync(join(projectRoot, 'dist', 'bundle', 'kasane.cjs'));
    expect(bundle.mtimeMs).toBeGreaterThanOrEqual(statSync(join(projectRoot, 'dist', 'cli', 'main.js')).mtimeMs);
  });

  for (const repo of repos) {
    for (const env of listEnvironments(repo)) {
      it(`renders ${repo === projectRoot ? '' : 'the parity fixture\'s '}environment ${env} byte for byte as the sources do`, async () => {
        const args = ['render', '--env', env, '--show-secrets'];
        const fromSources = await kasane(args, repo);
        expect(fromSources.code).toBe(0);
        const fromBundle = await runCli(args, { repoRoot: repo });
        expect(fromBundle.code).toBe(0);
        expect(fromBundle.stdout).toBe(fromSources.stdout);
      });
    }
  }
});
