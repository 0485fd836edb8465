/**
 * `kasane lint` for one environment: everything render checks, then every rendered object against the
 * Kubernetes 1.34 schema of its kind (or the CRD in the repository that defines it), its name, labels
 * and annotations. Offline: no cluster, no network. Collects every finding; never stops at the first.
 */
import { SourceError, type KasaneError } from '../errors.js';
import { formatRef, refOf } from '../model/object.js';
import type { RenderedEnvironment, RenderedObject } from '../model/rendered.js';
import { tryRenderEnvironment } from '../render/render.js';
import { checkBuiltin } from './builtin.js';
import { chartCrds, CrdIndex, isCrd, type CrdSource } from './crd.js';
import { finding, type Finding, type ObjectSite } from './findings.js';
import { checkAnnotations, checkLabels, checkName } from './metadata.js';

export interface LintReport {
  readonly environment: string;
  /** Counts of what was rendered; absent when the environment did not render. */
  readonly rendered?: { readonly releases: number; readonly objects: number };
  readonly findings: readonly Finding[];
}

export function countBySeverity(findings: readonly Finding[]): { errors: number; warnings: number } {
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { errors, warnings: findings.length - errors };
}

/** A render problem as a finding: the file and line it names, and its message with its hint. */
function fromRenderProblem(problem: KasaneError): Finding {
  const message = problem instanceof SourceError ? problem.detail : problem.message;
  const withHint = problem.hint === undefined ? message : `${message} (${problem.hint})`;
  if (problem instanceof SourceError) {
    return {
      severity: 'error',
      rule: 'render',
      message: withHint,
      file: problem.location.file,
      ...(problem.location.line === undefined ? {} : { line: problem.location.line }),
    };
  }
  return { severity: 'error', rule: 'render', message: withHint };
}

export async function lintEnvironment(repoRoot: string, environment: string): Promise<LintReport> {
  const outcome = tryRenderEnvironment({ repoRoot, environment, lines: true });
  if (!outcome.ok) return { environment, findings: outcome.problems.map(fromRenderProblem) };
  const rendered = outcome.environment;
  const problems: KasaneError[] = [];
  const findings: Finding[] = [];
  const objects = rendered.releases.flatMap((r) => r.objects);
  const crdSources: CrdSource[] = [
    ...objects.filter((o) => isCrd(o.object)).map((o) => ({ crd: o.object, file: o.template, ...(o.line === undefined ? {} : { line: o.line }) })),
    ...chartCrds(repoRoot, problems),
  ];
  findings.push(...problems.map(fromRenderProblem));
  const crds = new CrdIndex(crdSources);
  for (const object of objects) findings.push(...(await lintObject(object, crds)));
  return { environment, rendered: counts(rendered), findings };
}

function counts(rendered: RenderedEnvironment): { releases: number; objects: number } {
  return { releases: rendered.releases.length, objects: rendered.releases.reduce((n, r) => n + r.objects.length, 0) };
}

async function lintObject(rendered: RenderedObject, crds: CrdIndex): Promise<Finding[]> {
  const object = rendered.object;
  const site: ObjectSite = { ref: refOf(object), file: rendered.template, ...(rendered.line === undefined ? {} : { line: rendered.line }) };
  const out: Finding[] = [];
  const crd = crds.check(object);
  if (crd.kind === 'checked') {
    for (const p of crd.schema) out.push(finding(site, 'error', 'crd-schema', p.field, `${p.message} (schema of CRD ${crd.crd.crd.metadata.name ?? ''})`));
    for (const p of crd.pruned) out.push(finding(site, 'warning', 'unknown-field', p.field, p.message));
  } else if (crd.kind === 'invalid') {
    out.push(finding(site, crd.severity, crd.severity === 'error' ? 'crd-schema' : 'no-schema', undefined, crd.message));
  } else {
    const builtin = await checkBuiltin(object);
    if (builtin.kind === 'checked') {
      for (const p of builtin.schema) out.push(finding(site, 'error', 'schema', p.field, p.message));
      for (const p of builtin.unknownFields) out.push(finding(site, 'error', 'unknown-field', p.field, p.message));
    } else if (builtin.kind === 'unknown') {
      out.push(finding(site, 'error', 'unknown-kind', undefined, builtin.message));
    } else {
      out.push(
        finding(site, 'warning', 'no-schema', undefined, `no schema for ${object.apiVersion} ${object.kind}: its CRD is neither rendered in this environment nor under charts/*/crds/, so the object is not validated`),
      );
    }
  }
  for (const p of checkName(object)) out.push(finding(site, 'error', 'name', p.field, p.message));
  for (const p of checkLabels(object)) out.push(finding(site, 'error', 'label', p.field, p.message));
  for (const p of checkAnnotations(object)) out.push(finding(site, p.severity, p.rule, p.field, p.message));
  return out;
}

/** `apps/v1 Deployment shop/web: spec.replicas: must be integer, not string "two"`. */
export function describeFinding(f: Finding): string {
  const subject = [f.object === undefined ? undefined : formatRef(f.object), f.field].filter((s) => s !== undefined).join(': ');
  return subject === '' ? f.message : `${subject}: ${f.message}`;
}
