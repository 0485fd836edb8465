/** The devcluster's own configuration: rollout timing, which Jobs fail, their logs, and faults. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { KasaneError } from '../errors.js';
import type { AuthorizationConfig } from './authorization.js';
import { FaultInjector, type FaultConfig } from './faults.js';

export interface JobRule {
  namespace?: string;
  /** Glob (`*`, `?`) on the Job name; a Job made from generateName also matches by that prefix. */
  name?: string;
  result: 'complete' | 'fail';
  durationMs?: number;
  logs?: string;
}

export interface DevclusterConfig {
  /** How long Deployments, StatefulSets, DaemonSets and Pods take to become ready; default 200. */
  rolloutDelayMs?: number;
  jobs?: {
    /** How long a Job runs when no rule says otherwise; default 300. */
    defaultDurationMs?: number;
    /** First matching rule wins; Jobs no rule matches complete. */
    rules?: JobRule[];
  };
  faults?: FaultConfig;
  /** Requests to refuse with 403 Forbidden, as RBAC would: those a deny rule names, or all but those allow rules name. */
  authorization?: AuthorizationConfig;
}

export class DevclusterConfigError extends KasaneError {
  override readonly name: string = 'DevclusterConfigError';
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`, { hint: 'see docs/devcluster.md for the configuration format' });
  }
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** The rule that decides a Job's fate, if any. */
export function jobRuleFor(config: DevclusterConfig, namespace: string, name: string, generateName: string | undefined): JobRule | undefined {
  return (config.jobs?.rules ?? []).find((rule) => {
    if (rule.namespace !== undefined && rule.namespace !== namespace) return false;
    if (rule.name === undefined) return true;
    const re = globToRegExp(rule.name);
    if (re.test(name)) return true;
    if (generateName === undefined) return false;
    return re.test(generateName) || re.test(generateName.replace(/-$/, ''));
  });
}

function check(file: string, ok: boolean, detail: string): void {
  if (!ok) throw new DevclusterConfigError(file, detail);
}

/** Checks the shape of a parsed configuration; `file` names where it came from in errors. */
export function validateConfig(raw: unknown, file: string): DevclusterConfig {
  if (raw === undefined || raw === null) return {};
  check(file, typeof raw === 'object' && !Array.isArray(raw), 'the configuration must be a mapping');
  const config = raw as Record<string, unknown>;
  for (const key of Object.keys(config)) check(file, ['rolloutDelayMs', 'jobs', 'faults', 'authorization'].includes(key), `unknown key "${key}" (expected rolloutDelayMs, jobs, faults, authorization)`);
  if (config['rolloutDelayMs'] !== undefined) check(file, typeof config['rolloutDelayMs'] === 'number' && config['rolloutDelayMs'] >= 0, 'rolloutDelayMs must be a number of milliseconds');
  const jobs = config['jobs'];
  if (jobs !== undefined) {
    check(file, typeof jobs === 'object' && jobs !== null && !Array.isArray(jobs), 'jobs must be a mapping');
    const j = jobs as Record<string, unknown>;
    if (j['defaultDurationMs'] !== undefined) check(file, typeof j['defaultDurationMs'] === 'number', 'jobs.defaultDurationMs must be a number');
    const rules = j['rules'];
    if (rules !== undefined) {
      check(file, Array.isArray(rules), 'jobs.rules must be a list');
      (rules as unknown[]).forEach((r, i) => {
        const rule = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
        check(file, rule['result'] === 'complete' || rule['result'] === 'fail', `jobs.rules[${i}].result must be "complete" or "fail"`);
        if (rule['logs'] !== undefined) check(file, typeof rule['logs'] === 'string', `jobs.rules[${i}].logs must be a string`);
        if (rule['durationMs'] !== undefined) check(file, typeof rule['durationMs'] === 'number', `jobs.rules[${i}].durationMs must be a number`);
      });
    }
  }
  const authorization = config['authorization'];
  if (authorization !== undefined) {
    check(file, typeof authorization === 'object' && authorization !== null && !Array.isArray(authorization), 'authorization must be a mapping');
    const a = authorization as Record<string, unknown>;
    for (const key of Object.keys(a)) check(file, ['user', 'deny', 'allow'].includes(key), `authorization: unknown key "${key}" (expected user, deny, allow)`);
    if (a['user'] !== undefined) check(file, typeof a['user'] === 'string', 'authorization.user must be a string');
    for (const list of ['deny', 'allow']) {
      if (a[list] === undefined) continue;
      check(file, Array.isArray(a[list]), `authorization.${list} must be a list`);
      (a[list] as unknown[]).forEach((r, i) => {
        const rule = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
        check(file, typeof rule['verb'] === 'string' && typeof rule['resource'] === 'string', `authorization.${list}[${i}] needs a verb and a resource (strings; "*" for any)`);
        for (const key of Object.keys(rule)) {
          check(file, ['verb', 'resource', 'group', 'namespace', 'name'].includes(key), `authorization.${list}[${i}]: unknown key "${key}" (expected verb, resource, group, namespace, name)`);
          check(file, typeof rule[key] === 'string', `authorization.${list}[${i}].${key} must be a string`);
        }
      });
    }
  }
  if (config['faults'] !== undefined) {
    check(file, typeof config['faults'] === 'object' && config['faults'] !== null, 'faults must be a mapping');
    try {
      new FaultInjector(config['faults'] as FaultConfig);
    } catch (err) {
      throw new DevclusterConfigError(file, err instanceof Error ? err.message : String(err));
    }
  }
  return config as DevclusterConfig;
}

export function loadConfigFile(file: string): DevclusterConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DevclusterConfigError(file, `cannot read the file: ${err instanceof Error ? err.message : String(err)}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new DevclusterConfigError(file, `not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  return validateConfig(raw, file);
}
