import { jsonSublevel, type Db, type JsonSublevel } from '../storage/db.js';

interface SnapshotRow {
  seq: number;
  snapshot: unknown;
  savedAt: string;
}

/** Latest persisted actor snapshot per session, with the log sequence it reflects. */
export class SnapshotStore {
  private readonly snapshots: JsonSublevel<SnapshotRow>;

  constructor(db: Db, private readonly now: () => Date = () => new Date()) {
    this.snapshots = jsonSublevel(db, 'snapshots');
  }

  async save(sessionId: string, seq: number, snapshot: unknown): Promise<void> {
    await this.snapshots.put(sessionId, { seq, snapshot, savedAt: this.now().toISOString() });
  }

  async load(sessionId: string): Promise<{ seq: number; snapshot: unknown } | null> {
    const row = await this.snapshots.get(sessionId);
    return row ? { seq: row.seq, snapshot: row.snapshot } : null;
  }
}
