import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { equalsJson, syncMap, syncPlainArray, type JsonObject } from './json-yjs.js';

function updatesDuring(doc: Y.Doc, fn: () => void): Uint8Array[] {
  const updates: Uint8Array[] = [];
  const listener = (update: Uint8Array) => updates.push(update);
  doc.on('update', listener);
  doc.transact(fn);
  doc.off('update', listener);
  return updates;
}

describe('json-yjs', () => {
  it('mirrors JSON into Y.Map / Y.Array and back', () => {
    const doc = new Y.Doc();
    const map = doc.getMap('m');
    const value: JsonObject = { a: 1, b: 'x', c: null, d: [1, { id: 'k', v: [true] }], e: { f: { g: 2 } } };
    doc.transact(() => syncMap(map, value));
    expect(map.toJSON()).toEqual(value);
    expect(equalsJson(map, value)).toBe(true);
    expect(equalsJson(map, { ...value, a: 2 })).toBe(false);
  });

  it('changes nothing when nothing changed, and little when little changed', () => {
    const doc = new Y.Doc();
    const map = doc.getMap('m');
    const tasks = Array.from({ length: 30 }, (_, i) => ({ id: `t${i}`, status: 'queued', title: `task ${i} with a title` }));
    doc.transact(() => syncMap(map, { tasks }));
    expect(updatesDuring(doc, () => syncMap(map, { tasks: structuredClone(tasks) }))).toHaveLength(0);

    const next = structuredClone(tasks);
    next[4]!.status = 'done';
    const [update] = updatesDuring(doc, () => syncMap(map, { tasks: next }));
    // One map entry replaced, not the array rewritten.
    expect(update!.length).toBeLessThan(60);
    expect(map.toJSON()).toEqual({ tasks: next });

    const removed = next.filter((t) => t.id !== 't10');
    removed.push({ id: 't99', status: 'queued', title: 'new' });
    doc.transact(() => syncMap(map, { tasks: removed }));
    expect(map.toJSON()).toEqual({ tasks: removed });
    doc.transact(() => syncMap(map, {}));
    expect(map.toJSON()).toEqual({});
  });

  it('syncPlainArray keeps prefix and suffix, replaces the middle', () => {
    const doc = new Y.Doc();
    const array = doc.getArray<unknown>('a');
    doc.transact(() => array.push([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]));
    const before = array.toArray();
    doc.transact(() => syncPlainArray(array, [{ n: 1 }, { n: 9 }, { n: 4 }]));
    expect(array.toJSON()).toEqual([{ n: 1 }, { n: 9 }, { n: 4 }]);
    // The untouched ends are the same stored values (not re-inserted copies).
    expect(array.get(0)).toBe(before[0]);
    expect(array.get(2)).toBe(before[3]);
  });
});
