/** `kasane --version` prints the version of the package it was built from, and succeeds. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot, runCli } from '../support/cli.js';
import { kasane } from './in-process.js';

const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

describe('kasane --version', () => {
  it('the built binary prints package.json\'s version and exits 0', async () => {
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('is listed in --help', async () => {
    const result = await kasane(['--help']);
    expect(result.stdout).toMatch(/^ {2}--version +print kasane's version$/m);
  });
});
