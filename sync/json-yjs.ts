import * as Y from 'yjs';

/** A JSON value as it can live in a Yjs document (objects become Y.Map, arrays Y.Array). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Builds the Yjs value for a JSON value (to be inserted into a document). */
export function toYjs(value: Json): unknown {
  if (Array.isArray(value)) {
    const array = new Y.Array<unknown>();
    array.insert(0, value.map(toYjs));
    return array;
  }
  if (isJsonObject(value)) {
    const map = new Y.Map<unknown>();
    for (const [key, child] of Object.entries(value)) map.set(key, toYjs(child));
    return map;
  }
  return value;
}

/** Deep equality between a Yjs value and a JSON value, without materialising the Yjs side. */
export function equalsJson(current: unknown, value: Json): boolean {
  if (current instanceof Y.Map) {
    if (!isJsonObject(value)) return false;
    const keys = Object.keys(value);
    if (keys.length !== current.size) return false;
    return keys.every((key) => current.has(key) && equalsJson(current.get(key), value[key]!));
  }
  if (current instanceof Y.Array) {
    if (!Array.isArray(value) || value.length !== current.length) return false;
    let index = 0;
    for (const item of current) {
      if (!equalsJson(item, value[index]!)) return false;
      index++;
    }
    return true;
  }
  if (typeof current === 'object' && current !== null) return jsonEqual(current as Json, value);
  return current === value;
}

/** Deep equality of plain JSON values (as stored inline in a Y.Array, e.g. agent lines). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]!));
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key]!, b[key]!));
  }
  return false;
}

/**
 * Like `syncArray` for arrays whose items are stored inline as plain JSON (one Yjs item per
 * insert, not a Y.Map per element): keep the common prefix and suffix, replace the middle.
 */
export function syncPlainArray(array: Y.Array<unknown>, value: Json[]): void {
  const current = array.toArray() as Json[];
  const { start, endCurrent, endValue } = commonEnds(current, value, (a, b) => jsonEqual(a as Json, b));
  if (endCurrent > start) array.delete(start, endCurrent - start);
  if (endValue > start) array.insert(start, value.slice(start, endValue));
}

/**
 * Makes `map` equal to `value` with the fewest Yjs operations this simple diff can find: unchanged
 * keys are not touched, nested objects and arrays are updated in place. Why: every operation is
 * broadcast to every watcher and kept (until compaction) in storage, and a rewrite would also make
 * clients' observers fire for things that did not change.
 */
export function syncMap(map: Y.Map<unknown>, value: JsonObject): void {
  for (const key of [...map.keys()]) if (!(key in value)) map.delete(key);
  for (const [key, next] of Object.entries(value)) {
    const current = map.get(key);
    if (isJsonObject(next) && current instanceof Y.Map) syncMap(current, next);
    else if (Array.isArray(next) && current instanceof Y.Array) syncArray(current, next);
    else if (!(map.has(key) && equalsJson(current, next))) map.set(key, toYjs(next));
  }
}

/**
 * Array diff: keep the common prefix and suffix, update overlapping middle elements in place when
 * they are of the same shape (and the same `id`, for objects that have one), delete or insert the
 * rest. Appending to a timeline is one insert; changing one task's status is one map set.
 */
export function syncArray(array: Y.Array<unknown>, value: Json[]): void {
  const current = array.toArray();
  const { start, endCurrent, endValue } = commonEnds(current, value, equalsJson);
  const overlap = Math.min(endCurrent - start, endValue - start);
  for (let offset = 0; offset < overlap; offset++) {
    const index = start + offset;
    const existing = current[index];
    const next = value[index]!;
    if (isJsonObject(next) && existing instanceof Y.Map && sameIdentity(existing, next)) syncMap(existing, next);
    else if (Array.isArray(next) && existing instanceof Y.Array) syncArray(existing, next);
    else {
      array.delete(index, 1);
      array.insert(index, [toYjs(next)]);
    }
  }
  const extraCurrent = endCurrent - start - overlap;
  if (extraCurrent > 0) array.delete(start + overlap, extraCurrent);
  const extraValue = value.slice(start + overlap, endValue);
  if (extraValue.length > 0) array.insert(start + overlap, extraValue.map(toYjs));
}

function sameIdentity(existing: Y.Map<unknown>, next: JsonObject): boolean {
  return existing.get('id') === (next['id'] ?? undefined);
}

/** Parses an outside value into plain JSON (drops undefined, turns Dates into strings). */
export function toJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value ?? null)) as Json;
}

/** Length of the common prefix, and where the common suffix starts on each side. */
function commonEnds(
  current: readonly unknown[],
  value: readonly Json[],
  equal: (current: unknown, value: Json) => boolean,
): { start: number; endCurrent: number; endValue: number } {
  let start = 0;
  while (start < current.length && start < value.length && equal(current[start], value[start]!)) start++;
  let endCurrent = current.length;
  let endValue = value.length;
  while (endCurrent > start && endValue > start && equal(current[endCurrent - 1], value[endValue - 1]!)) {
    endCurrent--;
    endValue--;
  }
  return { start, endCurrent, endValue };
}
