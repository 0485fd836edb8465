import { existsSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import type { Chart } from '../chart/chart.js';
import { readRepoFile } from '../chart/files.js';
import { parseValuesText } from '../chart/load.js';
import { KasaneError, SourceError } from '../errors.js';
import type { Environment, ReleaseSpec } from '../environment/environment.js';
import { layerValues, type Values } from '../values/merge.js';
import { validateValues, ValuesSchemaError } from '../values/schema.js';
import { parseSetArgument } from '../values/set.js';

/** The merged values of a release break its chart's schema; says which release, keeps every failing path. */
export class ReleaseValuesError extends KasaneError {
  override readonly name = 'ReleaseValuesError';
  constructor(
    readonly environment: Environment,
    readonly release: ReleaseSpec,
    readonly schemaError: ValuesSchemaError,
  ) {
    super(`release ${release.name} of ${environment.file}: ${schemaError.message}`, {
      ...(schemaError.hint === undefined ? {} : { hint: schemaError.hint }),
      cause: schemaError,
    });
  }
}

/** Values given on the command line, applied over everything the repository says. */
export interface ValueOverrides {
  /** `--values FILE`, in order; `name` is how messages refer to the file. */
  readonly valuesFiles?: readonly { readonly name: string; readonly text: string }[];
  /** `--set` and `--set-string`, in command-line order. */
  readonly set?: readonly { readonly expression: string; readonly asString: boolean }[];
}

/**
 * The merged values of one release, lowest first: chart values.yaml → environment values →
 * release valuesFiles (in order) → release values → --values files → --set/--set-string.
 * Checked against the chart's values.schema.json when it has one.
 */
export function releaseValues(
  repoRoot: string,
  chart: Chart,
  env: Environment,
  release: ReleaseSpec,
  overrides: ValueOverrides,
): Record<string, unknown> {
  const layers: unknown[] = [chart.values, env.values];
  release.valuesFiles.forEach((file, i) => {
    layers.push(readRepoValuesFile(repoRoot, file, () => ({ file: env.file, line: release.lines.valuesFiles[i] ?? release.lines.release ?? 1 })));
  });
  layers.push(release.values);
  for (const file of overrides.valuesFiles ?? []) layers.push(parseValuesText(file.text, file.name));
  // All --set expressions build one layer, as Helm's do: `a[1]=x` then `a[0]=y` fill one list.
  let setLayer: Values = {};
  for (const set of overrides.set ?? []) setLayer = parseSetArgument(set.expression, { asString: set.asString }, setLayer);
  layers.push(setLayer);
  const values = layerValues(layers);
  if (chart.schema !== undefined) {
    try {
      validateValues(values, chart.schema, `${chart.path}/values.schema.json`);
    } catch (err) {
      if (err instanceof ValuesSchemaError) throw new ReleaseValuesError(env, release, err);
      throw err;
    }
  }
  return values;
}

/**
 * A repository-relative values file named by an environment; it must stay inside the repository.
 * `where` names the line that names the file, asked for only for a message.
 */
function readRepoValuesFile(repoRoot: string, file: string, where: () => { file: string; line: number }): Record<string, unknown> {
  const clean = normalize(file);
  if (isAbsolute(file) || clean.startsWith('..')) {
    throw new SourceError(where(), `values file "${file}" must be a path inside the repository, relative to its root`);
  }
  const path = join(repoRoot, clean);
  if (!existsSync(path)) throw new SourceError(where(), `values file "${file}" does not exist`);
  return parseValuesText(readRepoFile(repoRoot, clean), file.split('\\').join('/'));
}
