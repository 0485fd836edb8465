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
   * The fieldsV1 this set was last written as, or was read from when that was written here: most
   * writes leave most managers' sets as they were, and encoding them again is a good part of a
   * write's cost. Cleared by insert. Encoded values are shared, so never changed in place.
   */
  private encoded: Record<string, unknown> | undefined;

  static of(paths: Iterable<Path>): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

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

  isEmpty(): boolean {
    if (this.member) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  union(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a || b);
  }

  difference(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a && !b);
  }

  intersection(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a && b);
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
    this.encoded ??= this.encode();
    return this.encoded;
  }

  private encode(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [pe, child] of sortedEntries(this.children)) {
      const inner = child.toFieldsV1();
      // Empty children encode as {}: an empty child that is no member is not in the set at all.
      const hasInner = !isEmptyObject(inner);
      if (!child.member && !hasInner) continue;
      out[pe] = child.member && hasInner ? { '.': {}, ...inner } : inner;
    }
    written.add(out);
    return out;
  }

  static fromFieldsV1(json: unknown): FieldSet {
    const set = new FieldSet();
    read(set, json);
    // What this module wrote is in canonical form already; what a client wrote is not trusted to be.
    if (typeof json === 'object' && json !== null && written.has(json)) set.encoded = json as Record<string, unknown>;
    return set;
  }
}

function isEmptyObject(o: Record<string, unknown>): boolean {
  for (const _ in o) return false;
  return true;
}

/** fieldsV1 values this module wrote (the stored objects' managedFields hold them). */
const written = new WeakSet<object>();

function read(node: FieldSet, json: unknown): void {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return;
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === '.') {
      node.member = true;
      continue;
    }
    if (!/^[fkvi]:/.test(key)) continue; // unknown element types are dropped, as upstream does
    const child = new FieldSet();
    read(child, value);
    const hasKids = typeof value === 'object' && value !== null && Object.keys(value).length > 0;
    if (!hasKids) child.member = true;
    node.children.set(key, child);
  }
}

function combine(a: FieldSet | undefined, b: FieldSet | undefined, op: (x: boolean, y: boolean) => boolean): FieldSet {
  const out = new FieldSet();
  out.member = op(a?.member ?? false, b?.member ?? false);
  const keys = new Set([...(a?.children.keys() ?? []), ...(b?.children.keys() ?? [])]);
  for (const k of keys) {
    const child = combine(a?.children.get(k), b?.children.get(k), op);
    // Children are only kept when non-empty, so this is emptiness without a walk.
    if (child.member || child.children.size > 0) out.children.set(k, child);
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
