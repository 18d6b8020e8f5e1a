import { z } from 'zod';
import { durableBatch, jsonSublevel, type Db, type JsonSublevel, type PutOp } from '../storage/db.js';

/** Roles a token can hold on one session; `admin` is a token role only (admins see every session). */
export const MEMBER_ROLES = ['viewer', 'reviewer', 'operator'] as const;
export const MemberRoleSchema = z.enum(MEMBER_ROLES);
export type MemberRole = z.infer<typeof MemberRoleSchema>;

export interface MembershipRecord {
  sessionId: string;
  tokenId: string;
  role: MemberRole;
  /** The token that created the session; it cannot be removed and its role does not change. */
  owner: boolean;
  addedAt: string;
  addedBy: string;
  /** Removal writes a tombstone (the row stays, like a revoked token). */
  removedAt: string | null;
}

/** Writes membership rows durably; callers pass one that appends the audit entry in the same batch. */
export type PersistMembers = (rows: PutOp[]) => Promise<void>;

/**
 * Who belongs to which session. Rows live in the `members` sublevel, keyed `${sessionId}!${tokenId}`;
 * an in-memory index answers the per-request access check without I/O (like TokenStore).
 */
export class MembershipStore {
  private readonly bySession = new Map<string, Map<string, MembershipRecord>>();
  private readonly rows: JsonSublevel<MembershipRecord>;
  private readonly applyListeners = new Set<(records: MembershipRecord[]) => void>();

  private constructor(private readonly db: Db) {
    this.rows = jsonSublevel(db, 'members');
  }

  static async open(db: Db): Promise<MembershipStore> {
    const store = new MembershipStore(db);
    for await (const [, record] of store.rows.iterator()) if (!record.removedAt) store.index(record);
    return store;
  }

  roleOf(sessionId: string, tokenId: string): MemberRole | null {
    return this.bySession.get(sessionId)?.get(tokenId)?.role ?? null;
  }

  get(sessionId: string, tokenId: string): MembershipRecord | null {
    return this.bySession.get(sessionId)?.get(tokenId) ?? null;
  }

  /** Active members of a session, owner first, then by the time they were added. */
  members(sessionId: string): MembershipRecord[] {
    return [...(this.bySession.get(sessionId)?.values() ?? [])].sort(
      (a, b) => Number(b.owner) - Number(a.owner) || a.addedAt.localeCompare(b.addedAt),
    );
  }

  /** The row write for a record; the caller persists it (usually with an audit entry), then calls `apply`. */
  writeFor(record: MembershipRecord): PutOp {
    return { sublevel: this.rows, key: memberRowKey(record.sessionId, record.tokenId), value: record };
  }

  /** Makes durable rows visible to access checks (call only after they were written). */
  apply(records: MembershipRecord[]): void {
    this.applyReplica(records);
    if (records.length > 0) for (const listener of this.applyListeners) listener(records);
  }

  /**
   * Cluster mode (auth/shared-auth.ts): rows other nodes wrote, or re-read from Redis. Not
   * reported to apply listeners (they announce this node's own changes).
   */
  applyReplica(records: MembershipRecord[]): void {
    for (const record of records) {
      if (record.removedAt) this.bySession.get(record.sessionId)?.delete(record.tokenId);
      else this.index(record);
    }
  }

  /** Cluster mode: forgets one row Redis does not have (it never existed there). */
  forget(sessionId: string, tokenId: string): void {
    this.bySession.get(sessionId)?.delete(tokenId);
  }

  /** Cluster mode: the whole table as Redis holds it replaces what this node knew. */
  replaceAll(records: Iterable<MembershipRecord>): void {
    this.bySession.clear();
    for (const record of records) if (!record.removedAt) this.index(record);
  }

  /** Called after this node applied durable changes (cluster mode tells the other nodes). */
  onApply(listener: (records: MembershipRecord[]) => void): () => void {
    this.applyListeners.add(listener);
    return () => this.applyListeners.delete(listener);
  }

  /** Writes and applies records without an audit entry (tests and the offline CLI use the log path too). */
  async save(records: MembershipRecord[], persist: PersistMembers = (rows) => durableBatch(this.db, rows)): Promise<void> {
    await persist(records.map((record) => this.writeFor(record)));
    this.apply(records);
  }

  private index(record: MembershipRecord): void {
    let members = this.bySession.get(record.sessionId);
    if (!members) {
      members = new Map();
      this.bySession.set(record.sessionId, members);
    }
    members.set(record.tokenId, record);
  }
}

export function memberRowKey(sessionId: string, tokenId: string): string {
  return `${sessionId}!${tokenId}`;
}
