import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRepoFile } from '../chart/files.js';
import { nodeCron } from '../lazy-module.js';
import { AggregateKasaneError, KasaneError, SourceError } from '../errors.js';
import type { SyncSettings, SyncWindow } from '../model/rendered.js';
import { parseYamlStream } from '../yaml/read.js';
import { parseDuration } from './duration.js';
import { DEFAULT_NAMESPACE, SYNC_DEFAULTS, type Environment, type ReleaseLines, type ReleaseSpec } from './environment.js';
import { YamlLocator } from './yaml-locator.js';

export const ENVIRONMENTS_DIR = 'environments';

/** `--env NAME` named no file under environments/. */
export class EnvironmentNotFoundError extends KasaneError {
  override readonly name = 'EnvironmentNotFoundError';
  constructor(
    readonly environment: string,
    readonly available: readonly string[],
  ) {
    super(`environment "${environment}" not found: there is no ${ENVIRONMENTS_DIR}/${environment}.yaml`, {
      hint: available.length > 0 ? `environments that exist: ${available.join(', ')}` : `create ${ENVIRONMENTS_DIR}/${environment}.yaml`,
    });
  }
}

/** Names of the environments of a repository, sorted. */
export function listEnvironments(repoRoot: string): string[] {
  const dir = join(repoRoot, ENVIRONMENTS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.yaml'))
    .map((e) => e.name.slice(0, -'.yaml'.length))
    .sort();
}

/** Reads and validates environments/<name>.yaml; every problem in the file is reported at once. */
export function loadEnvironment(repoRoot: string, name: string): Environment {
  const file = `${ENVIRONMENTS_DIR}/${name}.yaml`;
  const path = join(repoRoot, file);
  if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(name) || !existsSync(path)) {
    throw new EnvironmentNotFoundError(name, listEnvironments(repoRoot));
  }
  return parseEnvironment(readRepoFile(repoRoot, file), name, file);
}

/** Validates the text of an environment file. `file` is the repository-relative path used in messages. */
export function parseEnvironment(text: string, name: string, file: string): Environment {
  const docs = parseYamlStream(text, file);
  if (docs.length !== 1) {
    throw new SourceError({ file, line: docs[1]?.startLine ?? 1 }, `an environment file holds exactly one YAML document, found ${docs.length}`);
  }
  const check = new Checker(file, new YamlLocator(text));
  const env = check.environment(docs[0]?.value, name);
  check.throwIfAny(`${file} is not a valid environment`);
  return env;
}

type Path = (string | number)[];

/** Walks the parsed file, collecting problems with their lines instead of stopping at the first. */
class Checker {
  private readonly problems: SourceError[] = [];

  constructor(
    private readonly file: string,
    private readonly locator: YamlLocator,
  ) {}

  throwIfAny(summary: string): void {
    if (this.problems.length === 1) throw this.problems[0];
    if (this.problems.length > 1) throw new AggregateKasaneError(summary, this.problems);
  }

  private fail(path: Path, detail: string): void {
    const where = path.length > 0 ? `${formatPath(path)}: ` : '';
    this.problems.push(new SourceError({ file: this.file, line: this.locator.lineOf(path) ?? 1 }, `${where}${detail}`));
  }

  environment(raw: unknown, name: string): Environment {
    const top = this.map(raw, [], ['cluster', 'values', 'releases', 'sync']) ?? {};
    const cluster = this.map(top['cluster'], ['cluster'], ['context']) ?? {};
    const context = this.optionalString(cluster['context'], ['cluster', 'context']);
    const values = this.map(top['values'], ['values']) ?? {};
    const releases = this.releases(top['releases']);
    const sync = this.sync(top['sync']);
    return { name, file: this.file, cluster: context === undefined ? {} : { context }, values, releases, sync };
  }

  private releases(raw: unknown): ReleaseSpec[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      this.fail(['releases'], 'must be a list of releases');
      return [];
    }
    const seen = new Map<string, number>();
    const releases: ReleaseSpec[] = [];
    raw.forEach((item: unknown, i) => {
      const at: Path = ['releases', i];
      const r = this.map(item, at, ['name', 'chart', 'namespace', 'createNamespace', 'valuesFiles', 'values']);
      if (r === undefined) return;
      const name = this.requiredString(r['name'], [...at, 'name']);
      if (name !== undefined && !isDnsLabel(name)) {
        this.fail([...at, 'name'], `release name "${name}" must be a DNS label (lowercase letters, digits and '-', at most 53 characters)`);
      }
      if (name !== undefined) {
        const first = seen.get(name);
        if (first !== undefined) this.fail([...at, 'name'], `release "${name}" is declared twice (also releases[${first}])`);
        else seen.set(name, i);
      }
      const chart = this.requiredString(r['chart'], [...at, 'chart']);
      if (chart !== undefined && !/^[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(chart)) {
        this.fail([...at, 'chart'], `chart "${chart}" must be the name of a directory under charts/`);
      }
      const namespace = this.optionalString(r['namespace'], [...at, 'namespace']) ?? DEFAULT_NAMESPACE;
      if (!isDnsLabel(namespace, 63)) this.fail([...at, 'namespace'], `namespace "${namespace}" must be a DNS label`);
      const createNamespace = this.optionalBoolean(r['createNamespace'], [...at, 'createNamespace']) ?? false;
      const valuesFiles = this.stringList(r['valuesFiles'], [...at, 'valuesFiles']);
      const values = this.map(r['values'], [...at, 'values']) ?? {};
      if (name === undefined || chart === undefined) return;
      releases.push({ name, chart, namespace, createNamespace, valuesFiles, values, lines: releaseLines(this.locator, at, valuesFiles.length) });
    });
    return releases;
  }

  private sync(raw: unknown): SyncSettings {
    const s = this.map(raw, ['sync'], ['interval', 'schedule', 'windows', 'prune', 'selfHeal', 'timeout', 'rollbackOnFailure']) ?? {};
    const intervalMs = this.duration(s['interval'], ['sync', 'interval']) ?? SYNC_DEFAULTS.intervalMs;
    if (intervalMs <= 0) this.fail(['sync', 'interval'], 'must be longer than 0s');
    const schedule = this.optionalString(s['schedule'], ['sync', 'schedule']);
    if (schedule !== undefined && !nodeCron().validate(schedule)) {
      this.fail(['sync', 'schedule'], `"${schedule}" is not a cron expression (five fields, e.g. "*/5 * * * *")`);
    }
    const settings: SyncSettings = {
      intervalMs,
      ...(schedule === undefined ? {} : { schedule }),
      windows: this.windows(s['windows']),
      prune: this.optionalBoolean(s['prune'], ['sync', 'prune']) ?? SYNC_DEFAULTS.prune,
      selfHeal: this.optionalBoolean(s['selfHeal'], ['sync', 'selfHeal']) ?? SYNC_DEFAULTS.selfHeal,
      timeoutMs: this.duration(s['timeout'], ['sync', 'timeout']) ?? SYNC_DEFAULTS.timeoutMs,
      rollbackOnFailure: this.optionalBoolean(s['rollbackOnFailure'], ['sync', 'rollbackOnFailure']) ?? SYNC_DEFAULTS.rollbackOnFailure,
    };
    return settings;
  }

  private windows(raw: unknown): SyncWindow[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      this.fail(['sync', 'windows'], 'must be a list of {kind, schedule, duration}');
      return [];
    }
    const windows: SyncWindow[] = [];
    raw.forEach((item: unknown, i) => {
      const at: Path = ['sync', 'windows', i];
      const w = this.map(item, at, ['kind', 'schedule', 'duration']);
      if (w === undefined) return;
      const kind = this.requiredString(w['kind'], [...at, 'kind']);
      if (kind !== undefined && kind !== 'allow' && kind !== 'deny') this.fail([...at, 'kind'], `must be "allow" or "deny", not "${kind}"`);
      const schedule = this.requiredString(w['schedule'], [...at, 'schedule']);
      if (schedule !== undefined && !nodeCron().validate(schedule)) {
        this.fail([...at, 'schedule'], `"${schedule}" is not a cron expression (five fields, e.g. "0 22 * * 5")`);
      }
      const durationMs = this.duration(w['duration'], [...at, 'duration']);
      if (w['duration'] === undefined) this.fail(at, 'duration is required (e.g. 2h)');
      if ((kind === 'allow' || kind === 'deny') && schedule !== undefined && durationMs !== undefined) {
        windows.push({ kind, schedule, durationMs });
      }
    });
    return windows;
  }

  private map(raw: unknown, path: Path, known?: readonly string[]): Record<string, unknown> | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      this.fail(path, 'must be a map');
      return undefined;
    }
    const record = raw as Record<string, unknown>;
    if (known !== undefined) {
      for (const key of Object.keys(record)) {
        if (!known.includes(key)) this.fail([...path, key], `unknown key "${key}" (known: ${known.join(', ')})`);
      }
    }
    return record;
  }

  private requiredString(raw: unknown, path: Path): string | undefined {
    if (raw === undefined || raw === null) {
      this.fail(path.slice(0, -1), `${String(path[path.length - 1])} is required`);
      return undefined;
    }
    return this.optionalString(raw, path);
  }

  private optionalString(raw: unknown, path: Path): string | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'string' || raw === '') {
      this.fail(path, `must be a non-empty string, not ${describe(raw)}`);
      return undefined;
    }
    return raw;
  }

  private optionalBoolean(raw: unknown, path: Path): boolean | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'boolean') {
      this.fail(path, `must be true or false, not ${describe(raw)}`);
      return undefined;
    }
    return raw;
  }

  private stringList(raw: unknown, path: Path): string[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      this.fail(path, 'must be a list of repository-relative file paths');
      return [];
    }
    const out: string[] = [];
    raw.forEach((item: unknown, i) => {
      const s = this.optionalString(item, [...path, i]);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  private duration(raw: unknown, path: Path): number | undefined {
    if (raw === undefined || raw === null) return undefined;
    const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
    if (ms === undefined) {
      this.fail(path, `${describe(raw)} is not a duration; write it with a unit, e.g. 90s, 5m or 1h30m`);
    }
    return ms;
  }
}

/**
 * Where release `at` is written, read from the file only when a message asks: finding lines means
 * parsing the file once more with positions, which a valid environment never needs.
 */
function releaseLines(locator: YamlLocator, at: Path, valuesFiles: number): ReleaseLines {
  let found: ReleaseLines | undefined;
  const find = (): ReleaseLines =>
    (found ??= {
      release: locator.lineOf(at),
      chart: locator.lineOf([...at, 'chart']),
      valuesFiles: Array.from({ length: valuesFiles }, (_, j) => locator.lineOf([...at, 'valuesFiles', j])),
    });
  return {
    get release() {
      return find().release;
    },
    get chart() {
      return find().chart;
    },
    get valuesFiles() {
      return find().valuesFiles;
    },
  };
}

function isDnsLabel(s: string, max = 53): boolean {
  return s.length <= max && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);
}

function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a map';
  return String(value);
}
