/**
 * Walks over object values guided by a schema: the field set a value sets, the merge of an
 * applied configuration into a live object, the comparison of two versions, and the removal of
 * fields nobody owns any more. These are the building blocks of server-side apply.
 */
import { FieldSet, fieldPE, indexPE, keyPE, pathString, valuePE, type Path, type PathElement } from './fieldset.js';
import { PatchError } from './errors.js';
import { childSchema, isMapEntry, type SchemaNode } from './schema.js';

type Obj = Record<string, unknown>;
type Shape = 'leaf' | 'map' | 'listmap' | 'listset';

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function shape(v: unknown, s: SchemaNode | undefined): Shape {
  if (typeof v !== 'object' || v === null || s?.atomic) return 'leaf';
  if (Array.isArray(v)) {
    const t = s?.list?.type;
    return t === 'map' ? 'listmap' : t === 'set' ? 'listset' : 'leaf';
  }
  return 'map';
}

const granular = (sh: Shape | undefined): boolean => sh !== undefined && sh !== 'leaf';

function isEmptyValue(v: unknown): boolean {
  return Array.isArray(v) ? v.length === 0 : isObj(v) ? Object.keys(v).length === 0 : false;
}

/** How a list item is named in a path: by its key fields, its value, or (leniently) its index. */
function itemPE(item: unknown, index: number, s: SchemaNode | undefined, path: Path, strict: boolean): PathElement {
  const list = s?.list;
  if (list?.type === 'set') return valuePE(item);
  // A missing key field without a default is simply not part of the key (optional keys);
  // only an item with none of them is unaddressable.
  const keys = list?.keys ?? [];
  const fields: Obj = {};
  for (const k of keys) {
    const v = isObj(item) ? (item[k] ?? list?.keyDefaults?.[k]) : undefined;
    if (v !== undefined && v !== null) fields[k] = v;
  }
  if (keys.length > 0 && Object.keys(fields).length === 0) {
    if (!strict) return indexPE(index);
    throw new PatchError(
      `${pathString(path)}: element ${index}: associative list with keys has an element that omits all key fields [${keys.map((k) => JSON.stringify(k)).join(' ')}] (and doesn't have default values for any key fields)`,
    );
  }
  return keyPE(fields);
}

interface Entry {
  readonly pe: PathElement;
  readonly value: unknown;
  readonly schema: SchemaNode | undefined;
  /** Map key, for maps. */
  readonly key?: string;
}

/** Children of a granular value. `strict` (for applied configurations) rejects bad and duplicate keys. */
function entries(v: unknown, s: SchemaNode | undefined, sh: Shape, path: Path, strict: boolean): Entry[] {
  if (sh === 'map') {
    // An undefined value is an absent field (JSON cannot carry it).
    return Object.entries(v as Obj)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => ({ pe: fieldPE(key), value, schema: childSchema(s, key), key }));
  }
  const seen = new Set<PathElement>();
  return (v as unknown[]).map((value, i) => {
    const pe = itemPE(value, i, s, path, strict);
    if (strict && seen.has(pe)) throw new PatchError(`${pathString(path)}: duplicate entries for key ${pathString([pe])}`);
    seen.add(pe);
    return { pe, value, schema: s?.list?.items };
  });
}

/**
 * The fields a value sets: what the manager applying it will own. `strict` (for applied
 * configurations) rejects list items with missing or repeated keys.
 */
export function toFieldSet(value: unknown, s: SchemaNode | undefined, strict = true): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, vs: SchemaNode | undefined, path: Path): void => {
    const sh = shape(v, vs);
    for (const e of entries(v, vs, sh, path, strict)) {
      const p = [...path, e.pe];
      const es = shape(e.value, e.schema);
      if (!granular(es) || isEmptyValue(e.value)) {
        set.insert(p);
        continue;
      }
      walk(e.value, e.schema, p);
      // List items own themselves; so do entries of data maps.
      if (sh !== 'map' || (e.key !== undefined && isMapEntry(vs, e.key))) set.insert(p);
    }
  };
  if (granular(shape(value, s))) walk(value, s, []);
  return set;
}

/** Merges an applied configuration into a live value: maps by field, keyed lists by key, the rest replaced. */
export function merge(live: unknown, applied: unknown, s: SchemaNode | undefined, path: Path = []): unknown {
  if (applied === undefined) return live;
  if (applied === null) return undefined;
  const sh = shape(applied, s);
  if (sh === 'leaf') return applied;
  const base = live !== undefined && shape(live, s) === sh ? live : sh === 'map' ? {} : [];
  if (sh === 'map') {
    const out: Obj = { ...(base as Obj) };
    for (const [k, v] of Object.entries(applied as Obj)) {
      if (v === undefined) continue;
      const m = merge(out[k], v, childSchema(s, k), [...path, fieldPE(k)]);
      if (m === undefined) delete out[k];
      else out[k] = m;
    }
    return out;
  }
  return mergeList(base as unknown[], applied as unknown[], s, sh, path);
}

/**
 * The order upstream produces: live-only items stay where they were, applied items come in the
 * applied order, and an item in both sits where the applied list puts it. Repeated live keys
 * keep their first occurrence.
 */
function mergeList(live: unknown[], applied: unknown[], s: SchemaNode | undefined, sh: Shape, path: Path): unknown[] {
  const seen = new Set<PathElement>();
  const lhs = entries(live, s, sh, path, false).filter((e) => !seen.has(e.pe) && seen.add(e.pe));
  const rhs = entries(applied, s, sh, path, true);
  const liveByPE = new Map(lhs.map((e) => [e.pe, e.value]));
  const inApplied = new Set(rhs.map((e) => e.pe));
  const sharedOrder = rhs.filter((e) => liveByPE.has(e.pe)).map((e) => e.pe);
  const emitted = new Set<PathElement>();
  const out: unknown[] = [];
  const emitApplied = (e: Entry): void => {
    emitted.add(e.pe);
    const m = sh === 'listset' ? e.value : merge(liveByPE.get(e.pe), e.value, e.schema, [...path, e.pe]);
    if (m !== undefined) out.push(m);
  };
  const nextShared = (): PathElement | undefined => {
    while (sharedOrder.length > 0 && emitted.has(sharedOrder[0]!)) sharedOrder.shift();
    return sharedOrder[0];
  };
  let li = 0;
  let ri = 0;
  while (li < lhs.length || ri < rhs.length) {
    const l = lhs[li];
    const r = rhs[ri];
    if (l) {
      if (!inApplied.has(l.pe)) {
        out.push(l.value);
        li++;
        continue;
      }
      // A shared item waits for its turn in the applied order.
      if (emitted.has(l.pe) || (r && r.pe !== l.pe && nextShared() !== l.pe)) {
        li++;
        continue;
      }
      if (r && r.pe === l.pe) li++;
    }
    if (!r) {
      li++;
      continue;
    }
    emitApplied(r);
    ri++;
  }
  return out;
}

export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/**
 * Where a comparison is in the object: a path element under its parent, and the nodes of the
 * result sets made for it so far. Nodes are made when something is recorded at or below it, so an
 * unchanged subtree costs no path and no node.
 */
interface At {
  readonly parent: At | undefined;
  readonly pe: PathElement;
  readonly nodes: (FieldSet | undefined)[];
}

const ADDED = 0;
const MODIFIED = 1;
const REMOVED = 2;

/** What changed from `before` to `after`: a map or list that appears or vanishes counts as a node too. */
export function compare(before: unknown, after: unknown, s: SchemaNode | undefined): Comparison {
  const sets = [new FieldSet(), new FieldSet(), new FieldSet()];
  const root: At = { parent: undefined, pe: '', nodes: sets };
  const nodeAt = (at: At, which: number): FieldSet => {
    let node = at.nodes[which];
    if (node !== undefined) return node;
    const parent = nodeAt(at.parent!, which);
    node = parent.children.get(at.pe);
    if (node === undefined) {
      node = new FieldSet();
      parent.children.set(at.pe, node);
    }
    at.nodes[which] = node;
    return node;
  };
  const mark = (at: At, which: number): void => {
    nodeAt(at, which).member = true;
  };
  const cmp = (l: unknown, r: unknown, cs: SchemaNode | undefined, at: At): void => {
    if (l === undefined && r === undefined) return;
    const ls = l === undefined ? undefined : shape(l, cs);
    const rs = r === undefined ? undefined : shape(r, cs);
    if (l !== undefined && r !== undefined) {
      // A null container is an empty one that already exists (Go zero values), not a change of type.
      if (l === null && granular(rs)) return descend(undefined, r, cs, rs!, at);
      if (r === null && granular(ls)) return descend(l, undefined, cs, ls!, at);
      if (ls === rs && granular(ls)) {
        // Equal values hold no change: a plain walk proves it far cheaper than descending by path
        // elements (a status write leaves the whole spec as it was).
        if (!(isEmptyValue(l) && isEmptyValue(r)) && !deepEqual(l, r)) descend(l, r, cs, ls!, at);
        return;
      }
      if (granular(ls) || granular(rs)) {
        cmp(l, undefined, cs, at);
        cmp(undefined, r, cs, at);
      } else if (!deepEqual(l, r)) mark(at, MODIFIED);
      return;
    }
    const [v, sh, into] = l === undefined ? [r, rs!, ADDED] : [l, ls!, REMOVED];
    mark(at, into);
    if (granular(sh) && !isEmptyValue(v)) {
      if (l === undefined) descend(undefined, r, cs, sh, at);
      else descend(l, undefined, cs, sh, at);
    }
  };
  const descend = (l: unknown, r: unknown, cs: SchemaNode | undefined, sh: Shape, at: At): void => {
    // The path only names an element in errors of strict reads; comparisons read leniently.
    const byPE = new Map<PathElement, [unknown, unknown, SchemaNode | undefined]>();
    if (l !== undefined) {
      for (const e of entries(l, cs, sh, [], false)) if (!byPE.has(e.pe)) byPE.set(e.pe, [e.value, undefined, e.schema]);
    }
    if (r !== undefined) {
      for (const e of entries(r, cs, sh, [], false)) {
        const prev = byPE.get(e.pe);
        if (prev && prev[1] !== undefined) continue;
        byPE.set(e.pe, [prev?.[0], e.value, e.schema]);
      }
    }
    for (const [pe, [lv, rv, es]] of byPE) cmp(lv, rv, es, { parent: at, pe, nodes: [] });
  };
  cmp(before, after, s, root);
  return { added: sets[ADDED]!, modified: sets[MODIFIED]!, removed: sets[REMOVED]! };
}

/**
 * Removes what the applying manager set last time, no longer sets, and nobody else owns.
 * A named field counts as owned when anything below it is; a list item only when owned itself.
 */
export function prune(value: unknown, s: SchemaNode | undefined, last: FieldSet, owned: FieldSet): unknown {
  const walk = (v: unknown, vs: SchemaNode | undefined, lastNode: FieldSet, ownNode: FieldSet | undefined, path: Path): unknown => {
    const sh = shape(v, vs);
    if (!granular(sh)) return v;
    const kept: [Entry, unknown][] = [];
    for (const e of entries(v, vs, sh, path, false)) {
      const lc = lastNode.children.get(e.pe);
      if (!lc || lc.isEmpty()) {
        kept.push([e, e.value]);
        continue;
      }
      const oc = ownNode?.children.get(e.pe);
      const isOwned = oc !== undefined && (oc.member || (e.pe.startsWith('f:') && !oc.isEmpty()));
      if (isOwned) kept.push([e, walk(e.value, e.schema, lc, oc, [...path, e.pe])]);
    }
    if (sh === 'map') return Object.fromEntries(kept.map(([e, x]) => [e.key!, x]));
    return kept.map(([, x]) => x);
  };
  return walk(value, s, last, owned, []);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    // JSON equality: a property holding undefined is an absent one.
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
