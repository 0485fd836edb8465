/**
 * Reads rendered YAML the way the Kubernetes API machinery does (sigs.k8s.io/yaml over go-yaml v2):
 * YAML 1.1 plain scalars (`on`, `yes`, `y` are booleans; `0777` is octal; `1e3` is a number), dates stay
 * strings, and keys that resolve to booleans or numbers become their JSON spelling (`on:` → `"true"`).
 *
 * This is the hot path of rendering, so it uses js-yaml 4 (the fastest exact parser measured, see
 * bench/yaml-parse.mjs) with a schema whose implicit resolvers follow go-yaml v2's resolve table.
 */
import yaml from 'js-yaml';
import { SourceError } from '../errors.js';
import { readJsonYaml, readSimpleYaml, UNSUPPORTED } from './fast-read.js';
import {
  GO_BOOLEANS as BOOLEANS,
  GO_INT,
  GO_NULLS as NULLS,
  GO_SPECIAL_FLOATS as SPECIAL_FLOATS,
  parseGoInt,
  resolveGoNumber as resolveNumber,
  startsNumeric,
} from './go-scalars.js';

export class YamlSyntaxError extends SourceError {
  override readonly name: string = 'YamlSyntaxError';
}

export interface ParsedDocument {
  value: unknown;
  /** 1-based line in the text where the document starts. */
  startLine: number;
}

/** Deeper than any real manifest; protects the recursive consumers downstream. */
export const MAX_NESTING_DEPTH = 512;
/** Upper bound on the nodes a document may expand to once its aliases are resolved. */
export const MAX_EXPANDED_NODES = 1_000_000;

// ---- go-yaml v2 plain-scalar resolution (see go-scalars.ts) ----------------------------------

/** Set while loading when a `.inf`/`.nan` was read, so only such documents need the extra walk. */
let sawNonFinite = false;

const nullType = new yaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string | null) => data === null || NULLS.has(data),
  construct: () => null,
});
const boolType = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && BOOLEANS.has(data),
  construct: (data: string) => BOOLEANS.get(data),
});
const intType = new yaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && startsNumeric(data) && GO_INT.test(data.includes('_') ? data.replace(/_/g, '') : data),
  construct: (data: string) => parseGoInt(data.replace(/_/g, '')),
});
// One implicit resolver for every non-integer number, so the common string scalar costs a single check.
const floatType = new yaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (SPECIAL_FLOATS.has(data) || resolveNumber(data) !== undefined),
  construct: (data: string) => {
    const value = SPECIAL_FLOATS.get(data) ?? resolveNumber(data);
    if (value === undefined || !Number.isFinite(value)) sawNonFinite = true;
    return value;
  },
});
// go-yaml v2 hands a timestamp to an interface{} as its original text.
const timestampType = new yaml.Type('tag:yaml.org,2002:timestamp', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null,
  construct: (data: string) => data,
});

const GO_YAML_V2_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [nullType, boolType, intType, floatType, (yaml as unknown as { types: { merge: yaml.Type } }).types.merge],
  explicit: [timestampType],
});

// ---- document splitting and post-checks --------------------------------------------------------

/** A `---` line; anything after the marker stays with the document it opens. */
const DOCUMENT_START = /^---(?:[ \t][^\n]*)?\r?$/gm;

interface Chunk {
  text: string;
  startLine: number;
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

function splitDocuments(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let start = 0;
  let startLine = 1;
  DOCUMENT_START.lastIndex = 0;
  for (let match = DOCUMENT_START.exec(text); match !== null; match = DOCUMENT_START.exec(text)) {
    if (match.index === 0) continue;
    chunks.push({ text: text.slice(start, match.index), startLine });
    startLine += countNewlines(text, start, match.index);
    start = match.index;
  }
  chunks.push({ text: text.slice(start), startLine });
  return chunks;
}

class DocumentTooLarge extends Error {}

/**
 * Walks a parsed document: enforces the depth cap, rejects values JSON cannot carry, and, when the
 * document used aliases, rebuilds it as a tree (so no two places share one object) under a node budget.
 */
/**
 * The number of nodes `value` has once every alias is expanded, counted over the shared graph (each
 * distinct node once), so an alias bomb is measured without being expanded.
 */
function expandedSize(value: unknown, describe: () => string): number {
  const sizes = new Map<object, number>();
  const inProgress = new Set<object>();
  const size = (node: unknown): number => {
    if (node === null || typeof node !== 'object') return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (inProgress.has(node)) throw new DocumentTooLarge(`an alias in ${describe()} refers to a node that contains it`);
    inProgress.add(node);
    let total = 1;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      total += size(child);
      if (total > MAX_EXPANDED_NODES) break;
    }
    inProgress.delete(node);
    sizes.set(node, total);
    return total;
  };
  return size(value);
}

function finish(value: unknown, hasAliases: boolean, describe: () => string): unknown {
  if (hasAliases && expandedSize(value, describe) > MAX_EXPANDED_NODES) {
    throw new DocumentTooLarge(
      `aliases in ${describe()} expand to more than ${MAX_EXPANDED_NODES} nodes; refusing (alias bomb?)`,
    );
  }
  const visit = (node: unknown, depth: number): unknown => {
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) {
        throw new DocumentTooLarge(
          `${String(node)} (.inf/.nan) cannot be sent to the Kubernetes API; quote it to keep it a string`,
        );
      }
      return node;
    }
    if (node === null || typeof node !== 'object') return node;
    if (depth > MAX_NESTING_DEPTH) {
      throw new DocumentTooLarge(`nesting deeper than ${MAX_NESTING_DEPTH} levels in ${describe()}`);
    }
    if (Array.isArray(node)) {
      if (!hasAliases) {
        for (const item of node) visit(item, depth + 1);
        return node;
      }
      return node.map((item) => visit(item, depth + 1));
    }
    const record = node as Record<string, unknown>;
    if (!hasAliases) {
      for (const key in record) visit(record[key], depth + 1);
      return node;
    }
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(record)) {
      Object.defineProperty(copy, key, { value: visit(record[key], depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  };
  return visit(value, 0);
}

export interface ParseOptions {
  /**
   * Let a repeated key silently replace the earlier one, as go-yaml's non-strict Unmarshal does
   * (Helm's `fromYaml`). By default a repeated key is an error: in a manifest or values file it is a bug.
   */
  allowDuplicateKeys?: boolean;
  /** Read every document with js-yaml, never with the reader for simple block YAML (tests compare the two). */
  generalReaderOnly?: boolean;
}

/**
 * Parses a stream of YAML documents separated by `---` lines. Empty documents (only comments,
 * whitespace or `null`) are dropped. Throws YamlSyntaxError naming `sourceName` and the line in `text`.
 */
export function parseYamlStream(text: string, sourceName: string, options: ParseOptions = {}): ParsedDocument[] {
  const documents: ParsedDocument[] = [];
  for (const chunk of splitDocuments(text)) {
    if (options.generalReaderOnly !== true) {
      // Most rendered documents are plain block YAML, some values files JSON: read those directly,
      // the rest with js-yaml. JSON first: it is recognised by its first character, while the block
      // reader indexes every line of a (possibly megabytes long) JSON document before giving up.
      let simple = readJsonYaml(chunk.text);
      if (simple === UNSUPPORTED) simple = readSimpleYaml(chunk.text);
      if (simple !== UNSUPPORTED) {
        if (simple !== null && simple !== undefined) documents.push({ value: simple, startLine: chunk.startLine });
        continue;
      }
    }
    let value: unknown;
    sawNonFinite = false;
    try {
      value = yaml.load(chunk.text, {
        schema: GO_YAML_V2_SCHEMA,
        filename: sourceName,
        json: options.allowDuplicateKeys === true,
        maxDepth: MAX_NESTING_DEPTH,
      } as yaml.LoadOptions);
    } catch (error) {
      if (error instanceof yaml.YAMLException) {
        const line = chunk.startLine + (error.mark?.line ?? 0);
        throw new YamlSyntaxError({ file: sourceName, line }, `invalid YAML: ${error.reason}`, { cause: error });
      }
      if (error instanceof RangeError) {
        throw new YamlSyntaxError(
          { file: sourceName, line: chunk.startLine },
          `invalid YAML: nesting too deep to parse (more than ${MAX_NESTING_DEPTH} levels)`,
          { cause: error },
        );
      }
      throw error;
    }
    if (value === null || value === undefined) continue;
    const hasAliases = chunk.text.includes('*');
    // js-yaml's maxDepth already bounds nesting; the walk is needed only to expand aliases or to
    // report a .inf/.nan.
    if (!hasAliases && !sawNonFinite) {
      documents.push({ value, startLine: chunk.startLine });
      continue;
    }
    try {
      value = finish(value, hasAliases, () => `the document starting at line ${chunk.startLine}`);
    } catch (error) {
      if (error instanceof DocumentTooLarge || error instanceof RangeError) {
        const detail = error instanceof DocumentTooLarge ? error.message : 'nesting too deep';
        throw new YamlSyntaxError({ file: sourceName, line: chunk.startLine }, `invalid YAML: ${detail}`, { cause: error });
      }
      throw error;
    }
    documents.push({ value, startLine: chunk.startLine });
  }
  return documents;
}

/** Parses exactly one YAML document (a values file, Chart.yaml); empty text gives `null`. */
export function parseYamlDocument(text: string, sourceName: string, options: ParseOptions = {}): unknown {
  const documents = parseYamlStream(text, sourceName, options);
  if (documents.length > 1) {
    throw new YamlSyntaxError(
      { file: sourceName, line: documents[1]!.startLine },
      'expected a single YAML document but found another one here',
    );
  }
  return documents[0]?.value ?? null;
}
