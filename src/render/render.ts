import { loadChart } from '../chart/load.js';
import type { Chart } from '../chart/chart.js';
import { AggregateKasaneError, KasaneError, SourceError } from '../errors.js';
import type { Environment, ReleaseSpec } from '../environment/environment.js';
import { loadEnvironment } from '../environment/load.js';
import { missingReleases, selectReleases } from '../environment/releases.js';
import type { RenderedEnvironment, RenderedObject, RenderedRelease } from '../model/rendered.js';
import { ChartRenderer, type TemplateContext } from './engine.js';
import { compareForApply, crdScopes, findDuplicates, finishObject, objectsOf, type SourcedObject } from './objects.js';
import { releaseValues, type ValueOverrides } from './values.js';

export interface RenderRequest {
  /** Directory holding charts/ and environments/. */
  readonly repoRoot: string;
  readonly environment: string;
  /** Only these releases (by name); all when absent or empty. */
  readonly releases?: readonly string[];
  readonly overrides?: ValueOverrides;
  /**
   * Give every object the template line it came from (lint reports findings at it). Without this,
   * objects carry no line, which spares the line markers' cost; messages about problems still name
   * lines (see tryRenderEnvironment).
   */
  readonly lines?: boolean;
}

/** The environment rendered, or every problem found on the way (nothing stops at the first problem it can get past). */
export type RenderOutcome =
  | { readonly ok: true; readonly environment: RenderedEnvironment }
  | { readonly ok: false; readonly problems: readonly KasaneError[] };

/**
 * Renders every release of an environment: a pure function of the repository tree, the environment
 * and the overrides. Throws the problems it found (one, or an AggregateKasaneError).
 */
export function renderEnvironment(request: RenderRequest): RenderedEnvironment {
  const outcome = tryRenderEnvironment(request);
  if (outcome.ok) return outcome.environment;
  throw toSingleError(`environment ${request.environment} does not render`, outcome.problems);
}

export function toSingleError(summary: string, problems: readonly KasaneError[]): KasaneError {
  if (problems.length === 1 && problems[0] !== undefined) return problems[0];
  return new AggregateKasaneError(`${summary}: ${problems.length} problems`, problems);
}

/** Like renderEnvironment, but returns what went wrong instead of throwing (lint reports all of it). */
export function tryRenderEnvironment(request: RenderRequest): RenderOutcome {
  if (request.lines === true) return renderPass(request, true);
  // Rendering is a pure function of its inputs, so when something is wrong a second render, this
  // time tracing template lines, finds the same problems and can say where they are.
  const outcome = renderPass(request, false);
  return outcome.ok ? outcome : renderPass(request, true);
}

function renderPass(request: RenderRequest, lines: boolean): RenderOutcome {
  const problems: KasaneError[] = [];
  let env: Environment;
  try {
    env = loadEnvironment(request.repoRoot, request.environment);
  } catch (err) {
    return { ok: false, problems: flatten(err) };
  }
  const wanted = request.releases ?? [];
  problems.push(...missingReleases(env, wanted));
  if (problems.length > 0) return { ok: false, problems };
  const selected = selectReleases(env, wanted);

  const charts = new Map<string, { chart: Chart; renderer: ChartRenderer } | null>();
  const sourcedByRelease = new Map<ReleaseSpec, SourcedObject[]>();
  for (const release of selected) {
    const loaded = chartFor(request.repoRoot, env, release, charts, problems);
    if (loaded === undefined) continue;
    sourcedByRelease.set(release, renderRelease(request, env, release, loaded.chart, loaded.renderer, lines, problems));
  }

  const scopes = crdScopes([...sourcedByRelease.values()].flat());
  const releases: RenderedRelease[] = [];
  for (const [release, sourced] of sourcedByRelease) {
    const identity = { environment: env.name, release: release.name, namespace: release.namespace };
    const objects = sourced
      .map((s) => finishObject(s, identity, scopes, problems))
      .filter((o): o is RenderedObject => o !== undefined)
      .sort(compareForApply);
    releases.push({ name: release.name, chart: release.chart, namespace: release.namespace, createNamespace: release.createNamespace, objects });
  }
  findDuplicates(releases.flatMap((r) => r.objects), problems);
  if (problems.length > 0) return { ok: false, problems: inFileOrder(dedupe(problems)) };
  return { ok: true, environment: { name: env.name, file: env.file, cluster: env.cluster, sync: env.sync, releases } };
}

function chartFor(
  repoRoot: string,
  env: Environment,
  release: ReleaseSpec,
  cache: Map<string, { chart: Chart; renderer: ChartRenderer } | null>,
  problems: KasaneError[],
): { chart: Chart; renderer: ChartRenderer } | undefined {
  if (!cache.has(release.chart)) {
    try {
      const chart = loadChart(repoRoot, release.chart);
      const renderer = new ChartRenderer(chart);
      problems.push(...renderer.checkPartials());
      cache.set(release.chart, { chart, renderer });
    } catch (err) {
      cache.set(release.chart, null);
      for (const problem of flatten(err)) {
        problems.push(
          problem instanceof SourceError
            ? problem
            : new SourceError(
                { file: env.file, ...(release.lines.chart === undefined ? {} : { line: release.lines.chart }) },
                `release ${release.name}: ${problem.message}`,
                problem.hint === undefined ? {} : { hint: problem.hint },
              ),
        );
      }
    }
  }
  return cache.get(release.chart) ?? undefined;
}

function renderRelease(
  request: RenderRequest,
  env: Environment,
  release: ReleaseSpec,
  chart: Chart,
  renderer: ChartRenderer,
  lines: boolean,
  problems: KasaneError[],
): SourcedObject[] {
  let values: Record<string, unknown>;
  try {
    values = releaseValues(request.repoRoot, chart, env, release, request.overrides ?? {});
  } catch (err) {
    problems.push(...flatten(err));
    return [];
  }
  const objects: SourcedObject[] = [];
  const last = chart.templates[chart.templates.length - 1];
  for (const template of chart.templates) {
    const staticProblems = renderer.check(template);
    if (staticProblems.length > 0) {
      problems.push(...staticProblems);
      continue;
    }
    // Each template gets its own copy of the values: a helper that mutates (merge) cannot leak into
    // the next. The last one takes the values themselves (releaseValues made them for this release).
    const context: TemplateContext = {
      Values: template === last ? values : structuredClone(values),
      Release: { Name: release.name, Namespace: release.namespace },
      Chart: { Name: chart.metadata.name, Version: chart.metadata.version, AppVersion: chart.metadata.appVersion ?? '' },
      Environment: { Name: env.name },
    };
    try {
      objects.push(...objectsOf(renderer.render(template, context, lines), problems));
    } catch (err) {
      problems.push(...flatten(err));
    }
  }
  return objects;
}

/** The KasaneErrors inside what was thrown (aggregates unpacked); anything else is a bug and rethrown. */
function flatten(err: unknown): KasaneError[] {
  if (err instanceof AggregateKasaneError) return err.errors.flatMap(flatten);
  if (err instanceof KasaneError) return [err];
  throw err;
}

/** Problems sorted by file and line, so a report reads top to bottom; those without a file come first. */
function inFileOrder(problems: readonly KasaneError[]): KasaneError[] {
  const key = (p: KasaneError): [string, number] => (p instanceof SourceError ? [p.location.file, p.location.line ?? 0] : ['', 0]);
  return [...problems].sort((a, b) => {
    const [fa, la] = key(a);
    const [fb, lb] = key(b);
    return fa < fb ? -1 : fa > fb ? 1 : la - lb;
  });
}

function dedupe(problems: readonly KasaneError[]): KasaneError[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    if (seen.has(p.message)) return false;
    seen.add(p.message);
    return true;
  });
}
