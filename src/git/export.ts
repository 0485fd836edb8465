/**
 * A Git revision's tree as plain files in a temporary directory: what `kasane diff --from REF`
 * renders. `git archive` piped into `tar` leaves the repository untouched (no index, no worktree
 * entry, no checkout hooks), and works on bare repositories too.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { KasaneError } from '../errors.js';

export class GitError extends KasaneError {
  override readonly name: string = 'GitError';
  constructor(
    message: string,
    readonly repo: string,
    hint?: string,
    cause?: unknown,
  ) {
    super(message, { ...(hint === undefined ? {} : { hint }), cause });
  }
}

export interface ExportedTree {
  /** The commit the ref named. */
  readonly commit: string;
  /** The directory holding what `repoRoot` held at that commit. */
  readonly root: string;
  /** Removes the temporary directory. */
  dispose(): Promise<void>;
}

interface RepoLocation {
  /** The top of the work tree. */
  readonly top: string;
  /** Path of repoRoot inside the repository, with a trailing slash; empty at the top. */
  readonly prefix: string;
}

async function locate(repoRoot: string): Promise<RepoLocation> {
  const git = simpleGit(repoRoot);
  try {
    const [top, prefix] = (await git.revparse(['--show-toplevel', '--show-prefix'])).split('\n');
    return { top: (top ?? '').trim(), prefix: (prefix ?? '').trim() };
  } catch (err) {
    throw new GitError(`${repoRoot} is not inside a Git repository`, repoRoot, '--from and --to need the repository root (--repo-root) to be in a Git work tree', err);
  }
}

/** The commit a ref names (branch, tag, sha, `HEAD~2`), or a GitError naming the ref. */
export async function resolveCommit(repoRoot: string, ref: string): Promise<string> {
  await locate(repoRoot);
  try {
    return (await simpleGit(repoRoot).revparse(['--verify', '--end-of-options', `${ref}^{commit}`])).trim();
  } catch (err) {
    throw new GitError(`no commit named ${ref} in the repository at ${repoRoot}`, repoRoot, 'use a branch, tag or commit that exists (`git log --oneline` lists them)', err);
  }
}

function run(command: string, args: readonly string[], cwd: string): { done: Promise<void>; child: ReturnType<typeof spawn> } {
  const child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`))));
  });
  return { done, child };
}

/** Writes the tree of `ref` under repoRoot into a new temporary directory. */
export async function exportTree(repoRoot: string, ref: string): Promise<ExportedTree> {
  const { top, prefix } = await locate(repoRoot);
  const commit = await resolveCommit(repoRoot, ref);
  const dir = await mkdtemp(join(tmpdir(), 'kasane-tree-'));
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    // Run at the top: paths in the archive and the pathspec are then both relative to it.
    const archive = run('git', ['archive', '--format=tar', commit, ...(prefix ? ['--', prefix] : [])], top);
    const untar = run('tar', ['-x', '-f', '-', '-C', dir], dir);
    archive.child.stdout?.pipe(untar.child.stdin!);
    await Promise.all([archive.done, untar.done]);
  } catch (err) {
    await dispose();
    const why = err instanceof Error ? err.message : String(err);
    throw new GitError(`cannot export ${ref} (${commit.slice(0, 12)}) from ${repoRoot}: ${why}`, repoRoot, undefined, err);
  }
  return { commit, root: join(dir, prefix), dispose };
}
