import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

type PathPart = string | number;

/**
 * Lines of the nodes of a small user-written YAML file, so a validation message can say
 * `environments/staging.yaml:12`. Values come from the one YAML reader (yaml/read.ts);
 * this only answers "where is this path written".
 */
export class YamlLocator {
  private readonly lines = new LineCounter();
  /** The parsed file; read on the first question (only messages ask, so a valid file is never parsed twice). */
  private parsed: { root: Node | null } | undefined;

  constructor(private readonly text: string) {}

  private get root(): Node | null {
    if (this.parsed === undefined) {
      const doc = parseDocument(this.text, { version: '1.1', lineCounter: this.lines, uniqueKeys: false });
      this.parsed = { root: doc.errors.length > 0 ? null : (doc.contents as Node | null) };
    }
    return this.parsed.root;
  }

  /** Line where `path` is written (a map entry's key line), or its nearest written ancestor's; undefined if unknown. */
  lineOf(path: readonly PathPart[]): number | undefined {
    let node: Node | null = this.root;
    let line = this.lineOfNode(node);
    for (const part of path) {
      if (node === null) break;
      const next = this.child(node, part);
      if (next === undefined) break;
      line = next.keyLine ?? this.lineOfNode(next.value) ?? line;
      node = next.value;
    }
    return line;
  }

  private child(node: Node, part: PathPart): { keyLine: number | undefined; value: Node | null } | undefined {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const keyValue = key && 'value' in key ? (key as { value: unknown }).value : key;
        if (String(keyValue) === String(part)) {
          return { keyLine: this.lineOfNode(key), value: (pair.value as Node | null) ?? null };
        }
      }
      return undefined;
    }
    if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as Node | undefined;
      return item === undefined ? undefined : { keyLine: this.lineOfNode(item), value: item };
    }
    return undefined;
  }

  private lineOfNode(node: Node | null | undefined): number | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }
}
