// The log entry shape lives in contracts/ (every folder reads log entries); this module adds what
// only the runtime needs to write them.
import type { ActorRef, EntryKind } from '../../contracts/index.js';

export { ActorRefSchema, LogEntrySchema, SYSTEM_ACTOR } from '../../contracts/index.js';
export type { ActorRef, EntryKind, LogEntry } from '../../contracts/index.js';

/** What callers hand to the log; sequence, time and chain fields are assigned on append. */
export interface NewLogEntry {
  /**
   * `actor`: delivered to the session's actor and replayed (only SessionHost writes these);
   * `audit` (the default): a record of who did what, never delivered to an actor.
   */
  kind?: EntryKind;
  actor: ActorRef;
  sessionId: string | null;
  taskId?: string | null;
  type: string;
  data: unknown;
}
