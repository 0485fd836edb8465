/**
 * `kasane diff --from REF [--to REF]`: renderings at two Git revisions of a real temporary repository,
 * compared without a cluster.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitError, exportTree } from '../../src/git/index.js';
import { kasane } from './cli.js';
import { makeRepo, type Repo } from './fixture.js';

let top: string;
let repo: Repo;
let deploy: string;
const commits: Record<string, string> = {};

function git(...args: string[]): string {
  return execFileSync('git', args, {
    cwd: top,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', HOME: top, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
  }).trim();
}

function commit(name: string, message: string): void {
  git('add', '-A');
  git('commit', '-q', '-m', message);
  commits[name] = git('rev-parse', 'HEAD');
}

beforeAll(() => {
  // The kasane repository lives in deploy/ of a larger Git repository, as it often does.
  top = mkdtempSync(join(tmpdir(), 'kasane-git-'));
  deploy = join(top, 'deploy');
  repo = makeRepo({ root: deploy });
  git('init', '-q', '-b', 'main');
  repo.setEnvironment({});
  commit('base', 'baseline');
  repo.setEnvironment({ replicas: 3 });
  commit('scaled', 'three replicas');
  repo.setEnvironment({ replicas: 3, extra: true, password: 'rotated-in-git' });
  commit('extra', 'extra config map, rotated password');
  git('tag', 'v3');
  // Uncommitted: the work tree differs from HEAD.
  repo.setEnvironment({ replicas: 3, extra: true, password: 'rotated-in-git', greeting: 'hi there' });
});

afterAll(() => rmSync(top, { recursive: true, force: true }));

function changed(json: string): string[] {
  const report = JSON.parse(json) as { objects: { action: string; kind: string; namespace: string | null; name: string }[] };
  return report.objects.filter((o) => o.action !== 'unchanged').map((o) => `${o.action} ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`);
}

describe('kasane diff --from', () => {
  it('compares two commits', async () => {
    const r = await kasane(['--repo-root', deploy, 'diff', '--env', 'dev', '--from', commits['base'] ?? '', '--to', commits['scaled'] ?? '', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(changed(r.stdout)).toEqual(['update Deployment shop/web']);
    const parsed = JSON.parse(r.stdout) as { source: { type: string; from: string; to: string } };
    expect(parsed.source.type).toBe('git');
    expect(parsed.source.from).toContain(commits['base']?.slice(0, 12));
  });

  it('names added objects as create and removed ones as prune, with branch, tag and relative refs', async () => {
    const forward = await kasane(['--repo-root', deploy, 'diff', '--env', 'dev', '--from', 'HEAD~2', '--to', 'v3', '-o', 'json']);
    expect(changed(forward.stdout).sort()).toEqual(['create ConfigMap shop/extra', 'update Deployment shop/web', 'update Secret shop/db']);
    const back = await kasane(['--repo-root', deploy, 'diff', '--env', 'dev', '--from', 'main', '--to', commits['base'] ?? '', '-o', 'json']);
    expect(changed(back.stdout).sort()).toEqual(['prune ConfigMap shop/extra', 'update Deployment shop/web', 'update Secret shop/db']);
    expect(back.stdout).not.toContain(Buffer.from('rotated-in-git').toString('base64'));
  });

  it('defaults --to to the work tree, uncommitted edits included', async () => {
    const r = await kasane(['--repo-root', deploy, 'diff', '--env', 'dev', '--from', 'v3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('v1 ConfigMap shop/greeting: update (release web)');
    expect(r.stdout).toContain('+  greeting: hi there');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('0 to create, 1 to update, 0 to prune, 5 unchanged');
  });

  it('--detailed-exitcode: 2 with changes, 0 without', async () => {
    const changes = await kasane(['--repo-root', deploy, 'diff', '--env', 'dev', '--from', 'HEAD~1', '--to', 'HEAD', '--detailed-exitcode']);
    expect(changes.code).toBe(2);
    const none = await kasane(['--repo-root', deploy, 'diff', '--env', 'dev', '--from', 'v3', '--to', 'main', '--detailed-exitcode']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('0 to create, 0 to update, 0 to prune, 6 unchanged\n');
  });

  it('-o markdown gives a pull-request comment', async () => {
    const r = await kasane(['--repo-root', deploy, 'diff', '--env', 'dev', '--from', 'main~2', '-o', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| create | `v1 ConfigMap shop/extra` | web |');
    expect(r.stdout).toContain('<details><summary>update <code>apps/v1 Deployment shop/web</code></summary>');
    expect(r.stdout).toContain('```diff');
  });

  it('an environment added since --from shows every object as create; one missing on both sides is an error', async () => {
    execFileSync('cp', [join(deploy, 'environments', 'dev.yaml'), join(deploy, 'environments', 'fresh.yaml')]);
    try {
      const added = await kasane(['--repo-root', deploy, 'diff', '--env', 'fresh', '--from', 'HEAD', '-o', 'json']);
      expect(added.stderr).toBe('');
      expect(JSON.parse(added.stdout)).toMatchObject({ environment: 'fresh', summary: { create: 6, update: 0, prune: 0, unchanged: 0 } });
    } finally {
      rmSync(join(deploy, 'environments', 'fresh.yaml'));
    }
    const neither = await kasane(['--repo-root', deploy, 'diff', '--env', 'fresh', '--from', 'HEAD']);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('environment fresh exists neither at HEAD nor at the work tree');
  });

  it('an unknown ref is an error naming it, with nothing on stdout', async () => {
    const r = await kasane(['--repo-root', deploy, 'diff', '--env', 'dev', '--from', 'no-such-branch']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no commit named no-such-branch');
    await expect(exportTree(deploy, 'no-such-branch')).rejects.toBeInstanceOf(GitError);
  });

  it('leaves the repository as it was: same status, no extra worktree, temp trees removed', async () => {
    const status = git('status', '--porcelain');
    const worktrees = git('worktree', 'list');
    const tree = await exportTree(deploy, 'v3');
    expect(execFileSync('ls', [join(tree.root, 'charts', 'web', 'templates')], { encoding: 'utf8' })).toContain('deployment.yaml');
    await tree.dispose();
    expect(() => execFileSync('ls', [tree.root], { stdio: 'pipe' })).toThrow();
    await kasane(['--repo-root', deploy, 'diff', '--env', 'dev', '--from', 'v3']);
    expect(git('status', '--porcelain')).toBe(status);
    expect(git('worktree', 'list')).toBe(worktrees);
  });
});
