import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventLog, seqKey } from './event-log.js';
import { SYSTEM_ACTOR } from './log-entry.js';
import { jsonSublevel } from '../storage/db.js';

describe('EventLog', () => {
  let dir: string;
  let db: Level<string, unknown>;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'thalogos-log-'));
    db = new Level<string, unknown>(path.join(dir, 'db'), { valueEncoding: 'json' });
    await db.open();
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const entry = (sessionId: string | null, type: string, data: unknown = {}) => ({ actor: SYSTEM_ACTOR, sessionId, type, data });

  it('assigns consecutive sequence numbers and chains hashes', async () => {
    const log = await EventLog.open(db);
    const [a] = await log.append([entry('s1', 'A')]);
    const [b, c] = await log.append([entry('s2', 'B'), entry('s1', 'C')]);
    expect([a?.seq, b?.seq, c?.seq]).toEqual([1, 2, 3]);
    expect(a?.prevHash).toBe('0'.repeat(64));
    expect(b?.prevHash).toBe(a?.hash);
    expect(c?.prevHash).toBe(b?.hash);
    expect(await log.verify()).toMatchObject({ ok: true, count: 3 });
  });

  it('group-commits concurrent appends in submission order', async () => {
    const log = await EventLog.open(db);
    const batch = vi.spyOn(db, 'batch');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.appendOne(entry('s', `E${i}`))));
    // The first append writes alone; the 49 queued behind it share the next batch.
    expect(batch.mock.calls.length).toBeLessThanOrEqual(3);
    batch.mockRestore();
    expect(results.map((r) => r.type)).toEqual(Array.from({ length: 50 }, (_, i) => `E${i}`));
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await log.verify()).ok).toBe(true);
  });

  it('reads per session, after a sequence and up to a limit', async () => {
    const log = await EventLog.open(db);
    for (let i = 0; i < 6; i += 1) await log.appendOne(entry(i % 2 === 0 ? 'even' : 'odd', `E${i}`));
    expect((await log.read({ sessionId: 'even' })).map((e) => e.type)).toEqual(['E0', 'E2', 'E4']);
    expect((await log.read({ sessionId: 'even', after: 1 })).map((e) => e.type)).toEqual(['E2', 'E4']);
    expect((await log.read({ after: 2, limit: 2 })).map((e) => e.seq)).toEqual([3, 4]);
    expect((await log.read({ until: 2 })).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('reads one task of a session through its own index', async () => {
    const log = await EventLog.open(db);
    for (let i = 0; i < 6; i += 1) await log.appendOne({ ...entry('s', `E${i}`), taskId: i % 3 === 0 ? 't1' : 't2' });
    expect((await log.read({ sessionId: 's', taskId: 't1' })).map((e) => e.type)).toEqual(['E0', 'E3']);
    expect((await log.read({ sessionId: 's', taskId: 't2', after: 2, limit: 2 })).map((e) => e.type)).toEqual(['E2', 'E4']);
    expect(await log.read({ sessionId: 'other', taskId: 't1' })).toEqual([]);
  });

  it('continues the chain after reopening', async () => {
    const first = await EventLog.open(db);
    const last = await first.appendOne(entry('s', 'one'));
    const reopened = await EventLog.open(db);
    expect(reopened.head).toEqual({ seq: 1, hash: last.hash });
    const next = await reopened.appendOne(entry('s', 'two'));
    expect(next.prevHash).toBe(last.hash);
    expect((await reopened.verify()).ok).toBe(true);
  });

  it('detects an edited entry and names where the chain breaks', async () => {
    const log = await EventLog.open(db);
    await log.append([entry('s', 'a', { n: 1 }), entry('s', 'b', { n: 2 }), entry('s', 'c', { n: 3 })]);
    const raw = jsonSublevel<Record<string, unknown>>(db, 'log');
    const second = await raw.get(seqKey(2));
    await raw.put(seqKey(2), { ...second, data: { n: 999 } });
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: 'entry content does not match its hash' });
  });

  it('detects a deleted entry', async () => {
    const log = await EventLog.open(db);
    await log.append([entry('s', 'a'), entry('s', 'b'), entry('s', 'c')]);
    await jsonSublevel(db, 'log').del(seqKey(2));
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it('writes side rows atomically with the entries', async () => {
    const log = await EventLog.open(db);
    const rows = jsonSublevel<{ title: string }>(db, 'rows');
    await log.appendOne(entry('s', 'created'), [{ sublevel: rows, key: 's', value: { title: 't' } }]);
    expect(await rows.get('s')).toEqual({ title: 't' });
  });
});
