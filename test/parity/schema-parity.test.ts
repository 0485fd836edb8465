/**
 * values.schema.json: the same schema in both twins accepts and refuses the same merged values in Helm and
 * in kasane (which checks the merged values before rendering, as Helm does).
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runHelm } from '../support/helm.js';
import { projectRoot, runCli } from '../support/cli.js';

const fixtures = join(projectRoot, 'test', 'parity', 'fixtures');

const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['image', 'services'],
  properties: {
    image: {
      type: 'object',
      required: ['tag'],
      properties: { tag: { type: 'string', minLength: 1 }, pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] } },
    },
    ingress: { type: 'object', properties: { enabled: { type: 'boolean' } } },
    services: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['image', 'port'],
        properties: { replicas: { type: 'integer', minimum: 0 }, port: { type: 'integer', maximum: 65535 } },
      },
    },
  },
};

describe('values.schema.json is enforced like Helm enforces it', () => {
  let repo: string;
  let helmChart: string;

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'kasane-schema-'));
    cpSync(join(fixtures, 'repo'), repo, { recursive: true });
    helmChart = join(mkdtempSync(join(tmpdir(), 'kasane-schema-helm-')), 'shop');
    cpSync(join(fixtures, 'helm', 'shop'), helmChart, { recursive: true });
    for (const chart of [join(repo, 'charts', 'shop'), helmChart]) {
      writeFileSync(join(chart, 'values.schema.json'), JSON.stringify(schema, null, 2));
    }
  });

  // `at`: the values path both must name (null: helm accepts the values).
  const cases: { what: string; args: string[]; at: string | null }[] = [
    { what: 'valid values', args: [], at: null },
    { what: 'a negative replica count', args: ['--set', 'services.web.replicas=-1'], at: 'services.web.replicas' },
    { what: 'a replica count given as a string', args: ['--set-string', 'services.web.replicas=3'], at: 'services.web.replicas' },
    { what: 'a port out of range', args: ['--set', 'services.api.port=70000'], at: 'services.api.port' },
    { what: 'a boolean given as the string "yes"', args: ['--set', 'ingress.enabled=yes'], at: 'ingress.enabled' },
    { what: 'a pull policy outside the enum', args: ['--set', 'image.pullPolicy=Sometimes'], at: 'image.pullPolicy' },
    { what: 'a required key deleted with null', args: ['--set', 'image.tag=null'], at: 'image' },
    { what: 'a service without its required port', args: ['--set', 'services.extra.image=x'], at: 'services.extra' },
  ];

  it.each(cases)('$what: kasane accepts exactly when helm does', async ({ args, at }) => {
    const helm = await runHelm(['template', 'shop', helmChart, '--namespace', 'shop-parity', ...args]);
    const kasane = await runCli(['render', '--env', 'parity', ...args], { repoRoot: repo });
    if (at === null) {
      expect(helm.code, helm.stderr).toBe(0);
      expect(kasane.code, kasane.stderr).toBe(0);
      return;
    }
    // The reference refuses (so this case is not vacuous) and says where.
    expect(helm.code).toBe(1);
    expect(helm.stderr).toContain(`'/${at.replaceAll('.', '/')}`);
    expect(kasane.code, `helm refused:\n${helm.stderr}\nkasane rendered`).toBe(1);
    expect(kasane.stdout).toBe('');
    expect(kasane.stderr).toContain('charts/shop/values.schema.json');
    expect(kasane.stderr).toContain(at);
  }, 120_000);
});
