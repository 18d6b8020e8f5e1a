import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { durableBatch, jsonSublevel, type Db, type JsonSublevel, type PutOp } from '../storage/db.js';
import type { Role } from './roles.js';

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

/** The caller an authenticated request acts as. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

const TOKEN_PREFIX = 'thg_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Bearer tokens, stored only as SHA-256 hashes (the secret is shown once, at creation).
 * Lookups go through an in-memory map so a request costs one hash and no I/O.
 */
export class TokenStore {
  private readonly byHash = new Map<string, TokenRecord>();
  private readonly records: JsonSublevel<TokenRecord>;
  private readonly writeListeners = new Set<(hash: string, record: TokenRecord) => void>();

  private constructor(private readonly db: Db, private readonly now: () => Date) {
    this.records = jsonSublevel(db, 'tokens');
  }

  static async open(db: Db, now: () => Date = () => new Date()): Promise<TokenStore> {
    const store = new TokenStore(db, now);
    for await (const [hash, record] of store.records.iterator()) store.byHash.set(hash, record);
    return store;
  }

  isEmpty(): boolean {
    return this.byHash.size === 0;
  }

  /**
   * Creates a token; when `secret` is given (THALOGOS_ADMIN_TOKEN) it becomes the token. With
   * `persist`, the caller writes the token row itself, atomically with its audit log entry.
   */
  async create(
    input: { name: string; role: Role; createdBy: string; secret?: string },
    persist: Persist = this.persistAlone,
  ): Promise<{ token: string; record: TokenRecord }> {
    const token = input.secret ?? generateToken();
    const hash = hashToken(token);
    const existing = this.byHash.get(hash);
    if (existing) return { token, record: existing };
    const record: TokenRecord = {
      id: randomUUID(),
      name: input.name,
      role: input.role,
      createdAt: this.now().toISOString(),
      createdBy: input.createdBy,
      revokedAt: null,
    };
    await persist(record, { sublevel: this.records, key: hash, value: record });
    this.byHash.set(hash, record);
    this.wrote(hash, record);
    return { token, record };
  }

  has(secret: string): boolean {
    return this.byHash.has(hashToken(secret));
  }

  authenticate(secret: string): Principal | null {
    const hash = hashToken(secret);
    const record = this.byHash.get(hash);
    // Looking up by the SHA-256 of the secret leaks nothing useful through timing.
    if (!record || record.revokedAt) return null;
    return { tokenId: record.id, name: record.name, role: record.role };
  }

  /** The record of a token by its id (not its secret), revoked or not. */
  get(id: string): TokenRecord | null {
    for (const record of this.byHash.values()) if (record.id === id) return record;
    return null;
  }

  list(): TokenRecord[] {
    return [...this.byHash.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Revokes a token; `changed` is false (and nothing is written) when it already was revoked. */
  async revoke(id: string, persist: Persist = this.persistAlone): Promise<{ record: TokenRecord; changed: boolean } | null> {
    for (const [hash, record] of this.byHash) {
      if (record.id !== id) continue;
      if (record.revokedAt) return { record, changed: false };
      const revoked = { ...record, revokedAt: this.now().toISOString() };
      await persist(revoked, { sublevel: this.records, key: hash, value: revoked });
      this.byHash.set(hash, revoked);
      this.wrote(hash, revoked);
      return { record: revoked, changed: true };
    }
    return null;
  }

  /**
   * Cluster mode (auth/shared-auth.ts): rows other nodes wrote. `record` null means the row is
   * gone. Never reported to write listeners (they announce this node's own writes).
   */
  applyReplica(hash: string, record: TokenRecord | null): void {
    if (record) this.byHash.set(hash, record);
    else this.byHash.delete(hash);
  }

  /** Cluster mode: the whole table as Redis holds it replaces what this node knew. */
  replaceAll(rows: Iterable<[hash: string, record: TokenRecord]>): void {
    this.byHash.clear();
    for (const [hash, record] of rows) this.byHash.set(hash, record);
  }

  /** The stored hash of a token id (cluster mode refreshes rows by hash). */
  hashOf(id: string): string | null {
    for (const [hash, record] of this.byHash) if (record.id === id) return hash;
    return null;
  }

  /** Called after each durable write of this node (cluster mode tells the other nodes). */
  onWrite(listener: (hash: string, record: TokenRecord) => void): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  private wrote(hash: string, record: TokenRecord): void {
    for (const listener of this.writeListeners) listener(hash, record);
  }

  private readonly persistAlone: Persist = async (_record, write) => {
    await durableBatch(this.db, [write]);
  };
}

/** Writes a token row durably (the in-memory map changes only after it resolves). */
export type Persist = (record: TokenRecord, write: PutOp) => Promise<void>;
