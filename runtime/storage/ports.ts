import type { LogEntry, NewLogEntry } from '../log/log-entry.js';
import type { PutOp } from './db.js';

/**
 * The storage seam: what the runtime needs of its event log, whichever engine holds it.
 * `EventLog` (LevelDB, the embedded default) and `RedisEventLog` (cluster mode) both implement it.
 *
 * A side write names a row to store atomically with a group of entries. It is expressed as a
 * LevelDB put (sublevel, key, value) because that is what callers already build; the Redis log
 * stores it in the hash named after the sublevel (`sessions`, `tokens`), see redis-keys.ts.
 */
export type SideWrite = PutOp;

export interface VerifyResult {
  ok: boolean;
  count: number;
  headHash: string;
  brokenAt: number | null;
  reason: string | null;
}

export interface ReadOptions {
  sessionId?: string;
  taskId?: string;
  after?: number;
  until?: number;
  limit?: number;
}

export interface SessionLog {
  /** The newest head this process has written or seen. */
  readonly head: { seq: number; hash: string };
  onAppend(listener: (entries: LogEntry[]) => void): () => void;
  /** Resolves only once the entries (and side writes) are durable; rejects and writes nothing otherwise. */
  append(entries: NewLogEntry[], sideWrites?: SideWrite[]): Promise<LogEntry[]>;
  appendOne(entry: NewLogEntry, sideWrites?: SideWrite[]): Promise<LogEntry>;
  read(options?: ReadOptions): Promise<LogEntry[]>;
  entryAt(seq: number): Promise<LogEntry | null>;
  verify(): Promise<VerifyResult>;
}

/** Latest actor snapshot per session, with the chain position it reflects. */
export interface SnapshotPort {
  save(sessionId: string, seq: number, snapshot: unknown): Promise<void>;
  load(sessionId: string): Promise<{ seq: number; snapshot: unknown } | null>;
  positions(): Promise<{ sessionId: string; seq: number; hash: string | null }[]>;
  discard(sessionId: string): Promise<void>;
}
