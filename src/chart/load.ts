import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AggregateKasaneError, KasaneError, SourceError } from '../errors.js';
import { YamlLocator } from '../environment/yaml-locator.js';
import { parseYamlStream } from '../yaml/read.js';
import type { Chart, ChartMetadata, ChartSource } from './chart.js';
import { readRepoFile } from './files.js';

export const CHARTS_DIR = 'charts';

/** A release named a chart directory that does not exist. */
export class ChartNotFoundError extends KasaneError {
  override readonly name = 'ChartNotFoundError';
  constructor(
    readonly chart: string,
    readonly available: readonly string[],
  ) {
    super(`chart "${chart}" not found: there is no ${CHARTS_DIR}/${chart}/Chart.yaml`, {
      hint: available.length > 0 ? `charts that exist: ${available.join(', ')}` : `create ${CHARTS_DIR}/${chart}/Chart.yaml`,
    });
  }
}

/** Names of the chart directories of a repository (those holding a Chart.yaml), sorted. */
export function listCharts(repoRoot: string): string[] {
  const dir = join(repoRoot, CHARTS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'Chart.yaml')))
    .map((e) => e.name)
    .sort();
}

/** Reads charts/<dir>: metadata, default values, optional schema, templates and partials. */
export function loadChart(repoRoot: string, dir: string): Chart {
  const path = `${CHARTS_DIR}/${dir}`;
  const root = join(repoRoot, CHARTS_DIR, dir);
  if (dir.includes('/') || dir.includes('\\') || dir.startsWith('.') || !existsSync(join(root, 'Chart.yaml'))) {
    throw new ChartNotFoundError(dir, listCharts(repoRoot));
  }
  const metadataFile = `${path}/Chart.yaml`;
  const metadata = parseChartMetadata(readRepoFile(repoRoot, metadataFile), metadataFile);
  const values = readValuesFile(repoRoot, `${path}/values.yaml`);
  const schema = readSchema(repoRoot, `${path}/values.schema.json`);
  const { templates, partials } = readTemplates(repoRoot, path);
  return { dir, path, root, metadata, values, ...(schema === undefined ? {} : { schema }), templates, partials };
}

/** Validates Chart.yaml: `name` and `version` (SemVer) required; every problem at once. */
export function parseChartMetadata(text: string, file: string): ChartMetadata {
  const docs = parseYamlStream(text, file);
  const raw = docs[0]?.value;
  if (docs.length !== 1 || raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SourceError({ file, line: 1 }, 'Chart.yaml must be one YAML map with at least name and version');
  }
  const fields = raw as Record<string, unknown>;
  const locator = new YamlLocator(text);
  const problems: SourceError[] = [];
  const fail = (key: string, detail: string): void => {
    problems.push(new SourceError({ file, line: locator.lineOf([key]) ?? 1 }, detail));
  };
  const str = (key: string, required: boolean): string | undefined => {
    const value = fields[key];
    if (value === undefined || value === null) {
      if (required) fail(key, `${key} is required`);
      return undefined;
    }
    if (typeof value !== 'string' || value === '') {
      fail(key, `${key} must be a non-empty string, not ${JSON.stringify(value)}${typeof value === 'number' ? ' (quote it)' : ''}`);
      return undefined;
    }
    return value;
  };
  const name = str('name', true);
  if (name !== undefined && !/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/.test(name)) {
    fail('name', `name "${name}" must be lowercase letters, digits, '-', '_' or '.'`);
  }
  const version = str('version', true);
  if (version !== undefined && !SEMVER.test(version)) fail('version', `version "${version}" is not a SemVer 2 version (e.g. 1.2.3)`);
  const appVersion = str('appVersion', false);
  const description = str('description', false);
  const kubeVersion = str('kubeVersion', false);
  if (Array.isArray(fields['dependencies']) && fields['dependencies'].length > 0) {
    fail('dependencies', 'kasane charts have no dependencies: make each subchart a chart of its own and give it a release');
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new AggregateKasaneError(`${file} is not a valid chart description`, problems);
  return {
    name: name ?? '',
    version: version ?? '',
    ...(appVersion === undefined ? {} : { appVersion }),
    ...(description === undefined ? {} : { description }),
    ...(kubeVersion === undefined ? {} : { kubeVersion }),
  };
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** A values file: one YAML map (or empty). `file` is the name used in messages. */
export function parseValuesText(text: string, file: string): Record<string, unknown> {
  const docs = parseYamlStream(text, file).filter((d) => d.value !== null && d.value !== undefined);
  if (docs.length === 0) return {};
  const first = docs[0];
  if (docs.length > 1 || first === undefined || typeof first.value !== 'object' || Array.isArray(first.value)) {
    throw new SourceError({ file, line: first?.startLine ?? 1 }, 'a values file must hold one YAML map');
  }
  return first.value as Record<string, unknown>;
}

function readValuesFile(repoRoot: string, file: string): Record<string, unknown> {
  return existsSync(join(repoRoot, file)) ? parseValuesText(readRepoFile(repoRoot, file), file) : {};
}

function readSchema(repoRoot: string, file: string): unknown {
  if (!existsSync(join(repoRoot, file))) return undefined;
  const text = readRepoFile(repoRoot, file);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const position = /position (\d+)/.exec(message)?.[1];
    const line = position === undefined ? undefined : text.slice(0, Number(position)).split('\n').length;
    throw new SourceError({ file, ...(line === undefined ? {} : { line }) }, `not valid JSON: ${message}`);
  }
}

function readTemplates(repoRoot: string, path: string): { templates: ChartSource[]; partials: (ChartSource & { partial: string })[] } {
  const dir = join(repoRoot, path, 'templates');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { templates: [], partials: [] };
  // Symlinked templates are read too, through readRepoFile, which refuses those leading outside.
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => e.name)
    .sort();
  const templates: ChartSource[] = [];
  const partials: (ChartSource & { partial: string })[] = [];
  for (const name of names) {
    const file = `${path}/templates/${name}`;
    if (name.startsWith('_') && name.endsWith('.hbs')) {
      partials.push({ file, text: readRepoFile(repoRoot, file), partial: name.slice(1, -'.hbs'.length) });
    } else if (name.endsWith('.yaml') && !name.startsWith('_')) {
      templates.push({ file, text: readRepoFile(repoRoot, file) });
    }
  }
  return { templates, partials };
}
