/**
 * `kasane lint` against a corpus of broken manifests (test/lint/corpus: one environment per kind of
 * mistake) and against the repository's own charts and environments, which must pass.
 */
import { Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const corpus = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function kasane(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (to: string[]): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        to.push(chunk.toString());
        callback();
      },
    });
  const code = await main(['node', 'kasane', ...args], { stdout: sink(out), stderr: sink(err), env });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

interface JsonFinding {
  severity: 'error' | 'warning';
  rule: string;
  message: string;
  object: { apiVersion: string; kind: string; namespace: string | null; name: string } | null;
  field: string | null;
  file: string | null;
  line: number | null;
}

interface JsonReport {
  format: string;
  errors: number;
  warnings: number;
  environments: { name: string; ok: boolean; releases: number | null; objects: number | null; findings: JsonFinding[] }[];
}

async function lintJson(envArgs: string[], repoRoot = corpus): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const run = await kasane(['--repo-root', repoRoot, 'lint', ...envArgs, '-o', 'json']);
  return { code: run.code, report: JSON.parse(run.stdout) as JsonReport, stderr: run.stderr };
}

async function findingsOf(env: string): Promise<{ code: number; findings: JsonFinding[] }> {
  const { code, report } = await lintJson(['--env', env]);
  return { code, findings: report.environments[0]?.findings ?? [] };
}

/** The finding about `field` of the named object, or a failure listing what was found. */
function at(findings: JsonFinding[], kind: string, name: string, field: string | null): JsonFinding[] {
  const hits = findings.filter((f) => f.object?.kind === kind && f.object.name === name && f.field === field);
  if (hits.length === 0) throw new Error(`no finding for ${kind} ${name} ${field ?? ''}; found:\n${findings.map((f) => `${f.object?.kind} ${f.object?.name} ${f.field}: ${f.message}`).join('\n')}`);
  return hits;
}

describe('kasane lint finds each kind of mistake, naming object, field and template', () => {
  it('wrong types and enum values (Kubernetes schema)', async () => {
    const { code, findings } = await findingsOf('wrong-type');
    expect(code).toBe(1);
    const [replicas] = at(findings, 'Deployment', 'web', 'spec.replicas');
    expect(replicas).toMatchObject({ severity: 'error', rule: 'schema', file: 'charts/wrong-type/templates/deployment.yaml', line: 1 });
    expect(replicas?.message).toBe('must be integer, not string "three"');
    expect(replicas?.object).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'corpus', name: 'web' });
    expect(at(findings, 'Deployment', 'web', 'spec.template.spec.containers[0].ports[0].containerPort')[0]?.message).toContain('must be integer');
    expect(at(findings, 'Deployment', 'web', 'spec.template.spec.containers[0].imagePullPolicy')[0]?.message).toContain('"IfNotPresent"');
    // A malformed Secret value is reported without showing it.
    const [secret] = at(findings, 'Secret', 'db', 'data.password');
    expect(secret?.message).toBe('a Secret value (not shown) is not a valid base64 string');
    expect(JSON.stringify(findings)).not.toContain('hunter2');
  });

  it('unknown fields, wherever they are', async () => {
    const { code, findings } = await findingsOf('unknown-field');
    expect(code).toBe(1);
    expect(at(findings, 'Deployment', 'web', 'spec.template.spec.containers[0].imagePullPolcy')[0]).toMatchObject({ severity: 'error', rule: 'unknown-field' });
    expect(at(findings, 'Deployment', 'web', 'spec.template.spec.containers[0].env[0].valeu')[0]?.file).toBe('charts/unknown-field/templates/deployment.yaml');
    const [port] = at(findings, 'Service', 'web', 'spec.ports[0].targetport');
    expect(port?.message).toContain('did you mean "targetPort"');
    expect(port?.file).toBe('charts/unknown-field/templates/service.yaml');
    expect(findings).toHaveLength(3);
  });

  it('missing required fields', async () => {
    const { code, findings } = await findingsOf('missing-required');
    expect(code).toBe(1);
    expect(at(findings, 'Deployment', 'web', 'spec.selector')[0]?.message).toBe('required field is missing');
    expect(at(findings, 'Deployment', 'web', 'spec.template.spec.containers[0].name')[0]?.rule).toBe('schema');
    expect(at(findings, 'RoleBinding', 'readers', 'roleRef')[0]?.file).toBe('charts/missing-required/templates/rolebinding.yaml');
  });

  it('custom resources against the CRD under charts/*/crds/: errors, pruned fields as warnings, unknown versions', async () => {
    const { code, findings } = await findingsOf('crd-instance');
    expect(code).toBe(1);
    const errorAt = (field: string): JsonFinding | undefined => at(findings, 'Backup', 'nightly', field).find((f) => f.rule === 'crd-schema');
    expect(errorAt('spec.target')?.message).toContain('required field is missing');
    expect(errorAt('spec.retentionDays')?.message).toContain('must be integer, not string "7"');
    expect(errorAt('spec.mode')?.message).toContain('"full", "incremental"');
    expect(errorAt('spec.schedule')?.message).toContain('does not match the pattern');
    expect(at(findings, 'Backup', 'nightly', 'spec.compresion')[0]).toMatchObject({ severity: 'warning', rule: 'unknown-field' });
    // x-kubernetes-preserve-unknown-fields keeps whatever is under options.
    expect(findings.some((f) => f.field?.startsWith('spec.options'))).toBe(false);
    expect(at(findings, 'Backup', 'weekly', null)[0]?.message).toContain('defines no version v2');
  });

  it('bad hook annotations (what render checks is part of lint)', async () => {
    const { code, findings } = await findingsOf('hook-annotation');
    expect(code).toBe(1);
    const messages = findings.map((f) => `${f.file}:${f.line}: ${f.message}`);
    expect(messages.some((m) => m.startsWith('charts/hook-annotation/templates/migrate.yaml:1:') && m.includes('unknown hook "pre-install"'))).toBe(true);
    expect(messages.some((m) => m.includes('kasane.io/hook-weight: "first" is not an integer'))).toBe(true);
  });

  // Names and labels may be refused by render already (then the finding is a render problem without an
  // object); either way the finding names the template, the line of the object and what is wrong.
  const mentions = (findings: JsonFinding[], file: string, line: number, ...texts: string[]): boolean =>
    findings.some((f) => f.severity === 'error' && f.file === file && f.line === line && texts.every((t) => `${f.field ?? ''} ${f.message}`.includes(t)));

  it('names by the rules of each kind', async () => {
    const { code, findings } = await findingsOf('bad-name');
    expect(code).toBe(1);
    const file = 'charts/bad-name/templates/objects.yaml';
    expect(mentions(findings, file, 1, 'metadata.name', '"My_Config"', 'DNS-1123 subdomain')).toBe(true);
    expect(mentions(findings, file, 8, 'metadata.name', '"1web"', 'DNS-1035 label')).toBe(true);
    expect(mentions(findings, file, 17, 'metadata.name', 'at most 253')).toBe(true);
  });

  it('label keys and values, and unknown kasane annotations', async () => {
    const { code, findings } = await findingsOf('bad-label');
    expect(code).toBe(1);
    const file = 'charts/bad-label/templates/configmap.yaml';
    expect(mentions(findings, file, 1, 'metadata.labels.team', '"platform team"')).toBe(true);
    expect(mentions(findings, file, 1, 'metadata.labels.version', 'at most 63')).toBe(true);
    expect(mentions(findings, file, 1, 'metadata.labels["-bad.example.com/owner"]', 'prefix')).toBe(true);
    expect(mentions(findings, file, 1, 'metadata.annotations["kasane.io/prunes"]', 'unknown kasane annotation')).toBe(true);
  });

  it('kinds and versions Kubernetes 1.34 does not serve; custom resources without a CRD are a warning', async () => {
    const { code, findings } = await findingsOf('unknown-kind');
    expect(code).toBe(1);
    expect(at(findings, 'Ingress', 'old', null)[0]?.message).toContain('not served by Kubernetes 1.34');
    expect(at(findings, 'Deploymnet', 'typo', null)[0]?.rule).toBe('unknown-kind');
    expect(at(findings, 'Probe', 'no-crd', null)[0]).toMatchObject({ severity: 'warning', rule: 'no-schema' });
  });

  it('a valid environment with a CRD rendered next to its custom resource passes without findings', async () => {
    const { code, findings } = await findingsOf('valid');
    expect(findings).toEqual([]);
    expect(code).toBe(0);
  });
});

describe('kasane lint output', () => {
  it('text: one line per finding on stderr, the verdict per environment, exit 1', async () => {
    const run = await kasane(['--repo-root', corpus, 'lint', '--env', 'wrong-type']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: charts/wrong-type/templates/deployment.yaml:1: apps/v1 Deployment corpus/web: spec.replicas: must be integer, not string "three"\n');
    expect(run.stderr).toMatch(/environment wrong-type: 4 problems\n$/);
    expect(run.stderr).not.toContain('hunter2');
    expect(run.stdout).toBe('');
  });

  it('GitHub annotations when GITHUB_ACTIONS=true', async () => {
    const run = await kasane(['--repo-root', corpus, 'lint', '--env', 'crd-instance'], { GITHUB_ACTIONS: 'true' });
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(lines).toContain(
      '::error file=charts/crd-instance/templates/backup.yaml,line=1,title=kasane lint (crd-instance)::corpus.example.com/v1 Backup corpus/nightly: spec.retentionDays: must be integer, not string "7" (schema of CRD backups.corpus.example.com)',
    );
    expect(lines.some((l) => l.startsWith('::warning file=charts/crd-instance/templates/backup.yaml,line=1,') && l.includes('spec.compresion'))).toBe(true);
    // A repository in a subdirectory of the checkout: paths relative to the checkout, as GitHub wants them.
    const nested = await kasane(['--repo-root', corpus, 'lint', '--env', 'crd-instance'], { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: dirname(corpus) });
    expect(nested.stdout).toContain('::error file=corpus/charts/crd-instance/templates/backup.yaml,line=1,');
    const plain = await kasane(['--repo-root', corpus, 'lint', '--env', 'crd-instance']);
    expect(plain.stdout).not.toContain('::error');
  });

  it('--all-envs: every environment, each with its own verdict', async () => {
    const { code, report } = await lintJson(['--all-envs']);
    expect(code).toBe(1);
    expect(report.format).toBe('kasane.lint/v1');
    const verdicts = Object.fromEntries(report.environments.map((e) => [e.name, e.ok]));
    expect(verdicts).toEqual({
      'bad-label': false,
      'bad-name': false,
      'crd-instance': false,
      'hook-annotation': false,
      'missing-required': false,
      'unknown-field': false,
      'unknown-kind': false,
      valid: true,
      'wrong-type': false,
    });
    expect(report.errors).toBe(report.environments.flatMap((e) => e.findings).filter((f) => f.severity === 'error').length);
  });
});

describe("the repository's own charts", () => {
  it('pass lint --all-envs without a finding', async () => {
    const { code, report, stderr } = await lintJson(['--all-envs'], projectRoot);
    expect(stderr).toBe('');
    expect(report.environments.flatMap((e) => e.findings)).toEqual([]);
    expect(report.environments.map((e) => e.name)).toEqual(expect.arrayContaining(['demo', 'production', 'staging']));
    expect(report.environments.every((e) => (e.objects ?? 0) > 0)).toBe(true);
    expect(code).toBe(0);
  });
});
