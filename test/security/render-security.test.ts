/**
 * What a hostile or careless chart can do through `kasane render`: read files outside its chart, reach
 * the process environment or JavaScript internals through Handlebars, pollute prototypes through values
 * or --set keys, or make a helper run away with memory or time. Every case runs the built CLI in a child
 * process with a planted secret in its environment and a deadline.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.js';
import { runHelm } from '../support/helm.js';
import { readManifests } from '../parity/manifests.js';

const SECRET = `planted-${randomBytes(8).toString('hex')}`;
const OUTSIDE = `outside-the-chart-${randomBytes(8).toString('hex')}`;
const CASE_TIMEOUT = 90_000;
// Generous: the machine is shared; a hang still ends here, as a failure.
const CLI_TIMEOUT = 45_000;

interface RepoSpec {
  /** templates/<name> → text */
  templates: Record<string, string>;
  /** charts/evil/<path> → text (files/…, values.yaml) */
  chartFiles?: Record<string, string>;
  /** Extra YAML under the environment's release (e.g. `values:`), indented by the caller. */
  releaseExtra?: string;
  /** Extra top-level YAML in the environment file. */
  environmentExtra?: string;
}

/** A repository with chart `evil`, environment `sec`, and secret files just outside the chart. */
function makeRepo(spec: RepoSpec): string {
  const root = mkdtempSync(join(tmpdir(), 'kasane-security-'));
  const chart = join(root, 'charts', 'evil');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  mkdirSync(join(chart, 'files'));
  mkdirSync(join(root, 'environments'));
  mkdirSync(join(root, 'private'));
  writeFileSync(join(root, 'outside.txt'), `${OUTSIDE}\n`);
  writeFileSync(join(root, 'charts', 'outside.txt'), `${OUTSIDE}\n`);
  writeFileSync(join(root, 'private', 'key.txt'), `${OUTSIDE}\n`);
  writeFileSync(join(chart, 'Chart.yaml'), 'name: evil\nversion: 0.1.0\nappVersion: "1"\n');
  writeFileSync(join(chart, 'values.yaml'), 'image: {tag: "1"}\n');
  writeFileSync(join(chart, 'files', 'ok.txt'), 'inside\n');
  for (const [path, text] of Object.entries(spec.chartFiles ?? {})) {
    mkdirSync(dirname(join(chart, path)), { recursive: true });
    writeFileSync(join(chart, path), text);
  }
  for (const [name, text] of Object.entries(spec.templates)) writeFileSync(join(chart, 'templates', name), text);
  writeFileSync(
    join(root, 'environments', 'sec.yaml'),
    `${spec.environmentExtra ?? ''}releases:\n  - name: evil\n    chart: evil\n    namespace: sec\n${spec.releaseExtra ?? ''}`,
  );
  return root;
}

function render(root: string, extraArgs: string[] = [], timeoutMs = CLI_TIMEOUT): Promise<CliResult> {
  return runCli(['render', '--env', 'sec', '-o', 'yaml', ...extraArgs], {
    repoRoot: root,
    timeoutMs,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir(), LANG: 'C', KASANE_TEST_SECRET: SECRET },
  });
}

/** A ConfigMap whose `v` holds the expression's output between brackets. */
function probe(expr: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  v: "[${expr}]"\n`;
}

function probedValue(result: CliResult): string | undefined {
  const configMap = readManifests(result.stdout).find((o) => o.metadata.name === 'probe');
  return (configMap?.['data'] as Record<string, string> | undefined)?.['v'];
}

function expectNoLeak(result: CliResult): void {
  expect(result.timedOut, 'kasane did not finish in time').toBe(false);
  for (const stream of [result.stdout, result.stderr]) {
    expect(stream).not.toContain(SECRET);
    expect(stream).not.toContain(OUTSIDE);
    expect(stream).not.toMatch(/root:[^:\n]*:0:0:/);
  }
}

/** Exit 1, nothing on stdout, and a message naming the template — not a crash with a stack trace. */
function expectCleanFailure(result: CliResult, template: string): void {
  expectNoLeak(result);
  expect(result.code, result.stderr).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain(`charts/evil/templates/${template}`);
  expect(result.stderr).not.toMatch(/internal error/i);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
}

/** Either rendered (exit 0) or refused cleanly (exit 1, naming the template); never a crash. */
function expectRenderedOrRefused(result: CliResult, template: string): void {
  expectNoLeak(result);
  if (result.code !== 0) expectCleanFailure(result, template);
}

describe('the file helper stays inside the chart', () => {
  const cases: [string, string, RepoSpec['chartFiles']][] = [
    ['a relative path climbing out of the chart', '{{file "../outside.txt"}}', {}],
    ['a path climbing out through files/', '{{file "files/../../outside.txt"}}', {}],
    ['a path climbing to the repository root', '{{file "../../outside.txt"}}', {}],
    ['an absolute path', '{{file "/etc/passwd"}}', {}],
  ];
  it.each(cases)('refuses %s: %s', async (_what, expr, chartFiles) => {
    const result = await render(makeRepo({ templates: { 'cm.yaml': probe(expr) }, chartFiles }));
    expectCleanFailure(result, 'cm.yaml');
  }, CASE_TIMEOUT);

  it('refuses a symlink inside files/ that points outside the chart', async () => {
    const root = makeRepo({ templates: { 'cm.yaml': probe('{{file "files/link.txt"}}') } });
    symlinkSync(join(root, 'outside.txt'), join(root, 'charts', 'evil', 'files', 'link.txt'));
    expectCleanFailure(await render(root), 'cm.yaml');
  }, CASE_TIMEOUT);

  it('refuses a relative symlink to a directory outside the chart', async () => {
    const root = makeRepo({ templates: { 'cm.yaml': probe('{{file "files/private/key.txt"}}') } });
    symlinkSync(join('..', '..', '..', 'private'), join(root, 'charts', 'evil', 'files', 'private'));
    expectCleanFailure(await render(root), 'cm.yaml');
  }, CASE_TIMEOUT);

  it('still reads a file inside the chart (the refusals above are not a broken helper)', async () => {
    const result = await render(makeRepo({ templates: { 'cm.yaml': probe('{{trim (file "files/ok.txt")}}') } }));
    expect(result.code, result.stderr).toBe(0);
    expect(probedValue(result)).toBe('[inside]');
  }, CASE_TIMEOUT);
});

describe('nothing is read from outside the repository', () => {
  // Git stores symlinks, so a commit can point any repository file at the daemon's own files
  // (its kubeconfig, a service account token). Argo CD refuses such out-of-bounds symlinks; so must kasane.
  const outsideValues = `secret: ${OUTSIDE}\n`;
  const template = probe('{{Values.secret}}');

  function repoWithOutside(): { root: string; outsideDir: string } {
    const root = makeRepo({ templates: { 'cm.yaml': template } });
    const outsideDir = mkdtempSync(join(tmpdir(), 'kasane-security-outside-'));
    writeFileSync(join(outsideDir, 'values.yaml'), outsideValues);
    writeFileSync(
      join(outsideDir, 'sec.yaml'),
      `values:\n  secret: ${OUTSIDE}\nreleases:\n  - name: evil\n    chart: evil\n    namespace: sec\n`,
    );
    writeFileSync(
      join(outsideDir, 'leak.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\ndata:\n  v: ${OUTSIDE}\n`,
    );
    return { root, outsideDir };
  }

  function refused(result: CliResult, names: string): void {
    expectNoLeak(result);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(names);
    expect(result.stderr).not.toMatch(/internal error/i);
  }

  it('refuses a valuesFiles entry that climbs out of the repository', async () => {
    const { root } = repoWithOutside();
    writeFileSync(join(root, 'environments', 'sec.yaml'), 'releases:\n  - name: evil\n    chart: evil\n    namespace: sec\n    valuesFiles: [../outside.yaml]\n');
    refused(await render(root), 'environments/sec.yaml');
  }, CASE_TIMEOUT);

  it('refuses a chart name that climbs out of charts/', async () => {
    const { root } = repoWithOutside();
    writeFileSync(join(root, 'environments', 'sec.yaml'), 'releases:\n  - name: evil\n    chart: ../../elsewhere\n    namespace: sec\n');
    refused(await render(root), 'environments/sec.yaml');
  }, CASE_TIMEOUT);

  it('refuses a valuesFiles entry that is a symlink to a file outside the repository', async () => {
    const { root, outsideDir } = repoWithOutside();
    symlinkSync(join(outsideDir, 'values.yaml'), join(root, 'environments', 'linked.yaml'));
    writeFileSync(join(root, 'environments', 'sec.yaml'), 'releases:\n  - name: evil\n    chart: evil\n    namespace: sec\n    valuesFiles: [environments/linked.yaml]\n');
    refused(await render(root), 'environments/linked.yaml');
  }, CASE_TIMEOUT);

  it('refuses a chart values.yaml that is a symlink to a file outside the repository', async () => {
    const { root, outsideDir } = repoWithOutside();
    const target = join(root, 'charts', 'evil', 'values.yaml');
    rmSync(target);
    symlinkSync(join(outsideDir, 'values.yaml'), target);
    refused(await render(root), 'charts/evil/values.yaml');
  }, CASE_TIMEOUT);

  it('refuses an environment file that is a symlink to a file outside the repository', async () => {
    const { root, outsideDir } = repoWithOutside();
    const target = join(root, 'environments', 'sec.yaml');
    rmSync(target);
    symlinkSync(join(outsideDir, 'sec.yaml'), target);
    refused(await render(root), 'environments/sec.yaml');
  }, CASE_TIMEOUT);

  it('never renders a template that is a symlink to a file outside the repository', async () => {
    const { root, outsideDir } = repoWithOutside();
    symlinkSync(join(outsideDir, 'leak.yaml'), join(root, 'charts', 'evil', 'templates', 'leak.yaml'));
    const result = await render(root);
    expectNoLeak(result);
    expect(result.stdout).not.toContain('leaked');
  }, CASE_TIMEOUT);

  it('refuses an --env name that climbs out of environments/', async () => {
    const { root, outsideDir } = repoWithOutside();
    const result = await render(root, ['--env', `../../${basename(outsideDir)}/sec`]);
    expectNoLeak(result);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(/internal error/i);
  }, CASE_TIMEOUT);

  it('writes --output-dir files only inside the directory, whatever the release is called', async () => {
    const { root } = repoWithOutside();
    writeFileSync(join(root, 'environments', 'sec.yaml'), 'releases:\n  - name: ../../escaped\n    chart: evil\n    namespace: sec\n');
    const base = mkdtempSync(join(tmpdir(), 'kasane-security-out-'));
    const out = join(base, 'a', 'b');
    mkdirSync(out, { recursive: true });
    const result = await render(root, ['--output-dir', out]);
    expectNoLeak(result);
    expect(existsSync(join(base, 'escaped'))).toBe(false);
    expect(existsSync(join(out, '..', 'escaped'))).toBe(false);
    if (result.code !== 0) expect(result.stderr).toContain('environments/sec.yaml');
  }, CASE_TIMEOUT);

  it('still follows a symlink that stays inside the repository (the refusals are about the boundary)', async () => {
    const { root } = repoWithOutside();
    mkdirSync(join(root, 'common'));
    writeFileSync(join(root, 'common', 'values.yaml'), 'secret: shared-inside\n');
    symlinkSync(join('..', 'common', 'values.yaml'), join(root, 'environments', 'linked.yaml'));
    writeFileSync(join(root, 'environments', 'sec.yaml'), 'releases:\n  - name: evil\n    chart: evil\n    namespace: sec\n    valuesFiles: [environments/linked.yaml]\n');
    const result = await render(root);
    expect(result.code, result.stderr).toBe(0);
    expect(probedValue(result)).toBe('[shared-inside]');
  }, CASE_TIMEOUT);
});

describe('templates cannot reach the process environment or JavaScript internals', () => {
  // [what, template expression, acceptable outputs]: nothing at all, or what Helm prints for nil.
  const nothing = ['[]'];
  const cases: [string, string, string[]][] = [
    ['process.env', '{{process.env.KASANE_TEST_SECRET}}', nothing],
    ['@root.constructor.constructor', '{{@root.constructor.constructor "return process.env.KASANE_TEST_SECRET"}}', nothing],
    ['lookup constructor', '{{lookup this "constructor"}}', nothing],
    ['lookup constructor twice', '{{lookup (lookup this "constructor") "constructor"}}', nothing],
    ['this.__proto__', '{{this.__proto__}}', nothing],
    ['constructor.name', '{{constructor.name}}', nothing],
    ['Values.constructor.name', '{{Values.constructor.name}}', nothing],
    ['__proto__ chain', '{{__proto__.constructor.name}}', nothing],
    ['with constructor', '{{#with this.constructor}}{{this.name}}{{/with}}', nothing],
    ['a helper passed as a value', '{{toYaml toYaml}}', ['[]', '[null]']],
    ['toJson of __proto__', '{{toJson this.__proto__}}', ['[]', '[null]']],
    [
      'the string.sub.apply gadget',
      '{{#with "s" as |string|}}{{#with "e"}}{{#with split as |conslist|}}{{this.pop}}' +
        '{{this.push (lookup string.sub "constructor")}}{{this.pop}}{{#with string.split as |codelist|}}' +
        '{{this.pop}}{{this.push "return process.env.KASANE_TEST_SECRET;"}}{{this.pop}}{{#each conslist}}' +
        '{{#with (string.sub.apply 0 codelist)}}{{this}}{{/with}}{{/each}}{{/with}}{{/with}}{{/with}}{{/with}}',
      nothing,
    ],
  ];
  it.each(cases)('%s yields nothing', async (_what, expr, acceptable) => {
    const result = await render(makeRepo({ templates: { 'cm.yaml': probe(expr) } }));
    expectRenderedOrRefused(result, 'cm.yaml');
    if (result.code === 0) expect(acceptable).toContain(probedValue(result));
  }, CASE_TIMEOUT);
});

describe('values and --set keys named __proto__, constructor, prototype pollute nothing', () => {
  // A second release renders after the hostile one: a polluted prototype would show up there.
  const releases =
    '    values:\n' +
    '      __proto__: {polluted: from-release}\n' +
    '      constructor: {prototype: {polluted: from-release}}\n' +
    '  - name: later\n    chart: evil\n    namespace: later\n';
  // Handlebars hides inherited properties from templates, so a polluted prototype would surface in
  // kasane's own code instead: a later release, the labels it adds, the JSON it prints.
  const template = probe('{{Values.polluted}}|{{Release.polluted}}|{{Chart.polluted}}|{{Values.image.polluted}}|{{toJson (dict)}}|{{Values.image.tag}}');

  it.each([
    ['values.yaml', { 'values.yaml': 'image: {tag: "1"}\n__proto__: {polluted: chart}\nconstructor: {prototype: {polluted: chart}}\nprototype: {polluted: chart}\n' }, [] as string[]],
    ['environment values', {}, []],
    ['--set', {}, ['--set', '__proto__.polluted=cli', '--set', 'constructor.prototype.polluted=cli', '--set', 'image.__proto__.polluted=cli', '--set', 'prototype.polluted=cli']],
  ] as const)('through %s', async (_how, chartFiles, args) => {
    const root = makeRepo({
      templates: { 'cm.yaml': template },
      chartFiles,
      environmentExtra: 'values:\n  __proto__: {polluted: environment}\n  constructor: {prototype: {polluted: environment}}\n',
      releaseExtra: releases,
    });
    const result = await render(root, [...args]);
    expectRenderedOrRefused(result, 'cm.yaml');
    if (result.code !== 0) return;
    const probes = readManifests(result.stdout).filter((o) => o.metadata.name === 'probe');
    expect(probes.length).toBe(2);
    for (const configMap of probes) {
      expect((configMap['data'] as Record<string, string>)['v']).toBe('[||||{}|1]');
      // The template prints no values data, so "polluted" here can only come from a polluted prototype.
      expect(JSON.stringify(configMap)).not.toContain('polluted');
    }
    const later = probes.find((o) => o.metadata.namespace === 'later');
    expect(later, 'the release rendered after the hostile one is missing').toBeDefined();
  }, CASE_TIMEOUT);
});

describe('hostile helper arguments end in an error or in Sprig\'s result, never a hang or a crash', () => {
  /** What Helm prints for the same Go-template expression (the Sprig reference), or undefined on error. */
  async function helmSays(goExpr: string): Promise<string | undefined> {
    const chart = mkdtempSync(join(tmpdir(), 'kasane-security-helm-'));
    mkdirSync(join(chart, 'templates'));
    writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: h\nversion: 0.1.0\n');
    writeFileSync(join(chart, 'templates', 'cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  v: {{ (${goExpr}) | toString | b64enc | quote }}\n`);
    const result = await runHelm(['template', 'h', chart], CLI_TIMEOUT);
    if (result.code !== 0) return undefined;
    const data = readManifests(result.stdout)[0]?.['data'] as Record<string, string>;
    return Buffer.from(data['v'] ?? '', 'base64').toString('utf8');
  }

  it.each([
    ['trunc -5 "abcdef"'],
    ['trunc 1000000000000 "x"'],
    ['printf "%999999999d" 1'],
    ['printf "%1000000000s" "x"'],
    ['printf "%.999999999f" 1.5'],
    ['indent -5 "x"'],
    ['nindent -1 "x"'],
    ['div 1 0'],
    ['mod 1 0'],
  ])('%s', async (goExpr) => {
    const expected = await helmSays(goExpr);
    const result = await render(makeRepo({ templates: { 'cm.yaml': probe(`{{b64enc (toString (${goExpr}))}}`) } }));
    if (expected === undefined) {
      expectCleanFailure(result, 'cm.yaml');
      return;
    }
    expectRenderedOrRefused(result, 'cm.yaml');
    if (result.code === 0) {
      const value = probedValue(result) ?? '';
      expect(Buffer.from(value.slice(1, -1), 'base64').toString('utf8')).toBe(expected);
    }
  }, 2 * CASE_TIMEOUT);

  it.each([
    ['indent 1000000000 "x"'],
    ['nindent 1000000000 "x"'],
    ['printf "%s%s%s%s" (indent 200000000 "x") (indent 200000000 "x") (indent 200000000 "x") (indent 200000000 "x")'],
  ])('%s fails cleanly instead of exhausting memory', async (expr) => {
    const result = await render(makeRepo({ templates: { 'cm.yaml': probe(`{{trunc 5 (${expr})}}`) } }));
    expectCleanFailure(result, 'cm.yaml');
  }, CASE_TIMEOUT);

  it('stops a partial that includes itself with an error, not a stack overflow', async () => {
    const root = makeRepo({
      templates: { 'cm.yaml': probe('{{include "loop" this}}'), '_loop.hbs': '{{include "loop" this}}' },
    });
    const result = await render(root);
    expectNoLeak(result);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/charts\/evil\/templates\/(cm\.yaml|_loop\.hbs)/);
    expect(result.stderr).not.toMatch(/internal error|Maximum call stack/i);
  }, CASE_TIMEOUT);

  it('stops a tpl string that renders itself with a clear error, not a stack overflow', async () => {
    const root = makeRepo({
      templates: { 'cm.yaml': probe('{{tpl Values.loop @root}}') },
      chartFiles: { 'values.yaml': 'loop: "{{tpl Values.loop @root}}"\n' },
    });
    const result = await render(root);
    expectNoLeak(result);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('charts/evil/templates/cm.yaml');
    expect(result.stderr).not.toMatch(/internal error|Maximum call stack/i);
    // One line that says what happened, not the file name once per level of recursion.
    expect(result.stderr.length).toBeLessThan(2000);
  }, CASE_TIMEOUT);

  it('stops partials that double their output thirty times (16 GiB) with an error, not a hang', async () => {
    // Each partial includes the previous one twice: a "billion laughs" made of includes, well within
    // any nesting limit. Helm has no defence either; kasane must bound output size or render time.
    const partials: Record<string, string> = { '_p0.hbs': 'xxxxxxxxxxxxxxxx' };
    for (let i = 1; i <= 30; i++) partials[`_p${i}.hbs`] = `{{include "p${i - 1}" this}}{{include "p${i - 1}" this}}`;
    const root = makeRepo({ templates: { 'cm.yaml': probe('{{trunc 10 (include "p30" this)}}'), ...partials } });
    // Reaching a 64 MiB output cap takes millions of includes: seconds of CPU, more on a loaded machine.
    const result = await render(root, [], 150_000);
    expectNoLeak(result);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/charts\/evil\/templates\/(cm\.yaml|_p\d+\.hbs)/);
    expect(result.stderr).not.toMatch(/internal error/i);
  }, 180_000);

  it('refuses a YAML alias bomb in values.yaml without expanding it', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const root = makeRepo({
      templates: { 'cm.yaml': probe('{{trunc 10 (toJson Values.i)}}') },
      chartFiles: { 'values.yaml': `${levels.join('\n')}\n` },
    });
    const result = await render(root);
    expectNoLeak(result);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('charts/evil/values.yaml');
    expect(result.stderr).not.toMatch(/internal error/i);
  }, CASE_TIMEOUT);

  it('refuses a YAML alias bomb in rendered output without expanding it', async () => {
    const levels = ['  a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`  ${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const template = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n${levels.join('\n')}\n`;
    const result = await render(makeRepo({ templates: { 'bomb.yaml': template } }));
    expectCleanFailure(result, 'bomb.yaml');
  }, CASE_TIMEOUT);
});
