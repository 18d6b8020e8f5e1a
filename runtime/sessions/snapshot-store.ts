import { jsonSublevel, type Db, type JsonSublevel } from '../storage/db.js';
import type { LogEntry } from '../log/log-entry.js';
import type { SnapshotPort } from '../storage/ports.js';

interface SnapshotRow {
  seq: number;
  /**
   * Hash of the log entry at `seq`: the chain position this snapshot reflects, so the start-up
   * check and `audit verify` notice a snapshot that no longer matches its log (null on rows
   * written before hashes were recorded).
   */
  hash?: string | null;
  snapshot: unknown;
  savedAt: string;
}

/** What the integrity checks read of a snapshot: which chain position it claims to reflect. */
export interface SnapshotPosition {
  sessionId: string;
  seq: number;
  hash: string | null;
}

/** Latest persisted actor snapshot per session, with the log sequence (and hash) it reflects. */
export class SnapshotStore implements SnapshotPort {
  private readonly snapshots: JsonSublevel<SnapshotRow>;

  /** `log` gives the hash of the entry a snapshot reflects; without it rows carry no hash. */
  constructor(
    db: Db,
    private readonly log?: { entryAt(seq: number): Promise<LogEntry | null> },
    private readonly now: () => Date = () => new Date(),
  ) {
    this.snapshots = jsonSublevel(db, 'snapshots');
  }

  async save(sessionId: string, seq: number, snapshot: unknown): Promise<void> {
    const hash = this.log ? ((await this.log.entryAt(seq))?.hash ?? null) : null;
    await this.snapshots.put(sessionId, { seq, hash, snapshot, savedAt: this.now().toISOString() });
  }

  async load(sessionId: string): Promise<{ seq: number; snapshot: unknown } | null> {
    const row = await this.snapshots.get(sessionId);
    return row ? { seq: row.seq, snapshot: row.snapshot } : null;
  }

  /** Every snapshot's chain position (not the snapshots themselves). */
  async positions(): Promise<SnapshotPosition[]> {
    const out: SnapshotPosition[] = [];
    for await (const [sessionId, row] of this.snapshots.iterator()) out.push({ sessionId, seq: row.seq, hash: row.hash ?? null });
    return out;
  }

  /**
   * Drops a snapshot that does not match the log (operator repair only): the session is then
   * rebuilt from its log entries alone.
   */
  async discard(sessionId: string): Promise<void> {
    await this.snapshots.del(sessionId);
  }
}
