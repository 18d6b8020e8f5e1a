import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonSublevel, type Db } from '../storage/db.js';
import { EventLog, seqKey } from './event-log.js';
import { hashEntry } from './hash-chain.js';
import { SYSTEM_ACTOR, type LogEntry } from './log-entry.js';
import { SnapshotStore } from '../sessions/snapshot-store.js';
import { HeadJournal } from './head-journal.js';
import { auditLog, checkAnchors } from './log-integrity.js';
import { LogCorruptionError, LOG_CORRUPTION_RUNBOOK, LOG_HEAD_JOURNAL_STARTED, LOG_REPAIRED, ledgerPaths, openLedger, type Ledger } from './open-ledger.js';

const silent = pino({ level: 'silent' });

describe('event log integrity beyond the chain', () => {
  let dataDir: string;
  let open: Ledger | null = null;

  const start = async (repair = false): Promise<Ledger> => {
    open = await openLedger(dataDir, { repair, logger: silent });
    return open;
  };
  const stop = async () => {
    await open?.close();
    open = null;
  };
  /** `groups` group commits of two entries each, alternating between two sessions. */
  const fill = async (ledger: Ledger, groups: number) => {
    for (let g = 0; g < groups; g += 1) {
      await ledger.log.append([
        { actor: SYSTEM_ACTOR, sessionId: 's1', type: 'A', data: { g } },
        { actor: SYSTEM_ACTOR, sessionId: 's2', type: 'B', data: { g } },
      ]);
    }
  };
  /** Edits LevelDB directly, the way damage or an attacker would, with the runtime stopped. */
  const raw = async (edit: (db: Db) => Promise<void>) => {
    const db = new Level<string, unknown>(ledgerPaths(dataDir).db, { valueEncoding: 'json' });
    await db.open();
    try {
      await edit(db);
    } finally {
      await db.close();
    }
  };
  const startError = async (repair = false): Promise<LogCorruptionError> => {
    const error = await start(repair).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(LogCorruptionError);
    return error as LogCorruptionError;
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'thalogos-integrity-'));
  });
  afterEach(async () => {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a clean log starts again and audits ok, with the snapshots and journal checked', async () => {
    const ledger = await start();
    await fill(ledger, 5);
    await ledger.snapshots.save('s1', 9, { state: 'x' });
    await stop();
    const again = await start();
    const report = await again.audit();
    expect(report).toMatchObject({ ok: true, count: 10, brokenAt: null, findings: [], snapshotsChecked: 1, journal: { records: 5, lastSeq: 10 } });
    expect(report.head.seq).toBe(10);
  });

  it('a truncated tail (LevelDB lost the last groups, head row included) stops the start and fails audit verify', async () => {
    const ledger = await start();
    await fill(ledger, 5);
    await ledger.snapshots.save('s1', 9, { state: 'x' });
    await stop();
    await raw(async (db) => {
      const entries = jsonSublevel<LogEntry>(db, 'log');
      for (const seq of [7, 8, 9, 10]) await entries.del(seqKey(seq));
      const six = await entries.get(seqKey(6));
      await jsonSublevel(db, 'log-meta').put('head', { seq: 6, hash: six?.hash });
    });
    const error = await startError();
    expect(error.message).toContain(dataDir);
    expect(error.message).toContain(LOG_CORRUPTION_RUNBOOK);
    expect(error.message).toContain('--repair-log');
    expect(error.findings.map((finding) => finding.kind)).toEqual(['truncated_tail', 'snapshot_ahead']);
    expect(error.findings[0]).toMatchObject({ seq: 7 });

    // The same data seen by audit verify in a runtime that did not check at start.
    await raw(async (db) => {
      const journal = await HeadJournal.open(ledgerPaths(dataDir).journal);
      const log = await EventLog.open(db, () => new Date(), journal);
      expect((await log.verify()).ok).toBe(true); // the chain alone sees nothing wrong
      const report = await auditLog({ log, journal, snapshots: new SnapshotStore(db, log) });
      expect(report.ok).toBe(false);
      expect(report.findings.map((finding) => finding.kind)).toEqual(['truncated_tail', 'snapshot_ahead']);
      expect(report.findings[0]?.reason).toMatch(/entries 7\.\.10 are missing/);
      await journal.close();
    });
  });

  it('an entry rewritten with every later hash recomputed is caught at start and by audit verify', async () => {
    const ledger = await start();
    await fill(ledger, 5);
    await ledger.snapshots.save('s2', 4, { state: 'y' });
    await stop();
    await raw(async (db) => {
      const entries = jsonSublevel<LogEntry>(db, 'log');
      let prevHash: string | null = null;
      let last: LogEntry | null = null;
      for await (const [key, entry] of entries.iterator({ gte: seqKey(5) })) {
        const body = { ...entry, prevHash: prevHash ?? entry.prevHash, data: entry.seq === 5 ? { g: 'forged' } : entry.data } as Partial<LogEntry>;
        delete body.hash;
        const rewritten = { ...body, hash: hashEntry(body) } as LogEntry;
        await entries.put(key, rewritten);
        prevHash = rewritten.hash;
        last = rewritten;
      }
      await jsonSublevel(db, 'log-meta').put('head', { seq: last?.seq, hash: last?.hash });
      expect((await (await EventLog.open(db)).verify()).ok).toBe(true); // a consistent chain
    });
    const error = await startError();
    expect(error.findings.map((finding) => finding.kind)).toEqual(['entry_rewritten']);

    await raw(async (db) => {
      const journal = await HeadJournal.open(ledgerPaths(dataDir).journal);
      const log = await EventLog.open(db, () => new Date(), journal);
      const report = await auditLog({ log, journal, snapshots: new SnapshotStore(db, log) });
      expect(report.ok).toBe(false);
      // The journal brackets the edit: seq 4 still matched, seq 6 (the next group head) did not.
      expect(report.findings[0]).toMatchObject({ kind: 'entry_rewritten', seq: 5 });
      expect(report.findings[0]?.reason).toMatch(/between seq 5 and 6/);
      await journal.close();
    });
  });

  it('a snapshot whose entry was rewritten (same seq, other hash) is caught even when the head matches', async () => {
    const ledger = await start();
    await fill(ledger, 3);
    await ledger.snapshots.save('s1', 3, { state: 'z' });
    await stop();
    await raw(async (db) => {
      const entries = jsonSublevel<LogEntry>(db, 'log');
      const third = await entries.get(seqKey(3));
      await entries.put(seqKey(3), { ...(third as LogEntry), hash: 'f'.repeat(64) });
    });
    const error = await startError();
    expect(error.findings).toEqual([expect.objectContaining({ kind: 'entry_rewritten', seq: 3, sessionId: 's1' })]);
  });

  it('completes the journal when the process died between the LevelDB batch and the journal record', async () => {
    const ledger = await start();
    await fill(ledger, 3);
    await stop();
    const journalFile = ledgerPaths(dataDir).journal;
    const lines = (await readFile(journalFile, 'utf8')).split('\n').filter(Boolean);
    await writeFile(journalFile, `${lines.slice(0, -1).join('\n')}\n`);
    const again = await start();
    expect((await again.audit()).ok).toBe(true);
    expect((await readFile(journalFile, 'utf8')).split('\n').filter(Boolean)).toHaveLength(3);
    await stop();

    // Two groups missing from the journal is not what a crash leaves.
    await writeFile(journalFile, `${lines.slice(0, -2).join('\n')}\n`);
    expect((await startError()).findings.map((finding) => finding.kind)).toEqual(['head_mismatch']);
  });

  it('stops taking appends when the journal cannot be written, and the next start completes it', async () => {
    const ledger = await start();
    await fill(ledger, 2);
    await ledger.journal.close(); // every later write to it fails (EBADF)
    await expect(ledger.log.appendOne({ actor: SYSTEM_ACTOR, sessionId: 's1', type: 'C', data: {} })).rejects.toMatchObject({ code: 'LOG_UNAVAILABLE' });
    await expect(ledger.log.appendOne({ actor: SYSTEM_ACTOR, sessionId: 's1', type: 'D', data: {} })).rejects.toMatchObject({ code: 'LOG_UNAVAILABLE' });
    await ledger.db.close();
    open = null;
    const again = await start();
    expect(again.log.head.seq).toBe(5);
    expect((await again.audit()).ok).toBe(true);
  });

  it('detects a flipped byte in LevelDB\'s write-ahead log from LevelDB\'s own recovery report', async () => {
    const ledger = await start();
    await fill(ledger, 40);
    await stop();
    const dbDir = ledgerPaths(dataDir).db;
    const wal = (await readdir(dbDir)).find((name) => name.endsWith('.log'));
    expect(wal).toBeDefined();
    const bytes = await readFile(path.join(dbDir, wal as string));
    const at = bytes.length - 200;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    await writeFile(path.join(dbDir, wal as string), bytes);
    const error = await startError();
    expect(error.findings.map((finding) => finding.kind)).toContain('leveldb_dropped_data');
    expect(error.message).toMatch(/write-ahead log as it was before this start is kept in .*wal-at-start-damaged-/);
    expect(error.preservedWal).not.toBeNull();
    expect(await readdir(error.preservedWal as string)).toContain(wal);
    // LevelDB has recovered past the damage by now; the refusal stands until an operator repairs.
    const again = await startError();
    expect(again.findings.map((finding) => finding.kind)).toContain('leveldb_dropped_data');
    expect(again.preservedWal).toBe(error.preservedWal);
    expect((await start(true)).repaired?.length).toBeGreaterThan(0);
    await stop();
    expect((await (await start()).audit()).ok).toBe(true);
  });

  it('LevelDB refusing to open is a refusal too; --repair-log runs LevelDB\'s RepairDB and records it', async () => {
    const ledger = await start();
    await fill(ledger, 4);
    await stop();
    const dbDir = ledgerPaths(dataDir).db;
    const manifest = (await readdir(dbDir)).find((name) => name.startsWith('MANIFEST-')) as string;
    const bytes = await readFile(path.join(dbDir, manifest));
    bytes[10] = (bytes[10] ?? 0) ^ 0xff;
    await writeFile(path.join(dbDir, manifest), bytes);
    const error = await startError();
    expect(error.findings.map((finding) => finding.kind)).toEqual(['leveldb_open_failed']);
    expect(error.findings[0]?.reason).toMatch(/Corruption/);
    const repaired = await start(true);
    expect((await repaired.log.read()).map((entry) => entry.type)).toEqual([...Array.from({ length: 4 }, () => ['A', 'B']).flat(), LOG_REPAIRED]);
    expect((await repaired.audit()).ok).toBe(true);
  });

  it('--repair-log starts anyway, records what was lost, re-anchors the head and audits ok after', async () => {
    const ledger = await start();
    await fill(ledger, 5);
    await ledger.snapshots.save('s1', 9, { state: 'x' });
    await stop();
    await raw(async (db) => {
      const entries = jsonSublevel<LogEntry>(db, 'log');
      for (const seq of [7, 8, 9, 10]) await entries.del(seqKey(seq));
      const six = await entries.get(seqKey(6));
      await jsonSublevel(db, 'log-meta').put('head', { seq: 6, hash: six?.hash });
    });
    const repaired = await start(true);
    expect(repaired.repaired?.map((finding) => finding.kind)).toEqual(['truncated_tail', 'snapshot_ahead']);
    const [record] = await repaired.log.read({ after: 6 });
    expect(record).toMatchObject({ seq: 7, type: LOG_REPAIRED, data: { lost: { fromSeq: 7, toSeq: 10 }, snapshotsDiscarded: ['s1'] } });
    expect(await repaired.snapshots.load('s1')).toBeNull();
    const report = await repaired.audit();
    expect(report).toMatchObject({ ok: true });
    expect(report.journal?.anchors).toEqual([expect.objectContaining({ seq: 6, anchor: 'repair: truncated_tail, snapshot_ahead' })]);
    // A checkpoint made before the repair that anchored a lost entry no longer fails the audit,
    // once the seq it names is reused; one made after the repair is checked as usual.
    await fill(repaired, 1);
    const before = new Date(Date.now() - 60_000).toISOString();
    const lostAnchor = { seq: 8, hash: 'c'.repeat(64), source: 'checkpoint/s1/1', at: before };
    const after = await repaired.audit([lostAnchor, { seq: 8, hash: 'c'.repeat(64), source: 'checkpoint/s1/2', at: new Date().toISOString() }]);
    expect(after.anchorsSuperseded).toEqual([lostAnchor]);
    expect(after.findings).toEqual([expect.objectContaining({ kind: 'anchor_mismatch', source: 'checkpoint/s1/2' })]);
    await stop();
    expect((await (await start()).audit()).ok).toBe(true);
  });

  it('starts a head journal on a log that had none, once, with an audit record', async () => {
    await raw(async (db) => {
      const log = await EventLog.open(db);
      await log.append([{ actor: SYSTEM_ACTOR, sessionId: 's1', type: 'A', data: {} }]);
    });
    const ledger = await start();
    expect((await ledger.log.read()).map((entry) => entry.type)).toEqual(['A', LOG_HEAD_JOURNAL_STARTED]);
    expect((await ledger.audit()).ok).toBe(true);
  });

  it('checks checkpoint anchors against the log: matching, rewritten and past the end', async () => {
    const ledger = await start();
    await fill(ledger, 3);
    const four = await ledger.log.entryAt(4);
    const good = { seq: 4, hash: four?.hash as string, source: 'checkpoint/s1/1' };
    expect(await checkAnchors(ledger.log, [good, { seq: 0, hash: '0'.repeat(64) }])).toEqual([]);
    const findings = await checkAnchors(ledger.log, [{ ...good, hash: 'a'.repeat(64) }, { seq: 9, hash: 'b'.repeat(64), source: 'checkpoint/s1/2' }]);
    expect(findings.map((finding) => [finding.kind, finding.seq, finding.source])).toEqual([
      ['anchor_mismatch', 4, 'checkpoint/s1/1'],
      ['anchor_ahead', 9, 'checkpoint/s1/2'],
    ]);
    const report = await ledger.audit([{ ...good, hash: 'a'.repeat(64) }]);
    expect(report).toMatchObject({ ok: false, anchorsChecked: 1, findings: [{ kind: 'anchor_mismatch', seq: 4 }] });
  });
});
