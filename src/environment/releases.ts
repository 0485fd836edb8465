import { KasaneError } from '../errors.js';

/** What the release lookup needs of an environment: loaded or rendered, both have these. */
interface WithReleases<R extends { readonly name: string }> {
  readonly name: string;
  readonly file: string;
  readonly releases: readonly R[];
}

/** `--release NAME` named no release of the environment. */
export class ReleaseNotFoundError extends KasaneError {
  override readonly name: string = 'ReleaseNotFoundError';
  constructor(
    readonly release: string,
    readonly environment: string,
    readonly file: string,
    readonly known: readonly string[],
  ) {
    super(`release "${release}" is not part of environment ${environment} (${file})`, {
      hint: known.length > 0 ? `releases of ${environment}: ${known.join(', ')}` : `${file} declares no releases`,
    });
  }
}

/** The releases that `names` lacks in `env`, as errors (empty when every name is a release). */
export function missingReleases<R extends { readonly name: string }>(env: WithReleases<R>, names: readonly string[]): ReleaseNotFoundError[] {
  const known = env.releases.map((r) => r.name);
  return names.filter((n) => !known.includes(n)).map((n) => new ReleaseNotFoundError(n, env.name, env.file, known));
}

/** The releases named (all when none are), in the environment's order; an unknown name is an error. */
export function selectReleases<R extends { readonly name: string }>(env: WithReleases<R>, names: readonly string[] = []): R[] {
  const [missing] = missingReleases(env, names);
  if (missing) throw missing;
  return names.length === 0 ? [...env.releases] : env.releases.filter((r) => names.includes(r.name));
}

/** The one release called `name`; an unknown name is an error. */
export function findRelease<R extends { readonly name: string }>(env: WithReleases<R>, name: string): R {
  const release = env.releases.find((r) => r.name === name);
  if (release === undefined) throw new ReleaseNotFoundError(name, env.name, env.file, env.releases.map((r) => r.name));
  return release;
}
