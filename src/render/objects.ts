import type { KasaneError } from '../errors.js';
import { formatRef, groupOf, refKey, refOf, type KubeObject } from '../model/object.js';
import { compareKindsForInstall, scopeOf, type CustomScopes, type Scope } from '../model/kinds.js';
import {
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  LABEL_RELEASE,
  MANAGED_BY_KASANE,
  type RenderedObject,
} from '../model/rendered.js';
import { checkName } from '../lint/metadata.js';
import { parseYamlStream, YamlSyntaxError } from '../yaml/read.js';
import type { RenderedTemplate } from './engine.js';
import { describeObject, ManifestError, TemplateError } from './errors.js';
import { parseObjectAnnotations } from './hooks.js';

/** An object as a template produced it, with where it came from. */
export interface SourcedObject {
  readonly object: KubeObject;
  /** Repository-relative template path. */
  readonly template: string;
  /** Template line the object's document starts at (when rendered with lines). */
  readonly line?: number;
}

/** Splits a rendered template into objects; every document must be a Kubernetes object with apiVersion, kind and a name. */
export function objectsOf(rendered: RenderedTemplate, problems: KasaneError[]): SourcedObject[] {
  const { source, text, templateLineOf } = rendered;
  let documents;
  try {
    documents = parseYamlStream(text, source.file);
  } catch (err) {
    if (!(err instanceof YamlSyntaxError)) throw err;
    const renderedLine = err.location.line ?? 1;
    const line = templateLineOf?.(renderedLine);
    problems.push(
      new TemplateError(
        { file: source.file, line },
        `the template renders invalid YAML: ${err.detail.replace(/^invalid YAML: /, '')}\n${excerpt(text, renderedLine)}`,
        undefined,
        { hint: 'check the indentation the template produces (nindent/indent) and quote values that contain ": "' },
      ),
    );
    return [];
  }
  const objects: SourcedObject[] = [];
  const lines = templateLineOf && new LineReader(text);
  for (const doc of documents) {
    const line = templateLineOf && lines && templateLineOf(lines.firstContentLine(doc.startLine));
    const at = { file: source.file, line };
    const value = doc.value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(new ManifestError(at, `a document must be a Kubernetes object (a map with apiVersion, kind and metadata), not ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`));
      continue;
    }
    const obj = value as Record<string, unknown>;
    const missing: string[] = [];
    if (typeof obj['apiVersion'] !== 'string' || obj['apiVersion'] === '') missing.push('apiVersion');
    if (typeof obj['kind'] !== 'string' || obj['kind'] === '') missing.push('kind');
    const metadata = obj['metadata'];
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      missing.push('metadata.name');
    } else {
      const meta = metadata as Record<string, unknown>;
      const named = typeof meta['name'] === 'string' && meta['name'] !== '';
      const generated = typeof meta['generateName'] === 'string' && meta['generateName'] !== '';
      if (!named && !generated) missing.push('metadata.name');
    }
    if (missing.length > 0) {
      const what = typeof obj['kind'] === 'string' ? `a ${obj['kind']} ` : 'an object ';
      problems.push(new ManifestError(at, `${what}without ${missing.join(', ')}: every object needs apiVersion, kind and metadata.name`));
      continue;
    }
    // A name the API server would refuse fails here, before anything of the environment is applied.
    const invalid = checkName(obj as unknown as KubeObject);
    if (invalid.length > 0) {
      const name = String((obj['metadata'] as Record<string, unknown>)['name'] ?? (obj['metadata'] as Record<string, unknown>)['generateName']);
      problems.push(new ManifestError(at, `${String(obj['kind'])} "${name}": ${invalid.map((p) => `${p.field} ${p.message}`).join('; ')}`));
      continue;
    }
    objects.push({ object: obj as unknown as KubeObject, template: source.file, line });
  }
  return objects;
}

/** `group/Kind` → scope for every CRD among the objects. */
export function crdScopes(objects: readonly SourcedObject[]): CustomScopes {
  const scopes = new Map<string, Scope>();
  for (const { object } of objects) {
    if (object.kind !== 'CustomResourceDefinition' || groupOf(object.apiVersion) !== 'apiextensions.k8s.io') continue;
    const spec = object['spec'] as { group?: unknown; names?: { kind?: unknown }; scope?: unknown } | undefined;
    if (typeof spec?.group === 'string' && typeof spec.names?.kind === 'string') {
      scopes.set(`${spec.group}/${spec.names.kind}`, spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced');
    }
  }
  return scopes;
}

export interface ReleaseIdentity {
  readonly environment: string;
  readonly release: string;
  readonly namespace: string;
}

/**
 * Makes a template's object what kasane applies, in place: reads its hook and sync annotations,
 * defaults the namespace of namespaced kinds, drops it from cluster-scoped ones, adds kasane's labels.
 * An object with a problem is left as it was.
 */
export function finishObject(sourced: SourcedObject, release: ReleaseIdentity, scopes: CustomScopes, problems: KasaneError[]): RenderedObject | undefined {
  const { object, template, line } = sourced;
  const at = { file: template, line };
  const metadata = object.metadata;
  const scope = scopeOf(groupOf(object.apiVersion), object.kind, scopes);
  const namespace = scope === 'Cluster' ? undefined : (metadata.namespace ?? release.namespace);
  // Messages name the object as it will be applied, namespace defaulted (built only for a message).
  let named: string | undefined;
  const name = (): string => (named ??= formatRef({ ...refOf(object), namespace }));
  const annotations = metadata.annotations ?? {};
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    problems.push(new ManifestError(at, 'metadata.annotations must be a map', name()));
    return undefined;
  }
  const labels = metadata.labels ?? {};
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    problems.push(new ManifestError(at, 'metadata.labels must be a map', name()));
    return undefined;
  }
  if (metadata.namespace !== undefined && (typeof metadata.namespace !== 'string' || metadata.namespace === '')) {
    problems.push(new ManifestError(at, `metadata.namespace must be a non-empty string, not ${JSON.stringify(metadata.namespace)}`, name()));
    return undefined;
  }
  // The API server takes only strings here; a YAML number or boolean (`version: 1.0`, `enabled: true`) must be quoted.
  if (!allStrings(labels) || !allStrings(annotations)) {
    const notStrings = [
      ...Object.entries(labels as Record<string, unknown>).filter(([, v]) => typeof v !== 'string').map(([k, v]) => `label ${k}: ${JSON.stringify(v)}`),
      ...Object.entries(annotations as Record<string, unknown>).filter(([, v]) => typeof v !== 'string').map(([k, v]) => `annotation ${k}: ${JSON.stringify(v)}`),
    ];
    problems.push(new ManifestError(at, `label and annotation values must be strings; quote them (${notStrings.join(', ')})`, name()));
    return undefined;
  }
  const parsed = parseObjectAnnotations(annotations as Record<string, string>);
  if (!parsed.ok) {
    for (const problem of parsed.problems) problems.push(new ManifestError(at, problem, name()));
    return undefined;
  }
  const { hook, wave, pruneDisabled } = parsed.value;
  if (hook === undefined && (typeof metadata.name !== 'string' || metadata.name === '')) {
    problems.push(new ManifestError(at, 'metadata.generateName is only allowed on hooks; give the object a metadata.name', name()));
    return undefined;
  }
  // The object was parsed for this render alone, so it is finished in place rather than copied
  // (copying metadata and labels of 21,000 objects was a measurable share of a large render).
  const kasaneLabels = labels as Record<string, string>;
  kasaneLabels[LABEL_MANAGED_BY] = MANAGED_BY_KASANE;
  kasaneLabels[LABEL_ENVIRONMENT] = release.environment;
  kasaneLabels[LABEL_RELEASE] = release.release;
  metadata.labels = kasaneLabels;
  if (scope === 'Cluster') {
    if (metadata.namespace !== undefined) delete metadata.namespace;
  } else {
    metadata.namespace = namespace;
  }
  return { object, template, line, ...(hook === undefined ? {} : { hook }), wave, pruneDisabled };
}

function allStrings(map: object): boolean {
  for (const value of Object.values(map)) if (typeof value !== 'string') return false;
  return true;
}

/** Two objects with one identity (group/kind/namespace/name) anywhere in the environment is an error naming both templates. */
export function findDuplicates(objects: readonly RenderedObject[], problems: KasaneError[]): void {
  const seen = new Map<string, RenderedObject>();
  for (const current of objects) {
    if (current.object.metadata.name === undefined) continue;
    const key = refKey(refOf(current.object));
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, current);
      continue;
    }
    const firstAt = first.line === undefined ? first.template : `${first.template}:${first.line}`;
    problems.push(
      new ManifestError(
        { file: current.template, ...(current.line === undefined ? {} : { line: current.line }) },
        `defined twice: also rendered by ${firstAt}`,
        describeObject(current.object),
        { hint: 'names must be unique per kind and namespace across the whole environment; include the release name in object names' },
      ),
    );
  }
}

/** Main objects by kind install order then name; hooks after them, by weight, kind, name (the order they run in). */
export function compareForApply(a: RenderedObject, b: RenderedObject): number {
  if ((a.hook === undefined) !== (b.hook === undefined)) return a.hook === undefined ? -1 : 1;
  if (a.hook !== undefined && b.hook !== undefined && a.hook.weight !== b.hook.weight) return a.hook.weight - b.hook.weight;
  return (
    compareKindsForInstall(a.object.kind, b.object.kind) ||
    compareText(nameOf(a), nameOf(b)) ||
    compareText(a.object.metadata.namespace ?? '', b.object.metadata.namespace ?? '') ||
    compareText(a.object.apiVersion, b.object.apiVersion) ||
    compareText(a.template, b.template)
  );
}

function nameOf(o: RenderedObject): string {
  return o.object.metadata.name ?? o.object.metadata.generateName ?? '';
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Reads lines of a rendered text on demand, front to back (documents come in order), so a big
 * rendering is never split into an array of all its lines.
 */
class LineReader {
  /** 1-based number of the line starting at `offset`. */
  private line = 1;
  private offset = 0;

  constructor(private readonly text: string) {}

  /** The first line, from `startLine` on, that holds something other than `---`, comments or blanks. */
  firstContentLine(startLine: number): number {
    if (startLine < this.line) {
      this.line = 1;
      this.offset = 0;
    }
    while (this.line < startLine && this.offset <= this.text.length) this.advance();
    let line = this.line;
    let offset = this.offset;
    while (offset <= this.text.length) {
      const end = this.endOf(offset);
      const t = this.text.slice(offset, end).trim();
      if (t !== '' && !t.startsWith('#') && !/^---(\s|$)/.test(t)) return line;
      line++;
      offset = end + 1;
    }
    return startLine;
  }

  private endOf(offset: number): number {
    const end = this.text.indexOf('\n', offset);
    return end === -1 ? this.text.length : end;
  }

  private advance(): void {
    this.offset = this.endOf(this.offset) + 1;
    this.line++;
  }
}

function excerpt(text: string, line: number): string {
  const lines = text.split('\n');
  const from = Math.max(1, line - 2);
  const to = Math.min(lines.length, line + 1);
  const secret = inSecret(lines, line);
  const out: string[] = ['      rendered output:'];
  for (let n = from; n <= to; n++) {
    const shown = secret ? hideValue(lines[n - 1] ?? '') : (lines[n - 1] ?? '');
    out.push(`      ${n === line ? '>' : ' '} ${String(n).padStart(3)} | ${shown}`);
  }
  if (secret) out.push('      (values of a Secret are hidden)');
  return out.join('\n');
}

/** Whether the document around `line` (between `---` separators) is a Secret. */
function inSecret(lines: readonly string[], line: number): boolean {
  const separator = (l: string | undefined) => l !== undefined && /^---(\s|$)/.test(l);
  let start = line - 1;
  while (start > 0 && !separator(lines[start])) start--;
  let end = line;
  while (end < lines.length && !separator(lines[end])) end++;
  return lines.slice(start, end).some((l) => /^kind:\s*["']?Secret["']?\s*(#.*)?$/.test(l));
}

/** A line with the value after its key replaced, so an excerpt keeps its shape without the secret. */
function hideValue(line: string): string {
  const keyed = /^(\s*(?:-\s+)?[\w.\-/"']+:)(.*)$/.exec(line);
  if (keyed) return keyed[2]!.trim() === '' ? line : `${keyed[1]} <hidden>`;
  const indent = /^\s*/.exec(line)?.[0] ?? '';
  return line.trim() === '' || /^---(\s|$)/.test(line) ? line : `${indent}<hidden>`;
}
