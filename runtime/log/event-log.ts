import { durableBatch, jsonSublevel, type Db, type JsonSublevel, type PutOp } from '../storage/db.js';
import { GENESIS_HASH, hashEntry } from './hash-chain.js';
import type { HeadJournal } from './head-journal.js';
import type { LogEntry, NewLogEntry } from './log-entry.js';
import type { SessionLog } from '../storage/ports.js';

/** Extra writes that must land atomically with a group of entries (e.g. the session index row). */
export type SideWrite = PutOp;

interface PendingAppend {
  entries: NewLogEntry[];
  sideWrites: SideWrite[];
  resolve: (entries: LogEntry[]) => void;
  reject: (error: unknown) => void;
}

/** The head row kept in LevelDB with each group; `prev` is the head before that group. */
export interface StoredHead {
  seq: number;
  hash: string;
  prev?: { seq: number; hash: string };
}

/** Thrown once the head journal could not be written: the log stops taking appends (fail-stop). */
export class LogUnavailableError extends Error {
  override readonly name = 'LogUnavailableError';
  readonly code = 'LOG_UNAVAILABLE';
}

const SEQ_WIDTH = 16;
export const seqKey = (seq: number): string => seq.toString().padStart(SEQ_WIDTH, '0');

/**
 * The append-only, hash-chained event log in LevelDB.
 *
 * Appends are group-committed: everything queued while one batch is being written goes into the
 * next batch, written with `sync: true`, so an acknowledged append survives kill -9 and power loss
 * without paying one fsync per entry. Each entry carries the hash of its predecessor.
 *
 * With a head journal, each group's new head is also appended (and fdatasync'd) to a file outside
 * LevelDB after the batch and before anyone is told; see head-journal.ts and log-integrity.ts.
 */
export class EventLog implements SessionLog {
  private readonly entries: JsonSublevel<LogEntry>;
  private readonly bySession: JsonSublevel<number>;
  private readonly byTask: JsonSublevel<number>;
  private readonly meta: JsonSublevel<StoredHead>;
  private headSeq = 0;
  private headHash = GENESIS_HASH;
  private queue: PendingAppend[] = [];
  private writing = false;
  private readonly listeners = new Set<(entries: LogEntry[]) => void>();
  private unavailable: LogUnavailableError | null = null;

  private constructor(
    private readonly db: Db,
    private readonly now: () => Date,
    private readonly journal: HeadJournal | null,
  ) {
    this.entries = jsonSublevel(db, 'log');
    this.bySession = jsonSublevel(db, 'log-by-session');
    this.byTask = jsonSublevel(db, 'log-by-task');
    this.meta = jsonSublevel(db, 'log-meta');
  }

  static async open(db: Db, now: () => Date = () => new Date(), journal: HeadJournal | null = null): Promise<EventLog> {
    const log = new EventLog(db, now, journal);
    await log.loadHead();
    return log;
  }

  get head(): { seq: number; hash: string } {
    return { seq: this.headSeq, hash: this.headHash };
  }

  /** Called after entries are durable, in order; used for metrics and live projections. */
  onAppend(listener: (entries: LogEntry[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(entries: NewLogEntry[], sideWrites: SideWrite[] = []): Promise<LogEntry[]> {
    if (this.unavailable) return Promise.reject(this.unavailable);
    return new Promise((resolve, reject) => {
      this.queue.push({ entries, sideWrites, resolve, reject });
      void this.flush();
    });
  }

  async appendOne(entry: NewLogEntry, sideWrites: SideWrite[] = []): Promise<LogEntry> {
    const [written] = await this.append([entry], sideWrites);
    if (!written) throw new Error('append returned no entry');
    return written;
  }

  private async flush(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        await this.writeGroup(group);
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    let seq = this.headSeq;
    let prevHash = this.headHash;
    const at = this.now().toISOString();
    const written: LogEntry[][] = [];
    const ops: PutOp[] = [];
    for (const pending of group) {
      const out: LogEntry[] = [];
      for (const entry of pending.entries) {
        seq += 1;
        const body = {
          seq,
          at,
          kind: entry.kind ?? 'audit',
          actor: entry.actor,
          sessionId: entry.sessionId,
          taskId: entry.taskId ?? null,
          type: entry.type,
          data: entry.data === undefined ? null : entry.data,
          prevHash,
        };
        const hash = hashEntry(body);
        const full: LogEntry = { ...body, hash };
        prevHash = hash;
        out.push(full);
        ops.push({ sublevel: this.entries, key: seqKey(seq), value: full });
        if (full.sessionId) {
          ops.push({ sublevel: this.bySession, key: `${full.sessionId}!${seqKey(seq)}`, value: seq });
          if (full.taskId) ops.push({ sublevel: this.byTask, key: `${full.sessionId}!${full.taskId}!${seqKey(seq)}`, value: seq });
        }
      }
      ops.push(...pending.sideWrites);
      written.push(out);
    }
    const head: StoredHead = { seq, hash: prevHash, prev: { seq: this.headSeq, hash: this.headHash } };
    ops.push({ sublevel: this.meta, key: 'head', value: head });
    try {
      await durableBatch(this.db, ops);
    } catch (error) {
      for (const pending of group) pending.reject(error);
      return;
    }
    if (this.journal) {
      try {
        await this.journal.append({ seq, hash: prevHash });
      } catch (error) {
        // The entries are in LevelDB but not vouched for outside it. A failed fsync cannot be
        // retried safely, so stop taking appends; the next start finds LevelDB exactly one
        // group ahead of the journal and completes the record.
        this.unavailable = new LogUnavailableError(`the head journal could not be written: ${(error as Error).message}`);
        for (const pending of [...group, ...this.queue]) pending.reject(this.unavailable);
        this.queue = [];
        return;
      }
    }
    // Only now is the group committed: the head moves after the journal, so a head read by the
    // audit is never ahead of the journal.
    this.headSeq = seq;
    this.headHash = prevHash;
    // Appenders learn first that their entries are durable; a failing listener (metrics,
    // projections) must not undo that.
    group.forEach((pending, index) => pending.resolve(written[index] ?? []));
    const all = written.flat();
    for (const listener of this.listeners) {
      try {
        listener(all);
      } catch {
        // listeners own their errors; the log's job is done
      }
    }
  }

  /** Entries in sequence order, optionally of one session and after a sequence number. */
  async read(options: { sessionId?: string; taskId?: string; after?: number; until?: number; limit?: number } = {}): Promise<LogEntry[]> {
    const after = options.after ?? 0;
    const until = options.until ?? Number.MAX_SAFE_INTEGER;
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    const out: LogEntry[] = [];
    if (options.sessionId) {
      // Index keys sort by sequence within a session (or a session's task), so a range scan
      // reads exactly the wanted entries and stops at the limit.
      const index = options.taskId ? this.byTask : this.bySession;
      const prefix = options.taskId ? `${options.sessionId}!${options.taskId}!` : `${options.sessionId}!`;
      for await (const [, seq] of index.iterator({ gt: prefix + seqKey(after), lt: `${prefix}~` })) {
        if (seq > until || out.length >= limit) break;
        const entry = await this.entries.get(seqKey(seq));
        if (entry) out.push(entry);
      }
      return out;
    }
    for await (const [, entry] of this.entries.iterator({ gt: seqKey(after) })) {
      if (entry.seq > until || out.length >= limit) break;
      out.push(entry);
    }
    return out;
  }

  /** Recomputes the whole chain; reports the first entry whose hash or link does not hold. */
  async verify(): Promise<{ ok: boolean; count: number; headHash: string; brokenAt: number | null; reason: string | null }> {
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    for await (const [key, entry] of this.entries.iterator()) {
      const { hash, ...body } = entry;
      if (entry.seq !== expectedSeq || key !== seqKey(entry.seq)) {
        return { ok: false, count, headHash: prevHash, brokenAt: entry.seq, reason: 'sequence gap or key mismatch' };
      }
      if (entry.prevHash !== prevHash) {
        return { ok: false, count, headHash: prevHash, brokenAt: entry.seq, reason: 'previous-hash link broken' };
      }
      if (hashEntry(body) !== hash) {
        return { ok: false, count, headHash: prevHash, brokenAt: entry.seq, reason: 'entry content does not match its hash' };
      }
      prevHash = hash;
      expectedSeq += 1;
      count += 1;
    }
    return { ok: true, count, headHash: prevHash, brokenAt: null, reason: null };
  }

  /** The entry at one sequence number, or null when the log has none there. */
  async entryAt(seq: number): Promise<LogEntry | null> {
    return (await this.entries.get(seqKey(seq))) ?? null;
  }

  /** The newest entry in LevelDB, whatever the head row says. */
  async lastEntry(): Promise<LogEntry | null> {
    for await (const [, entry] of this.entries.iterator({ reverse: true, limit: 1 })) return entry;
    return null;
  }

  /** The head row as LevelDB holds it (null on an empty log). */
  async storedHead(): Promise<StoredHead | null> {
    return (await this.meta.get('head')) ?? null;
  }

  /** Walks the entries in order from the first, for the integrity checks. */
  entriesFrom(after = 0): AsyncIterable<LogEntry> {
    return this.entries.values({ gt: seqKey(after) });
  }

  /**
   * Sets the head row to the newest entry (used only by an operator's repair, when the row and
   * the entries disagree after LevelDB dropped data) and continues the chain from there.
   */
  async resetHeadToLastEntry(): Promise<{ seq: number; hash: string }> {
    const last = await this.lastEntry();
    const head = last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
    await durableBatch(this.db, [{ sublevel: this.meta, key: 'head', value: head }]);
    this.headSeq = head.seq;
    this.headHash = head.hash;
    return head;
  }

  private async loadHead(): Promise<void> {
    const head = await this.meta.get('head');
    if (head) {
      this.headSeq = head.seq;
      this.headHash = head.hash;
    }
  }
}
