/**
 * Sets of field paths, as managedFields stores them. A path element is kept in its fieldsV1
 * spelling: `f:<field>`, `k:<json of the sorted key fields>`, `v:<json value>`, `i:<index>`.
 * A node that is itself in the set is a "member" (`.` in fieldsV1 when it also has children).
 */

export type PathElement = string;
export type Path = readonly PathElement[];

export class FieldSet {
  member = false;
  readonly children = new Map<PathElement, FieldSet>();
  /**
   * This node's fieldsV1 (with `.` when it is a member that has children), once encoded or read
   * back from what this module wrote: most writes leave most of every manager's set as it was.
   * Encoded values are shared, so never changed in place.
   */
  private encoded: Record<string, unknown> | undefined;

  static of(paths: Iterable<Path>): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  /**
   * Adds a path while the set is being built. A finished set is never changed: union, difference
   * and intersection share the subtrees they leave alone, with their encodings.
   */
  insert(path: Path): void {
    this.encoded = undefined;
    let node: FieldSet = this;
    for (const pe of path) {
      let next = node.children.get(pe);
      if (!next) {
        next = new FieldSet();
        node.children.set(pe, next);
      }
      node = next;
      node.encoded = undefined;
    }
    node.member = true;
  }

  has(path: Path): boolean {
    return this.at(path)?.member ?? false;
  }

  /** The subtree at `path`, if any. */
  at(path: Path): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const pe of path) node = node?.children.get(pe);
    return node;
  }

  /** Below the root, every node holds a member (empty children are never kept), so this needs no walk. */
  isEmpty(): boolean {
    return !this.member && this.children.size === 0;
  }

  union(other: FieldSet): FieldSet {
    return union(this, other);
  }

  difference(other: FieldSet): FieldSet {
    return difference(this, other);
  }

  intersection(other: FieldSet): FieldSet {
    return intersection(this, other);
  }

  /** Whether some path is a member of both sets (intersection without building it). */
  intersects(other: FieldSet): boolean {
    if (this.member && other.member) return true;
    const [small, large] = this.children.size <= other.children.size ? [this, other] : [other, this];
    for (const [pe, child] of small.children) {
      const match = large.children.get(pe);
      if (match !== undefined && child.intersects(match)) return true;
    }
    return false;
  }

  /** Member paths in the order the real server reports them: members, then children, sorted. */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    const sorted = sortedEntries(this.children);
    for (const [pe, child] of sorted) if (child.member) out.push([...prefix, pe]);
    for (const [pe, child] of sorted) out.push(...child.paths([...prefix, pe]));
    return out;
  }

  /** The fieldsV1 JSON in the real server's order: `.` first, then fields, keys, values, indexes, each sorted. */
  toFieldsV1(): Record<string, unknown> {
    let out = this.node();
    if (this.member && '.' in out) {
      // The root is the object itself, which has no `.` of its own.
      const { '.': _self, ...rest } = out;
      out = rest;
    }
    written.add(out);
    return out;
  }

  private node(): Record<string, unknown> {
    if (this.encoded !== undefined) return this.encoded;
    const out: Record<string, unknown> = {};
    if (this.member && this.children.size > 0) out['.'] = {};
    if (this.children.size === 1) {
      for (const [pe, child] of this.children) out[pe] = child.node();
    } else if (this.children.size > 1) {
      const keys = [...this.children.keys()];
      // Fields alone (most nodes) sort as plain strings; other element types need their own order.
      keys.sort(keys.every(isFieldPE) ? undefined : comparePathElements);
      for (const pe of keys) out[pe] = this.children.get(pe)!.node();
    }
    this.encoded = out;
    return out;
  }

  static fromFieldsV1(json: unknown): FieldSet {
    const set = new FieldSet();
    // What this module wrote is in canonical form already; what a client wrote is not trusted to be.
    const trusted = typeof json === 'object' && json !== null && written.has(json);
    read(set, json, trusted);
    if (trusted) set.encoded = json as Record<string, unknown>;
    return set;
  }
}

const isFieldPE = (pe: PathElement): boolean => pe.charCodeAt(0) === 102 /* f */ && pe.charCodeAt(1) === 58; /* : */

/** Root fieldsV1 values this module wrote (the stored objects' managedFields hold them). */
const written = new WeakSet<object>();

function read(node: FieldSet, json: unknown, trusted: boolean): void {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return;
  for (const key in json) {
    if (key === '.') {
      node.member = true;
      continue;
    }
    if (!/^[fkvi]:/.test(key)) continue; // unknown element types are dropped, as upstream does
    const value = (json as Record<string, unknown>)[key];
    const child = new FieldSet();
    read(child, value, trusted);
    if (!hasKeys(value)) child.member = true;
    // A child that names only unknown element types holds nothing.
    if (child.isEmpty()) continue;
    if (trusted) (child as unknown as { encoded: unknown }).encoded = value;
    node.children.set(key, child);
  }
}

function hasKeys(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  for (const _ in v) return true;
  return false;
}

/** A node with the same members and children as `a`, for a result that differs from it. */
function copyOf(a: FieldSet): FieldSet {
  const out = new FieldSet();
  out.member = a.member;
  for (const [k, c] of a.children) out.children.set(k, c);
  return out;
}

function union(a: FieldSet, b: FieldSet): FieldSet {
  if (a === b || b.isEmpty()) return a;
  if (a.isEmpty()) return b;
  let out: FieldSet | undefined;
  for (const [k, bc] of b.children) {
    const ac = a.children.get(k);
    const c = ac === undefined ? bc : union(ac, bc);
    if (c === ac) continue;
    out ??= copyOf(a);
    out.children.set(k, c);
  }
  if (b.member && !a.member) {
    out ??= copyOf(a);
    out.member = true;
  }
  return out ?? a;
}

function difference(a: FieldSet, b: FieldSet): FieldSet {
  if (b.isEmpty() || a.isEmpty()) return a;
  if (a === b) return new FieldSet();
  let out: FieldSet | undefined;
  for (const [k, bc] of b.children) {
    const ac = a.children.get(k);
    if (ac === undefined) continue;
    const c = difference(ac, bc);
    if (c === ac) continue;
    out ??= copyOf(a);
    if (c.isEmpty()) out.children.delete(k);
    else out.children.set(k, c);
  }
  if (a.member && b.member) {
    out ??= copyOf(a);
    out.member = false;
  }
  return out ?? a;
}

function intersection(a: FieldSet, b: FieldSet): FieldSet {
  if (a === b) return a;
  const out = new FieldSet();
  out.member = a.member && b.member;
  const [small, large] = a.children.size <= b.children.size ? [a, b] : [b, a];
  for (const [k, sc] of small.children) {
    const lc = large.children.get(k);
    if (lc === undefined) continue;
    const c = intersection(sc, lc);
    if (!c.isEmpty()) out.children.set(k, c);
  }
  return out;
}

function sortedEntries(m: Map<PathElement, FieldSet>): [PathElement, FieldSet][] {
  return [...m.entries()].sort(([a], [b]) => comparePathElements(a, b));
}

// ---- path elements ----

export const fieldPE = (name: string): PathElement => `f:${name}`;
export const valuePE = (value: unknown): PathElement => `v:${JSON.stringify(value)}`;
export const indexPE = (i: number): PathElement => `i:${i}`;
export function keyPE(fields: Record<string, unknown>): PathElement {
  const sorted: Record<string, unknown> = {};
  for (const name of Object.keys(fields).sort(compareStrings)) sorted[name] = fields[name];
  return `k:${JSON.stringify(sorted)}`;
}

const TYPE_ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** Upstream's order: fields, then keys, then values, then indexes; each by its content. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const ta = TYPE_ORDER[a[0] ?? ''] ?? 4;
  const tb = TYPE_ORDER[b[0] ?? ''] ?? 4;
  if (ta !== tb) return ta - tb;
  const ra = a.slice(2);
  const rb = b.slice(2);
  switch (a[0]) {
    case 'f':
      return compareStrings(ra, rb);
    case 'i':
      return Number(ra) - Number(rb);
    case 'k': {
      const ea = keyFields(ra);
      const eb = keyFields(rb);
      for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
        const [na, va] = ea[i]!;
        const [nb, vb] = eb[i]!;
        const c = compareStrings(na, nb) || compareValues(va, vb);
        if (c !== 0) return c;
      }
      return ea.length - eb.length;
    }
    default:
      return compareValues(JSON.parse(ra), JSON.parse(rb));
  }
}

const parsedKeys = new Map<string, [string, unknown][]>();

function keyFields(json: string): [string, unknown][] {
  let fields = parsedKeys.get(json);
  if (!fields) {
    if (parsedKeys.size > 10_000) parsedKeys.clear();
    fields = Object.entries(JSON.parse(json) as Record<string, unknown>);
    parsedKeys.set(json, fields);
  }
  return fields;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (v === null) return 3;
  return 4;
}

function compareValues(a: unknown, b: unknown): number {
  const d = rank(a) - rank(b);
  if (d !== 0) return d;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return compareStrings(JSON.stringify(a), JSON.stringify(b));
}

/** A path as kubectl prints it in conflicts: `.spec.template.spec.containers[name="web"].image`. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      const rest = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${rest}`;
        case 'k': {
          const fields = Object.entries(JSON.parse(rest) as Record<string, unknown>);
          return `[${fields.map(([n, v]) => `${n}=${goString(v)}`).join(',')}]`;
        }
        case 'v':
          return `[=${goString(JSON.parse(rest))}]`;
        default:
          return `[${rest}]`;
      }
    })
    .join('');
}

/** Go's value.ToString: strings quoted, numbers and booleans bare. */
function goString(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(',')}]`;
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${goString(x)}`)
      .join('');
  }
  return String(v);
}
