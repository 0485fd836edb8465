/**
 * Runs the real Helm on a scratch chart, so tests compare kasane's helpers and YAML with Helm's
 * own output instead of expectations written from memory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HELM = resolve(dirname(fileURLToPath(import.meta.url)), '../../.tools/bin/helm');
export const helmAvailable = existsSync(HELM);

/** Renders a chart made of `files` (paths relative to the chart root) and returns Helm's stdout. */
export function helmTemplate(files: Record<string, string>, extraArgs: readonly string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'kasane-helm-'));
  try {
    const chart = join(dir, 'scratch');
    const all = { 'Chart.yaml': 'apiVersion: v2\nname: scratch\nversion: 0.1.0\n', ...files };
    for (const [path, text] of Object.entries(all)) {
      mkdirSync(dirname(join(chart, path)), { recursive: true });
      writeFileSync(join(chart, path), text);
    }
    return execFileSync(HELM, ['template', 'rel', chart, ...extraArgs], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: dir, HELM_CACHE_HOME: dir, HELM_CONFIG_HOME: dir, HELM_DATA_HOME: dir },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Evaluates several Go-template expressions in one Helm run. Each expression's output is carried
 * base64-encoded so any bytes survive Helm's YAML handling; returns the decoded outputs in order.
 */
export function helmEval(expressions: readonly string[], values: unknown = {}, files: Record<string, string> = {}): string[] {
  const template = expressions.map((expr, i) => `r${i}: {{ (${expr}) | toString | b64enc | quote }}`).join('\n');
  const out = helmTemplate({
    // Raw DEL, C1 controls and BOMs are not allowed in a YAML file; as JSON escapes they are.
    'values.yaml': JSON.stringify(values).replace(/[\u007f-\u009f\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    'templates/eval.yaml': `${template}\n`,
    ...files,
  });
  const results: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^r(\d+): "([^"]*)"$/.exec(line);
    if (m) results[Number(m[1])] = Buffer.from(m[2]!, 'base64').toString('utf8');
  }
  return results;
}
