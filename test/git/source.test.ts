import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitFetchError, GitSource, redactUrl } from '../../src/git/index.js';
import { remoteFactory, git, serveHttp } from './support/remote.js';
import { serveSsh } from './support/ssh.js';
import { useCleanup } from '../support/cleanup.js';

const defer = useCleanup();

const remote = remoteFactory(defer);

function source(url: string, extra: Partial<ConstructorParameters<typeof GitSource>[0]> = {}): GitSource {
  const cacheDir = mkdtempSync(join(tmpdir(), 'kasane-source-'));
  const s = new GitSource({ url, ref: 'main', cacheDir, env: process.env, ...extra });
  defer(async () => {
    await s.dispose();
    rmSync(cacheDir, { recursive: true, force: true });
  });
  return s;
}

describe('GitSource', () => {
  it('follows a branch over file://, shallow, and hands out the tree of each new commit', async () => {
    const r = remote();
    const first = r.commit({ 'environments/a.yaml': 'one\n' });
    const s = source(r.fileUrl);
    const snap1 = await s.fetch();
    expect(snap1.commit).toBe(first);
    expect(readFileSync(join(snap1.root, 'environments/a.yaml'), 'utf8')).toBe('one\n');

    const second = r.commit({ 'environments/a.yaml': 'two\n' });
    const snap2 = await s.fetch();
    expect(snap2.commit).toBe(second);
    expect(readFileSync(join(snap2.root, 'environments/a.yaml'), 'utf8')).toBe('two\n');
    // The old snapshot is gone once a new one is handed out.
    expect(existsSync(snap1.root)).toBe(false);
  });

  it('serves a subdirectory with --path and a tag as the ref', async () => {
    const r = remote();
    const tagged = r.commit({ 'deploy/environments/a.yaml': 'tagged\n', 'other/x': 'x' });
    git(r.work, ['tag', 'v1.0.0']);
    git(r.work, ['push', '-q', 'origin', 'v1.0.0']);
    r.commit({ 'deploy/environments/a.yaml': 'later\n' });
    const s = source(r.fileUrl, { ref: 'v1.0.0', path: 'deploy' });
    const snap = await s.fetch();
    expect(snap.commit).toBe(tagged);
    expect(readFileSync(join(snap.root, 'environments/a.yaml'), 'utf8')).toBe('tagged\n');
    expect(existsSync(join(snap.root, 'other'))).toBe(false);
  });

  it('recovers from a force push and from a corrupt local clone', async () => {
    const r = remote();
    r.commit({ 'f.txt': 'a' });
    r.commit({ 'f.txt': 'b' });
    const s = source(r.fileUrl);
    await s.fetch();
    const rewritten = r.forcePush({ 'f.txt': 'rewritten' });
    const snap = await s.fetch();
    expect(snap.commit).toBe(rewritten);
    expect(readFileSync(join(snap.root, 'f.txt'), 'utf8')).toBe('rewritten');

    // Damage the clone: its HEAD and object store are garbage now.
    const cacheDir = (s as unknown as { cloneDir: string }).cloneDir;
    writeFileSync(join(cacheDir, '.git', 'HEAD'), 'garbage\n');
    rmSync(join(cacheDir, '.git', 'objects'), { recursive: true, force: true });
    const next = r.commit({ 'f.txt': 'after corruption' });
    const recovered = await s.fetch();
    expect(recovered.commit).toBe(next);
    expect(readFileSync(join(recovered.root, 'f.txt'), 'utf8')).toBe('after corruption');
  });

  it('fetches over smart HTTP with a token from a file, never putting the token in argv, URLs or errors', async () => {
    const r = remote();
    const head = r.commit({ 'f.txt': 'private' });
    const token = 'tok-SECRET-4711';
    const http = await serveHttp(r.dir, { password: token });
    defer(() => http.close());

    const anonymous = source(http.url);
    await expect(anonymous.fetch()).rejects.toBeInstanceOf(GitFetchError);

    const tokenFile = join(r.dir, 'token');
    writeFileSync(tokenFile, `${token}\n`);
    const s = source(http.url, { auth: { password: { file: tokenFile } } });
    expect((await s.fetch()).commit).toBe(head);
    expect(http.requests.some((q) => q.authorization?.startsWith('Basic '))).toBe(true);

    // A wrong token: the error names the remote but carries no secret.
    const wrongFile = join(r.dir, 'wrong');
    writeFileSync(wrongFile, 'wrong-token-0815');
    const wrong = source(`http://user:pw-in-url-9999@127.0.0.1:${new URL(http.url).port}/repo.git`, { auth: { password: { file: wrongFile } } });
    const err = (await wrong.fetch().catch((e: unknown) => e)) as GitFetchError;
    expect(err).toBeInstanceOf(GitFetchError);
    expect(err.message).toContain('127.0.0.1');
    expect(err.message).not.toContain('wrong-token-0815');
    expect(err.message).not.toContain('pw-in-url-9999');
    expect(wrong.displayUrl).not.toContain('pw-in-url-9999');
  });

  it('reads the token from an environment variable', async () => {
    const r = remote();
    const head = r.commit({ 'f.txt': 'x' });
    const http = await serveHttp(r.dir, { password: 'env-token-123' });
    defer(() => http.close());
    const s = source(http.url, { env: { ...process.env, GIT_TOKEN: 'env-token-123' }, auth: { password: { env: 'GIT_TOKEN' } } });
    expect((await s.fetch()).commit).toBe(head);
  });

  it('keeps the last snapshot when the remote is down and resumes when it is back', async () => {
    const r = remote();
    const first = r.commit({ 'f.txt': '1' });
    const http = await serveHttp(r.dir);
    defer(() => http.close());
    const s = source(http.url);
    await s.fetch();
    http.up = false;
    const second = r.commit({ 'f.txt': '2' });
    await expect(s.fetch()).rejects.toBeInstanceOf(GitFetchError);
    expect(s.snapshot?.commit).toBe(first);
    expect(readFileSync(join(s.snapshot!.root, 'f.txt'), 'utf8')).toBe('1');
    http.up = true;
    expect((await s.fetch()).commit).toBe(second);
  });

  it('fetches over SSH with a key file, checking the host key strictly against known_hosts', async () => {
    const r = remote();
    const head = r.commit({ 'f.txt': 'over ssh' });
    const keys = mkdtempSync(join(tmpdir(), 'kasane-ssh-keys-'));
    defer(() => rmSync(keys, { recursive: true, force: true }));
    const server = await serveSsh(r.dir, keys);
    defer(() => server.close());

    const s = source(server.url, { auth: { sshKeyFile: server.keyFile, knownHostsFile: server.knownHostsFile } });
    const snap = await s.fetch();
    expect(snap.commit).toBe(head);
    expect(readFileSync(join(snap.root, 'f.txt'), 'utf8')).toBe('over ssh');

    // A host key other than the one known: refused, not trusted on first use.
    const spoofed = source(server.url, { auth: { sshKeyFile: server.keyFile, knownHostsFile: server.wrongKnownHostsFile } });
    const err = (await spoofed.fetch().catch((e: unknown) => e)) as GitFetchError;
    expect(err).toBeInstanceOf(GitFetchError);
    expect(err.message).toMatch(/host key/i);
    // No key: the server refuses.
    const keyless = source(server.url, { auth: { knownHostsFile: server.knownHostsFile } });
    await expect(keyless.fetch()).rejects.toBeInstanceOf(GitFetchError);
  });

  it('redacts credentials in URLs', () => {
    expect(redactUrl('https://user:secret@git.example.com/x.git')).toBe('https://***@git.example.com/x.git');
    expect(redactUrl('https://git.example.com/x.git')).toBe('https://git.example.com/x.git');
    expect(redactUrl('ssh://git@host/x.git')).toBe('ssh://***@host/x.git');
  });
});
