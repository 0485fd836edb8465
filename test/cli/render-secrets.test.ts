/**
 * `kasane render` masks Secret values unless --show-secrets, in every output form: the YAML stream,
 * -o json and --output-dir files. Keys stay visible, equal values of a key share a mask, other
 * kinds are untouched, and stderr says what was masked and how to see it.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlStream } from '../../src/yaml/read.js';
import { chartYaml, writeRepo } from '../render/repo.js';
import { kasane } from './in-process.js';

const PASSWORD = 'pw-4f1c2e9a-plain';
const TOKEN = 'tok-77d0b3e5-plain';

const root = writeRepo({
  'charts/app/Chart.yaml': chartYaml(),
  'charts/app/values.yaml': `password: ${PASSWORD}\ntoken: ${TOKEN}\n`,
  'charts/app/templates/secrets.yaml': [
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: {{ b64enc Values.password }}\n  again: {{ b64enc Values.password }}\n',
    '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: api\nstringData:\n  token: {{ Values.token }}\n  password: {{ Values.password }}\n',
    '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  password: not-a-secret\n',
  ].join(''),
  'environments/test.yaml': 'releases:\n  - name: web\n    chart: app\n    namespace: shop\n',
});
const NOTE = 'kasane: 4 Secret values masked; pass --show-secrets to print them (e.g. to pipe into kubectl apply)\n';

type Obj = { kind: string; metadata: { name: string }; data?: Record<string, string>; stringData?: Record<string, string> };
const byName = (objects: Obj[], name: string): Obj => {
  const found = objects.find((o) => o.metadata.name === name);
  if (found === undefined) throw new Error(`no object ${name}`);
  return found;
};
const clear = [PASSWORD, TOKEN, Buffer.from(PASSWORD).toString('base64'), Buffer.from(TOKEN).toString('base64')];

describe('kasane render and Secret values', () => {
  it('masks data and stringData values by default, keeps keys, and says so on stderr', async () => {
    const result = await kasane(['render', '--env', 'test'], root);
    expect(result.code).toBe(0);
    for (const value of clear) expect(result.stdout + result.stderr).not.toContain(value);
    expect(result.stderr).toBe(NOTE);
    const objects = parseYamlStream(result.stdout, 'stdout').map((d) => d.value as Obj);
    // Equal values of one key share a mask; the numbering is per key, so "again" starts at 1 too.
    expect(byName(objects, 'db').data).toEqual({ password: '*** value 1 ***', again: '*** value 1 ***' });
    expect(byName(objects, 'api').stringData).toEqual({ token: '*** value 1 ***', password: '*** value 1 ***' });
    expect(byName(objects, 'plain').data).toEqual({ password: 'not-a-secret' });
  });

  it('-o json is valid JSON with the same masks', async () => {
    const result = await kasane(['render', '--env', 'test', '-o', 'json'], root);
    expect(result.code).toBe(0);
    for (const value of clear) expect(result.stdout).not.toContain(value);
    const objects = JSON.parse(result.stdout) as Obj[];
    expect(byName(objects, 'db').data?.['password']).toBe('*** value 1 ***');
    expect(result.stderr).toBe(NOTE);
  });

  it('--output-dir files are masked too', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kasane-out-'));
    const result = await kasane(['render', '--env', 'test', '--output-dir', out], root);
    expect(result.code).toBe(0);
    const dir = join(out, 'web', 'app', 'templates');
    const text = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(text).toContain('*** value 1 ***');
    for (const value of clear) expect(text).not.toContain(value);
  });

  it('--show-secrets prints the real values and no note', async () => {
    const result = await kasane(['render', '--env', 'test', '--show-secrets', '-o', 'json'], root);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const objects = JSON.parse(result.stdout) as Obj[];
    expect(byName(objects, 'db').data?.['password']).toBe(Buffer.from(PASSWORD).toString('base64'));
    expect(byName(objects, 'api').stringData).toEqual({ token: TOKEN, password: PASSWORD });
  });

  it('a render without Secrets prints no note', async () => {
    const plain = writeRepo({
      'charts/app/Chart.yaml': chartYaml(),
      'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n',
      'environments/test.yaml': 'releases:\n  - name: web\n    chart: app\n    namespace: shop\n',
    });
    const result = await kasane(['render', '--env', 'test'], plain);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('--help names the flag', async () => {
    const result = await kasane(['render', '--help'], root);
    expect(result.stdout).toContain('--show-secrets');
  });
});
