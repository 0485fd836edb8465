/**
 * Values layering with Helm's rules. The first layer is the chart's values.yaml; every later layer is
 * what Helm calls user-supplied values (environment values, values files, --values, --set), lowest first.
 *
 * - User layers merge as Helm merges -f files and --set: maps key by key, anything else (lists,
 *   scalars, null) replaces.
 * - The result is then coalesced onto the chart defaults: a default shows through wherever the user
 *   layers are silent; a user `null` deletes the default it lands on. A `null` over a key that no chart
 *   default has stays in the values as `null` (Helm 4 keeps it too, verified with `helm template`).
 *
 * Inputs are never mutated; every map in the result is a fresh plain object whose keys are in Go's
 * sorted order, so `{{#each Values.x}}` visits them in the order Helm's `range` does, whatever order the
 * files wrote them in. Keys such as `__proto__`
 * and `constructor` are stored as own data properties, so no layer can reach Object.prototype.
 */

import { KasaneError } from '../errors.js';
import { compareGoStrings } from '../yaml/go-scalars.js';

export type Values = Record<string, unknown>;

/** A values source that is not a map at its top level (a list, a string, …). */
export class ValuesLayerError extends KasaneError {
  override readonly name: string = 'ValuesLayerError';
  readonly layer: number;

  constructor(layer: number, actual: string) {
    super(`values layer ${layer} is a ${actual}, not a map of keys to values`, {
      hint: 'a values file or values block must be a YAML mapping at its top level',
    });
    this.layer = layer;
  }
}

export function isValuesMap(value: unknown): value is Values {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Sets `key` as an own data property, so `__proto__` is just a key. (`__proto__` is the only
 * accessor plain objects inherit; every other key is an own data property after a plain assignment,
 * which is much cheaper than defining it.)
 */
export function setOwn(target: Values, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export function cloneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneValue);
  if (isValuesMap(value)) {
    const copy: Values = {};
    for (const key of Object.keys(value)) setOwn(copy, key, cloneValue(value[key]));
    return copy;
  }
  return value;
}

/**
 * A deep copy whose maps list their keys in Go's sorted (byte-wise) order. (JavaScript still lists
 * integer-like keys such as "10" first; Go would sort them as text.)
 */
export function withSortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSortedKeys);
  if (isValuesMap(value)) {
    const copy: Values = {};
    for (const key of Object.keys(value).sort(compareGoStrings)) setOwn(copy, key, withSortedKeys(value[key]));
    return copy;
  }
  return value;
}

/** Helm's mergeMaps: `over` wins; maps on both sides merge recursively. */
function mergeUser(base: Values, over: Values): Values {
  const out = cloneValue(base) as Values;
  for (const key of Object.keys(over)) {
    const next = over[key];
    const prev = Object.hasOwn(out, key) ? out[key] : undefined;
    setOwn(out, key, isValuesMap(next) && isValuesMap(prev) ? mergeUser(prev, next) : cloneValue(next));
  }
  return out;
}

/**
 * Helm's coalesceValues: defaults fill the gaps in `user`; a user null removes the default. The
 * result is a new tree with every map's keys in Go's order (see withSortedKeys), made in one copy.
 */
function coalesceSorted(user: Values, defaults: Values): Values {
  const keys = new Set(Object.keys(user));
  for (const key of Object.keys(defaults)) keys.add(key);
  const out: Values = {};
  for (const key of [...keys].sort(compareGoStrings)) {
    const hasDefault = Object.hasOwn(defaults, key);
    const fallback = hasDefault ? defaults[key] : undefined;
    if (!Object.hasOwn(user, key)) {
      setOwn(out, key, withSortedKeys(fallback));
      continue;
    }
    const mine = user[key];
    if (mine === null && hasDefault) continue;
    setOwn(out, key, isValuesMap(mine) && isValuesMap(fallback) ? coalesceSorted(mine, fallback) : withSortedKeys(mine));
  }
  return out;
}

function asLayer(layer: unknown, index: number): Values {
  if (layer === null || layer === undefined) return {};
  if (!isValuesMap(layer)) {
    throw new ValuesLayerError(index, Array.isArray(layer) ? 'list' : typeof layer);
  }
  return layer;
}

/** Layers values lowest first: `layers[0]` is the chart's values.yaml, the rest override it in order. */
export function layerValues(layers: readonly unknown[]): Values {
  if (layers.length === 0) return {};
  const [chartDefaults, ...userLayers] = layers.map(asLayer);
  const user = userLayers.reduce<Values>((acc, layer) => mergeUser(acc, layer), {});
  return coalesceSorted(user, chartDefaults!);
}
