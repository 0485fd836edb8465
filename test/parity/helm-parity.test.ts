/**
 * Helm parity: the same chart written twice — as a kasane Handlebars chart (fixtures/repo) and as its
 * Go-template twin (fixtures/helm) — rendered by `kasane render` and by the real `helm template` with the
 * same layered values, must give the same objects with the same contents.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { helmTemplate } from '../support/helm.js';
import { projectRoot, runCli } from '../support/cli.js';
import { checksumAnnotations, collectManifests, compareRenders, readManifests, type Manifest } from './manifests.js';

const fixtures = join(projectRoot, 'test', 'parity', 'fixtures');
const repo = join(fixtures, 'repo');
const helmChart = join(fixtures, 'helm', 'shop');
const kasaneChart = join(repo, 'charts', 'shop');
const fixtureRoots = { repo, helmChart };

/** Copies of both twins with every text file's line endings turned into CRLF (a Windows checkout). */
function crlfRoots(): { repo: string; helmChart: string } {
  const base = mkdtempSync(join(tmpdir(), 'kasane-crlf-'));
  const copy = { repo: join(base, 'repo'), helmChart: join(base, 'helm', 'shop') };
  cpSync(repo, copy.repo, { recursive: true });
  cpSync(helmChart, copy.helmChart, { recursive: true });
  const convert = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) convert(path);
      else writeFileSync(path, readFileSync(path, 'utf8').replace(/\r?\n/g, '\r\n'));
    }
  };
  convert(copy.repo);
  convert(copy.helmChart);
  return copy;
}

interface Variant {
  env: string;
  /** Extra `--values` files (contents), after the environment's layers. */
  cliValues: Record<string, unknown>[];
  set: string[];
  /** `--set-string`s; their keys differ from the `--set`s, so the order between the two does not matter. */
  setString: string[];
  /** The kasane repository and the Helm twin; default: the fixtures as committed. */
  roots?: { repo: string; helmChart: string };
}

const variants: Variant[] = [
  {
    env: 'parity',
    cliValues: [],
    // Helm's --set typing: 2 is a number, null deletes, 010 stays a string (leading zero), an escaped dot is
    // part of the key, a comma separates assignments; --set-string keeps "false" a string (an annotation
    // value must be one).
    set: [
      'services.admin.replicas=2',
      'services.admin.path=null',
      'image.tag=010',
      'services.web.annotations.team\\.shop\\.io/oncall=pager,global.team=ops',
    ],
    setString: ['secret.apiKey=0123456', 'services.api.extraEnv.DB_POOL=true', 'services.web.annotations.prometheus\\.io/scrape=false'],
  },
  {
    env: 'parity-lean',
    cliValues: [{ services: { api: { extraEnv: { DB_POOL: '5', MODE: 'lean' } } }, secret: { apiKey: 'lean-key' } }],
    set: ['image.tag=latest', 'services.api.replicas=3', 'ingress.tls=false'],
    setString: [],
  },
];

interface EnvironmentFile {
  values?: Record<string, unknown>;
  releases: { name: string; chart: string; namespace: string; valuesFiles?: string[]; values?: Record<string, unknown> }[];
}

/** Helm's view of one kasane release: `-f` files in kasane's layering order, then the same `--set`s. */
async function renderWithHelm(variant: Variant, scratch: string): Promise<Manifest[]> {
  // YAML 1.1 in and out, as Helm reads values: `off` in the environment file is a boolean for both.
  const { repo, helmChart } = variant.roots ?? fixtureRoots;
  const envText = readFileSync(join(repo, 'environments', `${variant.env}.yaml`), 'utf8');
  const env = parse(envText, { version: '1.1', merge: true }) as EnvironmentFile;
  const release = env.releases[0]!;
  const files: string[] = [];
  const write = (name: string, data: unknown): void => {
    const path = join(scratch, `${variant.env}-${name}.yaml`);
    writeFileSync(path, stringify(data, { version: '1.1' }));
    files.push(path);
  };
  if (env.values) write('environment', env.values);
  for (const file of release.valuesFiles ?? []) files.push(join(repo, file));
  if (release.values) write('release', release.values);
  variant.cliValues.forEach((data, i) => write(`cli-${i}`, data));
  const text = await helmTemplate(release.name, helmChart, {
    namespace: release.namespace,
    valuesFiles: files,
    set: variant.set,
    setString: variant.setString,
  });
  return readManifests(text);
}

async function renderWithKasane(variant: Variant, scratch: string, output: 'yaml' | 'json'): Promise<string> {
  // helm template prints Secret values; kasane masks them unless asked.
  const args = ['render', '--env', variant.env, '-o', output, '--show-secrets'];
  variant.cliValues.forEach((data, i) => {
    const path = join(scratch, `${variant.env}-kasane-cli-${i}.yaml`);
    writeFileSync(path, stringify(data));
    args.push('--values', path);
  });
  for (const assignment of variant.set) args.push('--set', assignment);
  for (const assignment of variant.setString) args.push('--set-string', assignment);
  const result = await runCli(args, { repoRoot: (variant.roots ?? fixtureRoots).repo });
  if (result.code !== 0) throw new Error(`kasane ${args.join(' ')} failed (exit ${result.code}):\n${result.stderr}`);
  return result.stdout;
}

describe('the twin fixtures hold the same chart', () => {
  const tplKeys = (values: Record<string, unknown>): Record<string, unknown> => {
    const copy = structuredClone(values) as { greeting?: unknown; ingress?: { hostTemplate?: unknown } };
    delete copy.greeting;
    delete copy.ingress?.hostTemplate;
    return copy as Record<string, unknown>;
  };

  it('has the same values, except the strings given to tpl', () => {
    const helmValues = parse(readFileSync(join(helmChart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const kasaneValues = parse(readFileSync(join(kasaneChart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    expect(tplKeys(kasaneValues)).toEqual(tplKeys(helmValues));
  });

  it('has the same files and chart metadata', () => {
    const names = readdirSync(join(helmChart, 'files')).sort();
    expect(readdirSync(join(kasaneChart, 'files')).sort()).toEqual(names);
    for (const name of names) {
      expect(readFileSync(join(kasaneChart, 'files', name), 'utf8')).toBe(readFileSync(join(helmChart, 'files', name), 'utf8'));
    }
    const meta = (dir: string): unknown => {
      const chart = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
      return { name: chart['name'], version: chart['version'], appVersion: chart['appVersion'] };
    };
    expect(meta(kasaneChart)).toEqual(meta(helmChart));
  });
});

describe.each([...variants, { ...variants[0]!, roots: crlfRoots() }])('kasane render --env $env against helm template (%#)', (variant) => {
  let scratch: string;
  let helm: Manifest[];
  let kasaneYaml: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'kasane-parity-'));
    helm = await renderWithHelm(variant, scratch);
    kasaneYaml = await renderWithKasane(variant, scratch, 'yaml');
  }, 120_000);

  it('renders the same objects with the same contents', () => {
    const kasane = readManifests(kasaneYaml);
    expect(helm.length).toBeGreaterThan(5);
    const differences = compareRenders(helm, kasane);
    expect(differences, differences.join('\n')).toEqual([]);
  });

  it('computes the same sha256sum (toYaml …) checksum annotations', () => {
    const fromHelm = checksumAnnotations(helm);
    const fromKasane = checksumAnnotations(readManifests(kasaneYaml));
    expect(fromHelm.size).toBeGreaterThan(0);
    expect(Object.fromEntries(fromKasane)).toEqual(Object.fromEntries(fromHelm));
  });

  it('prints the same objects with -o json as with -o yaml', async () => {
    const json = await renderWithKasane(variant, scratch, 'json');
    const fromJson = collectManifests(JSON.parse(json));
    expect(fromJson).toEqual(readManifests(kasaneYaml));
  }, 120_000);
});

describe('a missing required value fails in both, and kasane names the template and line', () => {
  // In a partial, naming the partial's own line or the line that includes it are both precise.
  const cases = [
    { what: 'in a template', values: { secret: { password: null } }, message: 'secret.password is required', at: /charts\/shop\/templates\/secret\.yaml:9\b/ },
    { what: 'an empty string', values: { secret: { password: '' } }, message: 'secret.password is required', at: /charts\/shop\/templates\/secret\.yaml:9\b/ },
    { what: 'in a partial', values: { image: { tag: null } }, message: 'image.tag is required', at: /charts\/shop\/templates\/(_image\.hbs:1|services\.yaml:30)\b/ },
  ];

  it.each(cases)('$what: $message', async ({ values, message, at }) => {
    const scratch = mkdtempSync(join(tmpdir(), 'kasane-required-'));
    const file = join(scratch, 'unset.yaml');
    writeFileSync(file, stringify(values));
    // The twin fails too, with the same message: the fixture is a faithful twin.
    await expect(helmTemplate('shop', helmChart, { namespace: 'shop-parity', valuesFiles: [file] })).rejects.toThrow(message);
    const result = await runCli(['render', '--env', 'parity', '--values', file], { repoRoot: repo });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toMatch(at);
  }, 120_000);
});
