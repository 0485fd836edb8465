import Handlebars from 'handlebars';
import { ChartFileError, readChartFile } from '../chart/files.js';
import type { Chart, ChartSource } from '../chart/chart.js';
import { KasaneError } from '../errors.js';
import { compareGoStrings } from '../yaml/go-scalars.js';
import { TemplateError } from './errors.js';
import { HelperError, registerHelpers, type HelperHost } from './helpers.js';
import { flat } from './flat.js';
import { countNewlines, markLines, unmark } from './line-map.js';

// Blocked prototype lookups (`{{constructor}}`) render as nothing, silently: the template language
// has no console, so Handlebars' log output is switched off for the whole process.
// Levels run debug(0)..error(3); 4 is above all of them.
Handlebars.logger.level = 4;

const COMPILE_OPTIONS = { noEscape: true, strict: false } as const;
/** Prototype properties and methods are never reachable from a template. */
const RUNTIME_OPTIONS: Handlebars.RuntimeOptions = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
  allowedProtoProperties: {},
  allowedProtoMethods: {},
};
const MAX_NESTING = 64;
/** What include and tpl may return, summed, while one template renders: far above any real chart. */
const MAX_INCLUDED_OUTPUT = 16 * 1024 * 1024;
/** Stands for the text given to `tpl` while it renders; errors are reported at the caller. */
const TPL_STRING = '(tpl string)';

/** Handlebars' internal options for a template called as a partial (runtime.js `_setup`). */
interface PartialOptions {
  readonly helpers?: unknown;
  readonly partials?: unknown;
  readonly decorators?: unknown;
  readonly hooks?: unknown;
  readonly protoAccessControl?: unknown;
  readonly partial?: true;
}

/** The root context every template of a release sees (Helm-cased). */
export interface TemplateContext {
  readonly Values: Record<string, unknown>;
  readonly Release: { readonly Name: string; readonly Namespace: string };
  readonly Chart: { readonly Name: string; readonly Version: string; readonly AppVersion: string };
  readonly Environment: { readonly Name: string };
}

export interface RenderedTemplate {
  readonly source: ChartSource;
  /** Rendered YAML text, markers removed. */
  readonly text: string;
  /** Maps a rendered line (1-based) to the template line it came from; only when rendered with lines. */
  readonly templateLineOf?: (renderedLine: number) => number;
}

/**
 * Renders the templates of one chart. Each chart gets its own Handlebars environment: its partials,
 * kasane's helpers, and none of Handlebars' `log`.
 */
export class ChartRenderer {
  private readonly hb = Handlebars.create();
  private readonly partials = new Map<string, { source: ChartSource; render: Handlebars.TemplateDelegate }>();
  /** Files being rendered, innermost last: errors from helpers belong to the innermost. */
  private readonly stack: ChartSource[] = [];
  /** Compiled templates by file, with line markers and without. */
  private readonly templates = { marked: new Map<string, Handlebars.TemplateDelegate>(), plain: new Map<string, Handlebars.TemplateDelegate>() };
  /** Static problems by template file (check). */
  private readonly checked = new Map<string, readonly TemplateError[]>();
  /** Syntax trees by template file: check() and compiled() without markers read one parse. */
  private readonly trees = new Map<string, hbs.AST.Program>();
  /** What a partial call passes on (see partialOptions). */
  private readonly asPartial: PartialOptions;
  /** Runtime options for include and tpl: `@root` is the template's root, not the context passed. */
  private nested: Handlebars.RuntimeOptions = RUNTIME_OPTIONS;
  /** Characters include and tpl may still return while the current template renders. */
  private outputBudget = MAX_INCLUDED_OUTPUT;

  constructor(private readonly chart: Chart) {
    this.hb.unregisterHelper('log');
    const host: HelperHost = {
      readFile: (path) => readChartFile(chart.root, path),
      include: (name, context) => this.include(name, context),
      tpl: (template, context) => this.tpl(template, context),
    };
    registerHelpers(this.hb, host);
    iterateMapsInGoOrder(this.hb);
    for (const partial of chart.partials) {
      this.partials.set(partial.partial, { source: partial, render: this.hb.compile(partial.text, COMPILE_OPTIONS) });
    }
    // `{{> name}}` renders through run() too, so errors inside the partial name the partial's file.
    for (const [name, { source, render }] of this.partials) {
      this.hb.registerPartial(name, ((context: unknown, options?: Handlebars.RuntimeOptions) =>
        this.run(source, () => render(context, options))) as Handlebars.TemplateDelegate);
    }
    this.asPartial = this.partialOptions();
  }

  /**
   * The options Handlebars itself gives a partial it calls (`{{> x}}`): the environment's helpers
   * already wrapped, its partials, hooks and prototype access rules. include and tpl call templates
   * with these, marked as partials: otherwise Handlebars would copy and re-wrap every helper and
   * rebuild the access rules on each call. Read once, from a partial that keeps what it is given.
   */
  private partialOptions(): PartialOptions {
    const probe = '__kasane_options_probe__';
    let seen: PartialOptions | undefined;
    this.hb.registerPartial(probe, ((_context: unknown, options: PartialOptions) => {
      seen = options;
      return '';
    }) as unknown as Handlebars.TemplateDelegate);
    try {
      this.hb.compile(`{{> ${probe}}}`, COMPILE_OPTIONS)({}, RUNTIME_OPTIONS);
    } finally {
      this.hb.unregisterPartial(probe);
    }
    if (seen === undefined) throw new Error('Handlebars did not call the probe partial');
    const { helpers, partials, decorators, hooks, protoAccessControl } = seen;
    return { helpers, partials, decorators, hooks, protoAccessControl, partial: true };
  }

  /**
   * Finds what can be found without rendering: syntax errors, unknown helpers and partials, in
   * templates and partials. Once per template: every release of the chart asks again.
   */
  check(source: ChartSource): readonly TemplateError[] {
    let problems = this.checked.get(source.file);
    if (problems === undefined) {
      problems = this.findStaticProblems(source);
      this.checked.set(source.file, problems);
    }
    return problems;
  }

  private findStaticProblems(source: ChartSource): TemplateError[] {
    let ast: hbs.AST.Program;
    try {
      ast = this.treeOf(source);
    } catch (err) {
      return [this.syntaxError(source, err)];
    }
    const problems: TemplateError[] = [];
    walk(ast, (node) => {
      const line = node.loc?.start.line;
      const at = { file: source.file, ...(line === undefined ? {} : { line }) };
      // Only for a problem: reading a line out of the template per node made checking quadratic.
      const excerpt = (): string | undefined => (line === undefined ? undefined : lineOf(source.text, line));
      if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement') {
        const name = nameOf((node as hbs.AST.PartialStatement).name);
        if (name !== undefined && !this.partials.has(name)) problems.push(this.unknownPartial(at, name, excerpt()));
        return;
      }
      if (node.type !== 'MustacheStatement' && node.type !== 'SubExpression' && node.type !== 'BlockStatement') return;
      const call = node as hbs.AST.MustacheStatement;
      if (call.path.type !== 'PathExpression') return;
      const path = call.path as hbs.AST.PathExpression;
      const takesArguments = call.params.length > 0 || (call.hash?.pairs.length ?? 0) > 0;
      const simple = path.parts.length === 1 && !path.data && path.depth === 0 && !/^(this|\.)/.test(path.original);
      if (takesArguments && simple && this.hb.helpers[path.original] === undefined) {
        const hint = /^-/.test(path.original)
          ? 'Handlebars trims whitespace with {{~ and ~}}, not Go templates\' {{- and -}}'
          : 'see docs/charts.md for the helpers kasane provides';
        problems.push(new TemplateError(at, `unknown helper "${path.original}"`, excerpt(), { hint }));
      }
      if (path.original === 'include' && call.params[0]?.type === 'StringLiteral') {
        const name = (call.params[0] as hbs.AST.StringLiteral).value;
        if (!this.partials.has(name)) problems.push(this.unknownPartial(at, name, excerpt()));
      }
    });
    return problems;
  }

  /** Every static problem of the chart's partials (reported once per chart). */
  checkPartials(): TemplateError[] {
    return [...this.partials.values()].flatMap(({ source }) => this.check(source));
  }

  /**
   * Renders one template to YAML text; throws TemplateError naming the template (or partial) and line.
   * With `lines`, the template's literal text carries line markers through the render, so each
   * rendered line can be traced to its template line (messages and lint need that); without, the
   * text comes out as is, which is cheaper (the markers cost ~7 % of a big render).
   */
  render(source: ChartSource, context: TemplateContext, lines: boolean): RenderedTemplate {
    const template = this.compiled(source, lines);
    this.outputBudget = MAX_INCLUDED_OUTPUT;
    this.nested = { ...this.asPartial, data: { root: context } } as Handlebars.RuntimeOptions;
    const text = this.run(source, () => template(context, RUNTIME_OPTIONS));
    if (!lines) return { source, text };
    const unmarked = unmark(text);
    return { source, text: unmarked.text, templateLineOf: unmarked.templateLineOf };
  }

  /**
   * A template's syntax tree, parsed once, for check() and the compile without line markers (a
   * compile with markers parses a tree of its own, as it marks it in place).
   */
  private treeOf(source: ChartSource): hbs.AST.Program {
    let tree = this.trees.get(source.file);
    if (tree === undefined) {
      tree = this.hb.parse(source.text);
      this.trees.set(source.file, tree);
    }
    return tree;
  }

  /** A template compiled with line markers or without, once per chart (releases of one chart share it). */
  private compiled(source: ChartSource, marked: boolean): Handlebars.TemplateDelegate {
    const cache = marked ? this.templates.marked : this.templates.plain;
    const cached = cache.get(source.file);
    if (cached !== undefined) return cached;
    let ast: hbs.AST.Program;
    try {
      // The markers go into the tree itself, so a marked template gets a tree of its own.
      ast = marked ? this.hb.parse(source.text) : this.treeOf(source);
    } catch (err) {
      throw this.syntaxError(source, err);
    }
    if (marked) markLines(ast);
    // Standalone lines were already removed by parse(); compiling the processed tree must not remove more.
    const template = this.hb.compile(ast, { ...COMPILE_OPTIONS, ignoreStandalone: true });
    cache.set(source.file, template);
    return template;
  }

  private include(name: string, context: unknown): string {
    const partial = this.partials.get(name);
    if (partial === undefined) throw new KasaneError(`include: ${this.unknownPartialText(name)}`);
    this.checkNesting(`does "${name}" include itself?`);
    return this.spend(this.run(partial.source, () => partial.render(context, this.nested)));
  }

  private tpl(template: string, context: unknown): string {
    const caller = this.stack[this.stack.length - 1];
    const source: ChartSource = { file: TPL_STRING, text: template };
    try {
      this.checkNesting('does a tpl string render itself?');
      let compiled: Handlebars.TemplateDelegate;
      try {
        this.hb.parse(template);
        compiled = this.hb.compile(template, COMPILE_OPTIONS);
      } catch (err) {
        throw this.syntaxError(source, err);
      }
      return this.spend(this.run(source, () => compiled(context, this.nested)));
    } catch (err) {
      if (err instanceof TemplateError && err.location.file !== TPL_STRING) throw err;
      // A tpl string has no file: the error belongs to the template that called the outermost tpl.
      if (caller === undefined || caller.file === TPL_STRING) throw err;
      const inner = err instanceof TemplateError ? err.detail.split('\n')[0] : err instanceof Error ? err.message : String(err);
      const line = this.lineOfCall(caller, 'tpl');
      const at = { file: caller.file, ...(line === undefined ? {} : { line }) };
      const shown = template.length > 80 ? `${template.slice(0, 77)}...` : template;
      throw new TemplateError(at, `tpl ${JSON.stringify(shown)}: ${inner}`, line === undefined ? undefined : lineOf(caller.text, line), { cause: err });
    }
  }

  /** include and tpl nest at most MAX_NESTING deep: deeper is a template that calls itself. */
  private checkNesting(question: string): void {
    if (this.stack.length > MAX_NESTING) throw new KasaneError(`include and tpl nest deeper than ${MAX_NESTING} levels (${question})`);
  }

  /**
   * Counts what include and tpl return while one template renders. Partials that include each other
   * twice per level double their output at every level (a "billion laughs"): the budget ends that
   * with an error long before memory runs out.
   */
  private spend(output: string): string {
    this.outputBudget -= output.length;
    if (this.outputBudget < 0) {
      throw new TemplateError(
        { file: this.stack[this.stack.length - 1]?.file ?? this.chart.path },
        `include and tpl produced more than ${MAX_INCLUDED_OUTPUT / (1024 * 1024)} MiB while rendering one template (do partials include each other over and over?)`,
      );
    }
    return output;
  }

  /** Runs a render with `source` as the current file; turns what it throws into a TemplateError about that file. */
  private run(source: ChartSource, render: () => string): string {
    this.stack.push(source);
    try {
      return render();
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      throw this.runtimeError(source, err);
    } finally {
      this.stack.pop();
    }
  }

  private runtimeError(source: ChartSource, err: unknown): TemplateError {
    if (err instanceof HelperError) {
      const at = { file: source.file, ...(err.line === undefined ? {} : { line: err.line }) };
      return new TemplateError(at, err.detail, err.line === undefined ? undefined : lineOf(source.text, err.line), { cause: err });
    }
    if (err instanceof ChartFileError) {
      const line = this.lineOfCall(source, 'file', err.requested);
      const at = { file: source.file, ...(line === undefined ? {} : { line }) };
      return new TemplateError(at, err.message, line === undefined ? undefined : lineOf(source.text, line), {
        ...(err.hint === undefined ? {} : { hint: err.hint }),
        cause: err,
      });
    }
    const message = err instanceof Error ? err.message : String(err);
    const missing = /^Missing helper: "(.*)"$/.exec(message);
    const detail = missing ? `unknown helper "${missing[1]}"` : message;
    const line = (err as { lineNumber?: number } | null)?.lineNumber;
    const at = { file: source.file, ...(typeof line === 'number' ? { line } : {}) };
    return new TemplateError(at, detail, typeof line === 'number' ? lineOf(source.text, line) : undefined, { cause: err });
  }

  /**
   * The line of the call of `helper` in a template, for errors raised where Handlebars gives no line
   * (inside the host): the call whose first argument is the literal `argument`, or else the only call.
   */
  private lineOfCall(source: ChartSource, helper: string, argument?: string): number | undefined {
    const lines: number[] = [];
    let exact: number | undefined;
    try {
      walk(this.hb.parse(source.text), (node) => {
        if (node.type !== 'SubExpression' && node.type !== 'MustacheStatement') return;
        const call = node as hbs.AST.SubExpression;
        if ((call.path as hbs.AST.PathExpression).original !== helper || node.loc === undefined) return;
        lines.push(node.loc.start.line);
        const first = call.params[0];
        if (exact === undefined && first?.type === 'StringLiteral' && (first as hbs.AST.StringLiteral).value === argument) exact = node.loc.start.line;
      });
    } catch {
      return undefined;
    }
    return exact ?? (lines.length === 1 ? lines[0] : undefined);
  }

  private syntaxError(source: ChartSource, err: unknown): TemplateError {
    const message = err instanceof Error ? err.message : String(err);
    if (/got 'EOF'$/.test(message) && message.includes("'OPEN_ENDBLOCK'")) {
      const open = unclosedBlock(source.text);
      if (open !== undefined) {
        const at = { file: source.file, line: open.line };
        return new TemplateError(at, `template syntax error: {{#${open.name}}} is never closed (no {{/${open.name}}} follows)`, lineOf(source.text, open.line), { cause: err });
      }
    }
    const parsedLine = /on line (\d+)/.exec(message)?.[1];
    const line = (err as { lineNumber?: number }).lineNumber ?? (parsedLine === undefined ? undefined : Number(parsedLine));
    const reason = message.split('\n').pop() ?? message;
    const at = { file: source.file, ...(line === undefined ? {} : { line }) };
    return new TemplateError(at, `template syntax error: ${reason.replace(/^Parse error on line \d+: ?/, '')}`, line === undefined ? undefined : lineOf(source.text, line), { cause: err });
  }

  private unknownPartial(at: { file: string; line?: number }, name: string, excerpt: string | undefined): TemplateError {
    return new TemplateError(at, this.unknownPartialText(name), excerpt);
  }

  private unknownPartialText(name: string): string {
    const known = [...this.partials.keys()];
    return `unknown partial "${name}" (partials of chart ${this.chart.dir}: ${known.length > 0 ? known.join(', ') : 'none'}; a partial "x" lives in templates/_x.hbs)`;
  }
}

/**
 * `{{#each}}` over a map visits keys in Go's sorted order, as `range` does in a Helm chart: output
 * then depends on the values, never on the order their keys were written in. Lists, and everything
 * that is not a plain map, go to the built-in. Every iteration's output is made flat (see flat()): a
 * loop over thousands of items otherwise leaves a rope of millions of pieces until the text is parsed.
 */
function iterateMapsInGoOrder(hb: typeof Handlebars): void {
  const builtin = hb.helpers['each'] as Handlebars.HelperDelegate;
  hb.registerHelper('each', function (this: unknown, context: unknown, options: Handlebars.HelperOptions) {
    const map = typeof context === 'function' ? (context as () => unknown).call(this) : context;
    if (map === null || typeof map !== 'object' || Array.isArray(map) || Symbol.iterator in map) {
      const fn = options.fn;
      return builtin.call(this, map, { ...options, fn: (c: unknown, o?: Handlebars.RuntimeOptions) => flat(fn(c, o)) });
    }
    const record = map as Record<string, unknown>;
    const keys = Object.keys(record).sort(compareGoStrings);
    if (keys.length === 0) return options.inverse(this);
    const data = options.data === undefined ? undefined : Handlebars.createFrame(options.data);
    return keys
      .map((key, index) => {
        if (data !== undefined) Object.assign(data, { key, index, first: index === 0, last: index === keys.length - 1 });
        return flat(options.fn(record[key], { data, blockParams: [record[key], key] }));
      })
      .join('');
  });
}

/** The innermost block opened and never closed, found by pairing `{{#x}}` with `{{/x}}` tags. */
function unclosedBlock(text: string): { name: string; line: number } | undefined {
  const open: { name: string; line: number }[] = [];
  let line = 1;
  let last = 0;
  for (const tag of text.matchAll(/\{\{~?\s*([#/])\s*([^\s}~]+)/g)) {
    line += countNewlines(text.slice(last, tag.index));
    last = tag.index;
    const name = tag[2] ?? '';
    if (tag[1] === '#') open.push({ name: name.replace(/^[>*]/, ''), line });
    else if (open[open.length - 1]?.name === name) open.pop();
  }
  return open[open.length - 1];
}

function lineOf(text: string, line: number): string | undefined {
  return text.split('\n')[line - 1]?.trim();
}

function nameOf(node: hbs.AST.Expression): string | undefined {
  if (node.type === 'PathExpression') return (node as hbs.AST.PathExpression).original;
  if (node.type === 'StringLiteral') return (node as hbs.AST.StringLiteral).value;
  return undefined;
}

type AnyNode = hbs.AST.Node & { loc?: hbs.AST.SourceLocation };

/** Visits every node of a template's syntax tree. */
function walk(node: unknown, visit: (node: AnyNode) => void): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  const n = node as Record<string, unknown>;
  if (typeof n['type'] === 'string') visit(n as unknown as AnyNode);
  for (const key of ['body', 'program', 'inverse', 'params', 'hash', 'pairs', 'value', 'path', 'name']) {
    const child = n[key];
    if (child !== null && typeof child === 'object') walk(child, visit);
  }
}
