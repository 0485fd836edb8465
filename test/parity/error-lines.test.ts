/**
 * The contract: an error names the chart, the template file and the line in the template (not in the
 * rendered output). Each template below fails on one known line, after loops and partials have made the
 * rendered output's line numbers drift away from the template's.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const values = `items: {a: {port: 1}, b: {port: 2}, c: {port: 3}}\nlabels: {x: "1", y: "2", z: "3"}\n`;
const head = `{{#each Values.items}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{@key}}
  labels:{{nindent 4 (toYaml @root.Values.labels)}}
data:
  port: "{{this.port}}"
{{/each}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: tail
data:
`;
const failingLine = head.split('\n').length; // the line after `head`

const cases: { what: string; line: string; message: RegExp }[] = [
  { what: 'a required value', line: '  x: {{required "Values.missing is required" Values.missing}}', message: /Values\.missing is required/ },
  { what: 'an unknown helper', line: '  x: {{frobnicate Values.labels}}', message: /frobnicate/ },
  { what: 'invalid YAML the line renders', line: '  x: {{toYaml Values.labels}}', message: /yaml/i },
  { what: 'a file that is not in the chart', line: '  x: {{file "files/missing.txt"}}', message: /files\/missing\.txt/ },
];

describe('errors name the template line', () => {
  it.each(cases)('$what', async ({ line, message }) => {
    const root = mkdtempSync(join(tmpdir(), 'kasane-lines-'));
    mkdirSync(join(root, 'charts', 'c', 'templates'), { recursive: true });
    mkdirSync(join(root, 'environments'));
    writeFileSync(join(root, 'charts', 'c', 'Chart.yaml'), 'name: c\nversion: 0.1.0\n');
    writeFileSync(join(root, 'charts', 'c', 'values.yaml'), values);
    writeFileSync(join(root, 'charts', 'c', 'templates', 'maps.yaml'), `${head}${line}\n  after: "1"\n`);
    writeFileSync(join(root, 'environments', 'e.yaml'), 'releases:\n  - name: r\n    chart: c\n    namespace: lines\n');
    const result = await runCli(['render', '--env', 'e'], { repoRoot: root });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`charts/c/templates/maps.yaml:${failingLine}`);
    expect(result.stderr).toMatch(message);
  }, 60_000);
});
