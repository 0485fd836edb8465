/**
 * The pull-request preview as the example pipelines run it: a shallow clone of a real repository, a
 * feature branch of several commits, and `kasane diff --env ENV --from origin/main -o markdown` per
 * environment, no cluster. Checked for what a reviewer reads: the changed objects, masked Secrets,
 * and the note when the comment had to be cut.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

let top: string;
let clone: string;

const SECRETS = { password: 'hunter2-initial', token: 'tok-initial', rotatedPassword: 'correct-horse-battery', rotatedToken: 'tok-rotated-42' };

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: top,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'dev',
      GIT_AUTHOR_EMAIL: 'dev@example.com',
      GIT_COMMITTER_NAME: 'dev',
      GIT_COMMITTER_EMAIL: 'dev@example.com',
    },
  }).trim();
}

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

function environment(values: Record<string, unknown>): string {
  return `releases:\n  - name: app\n    chart: app\n    namespace: shop\n    values: ${JSON.stringify(values)}\n`;
}

const CHART = {
  'charts/app/Chart.yaml': 'name: app\nversion: 1.0.0\n',
  'charts/app/values.yaml': 'replicas: 1\nconfigs: {}\npassword: ""\ntoken: ""\n',
  'charts/app/templates/secret.yaml':
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {{ quote Values.password }}\ndata:\n  token: {{ b64enc Values.token }}\n',
  'charts/app/templates/deployment.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    'spec:',
    '  replicas: {{ Values.replicas }}',
    '  selector:',
    '    matchLabels: {app: web}',
    '  template:',
    '    metadata:',
    '      labels: {app: web}',
    '    spec:',
    '      containers:',
    '        - name: web',
    '          image: nginx:1.27',
    '',
  ].join('\n'),
  'charts/app/templates/configs.yaml':
    '{{#each Values.configs}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ @key }}\ndata:\n  value: {{ quote this }}\n{{/each}}\n',
};

function manyConfigs(prefix: string): Record<string, string> {
  return Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`cfg-${String(i).padStart(3, '0')}`, `${prefix}-${'x'.repeat(300)}-${i}`]));
}

beforeAll(() => {
  top = mkdtempSync(join(tmpdir(), 'kasane-preview-'));
  const origin = join(top, 'origin');
  mkdirSync(origin);
  git(origin, 'init', '-q', '-b', 'main');
  write(origin, {
    ...CHART,
    'environments/dev.yaml': environment({ password: SECRETS.password, token: SECRETS.token, configs: { old: 'legacy', keep: 'same' } }),
    'environments/prod.yaml': environment({ replicas: 2, password: SECRETS.password, token: SECRETS.token, configs: { keep: 'same' } }),
    'environments/big.yaml': environment({ configs: manyConfigs('before') }),
  });
  git(origin, 'add', '-A');
  git(origin, 'commit', '-q', '-m', 'baseline');

  // What a CI runner has: a shallow clone of the pull request's branch, with origin/main fetched.
  clone = join(top, 'clone');
  git(top, 'clone', '-q', '--depth', '1', `file://${origin}`, clone);
  git(clone, 'checkout', '-q', '-b', 'feature');
  write(clone, { 'environments/dev.yaml': environment({ password: SECRETS.rotatedPassword, token: SECRETS.rotatedToken, configs: { old: 'legacy', keep: 'same' } }) });
  git(clone, 'commit', '-q', '-am', 'rotate the dev credentials');
  write(clone, {
    'environments/dev.yaml': environment({ replicas: 3, password: SECRETS.rotatedPassword, token: SECRETS.rotatedToken, configs: { keep: 'same', extra: 'new' } }),
  });
  git(clone, 'commit', '-q', '-am', 'scale dev, replace the old config');
  write(clone, { 'environments/big.yaml': environment({ configs: manyConfigs('after') }) });
  git(clone, 'commit', '-q', '-am', 'rewrite every config of big');
  // As the example pipelines fetch the base branch.
  git(clone, 'fetch', '-q', '--no-tags', '--depth=1', 'origin', '+refs/heads/main:refs/remotes/origin/main');
});

afterAll(() => rmSync(top, { recursive: true, force: true }));

async function preview(env: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (to: string[]): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        to.push(chunk.toString());
        callback();
      },
    });
  const argv = ['node', 'kasane', '--repo-root', clone, 'diff', '--env', env, '--from', 'origin/main', '-o', 'markdown'];
  const code = await main(argv, { stdout: sink(out), stderr: sink(err), env: {} });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('the pull-request preview (kasane diff --from origin/main -o markdown)', () => {
  it('lists the changed objects of the branch, each with a collapsible diff, and leaves out the unchanged', async () => {
    const r = await preview('dev');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const md = r.stdout;
    expect(md).toMatch(/^### kasane diff: environment `dev`\n/);
    expect(md).toContain('from `origin/main (');
    expect(md).toContain('**1 to create, 2 to update, 1 to prune, 1 unchanged**');
    expect(md).toContain('| Action | Object | Release |');
    for (const row of [
      '| create | `v1 ConfigMap shop/extra` | app |',
      '| update | `v1 Secret shop/db` | app |',
      '| update | `apps/v1 Deployment shop/web` | app |',
      '| prune | `v1 ConfigMap shop/old` | app |',
    ]) {
      expect(md).toContain(row);
    }
    expect(md).not.toContain('shop/keep');
    expect(md.match(/<details>/g)).toHaveLength(4);
    const deployment = md.slice(md.indexOf('<summary>update <code>apps/v1 Deployment shop/web</code>'));
    expect(deployment.slice(0, deployment.indexOf('</details>'))).toMatch(/-\s+replicas: 1\n\+\s+replicas: 3/);
  });

  it('masks Secret values: none of them, plain or base64, appears; the masks show that they changed', async () => {
    const { stdout: md } = await preview('dev');
    for (const value of Object.values(SECRETS)) {
      expect(md).not.toContain(value);
      expect(md).not.toContain(Buffer.from(value).toString('base64'));
    }
    const secret = md.slice(md.indexOf('<summary>update <code>v1 Secret shop/db</code>'));
    const section = secret.slice(0, secret.indexOf('</details>'));
    expect(section).toContain("-  password: '*** value 1 ***'\n+  password: '*** value 2 ***'");
    expect(section).toContain("-  token: '*** value 1 ***'\n+  token: '*** value 2 ***'");
  });

  it('one comment per environment: an environment the branch did not touch says so', async () => {
    const r = await preview('prod');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^### kasane diff: environment `prod`\n/);
    expect(r.stdout).toContain('No changes.');
  });

  it('cuts a change too large for one comment below GitHub\'s 65,536 characters, and says so', async () => {
    const r = await preview('big');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeLessThan(65_536);
    expect(r.stdout).toContain('**0 to create, 300 to update, 0 to prune, 2 unchanged**');
    expect(r.stdout).toMatch(/_The diffs of \d+ changed objects are not shown: this comment would exceed 60000 characters\. Run `kasane diff --env big --from origin\/main` to see every change\._/);
    // Every changed object is still listed in the table.
    expect(r.stdout.match(/^\| update \| `v1 ConfigMap shop\/cfg-\d{3}` \| app \|$/gm)).toHaveLength(300);
  });
});
