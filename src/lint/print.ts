/**
 * Lint reports as text for people, JSON for pipelines (`kasane.lint/v1`) and GitHub Actions workflow
 * commands, which GitHub shows as annotations on the files of a pull request. Printers return strings.
 */
import { formatLocation } from '../errors.js';
import type { Finding } from './findings.js';
import { countBySeverity, describeFinding, type LintReport } from './lint.js';

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** One line per finding: `error: charts/web/templates/deployment.yaml:3: apps/v1 Deployment web/web: spec.replicas: …`. */
export function findingLine(f: Finding): string {
  const where = f.file === undefined ? '' : `${formatLocation({ file: f.file, ...(f.line === undefined ? {} : { line: f.line }) })}: `;
  return `${f.severity}: ${where}${describeFinding(f)}`;
}

/** The closing line of one environment: `environment web: ok (1 release, 6 objects)` or the counts of findings. */
export function summaryLine(report: LintReport): string {
  const { errors, warnings } = countBySeverity(report.findings);
  const rendered = report.rendered === undefined ? '' : ` (${plural(report.rendered.releases, 'release')}, ${plural(report.rendered.objects, 'object')})`;
  if (errors > 0) return `environment ${report.environment}: ${plural(errors, 'problem')}${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''}`;
  return `environment ${report.environment}: ok${rendered}${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''}`;
}

export function toJsonReport(reports: readonly LintReport[]): unknown {
  const all = reports.flatMap((r) => r.findings);
  return {
    format: 'kasane.lint/v1',
    ...countBySeverity(all),
    environments: reports.map((r) => ({
      name: r.environment,
      ok: countBySeverity(r.findings).errors === 0,
      releases: r.rendered?.releases ?? null,
      objects: r.rendered?.objects ?? null,
      findings: r.findings.map((f) => ({
        severity: f.severity,
        rule: f.rule,
        message: f.message,
        object: f.object === undefined ? null : { apiVersion: f.object.apiVersion, kind: f.object.kind, namespace: f.object.namespace ?? null, name: f.object.name },
        field: f.field ?? null,
        file: f.file ?? null,
        line: f.line ?? null,
      })),
    })),
  };
}

// Workflow command escaping (the runner's rules): data escapes %, CR, LF; properties also ":" and ",".
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * `::error file=charts/web/templates/deployment.yaml,line=3,title=kasane lint (production)::…`. GitHub wants
 * paths relative to the checkout: `prefix` is where the kasane repository sits in it (`deploy/`), if not at its top.
 */
export function githubAnnotation(f: Finding, environment: string, prefix = ''): string {
  const properties = [
    ...(f.file === undefined ? [] : [`file=${escapeProperty(`${prefix}${f.file}`)}`, `line=${f.line ?? 1}`]),
    `title=${escapeProperty(`kasane lint (${environment})`)}`,
  ];
  return `::${f.severity} ${properties.join(',')}::${escapeData(describeFinding(f))}`;
}
