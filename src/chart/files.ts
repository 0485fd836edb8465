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
 * Text of a chart-relative file. Refuses absolute paths, `..` segments and anything whose real
 * path (after symlinks) lies outside the chart: templates see the chart and nothing else.
 */
export function readChartFile(chartRoot: string, requested: string): string {
  if (requested === '' || isAbsolute(requested) || /^[A-Za-z]:/.test(requested) || requested.startsWith('\\')) {
    throw new ChartFileError(requested, 'must be a path relative to the chart');
  }
  if (requested.split(/[\\/]/).includes('..')) throw new ChartFileError(requested, 'must not contain ".."');
  let realRoot: string;
  let realFile: string;
  try {
    realRoot = realpathSync(chartRoot);
    realFile = realpathSync(join(chartRoot, requested));
  } catch {
    throw new ChartFileError(requested, 'no such file in the chart');
  }
  const inside = relative(realRoot, realFile);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
    throw new ChartFileError(requested, 'resolves outside the chart');
  }
  try {
    return readFileSync(realFile, 'utf8');
  } catch {
    throw new ChartFileError(requested, 'is not a readable file');
  }
}
