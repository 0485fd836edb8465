/**
 * The corpus of hostile and broken input: each case is a repository (a valid base with some files
 * replaced) that `kasane render`, `kasane diff` and `kasane sync` must refuse with exit code 1 and a
 * message naming the file (and line) or the object at fault, without writing anything to the cluster.
 *
 * Cases that render to something harmless rather than failing (Handlebars prototype access, hostile
 * `__proto__` keys) and the helper-argument cases are in test/security (render-security.test.ts,
 * prototype-pollution.test.ts); the hostile-corpus test drives a few of them through `sync` too.
 */

export interface HostileCase {
  name: string;
  /** Repository files replacing or adding to the base (path → text). */
  files?: Record<string, string>;
  /** Symlinks to create (path → target). */
  symlinks?: Record<string, string>;
  /** Extra arguments for every command. */
  args?: string[];
  /** What the message must contain: the file (and line) or the object. */
  expect: RegExp;
  /** Commands that must refuse it; default render, diff and sync. `sync` alone for cluster-side checks. */
  commands?: ('render' | 'diff' | 'sync')[];
}

const chart = 'charts/app';
const template = (text: string) => ({ [`${chart}/templates/hostile.yaml`]: text });

/** The valid base: chart `app` with one ConfigMap; environment `h` deploying it to namespace `hostile`. */
export const base: Record<string, string> = {
  [`${chart}/Chart.yaml`]: 'apiVersion: v2\nname: app\nversion: 0.1.0\nappVersion: "1"\n',
  [`${chart}/values.yaml`]: 'mode: one\n',
  [`${chart}/templates/settings.yaml`]: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: {{ quote Values.mode }}\n',
  'environments/h.yaml': 'releases:\n  - name: app\n    chart: app\n    namespace: hostile\n    createNamespace: true\nsync:\n  prune: true\n',
};

const aliasBomb = [
  'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]',
];
const indentBomb = (lines: string[], by: string) => lines.map((l) => by + l).join('\n');
const deep = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const deepMap = (depth: number) => `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;

const job = (name: string, annotations: string) =>
  `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\n  annotations:\n${annotations}spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - {name: x, image: busybox:1.36}\n`;

export const cases: HostileCase[] = [
  // YAML alias bombs and deep nesting: in values.yaml, in the environment file, in rendered output.
  { name: 'alias bomb in values.yaml', files: { [`${chart}/values.yaml`]: `mode: one\n${aliasBomb.join('\n')}\n` }, expect: /charts\/app\/values\.yaml/ },
  {
    name: 'alias bomb in environment values',
    files: { 'environments/h.yaml': `releases:\n  - name: app\n    chart: app\n    namespace: hostile\n    values:\n${indentBomb(aliasBomb, '      ')}\n` },
    expect: /environments\/h\.yaml/,
  },
  { name: 'alias bomb in rendered output', files: template(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n${indentBomb(aliasBomb, '  ')}\n`), expect: /charts\/app\/templates\/hostile\.yaml/ },
  { name: 'deeply nested list in values.yaml', files: { [`${chart}/values.yaml`]: `mode: one\nx: ${deep(5_000)}\n` }, expect: /charts\/app\/values\.yaml/ },
  { name: 'deeply nested map in values.yaml', files: { [`${chart}/values.yaml`]: `mode: one\nx: ${deepMap(5_000)}\n` }, expect: /charts\/app\/values\.yaml/ },
  {
    name: 'deeply nested environment values',
    files: { 'environments/h.yaml': `releases:\n  - name: app\n    chart: app\n    namespace: hostile\n    values:\n      x: ${deep(5_000)}\n` },
    expect: /environments\/h\.yaml/,
  },
  { name: 'deeply nested rendered output', files: template(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: ${deep(5_000)}\n`), expect: /charts\/app\/templates\/hostile\.yaml/ },

  // Templates reaching outside the chart.
  { name: 'file with ..', files: template('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  x: {{ quote (file "../../environments/h.yaml") }}\n'), expect: /charts\/app\/templates\/hostile\.yaml:6/ },
  { name: 'file with an absolute path', files: template('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  x: {{ quote (file "/etc/passwd") }}\n'), expect: /charts\/app\/templates\/hostile\.yaml:6/ },
  {
    name: 'file through a symlink out of the chart',
    files: template('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  x: {{ quote (file "files/link.txt") }}\n'),
    symlinks: { [`${chart}/files/link.txt`]: '../../../environments/h.yaml' },
    expect: /charts\/app\/templates\/hostile\.yaml:6/,
  },
  { name: 'prototype access through a helper call', files: template('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  x: "{{ constructor.constructor "return process.env" }}"\n'), expect: /charts\/app\/templates\/hostile\.yaml/ },
  { name: 'huge indent', files: template('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  x: {{ quote (indent 1000000000 "x") }}\n'), expect: /charts\/app\/templates\/hostile\.yaml:6/ },

  // Objects kasane cannot accept.
  { name: 'name not DNS-1123', files: template('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Name\ndata: {}\n'), expect: /Not_A_Name/ },
  { name: 'missing kind', files: template('apiVersion: v1\nmetadata:\n  name: kindless\ndata: {}\n'), expect: /charts\/app\/templates\/hostile\.yaml.*kind|kind.*charts\/app\/templates\/hostile\.yaml/s },
  { name: 'duplicate object', files: template('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {}\n'), expect: /ConfigMap.*settings/ },
  { name: 'non-integer hook weight', files: template(job('weighted', '    kasane.io/hook: pre-sync\n    kasane.io/hook-weight: "1.5"\n')), expect: /hook-weight/ },
  { name: 'unknown hook name', files: template(job('unknown-hook', '    kasane.io/hook: pre-deploy\n')), expect: /pre-deploy/ },
  {
    name: 'a Namespace another release owns',
    files: {
      ...template('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shared\n'),
      [`charts/other/Chart.yaml`]: 'apiVersion: v2\nname: other\nversion: 0.1.0\n',
      [`charts/other/templates/ns.yaml`]: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shared\n',
      'environments/h.yaml':
        'releases:\n  - name: app\n    chart: app\n    namespace: hostile\n    createNamespace: true\n  - name: other\n    chart: other\n    namespace: hostile\nsync:\n  prune: true\n',
    },
    expect: /Namespace.*shared/,
  },
];
