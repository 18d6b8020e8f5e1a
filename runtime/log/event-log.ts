import { durableBatch, jsonSublevel, type Db, type JsonSublevel, type PutOp } from '../storage/db.js';
import { GENESIS_HASH, hashEntry } from './hash-chain.js';
import type { LogEntry, NewLogEntry } from './log-entry.js';

/** Extra writes that must land atomically with a group of entries (e.g. the session index row). */
export type SideWrite = PutOp;

interface PendingAppend {
  entries: NewLogEntry[];
  sideWrites: SideWrite[];
  resolve: (entries: LogEntry[]) => void;
  reject: (error: unknown) => void;
}

const SEQ_WIDTH = 16;
export const seqKey = (seq: number): string => seq.toString().padStart(SEQ_WIDTH, '0');

/**
 * The append-only, hash-chained event log in LevelDB.
 *
 * Appends are group-committed: everything queued while one batch is being written goes into the
 * next batch, written with `sync: true`, so an acknowledged append survives kill -9 and power loss
 * without paying one fsync per entry. Each entry carries the hash of its predecessor.
 */
export class EventLog {
  private readonly entries: JsonSublevel<LogEntry>;
  private readonly bySession: JsonSublevel<number>;
  private readonly byTask: JsonSublevel<number>;
  private readonly meta: JsonSublevel<{ seq: number; hash: string }>;
  private headSeq = 0;
  private headHash = GENESIS_HASH;
  private queue: PendingAppend[] = [];
  private writing = false;
  private readonly listeners = new Set<(entries: LogEntry[]) => void>();

  private constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {
    this.entries = jsonSublevel(db, 'log');
    this.bySession = jsonSublevel(db, 'log-by-session');
    this.byTask = jsonSublevel(db, 'log-by-task');
    this.meta = jsonSublevel(db, 'log-meta');
  }

  static async open(db: Db, now: () => Date = () => new Date()): Promise<EventLog> {
    const log = new EventLog(db, now);
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
    ops.push({ sublevel: this.meta, key: 'head', value: { seq, hash: prevHash } });
    try {
      await durableBatch(this.db, ops);
    } catch (error) {
      for (const pending of group) pending.reject(error);
      return;
    }
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

  private async loadHead(): Promise<void> {
    const head = await this.meta.get('head');
    if (head) {
      this.headSeq = head.seq;
      this.headHash = head.hash;
    }
  }
}
