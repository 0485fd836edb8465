/**
 * The daemon's view of a Git remote: one branch or tag, kept as a shallow clone in a cache
 * directory, handed out as an immutable snapshot of one commit's tree. Credentials reach git
 * through its environment only (an http.extraHeader via GIT_CONFIG_*, GIT_SSH_COMMAND), never
 * through argv or the URL, and every text that leaves this module passes through `redact`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { KasaneError } from '../errors.js';
import { exportTree, type ExportedTree } from './export.js';

/** Where a secret comes from: a file (a mounted Secret) or an environment variable. */
export type SecretSource = { readonly file: string } | { readonly env: string };

export interface GitAuth {
  /** HTTPS: user name sent with the password or token (default `x-access-token`, which GitHub and GitLab accept with a token). */
  readonly username?: string;
  /** HTTPS: password or token. */
  readonly password?: SecretSource;
  /** SSH: private key file. */
  readonly sshKeyFile?: string;
  /** SSH: known_hosts file; host keys are checked strictly against it. */
  readonly knownHostsFile?: string;
}

export interface GitSourceOptions {
  readonly url: string;
  /** A branch or a tag name. */
  readonly ref: string;
  /** Subdirectory of the repository holding charts/ and environments/ (a monorepo). */
  readonly path?: string;
  /** Directory for the local clone; created when missing. */
  readonly cacheDir: string;
  readonly auth?: GitAuth;
  /** The process environment secrets named by env are read from. */
  readonly env: NodeJS.ProcessEnv;
  /** Stops a fetch in progress (daemon shutdown). */
  readonly signal?: AbortSignal;
}

/** One commit's tree, unpacked: render from `root`. */
export interface SourceSnapshot {
  readonly commit: string;
  /** The repository root for kasane: the tree's top, or its `--path` subdirectory. */
  readonly root: string;
  readonly fetchedAt: Date;
}

export class GitFetchError extends KasaneError {
  override readonly name: string = 'GitFetchError';
  constructor(
    readonly url: string,
    readonly ref: string,
    detail: string,
  ) {
    super(`cannot fetch ${ref} from ${url}: ${detail}`, {
      hint: 'check that the remote is reachable and the branch or tag exists; the last applied state stays in place until a fetch succeeds',
    });
  }
}

const REDACTED = '***';

/** The URL with any user and password removed: `https://***@host/repo.git`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i, (_m, scheme: string) => `${scheme}${REDACTED}@`);
}

/** Environment variables a git child process may see; everything else (pagers, editors, configs) stays out. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'GIT_SSL_CAINFO'];

export class GitSource {
  readonly url: string;
  readonly ref: string;
  readonly path: string;
  /** The URL as it may be shown: without credentials. */
  readonly displayUrl: string;
  private readonly cloneDir: string;
  private secrets: string[] = [];
  private current: (SourceSnapshot & { tree: ExportedTree }) | undefined;
  private inFlight: Promise<SourceSnapshot> | undefined;

  constructor(private readonly opts: GitSourceOptions) {
    this.url = opts.url;
    this.ref = opts.ref;
    this.path = checkPath(opts.path ?? '');
    this.displayUrl = redactUrl(opts.url);
    this.cloneDir = join(opts.cacheDir, 'clone');
    const userInfo = /^[a-z][a-z0-9+.-]*:\/\/([^/@]*)@/i.exec(opts.url)?.[1];
    if (userInfo?.includes(':')) this.secrets.push(userInfo, decodeURIComponent(userInfo.split(':').slice(1).join(':')));
  }

  /** The snapshot of the last successful fetch, if any. */
  get snapshot(): SourceSnapshot | undefined {
    return this.current;
  }

  /**
   * Brings the clone up to date with the remote ref and returns its snapshot. Concurrent callers
   * share one fetch. A clone that git cannot update (corrupt, or a history rewritten by a force
   * push that a shallow fetch cannot follow) is thrown away and cloned again.
   */
  fetch(): Promise<SourceSnapshot> {
    this.inFlight ??= this.update().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Text safe to log: credentials and the URL's user part removed. */
  redact(text: string): string {
    let out = text.split(this.url).join(this.displayUrl);
    for (const s of this.secrets) if (s.length >= 4) out = out.split(s).join(REDACTED);
    return out.replace(/(https?:\/\/)[^/@\s]*@/gi, `$1${REDACTED}@`);
  }

  /** Removes the unpacked snapshot (the clone stays for the next start). */
  async dispose(): Promise<void> {
    await this.current?.tree.dispose();
    this.current = undefined;
  }

  private async update(): Promise<SourceSnapshot> {
    const env = await this.gitEnv();
    let commit: string;
    try {
      commit = await this.fetchInto(env);
    } catch (first) {
      if (this.opts.signal?.aborted) throw this.fetchError(first);
      // Whatever state the clone is in, a fresh clone is the way back.
      await rm(this.cloneDir, { recursive: true, force: true });
      try {
        commit = await this.fetchInto(env);
      } catch (err) {
        throw this.fetchError(err);
      }
    }
    if (this.current?.commit === commit) return this.current;
    const tree = await exportTree(this.cloneDir, commit);
    const root = join(tree.root, this.path);
    if (!existsSync(root)) {
      await tree.dispose();
      throw new GitFetchError(this.displayUrl, this.ref, `commit ${commit.slice(0, 12)} has no directory ${this.path}`);
    }
    const previous = this.current;
    this.current = { commit, root, fetchedAt: new Date(), tree };
    // Rendering reads the tree synchronously right after a fetch, so nobody holds the old one now.
    await previous?.tree.dispose();
    return this.current;
  }

  /** Clones (shallow, one ref) or fetches the ref into the clone, checks it out; returns the commit. */
  private async fetchInto(env: Record<string, string>): Promise<string> {
    const git = (dir?: string): SimpleGit =>
      simpleGit({
        ...(dir === undefined ? {} : { baseDir: dir }),
        ...(this.opts.signal === undefined ? {} : { abort: this.opts.signal }),
        unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeSshCommand: true },
      }).env(env);
    if (!existsSync(join(this.cloneDir, '.git'))) {
      await rm(this.cloneDir, { recursive: true, force: true });
      await mkdir(this.opts.cacheDir, { recursive: true });
      await git().clone(this.url, this.cloneDir, ['--depth', '1', '--branch', this.ref, '--single-branch', '--no-tags']);
    } else {
      await git(this.cloneDir).raw(['fetch', '--depth', '1', '--force', '--no-tags', 'origin', `${this.ref}`]);
      await git(this.cloneDir).raw(['checkout', '--force', '--detach', 'FETCH_HEAD']);
    }
    const commit = (await git(this.cloneDir).revparse(['HEAD^{commit}'])).trim();
    // Catches a clone whose objects are damaged: the tree must be readable in full.
    await git(this.cloneDir).raw(['ls-tree', '-r', '--name-only', commit]);
    return commit;
  }

  private fetchError(err: unknown): GitFetchError {
    const detail = err instanceof Error ? err.message : String(err);
    // git's own words, minus progress chatter; the first lines name the cause (host key, auth, DNS).
    const lines = detail
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('Cloning into'));
    return new GitFetchError(this.displayUrl, this.ref, this.redact(lines.slice(0, 6).join('; ')));
  }

  private async gitEnv(): Promise<Record<string, string>> {
    const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
    for (const name of INHERITED_ENV) {
      const value = this.opts.env[name];
      if (value !== undefined) env[name] = value;
    }
    const auth = this.opts.auth ?? {};
    if (auth.password !== undefined) {
      const password = await readSecret(auth.password, this.opts.env);
      const basic = Buffer.from(`${auth.username ?? 'x-access-token'}:${password}`).toString('base64');
      this.secrets = [...new Set([...this.secrets, password, basic])];
      env['GIT_CONFIG_COUNT'] = '1';
      env['GIT_CONFIG_KEY_0'] = 'http.extraHeader';
      env['GIT_CONFIG_VALUE_0'] = `Authorization: Basic ${basic}`;
    }
    if (auth.sshKeyFile !== undefined || auth.knownHostsFile !== undefined) {
      const parts = ['ssh', '-o', 'BatchMode=yes'];
      if (auth.sshKeyFile !== undefined) parts.push('-i', auth.sshKeyFile, '-o', 'IdentitiesOnly=yes');
      if (auth.knownHostsFile !== undefined) parts.push('-o', `UserKnownHostsFile=${auth.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes');
      env['GIT_SSH_COMMAND'] = parts.map(shellQuote).join(' ');
    }
    return env;
  }
}

/** Reads a secret from its file or variable, without a trailing newline. */
export async function readSecret(source: SecretSource, env: NodeJS.ProcessEnv): Promise<string> {
  if ('file' in source) {
    try {
      return (await readFile(source.file, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new KasaneError(`cannot read the secret file ${source.file}: ${(err as Error).message}`, { hint: 'mount the Secret at that path, or name another file' });
    }
  }
  const value = env[source.env];
  if (value === undefined || value === '') {
    throw new KasaneError(`the environment variable ${source.env} is not set`, { hint: 'set it (e.g. from a Secret with env.valueFrom), or name another variable' });
  }
  return value;
}

function checkPath(path: string): string {
  const clean = normalize(path).replace(/^\.\/?$/, '').replace(/\/+$/, '');
  if (isAbsolute(clean) || clean === '..' || clean.startsWith('../')) {
    throw new KasaneError(`--path ${path} leaves the repository`, { hint: 'name a directory inside the repository, relative to its top' });
  }
  return clean;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
