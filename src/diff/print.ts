/**
 * Printers turn a DiffReport into text: for a terminal, for pipelines (JSON, documented in
 * docs/diff.md) and for pull-request comments (Markdown). They return strings; the CLI writes them.
 */
import { formatRef } from '../model/object.js';
import { formatSummary, hasChanges, type DiffReport, type ObjectDiff } from './compare.js';

export type OutputFormat = 'text' | 'json' | 'markdown';

const ANSI = { bold: '\u001b[1m', red: '\u001b[31m', green: '\u001b[32m', cyan: '\u001b[36m', reset: '\u001b[0m' } as const;

function changed(report: DiffReport): ObjectDiff[] {
  return report.objects.filter((o) => o.action !== 'unchanged');
}

function heading(o: ObjectDiff): string {
  return `${formatRef(o.ref)}: ${o.action}${o.release ? ` (release ${o.release})` : ''}`;
}

/** One unified diff per changed object, headed by the object, then the summary line. */
export function printText(report: DiffReport, opts: { color: boolean }): string {
  const paint = (code: string, text: string): string => (opts.color ? `${code}${text}${ANSI.reset}` : text);
  const out: string[] = [];
  for (const o of changed(report)) {
    out.push(paint(ANSI.bold, heading(o)));
    for (const line of (o.diffText ?? '').split('\n')) {
      if (line === '') continue;
      if (line.startsWith('@@')) out.push(paint(ANSI.cyan, line));
      else if (line.startsWith('+')) out.push(paint(ANSI.green, line));
      else if (line.startsWith('-')) out.push(paint(ANSI.red, line));
      else out.push(line);
    }
    out.push('');
  }
  out.push(formatSummary(report.summary));
  return `${out.join('\n')}\n`;
}

/** The stable JSON structure of docs/diff.md ("format": "kasane.diff/v1"). */
export function toJsonReport(report: DiffReport): unknown {
  return {
    format: 'kasane.diff/v1',
    environment: report.environment,
    source: report.source,
    summary: report.summary,
    changes: hasChanges(report.summary),
    objects: report.objects.map((o) => ({
      apiVersion: o.ref.apiVersion,
      kind: o.ref.kind,
      namespace: o.ref.namespace ?? null,
      name: o.ref.name,
      release: o.release ?? null,
      action: o.action,
      before: o.before ?? null,
      after: o.after ?? null,
      diff: o.diffText ?? null,
    })),
  };
}

export function printJson(report: DiffReport): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}

/** GitHub's limit for a comment is 65 536 characters; stay clear of it. */
export const MARKDOWN_LIMIT = 60_000;

function fence(text: string): string {
  // A fence longer than any run of backticks in the diff, so the diff cannot close it.
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/**
 * A summary table and one collapsible section per changed object, for a pull-request comment.
 * Cut, with a note saying so, before it would exceed `limit` characters.
 */
export function printMarkdown(report: DiffReport, opts: { limit?: number; command?: string } = {}): string {
  const limit = opts.limit ?? MARKDOWN_LIMIT;
  const items = changed(report);
  const sourceLine =
    report.source.type === 'cluster'
      ? `against the cluster (context \`${report.source.context}\`)`
      : `from \`${report.source.from}\` to \`${report.source.to}\``;
  const head = [`### kasane diff: environment \`${report.environment}\``, '', `${sourceLine}: **${formatSummary(report.summary)}**`, ''];
  if (items.length === 0) return `${head.join('\n')}\nNo changes.\n`;

  const rows = items.map((o) => `| ${o.action} | \`${cell(formatRef(o.ref))}\` | ${cell(o.release ?? '')} |`);
  const sections = items.map((o) => {
    const diff = o.diffText ?? '';
    const f = fence(diff);
    return [
      `<details><summary>${o.action} <code>${escapeHtml(formatRef(o.ref))}</code></summary>`,
      '',
      `${f}diff`,
      diff.trimEnd(),
      f,
      '',
      '</details>',
      '',
      '',
    ].join('\n');
  });

  const cutNote = (shown: number, what: 'listed' | 'diffs'): string => {
    const missing = items.length - shown;
    const objects = `changed object${missing === 1 ? '' : 's'}`;
    const said = what === 'listed' ? `${missing} more ${objects} not listed` : `The diffs of ${missing} ${objects} are not shown`;
    return `\n_${said}: this comment would exceed ${limit} characters. Run \`${opts.command ?? `kasane diff --env ${report.environment}`}\` to see every change._\n`;
  };
  const reserve = cutNote(0, 'diffs').length + 20;

  let out = `${head.join('\n')}\n| Action | Object | Release |\n|---|---|---|\n`;
  let tableRows = 0;
  for (const row of rows) {
    if (out.length + row.length + 1 + reserve > limit) break;
    out += `${row}\n`;
    tableRows++;
  }
  if (tableRows < rows.length) return `${out}${cutNote(tableRows, 'listed')}`;
  out += '\n';
  let shown = 0;
  for (const section of sections) {
    if (out.length + section.length + reserve > limit) break;
    out += section;
    shown++;
  }
  return shown < sections.length ? `${out}${cutNote(shown, 'diffs')}` : out;
}

export function printReport(report: DiffReport, format: OutputFormat, opts: { color: boolean; command?: string }): string {
  switch (format) {
    case 'json':
      return printJson(report);
    case 'markdown':
      return printMarkdown(report, opts.command === undefined ? {} : { command: opts.command });
    case 'text':
      return printText(report, { color: opts.color });
  }
}
