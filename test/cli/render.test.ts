import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlStream } from '../../src/yaml/read.js';
import { projectRoot, runCli } from '../support/cli.js';
import { chartYaml, oneRelease, writeRepo } from '../render/repo.js';
import { kasane } from './in-process.js';

const documents = (text: string) =>
  parseYamlStream(text, 'stdout').map((d) => d.value as { kind: string; metadata: { name: string; labels: Record<string, string> } });

describe('kasane render (the built binary)', () => {
  it('renders the demo environment as a YAML stream with # Source lines', async () => {
    const result = await runCli(['render', '--env', 'demo'], { repoRoot: projectRoot });
    // The demo's Secret has one value; it is masked unless --show-secrets.
    expect(result.stderr).toBe('kasane: 1 Secret value masked; pass --show-secrets to print them (e.g. to pipe into kubectl apply)\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^---\n# Source: charts\/demo-app\/templates\/secret\.yaml\n/);
    const kinds = documents(result.stdout).map((d) => d.kind);
    expect(kinds).toEqual(['Secret', 'ConfigMap', 'Service', 'Deployment', 'Job', 'Job']);
  });

  it('is byte-identical run after run', async () => {
    const a = await runCli(['render', '--env', 'production'], { repoRoot: projectRoot });
    const b = await runCli(['render', '--env', 'production'], { repoRoot: projectRoot });
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  it('fails with exit 1, nothing on stdout, and says which environments exist', async () => {
    const result = await runCli(['render', '--env', 'nope'], { repoRoot: projectRoot });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('error: environment "nope" not found: there is no environments/nope.yaml');
    expect(result.stderr).toMatch(/hint: environments that exist: demo, (.*, )?production, staging/);
  });

  it('applies --values files and --set from the current directory, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kasane-cli-'));
    writeFileSync(join(dir, 'more.yaml'), 'replicas: 7\nimage: {tag: "9.9.9"}\n');
    const result = await runCli(['render', '--env', 'demo', '--values', 'more.yaml', '--set', 'replicas=3', '-o', 'json'], {
      cwd: dir,
      repoRoot: projectRoot,
    });
    expect(result.stderr).toMatch(/^kasane: 1 Secret value masked/);
    const deployment = (JSON.parse(result.stdout) as { kind: string; spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } }[]).find(
      (o) => o.kind === 'Deployment',
    );
    expect(deployment?.spec.replicas).toBe(3);
    expect(deployment?.spec.template.spec.containers[0]?.image).toBe('nginx:9.9.9');
  });
});

describe('kasane render', () => {
  it('-o json prints one list of the same objects as the YAML stream', async () => {
    const yaml = await kasane(['render', '--env', 'staging'], projectRoot);
    const json = await kasane(['render', '--env', 'staging', '-o', 'json'], projectRoot);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(documents(yaml.stdout));
  });

  it('--release limits the output; an unknown release names the ones that exist', async () => {
    const admin = await kasane(['render', '--env', 'staging', '--release', 'admin'], projectRoot);
    const labels = documents(admin.stdout).map((d) => d.metadata.labels['kasane.io/release']);
    expect(new Set(labels)).toEqual(new Set(['admin']));
    const unknown = await kasane(['render', '--env', 'staging', '--release', 'api'], projectRoot);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('release "api" is not part of environment staging');
    expect(unknown.stderr).toContain('releases of staging: web, admin');
  });

  it('--set and --set-string apply in the order typed', async () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  v: {{ toJson Values.v }}\n',
      'environments/test.yaml': oneRelease(),
    });
    const data = async (...flags: string[]) => {
      const result = await kasane(['render', '--env', 'test', '-o', 'json', ...flags], root);
      expect(result.stderr).toBe('');
      return (JSON.parse(result.stdout) as { data: { v: unknown } }[])[0]?.data.v;
    };
    // toJson prints "2" for the string and 2 for the number; the YAML reader keeps that difference.
    expect(await data('--set', 'v=1', '--set-string', 'v=2')).toBe('2');
    expect(await data('--set-string', 'v=2', '--set', 'v=1')).toBe(1);
  });

  it('--output-dir writes one file per template, like helm template --output-dir', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kasane-out-'));
    const result = await kasane(['render', '--env', 'staging', '--output-dir', out], projectRoot);
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['admin', 'web']);
    const files = readdirSync(join(out, 'web', 'demo-app', 'templates')).sort();
    expect(files).toEqual(['configmap.yaml', 'deployment.yaml', 'ingress.yaml', 'migration-job.yaml', 'secret.yaml', 'service.yaml', 'smoke-test-job.yaml']);
    expect(readdirSync(join(out, 'admin', 'demo-app', 'templates'))).not.toContain('migration-job.yaml');
    const deployment = readFileSync(join(out, 'web', 'demo-app', 'templates', 'deployment.yaml'), 'utf8');
    expect(deployment).toMatch(/^---\n# Source: charts\/demo-app\/templates\/deployment\.yaml\napiVersion: apps\/v1\n/);
    expect(result.stdout).toContain(`wrote ${join(out, 'web', 'demo-app', 'templates', 'deployment.yaml')}`);
  });

  it('a template error: exit 1, nothing on stdout, file:line on stderr', async () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  tag: {{ required "Values.image.tag is required" Values.image.tag }}\n',
      'environments/test.yaml': oneRelease(),
    });
    const result = await kasane(['render', '--env', 'test'], root);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: charts\/app\/templates\/cm\.yaml:6: .*Values\.image\.tag is required/);
  });
});

describe('kasane lint', () => {
  it('passes on every shipped environment', async () => {
    const result = await kasane(['lint', '--all-envs'], projectRoot);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('environment demo: ok (1 release, 6 objects)\n');
    expect(result.stdout).toContain('environment staging: ok (2 releases, 12 objects)\n');
    expect(result.stdout).toMatch(/^environment production: ok/m);
  });

  it('reports every problem, not just the first, and exits 1', async () => {
    const root = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/templates/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ nosuchhelper 1 }}\n',
      'charts/app/templates/b.yaml': 'kind: ConfigMap\nmetadata:\n  name: b\n',
      'charts/app/templates/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    kasane.io/hook: sometimes\n',
      'environments/test.yaml': oneRelease(),
      'environments/broken.yaml': 'releases:\n  - name: web\n    chart: app\n    nmespace: x\n',
    });
    const result = await runCli(['lint', '--env', 'test'], { repoRoot: root });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: charts/app/templates/a.yaml:4: unknown helper "nosuchhelper"');
    expect(result.stderr).toContain('error: charts/app/templates/b.yaml:1: a ConfigMap without apiVersion');
    expect(result.stderr).toContain('error: charts/app/templates/c.yaml:1: v1 ConfigMap shop/c: annotation kasane.io/hook: unknown hook "sometimes"');
    expect(result.stderr).toContain('environment test: 3 problems');
    const all = await kasane(['lint', '--all-envs'], root);
    expect(all.code).toBe(1);
    expect(all.stderr).toContain('error: environments/broken.yaml:4: releases[0].nmespace: unknown key "nmespace"');
  });
});
