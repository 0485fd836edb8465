/**
 * An SSH remote on loopback: a real SSH server (the ssh2 library) that accepts one client key and
 * runs `git upload-pack` for the repositories under `root`, so git's own ssh client fetches from it.
 */
import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';

const { Server, utils } = ssh2;

export interface SshRemote {
  /** `ssh://git@127.0.0.1:PORT/repo.git` */
  readonly url: string;
  /** The client's private key file (mode 0600). */
  readonly keyFile: string;
  /** known_hosts naming this server's real host key. */
  readonly knownHostsFile: string;
  /** known_hosts naming another key for the same host (a man in the middle, as ssh sees it). */
  readonly wrongKnownHostsFile: string;
  close(): Promise<void>;
}

export async function serveSsh(root: string, dir: string): Promise<SshRemote> {
  const host = utils.generateKeyPairSync('ed25519');
  const client = utils.generateKeyPairSync('ed25519');
  const other = utils.generateKeyPairSync('ed25519');
  const allowed = utils.parseKey(client.public);
  if (allowed instanceof Error) throw allowed;
  const server = new Server({ hostKeys: [host.private] }, (conn) => {
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const offered = ctx.key.data;
      const expected = allowed.getPublicSSH();
      if (ctx.key.algo !== allowed.type || offered.length !== expected.length || !timingSafeEqual(offered, expected)) return ctx.reject(['publickey']);
      if (ctx.signature === undefined) return ctx.accept();
      return allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true ? ctx.accept() : ctx.reject(['publickey']);
    });
    conn.on('ready', () => {
      conn.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, reject, info) => {
          const m = /^git-upload-pack '\/?([\w.-]+)'$/.exec(info.command);
          if (m === null) return reject();
          const stream = accept();
          const git = spawn('git', ['upload-pack', join(root, m[1]!)], { stdio: ['pipe', 'pipe', 'pipe'] });
          stream.pipe(git.stdin);
          // The exit status must go out before the channel closes: end it ourselves.
          git.stdout.pipe(stream, { end: false });
          git.stderr.pipe(stream.stderr, { end: false });
          git.on('close', (code) => {
            stream.exit(code ?? 1);
            stream.end();
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const keyFile = join(dir, 'id_ed25519');
  writeFileSync(keyFile, client.private, { mode: 0o600 });
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${host.public}\n`);
  const wrongKnownHostsFile = join(dir, 'known_hosts_wrong');
  writeFileSync(wrongKnownHostsFile, `[127.0.0.1]:${port} ${other.public}\n`);
  return {
    url: `ssh://git@127.0.0.1:${port}/repo.git`,
    keyFile,
    knownHostsFile,
    wrongKnownHostsFile,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
