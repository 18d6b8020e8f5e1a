import type { Level } from 'level';

type Db = Level<string, unknown>;

/** Latest persisted actor snapshot per session, with the log sequence it reflects. */
export class SnapshotStore {
  private readonly snapshots: ReturnType<Db['sublevel']>;

  constructor(db: Db) {
    this.snapshots = db.sublevel('snapshots', { valueEncoding: 'json' });
  }

  async save(sessionId: string, seq: number, snapshot: unknown): Promise<void> {
    await this.snapshots.put(sessionId, { seq, snapshot, savedAt: new Date().toISOString() });
  }

  async load(sessionId: string): Promise<{ seq: number; snapshot: unknown } | null> {
    const row = (await this.snapshots.get(sessionId)) as { seq: number; snapshot: unknown } | undefined;
    return row ?? null;
  }
}
