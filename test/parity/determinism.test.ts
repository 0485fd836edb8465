/**
 * Rendering is a pure function of (repository tree, environment, overrides): the same inputs give
 * byte-identical output, whatever order map keys are written in and whatever the process environment,
 * locale, time zone or working directory.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { projectRoot, runCli, type CliResult } from '../support/cli.js';
import { checksumAnnotations, readManifests } from './manifests.js';

const fixtureRepo = join(projectRoot, 'test', 'parity', 'fixtures', 'repo');
const renderArgs = ['render', '--env', 'parity', '-o', 'yaml'];
const baseEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir(), LANG: 'C' };

function succeeded(result: CliResult): string {
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout.length).toBeGreaterThan(0);
  return result.stdout;
}

/** The same mapping with every map's keys in reverse order, at every depth. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
}

/** Rewrites a YAML file with its keys reversed; YAML 1.1 on both sides so `"on"` stays a string. */
function reverseYamlFile(path: string): void {
  const original: unknown = parse(readFileSync(path, 'utf8'), { version: '1.1' });
  const text = stringify(reverseKeys(original), { version: '1.1', lineWidth: 0 });
  // The rewrite must carry exactly the same data, or this test proves nothing.
  expect(isDeepStrictEqual(parse(text, { version: '1.1' }), original)).toBe(true);
  expect(text).not.toBe(readFileSync(path, 'utf8'));
  writeFileSync(path, text);
}

describe('kasane render is deterministic', () => {
  let first: string;

  beforeAll(async () => {
    first = succeeded(await runCli(renderArgs, { repoRoot: fixtureRepo, env: baseEnv }));
  }, 120_000);

  it('prints byte-identical output on a second run, in YAML and in JSON', async () => {
    const second = succeeded(await runCli(renderArgs, { repoRoot: fixtureRepo, env: baseEnv }));
    expect(second).toBe(first);
    const jsonArgs = ['render', '--env', 'parity', '-o', 'json'];
    const jsonA = succeeded(await runCli(jsonArgs, { repoRoot: fixtureRepo, env: baseEnv }));
    const jsonB = succeeded(await runCli(jsonArgs, { repoRoot: fixtureRepo, env: baseEnv }));
    expect(jsonB).toBe(jsonA);
  }, 240_000);

  it('does not depend on the order keys are written in values and environment files', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'kasane-reordered-'));
    cpSync(fixtureRepo, copy, { recursive: true });
    for (const file of ['charts/shop/values.yaml', 'environments/parity.yaml', 'environments/parity/shop.yaml']) {
      reverseYamlFile(join(copy, file));
    }
    const reordered = succeeded(await runCli(renderArgs, { repoRoot: copy, env: baseEnv }));
    const sums = checksumAnnotations(readManifests(first));
    expect(sums.size).toBeGreaterThan(0);
    expect(Object.fromEntries(checksumAnnotations(readManifests(reordered)))).toEqual(Object.fromEntries(sums));
    expect(reordered).toBe(first);
  }, 120_000);

  it('does not depend on the process environment, locale, time zone or working directory', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'kasane-cwd-'));
    const hostile = {
      PATH: baseEnv.PATH,
      HOME: elsewhere,
      // Turkish casing rules turn a locale-sensitive lower("I") into a dotless ı.
      LANG: 'tr_TR.UTF-8',
      LC_ALL: 'tr_TR.UTF-8',
      TZ: 'Pacific/Kiritimati',
      RELEASE_NAME: 'from-the-environment',
      KASANE_ENV: 'production',
      HELM_NAMESPACE: 'elsewhere',
      NODE_ENV: 'production',
    };
    const other = succeeded(await runCli(renderArgs, { repoRoot: fixtureRepo, env: hostile, cwd: elsewhere }));
    expect(other).toBe(first);
  }, 120_000);
});
