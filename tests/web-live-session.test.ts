import { describe, expect, it } from 'vitest';
import type { StreamLine } from '../web/app/lib/api-types.js';
import { mergeStreamLines } from '../web/app/lib/stream-merge.js';
import { sameJson, StaleDocumentCheck } from '../web/app/lib/stale-check.js';

const line = (seq: number, text = `line ${seq}`): StreamLine => ({ type: 'message', seq, at: '2026-01-01T00:00:00.000Z', text });
const entry = (runId: string, seq: number, logSeq = seq) => ({ seq: logSeq, type: 'AGENT.EVENT', data: { runId, event: line(seq) } });

describe('mergeStreamLines (polled log pages into the agent streams)', () => {
  it('adds each run line once, whichever source delivered it first', () => {
    const synced = { r1: [line(1), line(2), line(3)] };
    // The page fetched before the state document synced repeats lines 1-3 and brings 4.
    const merged = mergeStreamLines(synced, [entry('r1', 1), entry('r1', 2), entry('r1', 3), entry('r1', 4)]);
    expect(merged.r1?.map((l) => l.seq)).toEqual([1, 2, 3, 4]);
    expect(mergeStreamLines(merged, [entry('r1', 4)]).r1?.map((l) => l.seq)).toEqual([1, 2, 3, 4]);
  });

  it('keeps lines in seq order per run, ignores other log entries, and keeps the newest `max`', () => {
    const merged = mergeStreamLines({}, [entry('a', 2), entry('b', 1), { seq: 9, type: 'TASK.ADD', data: {} }, entry('a', 1)], 200);
    expect(merged.a?.map((l) => l.seq)).toEqual([1, 2]);
    expect(merged.b?.map((l) => l.seq)).toEqual([1]);
    const many = Array.from({ length: 250 }, (_, index) => entry('a', index + 1));
    const capped = mergeStreamLines({}, many, 200);
    expect(capped.a).toHaveLength(200);
    expect(capped.a?.[0]?.seq).toBe(51);
    expect(capped.a?.at(-1)?.seq).toBe(250);
  });

  it('returns the same object when a page has no stream lines (no re-render)', () => {
    const streams = { r: [line(1)] };
    expect(mergeStreamLines(streams, [{ seq: 3, type: 'SAVE.REQUEST', data: {} }])).toBe(streams);
  });
});

describe('StaleDocumentCheck (a state document that stopped following its session)', () => {
  it('is stale only after two differing checks with no document change in between', () => {
    const check = new StaleDocumentCheck();
    const api = { id: 's', pendingRollback: null, timeline: [{ kind: 'rollback' }] };
    const doc = { timeline: [], pendingRollback: { checkpoint: 'c1' }, id: 's' };
    expect(check.check(doc, 1, api)).toBe('suspect');
    // The document changed meanwhile (an update arrived): still only suspect.
    expect(check.check(doc, 2, api)).toBe('suspect');
    expect(check.check(doc, 2, api)).toBe('stale');
    // Equal (in any key order) is fresh and forgets the suspicion.
    expect(check.check({ timeline: [{ kind: 'rollback' }], pendingRollback: null, id: 's' }, 3, api)).toBe('fresh');
    expect(check.check(doc, 3, api)).toBe('suspect');
  });

  it('compares JSON whatever the key order, and tells arrays, nulls and missing keys apart', () => {
    expect(sameJson({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(sameJson({ a: null }, { a: undefined })).toBe(false);
    expect(sameJson({ a: undefined, b: 1 }, { b: 1 })).toBe(true);
    expect(sameJson([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
});
