import type { AbstractLevel } from 'abstract-level';
import * as Y from 'yjs';
import { type Clock, systemClock } from '../contracts/clock.js';
import { SyncError } from './errors.js';

/** Any abstract-level database or sublevel with string keys (the runtime passes a sublevel). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SyncDatabase = AbstractLevel<any, string, any>;

export interface UpdateStoreOptions {
  /**
   * Merge a document's records into one after this many appended updates. Default 256. Lower
   * means smaller LevelDB footprint and faster loads; each compaction rebuilds the document once.
   */
  compactEvery?: number;
  /**
   * fsync every batch. Default false: an acknowledged write has reached the OS (LevelDB's log is
   * flushed with write(2) before the batch callback), so it survives kill -9 of this process but
   * not a power cut. Set true when the machine itself may die; group commit keeps the cost low.
   */
  sync?: boolean;
  /**
   * How long a `lazy` append may wait for company before it is written (ms). Default 20. Used for
   * server-side writes (the state projection, rebuildable from the event log): at hundreds of
   * agent events per second one LevelDB batch per event costs more CPU than the fan-out itself.
   * A barrier (projectSession, close) writes whatever waits at once.
   */
  lazyWindowMs?: number;
  /** Timers for the lazy window. Default the system clock. */
  clock?: Clock;
  /** Called when a stored record cannot be applied (it is skipped, the rest loads). */
  onCorruptRecord?: (documentName: string, key: string, error: unknown) => void;
}

interface AppendOp {
  kind: 'append';
  update: Uint8Array;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface ExclusiveOp {
  kind: 'exclusive';
  run: () => Promise<void>;
  reject: (error: unknown) => void;
}

type Op = AppendOp | ExclusiveOp;

// Names never contain '!' or '"' (see document-name.ts), so `${name}!` .. `${name}"` is exactly
// one document's key range, and hex sequence numbers sort in append order.
const lower = (name: string) => `${name}!`;
const upper = (name: string) => `${name}"`;
const keyOf = (name: string, seq: number) => `${name}!${seq.toString(16).padStart(12, '0')}`;
const MAX_BATCH = 512;

/**
 * The write-ahead record of one Yjs document: an append-only list of updates in LevelDB with
 * group commit (updates that arrive while a batch is being written go out together in the next
 * batch) and periodic compaction into one merged, garbage-collected update.
 *
 * Every operation on one document runs through one queue, so a load, an append and a compaction
 * never interleave and sequence numbers never collide.
 */
class DocumentLog {
  private readonly ops: Op[] = [];
  private running = false;
  private nextSeq = -1;
  private sinceCompaction = 0;
  private lazyTimer: unknown = null;
  // classic-level reads `sync` (fsync the log); sublevels pass options through to it.
  private readonly writeOptions: object;

  constructor(
    private readonly db: SyncDatabase,
    readonly name: string,
    private readonly options: Required<Omit<UpdateStoreOptions, 'onCorruptRecord'>> &
      Pick<UpdateStoreOptions, 'onCorruptRecord'>,
  ) {
    this.writeOptions = { sync: options.sync };
  }

  /** Operations queued behind the one running now (used by release()). */
  get pendingAfterThis(): number {
    return this.ops.length;
  }

  append(update: Uint8Array, lazy = false): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ops.push({ kind: 'append', update, resolve, reject });
      if (!lazy) this.kick();
      else if (!this.running && this.lazyTimer === null) {
        this.lazyTimer = this.options.clock.setTimeout(() => {
          this.lazyTimer = null;
          this.kick();
        }, this.options.lazyWindowMs);
      }
    });
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.ops.push({
        kind: 'exclusive',
        run: () => fn().then(resolve, reject),
        reject,
      });
      this.kick();
    });
  }

  /** All stored updates merged into one Y.Doc (null when nothing is stored). */
  load(): Promise<Y.Doc | null> {
    return this.exclusive(async () => {
      const { doc, keys } = await this.readAll();
      if (keys.length > 1 && keys.length >= Math.min(this.options.compactEvery, 64)) {
        await this.replace(keys, Y.encodeStateAsUpdate(doc));
      }
      return keys.length === 0 ? null : doc;
    });
  }

  compact(): Promise<void> {
    return this.exclusive(async () => {
      const { doc, keys } = await this.readAll();
      if (keys.length > 1) await this.replace(keys, Y.encodeStateAsUpdate(doc));
    });
  }

  private kick(): void {
    if (this.lazyTimer !== null) {
      this.options.clock.clearTimeout(this.lazyTimer);
      this.lazyTimer = null;
    }
    if (this.running) return;
    this.running = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      if (this.nextSeq < 0) await this.initSeq();
      while (this.ops.length > 0) {
        const head = this.ops[0]!;
        if (head.kind === 'exclusive') {
          this.ops.shift();
          await head.run();
          continue;
        }
        const batch: AppendOp[] = [];
        while (batch.length < MAX_BATCH && this.ops[0]?.kind === 'append') {
          batch.push(this.ops.shift() as AppendOp);
        }
        const writes = batch.map((op) => ({
          type: 'put' as const,
          key: keyOf(this.name, this.nextSeq++),
          value: op.update,
        }));
        try {
          await this.db.batch(writes, this.writeOptions);
        } catch (error) {
          const wrapped = new SyncError('SYNC_STORAGE', 'could not persist a document update', {
            documentName: this.name,
            cause: String(error),
          });
          for (const op of batch) op.reject(wrapped);
          continue;
        }
        for (const op of batch) op.resolve();
        this.sinceCompaction += batch.length;
        if (this.sinceCompaction >= this.options.compactEvery) {
          this.sinceCompaction = 0;
          const { doc, keys } = await this.readAll();
          if (keys.length > 1) await this.replace(keys, Y.encodeStateAsUpdate(doc));
        }
      }
    } catch (error) {
      // Only initSeq/readAll/replace reach here; fail what is queued rather than wedge the queue.
      for (const op of this.ops.splice(0)) op.reject(error);
    } finally {
      this.running = false;
      if (this.ops.length > 0) this.kick();
    }
  }

  private async initSeq(): Promise<void> {
    const last = await this.db.keys({ gt: lower(this.name), lt: upper(this.name), reverse: true, limit: 1 }).all();
    const key = last[0];
    this.nextSeq = key === undefined ? 0 : Number.parseInt(key.slice(this.name.length + 1), 16) + 1;
  }

  private async readAll(): Promise<{ doc: Y.Doc; keys: string[] }> {
    const doc = new Y.Doc({ gc: true });
    const keys: string[] = [];
    for await (const [key, value] of this.db.iterator({ gt: lower(this.name), lt: upper(this.name) })) {
      keys.push(key);
      try {
        Y.applyUpdate(doc, toView(value));
      } catch (error) {
        this.options.onCorruptRecord?.(this.name, key, error);
      }
    }
    return { doc, keys };
  }

  /** Atomically swaps the given records for one merged record under the last key. */
  private async replace(keys: string[], merged: Uint8Array): Promise<void> {
    const lastKey = keys[keys.length - 1]!;
    await this.db.batch(
      [
        ...keys.slice(0, -1).map((key) => ({ type: 'del' as const, key })),
        { type: 'put' as const, key: lastKey, value: merged },
      ],
      this.writeOptions,
    );
  }
}

function toView(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new SyncError('SYNC_STORAGE', 'stored Yjs record is not binary; pass a sublevel with valueEncoding view or buffer');
}

/**
 * LevelDB persistence for all Yjs documents of the server. `append` resolves only when the update
 * is written, which is what lets the server acknowledge client updates only once they are durable.
 */
export class UpdateStore {
  private readonly db: SyncDatabase;
  private readonly logs = new Map<string, DocumentLog>();
  private readonly options: Required<Omit<UpdateStoreOptions, 'onCorruptRecord'>> &
    Pick<UpdateStoreOptions, 'onCorruptRecord'>;

  constructor(db: SyncDatabase, options: UpdateStoreOptions = {}) {
    // Our own sublevel with a binary value encoding, whatever encoding the parent was opened with.
    this.db = db.sublevel<string, Uint8Array>('yjs', { valueEncoding: 'view' }) as unknown as SyncDatabase;
    this.options = {
      compactEvery: options.compactEvery ?? 256,
      lazyWindowMs: options.lazyWindowMs ?? 20,
      clock: options.clock ?? systemClock,
      sync: options.sync ?? false,
      onCorruptRecord: options.onCorruptRecord,
    };
  }

  private log(name: string): DocumentLog {
    let log = this.logs.get(name);
    if (log === undefined) {
      log = new DocumentLog(this.db, name, this.options);
      this.logs.set(name, log);
    }
    return log;
  }

  load(name: string): Promise<Y.Doc | null> {
    return this.log(name).load();
  }

  /** Resolves once written. `lazy`: may wait up to lazyWindowMs to share a batch. */
  append(name: string, update: Uint8Array, lazy = false): Promise<void> {
    return this.log(name).append(update, lazy);
  }

  compact(name: string): Promise<void> {
    return this.log(name).compact();
  }

  /** Resolves when every append queued so far for `name` is written. */
  barrier(name: string): Promise<void> {
    return this.log(name).exclusive(async () => undefined);
  }

  /**
   * Forgets a document's in-memory log (its next sequence number is re-read from LevelDB on next
   * use). Called when Hocuspocus unloads the document; the log is kept while the document is
   * loaded so that appends do not pay a LevelDB seek each.
   */
  release(name: string): void {
    const log = this.logs.get(name);
    if (log === undefined) return;
    void log.exclusive(async () => {
      if (this.logs.get(name) === log && log.pendingAfterThis === 0) this.logs.delete(name);
    });
  }

  /** Resolves when every queued operation of every document has finished. */
  async flush(): Promise<void> {
    await Promise.all([...this.logs.values()].map((log) => log.exclusive(async () => undefined)));
  }
}
