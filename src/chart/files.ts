import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { KasaneError } from '../errors.js';

/** The `file` helper was asked for something outside the chart, or something that is not there. */
export class ChartFileError extends KasaneError {
  override readonly name = 'ChartFileError';
  constructor(
    readonly requested: string,
    readonly reason: string,
  ) {
    super(`file "${requested}": ${reason}`, { hint: 'the file helper reads chart-relative paths inside the chart, e.g. files/app.conf' });
  }
}

/**
 * A repository file (environment, chart, template, values file) whose real path, after symlinks,
 * lies outside the repository. Git stores symlinks, so a commit could otherwise point kasane at the
 * machine's own files (a kubeconfig, a token) and print them.
 */
export class OutsideRepositoryError extends KasaneError {
  override readonly name = 'OutsideRepositoryError';
  constructor(readonly file: string) {
    super(`${file} resolves outside the repository (a symlink?); kasane reads only files inside the repository`);
  }
}

/** Whether the real path of `path` lies inside the real path of `root` (and is not `root` itself). */
function realPathInside(root: string, path: string): { inside: boolean; real: string } {
  const realRoot = realpathSync(root);
  const real = realpathSync(path);
  const rel = relative(realRoot, real);
  return { inside: rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel), real };
}

/** Text of a repository-relative file, refusing anything whose real path leaves the repository. */
export function readRepoFile(repoRoot: string, file: string): string {
  const { inside, real } = realPathInside(repoRoot, join(repoRoot, file));
  if (!inside) throw new OutsideRepositoryError(file);
  return readFileSync(real, 'utf8');
}

/**
 * Text of a chart-relative file. Refuses absolute paths, `..` segments and anything whose real
 * path (after symlinks) lies outside the chart: templates see the chart and nothing else.
 */
export function readChartFile(chartRoot: string, requested: string): string {
  if (requested === '' || isAbsolute(requested) || /^[A-Za-z]:/.test(requested) || requested.startsWith('\\')) {
    throw new ChartFileError(requested, 'must be a path relative to the chart');
  }
  if (requested.split(/[\\/]/).includes('..')) throw new ChartFileError(requested, 'must not contain ".."');
  let resolved: { inside: boolean; real: string };
  try {
    resolved = realPathInside(chartRoot, join(chartRoot, requested));
  } catch {
    throw new ChartFileError(requested, 'no such file in the chart');
  }
  if (!resolved.inside) throw new ChartFileError(requested, 'resolves outside the chart');
  try {
    return readFileSync(resolved.real, 'utf8');
  } catch {
    throw new ChartFileError(requested, 'is not a readable file');
  }
}
