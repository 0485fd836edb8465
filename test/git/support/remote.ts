/**
 * Real Git remotes for tests: a bare repository served over file:// and over smart HTTP on
 * loopback (`git http-backend` run as CGI from a node http server), plus a work tree to commit to.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Defer } from '../../support/cleanup.js';

const GIT_ENV = {
  PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  HOME: tmpdir(),
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export interface TestRemote {
  readonly dir: string;
  /** The bare repository. */
  readonly bare: string;
  readonly fileUrl: string;
  /** A clone to commit in; `commit` pushes to the bare repository. */
  readonly work: string;
  /** Writes files (path → content; null deletes), commits and pushes to `branch`; returns the commit. */
  commit(files: Record<string, string | null>, message?: string, branch?: string): string;
  /** Replaces the branch's history with a single new commit (force push). */
  forcePush(files: Record<string, string>, branch?: string): string;
  remove(): void;
}

/** `createRemote`, with the remote removed by `defer` after the test (see test/support/cleanup.ts). */
export function remoteFactory(defer: Defer): () => TestRemote {
  return () => {
    const r = createRemote();
    defer(() => r.remove());
    return r;
  };
}

export function createRemote(): TestRemote {
  const dir = mkdtempSync(join(tmpdir(), 'kasane-remote-'));
  const bare = join(dir, 'repo.git');
  const work = join(dir, 'work');
  git(dir, ['init', '--bare', '--initial-branch=main', bare]);
  git(dir, ['init', '--initial-branch=main', work]);
  git(work, ['remote', 'add', 'origin', bare]);
  const write = (files: Record<string, string | null>): void => {
    for (const [path, content] of Object.entries(files)) {
      const full = join(work, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
  };
  return {
    dir,
    bare,
    fileUrl: `file://${bare}`,
    work,
    commit(files, message = 'change', branch = 'main') {
      write(files);
      git(work, ['add', '-A']);
      git(work, ['commit', '--allow-empty', '-q', '-m', message]);
      git(work, ['push', '-q', 'origin', `HEAD:refs/heads/${branch}`]);
      return git(work, ['rev-parse', 'HEAD']);
    },
    forcePush(files, branch = 'main') {
      git(work, ['checkout', '-q', '--orphan', `rewrite-${Date.now()}`]);
      git(work, ['rm', '-rq', '--cached', '.']);
      write(files);
      git(work, ['add', '-A']);
      git(work, ['commit', '-q', '-m', 'rewritten history']);
      git(work, ['push', '-q', '--force', 'origin', `HEAD:refs/heads/${branch}`]);
      return git(work, ['rev-parse', 'HEAD']);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpRemote {
  /** `http://127.0.0.1:PORT/repo.git` */
  readonly url: string;
  /** Requests seen, with the Authorization header each carried. */
  readonly requests: { path: string; authorization: string | undefined }[];
  /** While false, every request is answered 503 (the remote is "down"). */
  up: boolean;
  close(): Promise<void>;
}

/**
 * Serves the bare repositories under `root` over Git's smart HTTP protocol. With `password`, a
 * request without `Authorization: Basic base64(user:password)` gets 401, as a private remote does.
 */
export async function serveHttp(root: string, options: { password?: string; port?: number } = {}): Promise<HttpRemote> {
  const requests: HttpRemote['requests'] = [];
  const state = { up: true };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ path: url.pathname, authorization: req.headers.authorization });
    if (!state.up) {
      res.writeHead(503).end('down');
      return;
    }
    if (options.password !== undefined) {
      const given = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const password = given === undefined ? undefined : Buffer.from(given, 'base64').toString().split(':').slice(1).join(':');
      if (password !== options.password) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
        return;
      }
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        CONTENT_LENGTH: req.headers['content-length'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    req.pipe(cgi.stdin);
    let head: Buffer | undefined = Buffer.alloc(0);
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (head === undefined) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
      head = undefined;
    });
    cgi.on('close', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/repo.git`,
    requests,
    get up() {
      return state.up;
    },
    set up(v: boolean) {
      state.up = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
