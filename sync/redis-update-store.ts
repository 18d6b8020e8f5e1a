import type { Redis } from 'ioredis';
import * as Y from 'yjs';
import { type Clock, systemClock } from '../contracts/clock.js';
import { SyncError } from './errors.js';

/** What sync-server needs of a document store: UpdateStore (LevelDB) and RedisUpdateStore. */
export interface DocumentStore {
  load(name: string): Promise<Y.Doc | null>;
  append(name: string, update: Uint8Array, lazy?: boolean): Promise<void>;
  barrier(name: string): Promise<void>;
  release(name: string): void;
  flush(): Promise<void>;
}

export interface RedisUpdateStoreOptions {
  /** Key prefix (the cluster's), e.g. `thalogos:`; documents go to `<prefix>sync:doc:<name>`. */
  keyPrefix: string;
  /** Merge a document's list into one update once it holds this many. Default 256. */
  compactEvery?: number;
  /** How long a lazy (server-side) append may wait for company. Default 20 ms. */
  lazyWindowMs?: number;
  clock?: Clock;
  onCorruptRecord?: (documentName: string, index: number, error: unknown) => void;
}

/**
 * Replaces the first N records by their merge, unless another node compacted meanwhile (the
 * generation moved): appends only ever go to the tail, so the first N are exactly what was read.
 */
const COMPACT = `
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then return 0 end
redis.call('LTRIM', KEYS[1], tonumber(ARGV[3]), -1)
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
return 1
`;

/**
 * Cluster mode: every node's Yjs documents in Redis, one list of updates per document, so any
 * node can load any document and a client's acknowledged edit survives its node's death.
 * `append` resolves once Redis has the update (RPUSH; with the cluster's AOF `appendfsync always`
 * that is on disk), which keeps the write-ahead promise of the LevelDB store: Hocuspocus
 * acknowledges a client update only after it is stored.
 */
export class RedisUpdateStore implements DocumentStore {
  private readonly lazy = new Map<string, { updates: Buffer[]; waiters: { resolve: () => void; reject: (error: unknown) => void }[]; timer: unknown }>();
  private readonly pending = new Map<string, Set<Promise<unknown>>>();
  private readonly sinceCompaction = new Map<string, number>();
  private readonly compactEvery: number;
  private readonly lazyWindowMs: number;
  private readonly clock: Clock;

  constructor(private readonly redis: Redis, private readonly options: RedisUpdateStoreOptions) {
    this.compactEvery = options.compactEvery ?? 256;
    this.lazyWindowMs = options.lazyWindowMs ?? 20;
    this.clock = options.clock ?? systemClock;
  }

  private key(name: string): string {
    return `${this.options.keyPrefix}sync:doc:${name}`;
  }

  async load(name: string): Promise<Y.Doc | null> {
    await this.barrier(name);
    const { doc, count } = await this.readAll(name);
    if (count >= Math.min(this.compactEvery, 64)) await this.compact(name).catch(() => undefined);
    return count === 0 ? null : doc;
  }

  append(name: string, update: Uint8Array, lazy = false): Promise<void> {
    if (!lazy) return this.track(name, this.push(name, [Buffer.from(update)]));
    let batch = this.lazy.get(name);
    if (!batch) {
      batch = { updates: [], waiters: [], timer: null };
      this.lazy.set(name, batch);
      batch.timer = this.clock.setTimeout(() => void this.flushLazy(name), this.lazyWindowMs);
    }
    batch.updates.push(Buffer.from(update));
    const promise = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    return this.track(name, promise);
  }

  /** Resolves when every append queued so far for `name` is in Redis. */
  async barrier(name: string): Promise<void> {
    this.flushLazy(name);
    await Promise.allSettled([...(this.pending.get(name) ?? [])]);
  }

  release(name: string): void {
    this.sinceCompaction.delete(name);
  }

  async flush(): Promise<void> {
    await Promise.all([...new Set([...this.lazy.keys(), ...this.pending.keys()])].map((name) => this.barrier(name)));
  }

  /** Merges the list into one update (garbage-collected), atomically against concurrent appends. */
  async compact(name: string): Promise<void> {
    const generation = (await this.redis.get(`${this.key(name)}:gen`)) ?? '0';
    const { doc, count } = await this.readAll(name);
    if (count < 2) return;
    await this.redis.eval(COMPACT, 2, this.key(name), `${this.key(name)}:gen`, Buffer.from(Y.encodeStateAsUpdate(doc)), generation, String(count));
  }

  private flushLazy(name: string): void {
    const batch = this.lazy.get(name);
    if (!batch) return;
    this.lazy.delete(name);
    this.clock.clearTimeout(batch.timer);
    this.push(name, batch.updates).then(
      () => batch.waiters.forEach((waiter) => waiter.resolve()),
      (error: unknown) => batch.waiters.forEach((waiter) => waiter.reject(error)),
    );
  }

  private async push(name: string, updates: Buffer[]): Promise<void> {
    try {
      await this.redis.rpush(this.key(name), ...updates);
    } catch (error) {
      throw new SyncError('SYNC_STORAGE', 'could not persist a document update', { documentName: name, cause: String(error) });
    }
    const count = (this.sinceCompaction.get(name) ?? 0) + updates.length;
    this.sinceCompaction.set(name, count);
    if (count >= this.compactEvery) {
      this.sinceCompaction.set(name, 0);
      void this.compact(name).catch(() => undefined);
    }
  }

  private track<T>(name: string, promise: Promise<T>): Promise<T> {
    let set = this.pending.get(name);
    if (!set) {
      set = new Set();
      this.pending.set(name, set);
    }
    const tracked = set;
    tracked.add(promise);
    const done = () => {
      tracked.delete(promise);
      if (tracked.size === 0 && this.pending.get(name) === tracked) this.pending.delete(name);
    };
    promise.then(done, done);
    return promise;
  }

  private async readAll(name: string): Promise<{ doc: Y.Doc; count: number }> {
    const records = await this.redis.lrangeBuffer(this.key(name), 0, -1);
    const doc = new Y.Doc({ gc: true });
    records.forEach((record, index) => {
      try {
        Y.applyUpdate(doc, new Uint8Array(record.buffer, record.byteOffset, record.byteLength));
      } catch (error) {
        this.options.onCorruptRecord?.(name, index, error);
      }
    });
    return { doc, count: records.length };
  }
}
