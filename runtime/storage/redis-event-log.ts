import type { Redis } from 'ioredis';
import { GENESIS_HASH, hashEntry } from '../log/hash-chain.js';
import type { LogEntry, NewLogEntry } from '../log/log-entry.js';
import type { Fence } from '../cluster/lease.js';
import type { ReadOptions, SessionLog, SideWrite, VerifyResult } from './ports.js';
import { redisKeys, sideWriteTable } from './redis-keys.js';

/** A typed refusal of the Redis log; `code` is registered in contracts/error-codes.ts (all 503, retryable). */
export class ClusterStoreError extends Error {
  override readonly name = 'ClusterStoreError';
  constructor(
    readonly code: 'SESSION_FENCED' | 'STORE_UNAVAILABLE' | 'NOT_REPLICATED',
    message: string,
    readonly sessionIds: string[] = [],
  ) {
    super(message);
  }
}

/**
 * The whole append in one script, so it is atomic in Redis: the global head must be the one
 * the entries were chained to (else another node appended first and the caller re-chains), every
 * session's lease must still hold the fence value the caller carries (else the caller has lost
 * the session and writes nothing), then the entries go to the global stream and their sessions'
 * streams, the side rows to their tables, and the head moves.
 *
 * Key names travel in the payload rather than KEYS because they depend on the entries; this is
 * fine on a single Redis master (Sentinel), and is why Redis Cluster is not supported.
 */
const APPEND = `
local p = cjson.decode(ARGV[1])
local head = redis.call('HMGET', KEYS[1], 'seq', 'hash')
local seq = head[1] or '0'
local hash = head[2] or p.genesis
if seq ~= p.expectSeq or hash ~= p.expectHash then
  return {'HEAD_MOVED', seq, hash}
end
for _, f in ipairs(p.fences) do
  local v = redis.call('GET', f[1])
  if v ~= f[2] then return {'FENCED', f[1], v or ''} end
end
for _, e in ipairs(p.entries) do
  redis.call('XADD', KEYS[2], e[1], 'e', e[3])
  if e[2] ~= '' then redis.call('XADD', e[2], e[1], 'e', e[3]) end
end
for _, s in ipairs(p.side) do redis.call('HSET', s[1], s[2], s[3]) end
redis.call('HSET', KEYS[1], 'seq', p.headSeq, 'hash', p.headHash)
return {'OK', p.headSeq, p.headHash}
`;

interface PendingAppend {
  entries: NewLogEntry[];
  sideWrites: SideWrite[];
  resolve: (entries: LogEntry[]) => void;
  reject: (error: unknown) => void;
}

export interface RedisEventLogOptions {
  keyPrefix: string;
  /** The fence each session's appends must carry; null = this node does not own the session. */
  fenceFor: (sessionId: string) => Fence | null;
  /** The script refused a fence: the session has a new owner (the lease manager drops it). */
  onFenced?: (sessionId: string, fenceValue: string) => void;
  /**
   * An append whose outcome is unknown (the reply was lost, or WAIT timed out after the master
   * took it): the entries may be in the log although the caller was told no. The owner must
   * rebuild those sessions from the log before going on.
   */
  onUncertain?: (sessionIds: string[]) => void;
  /** Replicas that must confirm each group (`WAIT`); 0 = the master's AOF alone. */
  waitReplicas?: number;
  waitTimeoutMs?: number;
  now?: () => Date;
}

const MAX_RECHAIN = 100;
const PAGE = 500;

/** The event log in Redis (cluster mode): one stream per session plus the global chain. */
export class RedisEventLog implements SessionLog {
  private readonly keys;
  private headSeq = 0;
  private headHash = GENESIS_HASH;
  private queue: PendingAppend[] = [];
  private writing = false;
  private readonly listeners = new Set<(entries: LogEntry[]) => void>();
  private readonly now: () => Date;

  private constructor(
    private readonly redis: Redis,
    private readonly options: RedisEventLogOptions,
  ) {
    this.keys = redisKeys(options.keyPrefix);
    this.now = options.now ?? (() => new Date());
  }

  static async open(redis: Redis, options: RedisEventLogOptions): Promise<RedisEventLog> {
    const log = new RedisEventLog(redis, options);
    await log.refreshHead();
    return log;
  }

  get head(): { seq: number; hash: string } {
    return { seq: this.headSeq, hash: this.headHash };
  }

  /** Reads the global head from Redis (other nodes move it). */
  async refreshHead(): Promise<{ seq: number; hash: string }> {
    const [seq, hash] = await this.redis.hmget(this.keys.head, 'seq', 'hash');
    if (seq && hash && Number(seq) >= this.headSeq) {
      this.headSeq = Number(seq);
      this.headHash = hash;
    }
    return this.head;
  }

  onAppend(listener: (entries: LogEntry[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(entries: NewLogEntry[], sideWrites: SideWrite[] = []): Promise<LogEntry[]> {
    // Refuse before queueing: a session this node does not own must not even reach Redis.
    for (const entry of entries) {
      if (entry.sessionId && !this.options.fenceFor(entry.sessionId)) {
        return Promise.reject(new ClusterStoreError('SESSION_FENCED', `this node does not own session ${entry.sessionId}`, [entry.sessionId]));
      }
    }
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

  /** Group commit with compare-and-set on the global head; re-chains when another node was first. */
  private async writeGroup(initial: PendingAppend[]): Promise<void> {
    let group = initial;
    for (let attempt = 0; attempt < MAX_RECHAIN && group.length > 0; attempt += 1) {
      const fences = new Map<string, Fence>();
      let refused: PendingAppend[] = [];
      for (const pending of group) {
        for (const entry of pending.entries) {
          if (!entry.sessionId) continue;
          const fence = this.options.fenceFor(entry.sessionId);
          if (fence) fences.set(entry.sessionId, fence);
          else refused.push(pending);
        }
      }
      if (refused.length > 0) {
        for (const pending of new Set(refused)) pending.reject(new ClusterStoreError('SESSION_FENCED', 'this node no longer owns the session', sessionsOf([pending])));
        group = group.filter((pending) => !refused.includes(pending));
        refused = [];
        continue;
      }
      const chained = this.chain(group);
      const payload = {
        genesis: GENESIS_HASH,
        expectSeq: String(this.headSeq),
        expectHash: this.headHash,
        fences: [...fences.values()].map((fence) => [fence.key, fence.value]),
        entries: chained.all.map((entry) => [`${entry.seq}-0`, entry.sessionId ? this.keys.sessionLog(entry.sessionId) : '', JSON.stringify(entry)]),
        side: group.flatMap((pending) => pending.sideWrites).map((write) => [this.keys.table(sideWriteTable(write)), write.key, JSON.stringify(write.value)]),
        headSeq: String(chained.headSeq),
        headHash: chained.headHash,
      };
      let reply: [string, string, string];
      try {
        reply = (await this.redis.eval(APPEND, 2, this.keys.head, this.keys.log, JSON.stringify(payload))) as [string, string, string];
      } catch (error) {
        // The script may or may not have run (a lost reply): nobody is told yes, and the owner
        // rebuilds the sessions from whatever the log now holds.
        this.fail(group, new ClusterStoreError('STORE_UNAVAILABLE', `the Redis append failed: ${(error as Error).message}`, sessionsOf(group)), true);
        return;
      }
      const [status, a, b] = reply;
      if (status === 'HEAD_MOVED') {
        this.headSeq = Number(a);
        this.headHash = b;
        continue;
      }
      if (status === 'FENCED') {
        const lost = [...fences.entries()].filter(([, fence]) => fence.key === a);
        for (const [sessionId, fence] of lost) this.options.onFenced?.(sessionId, fence.value);
        const lostIds = new Set(lost.map(([sessionId]) => sessionId));
        const hit = group.filter((pending) => pending.entries.some((entry) => entry.sessionId && lostIds.has(entry.sessionId)));
        for (const pending of hit) pending.reject(new ClusterStoreError('SESSION_FENCED', `session ${[...lostIds].join(', ')} has a new owner (lease now "${b}")`, [...lostIds]));
        group = group.filter((pending) => !hit.includes(pending));
        continue;
      }
      this.headSeq = chained.headSeq;
      this.headHash = chained.headHash;
      if (!(await this.replicated(group))) return;
      group.forEach((pending, index) => pending.resolve(chained.perPending[index] ?? []));
      for (const listener of this.listeners) {
        try {
          listener(chained.all);
        } catch {
          // listeners own their errors
        }
      }
      return;
    }
    if (group.length > 0) this.fail(group, new ClusterStoreError('STORE_UNAVAILABLE', 'the log head kept moving; try again'), false);
  }

  /** With replicas configured, a group counts only once `WAIT` says enough of them have it. */
  private async replicated(group: PendingAppend[]): Promise<boolean> {
    const wanted = this.options.waitReplicas ?? 0;
    if (wanted <= 0) return true;
    let acked = 0;
    try {
      acked = Number(await this.redis.call('WAIT', String(wanted), String(this.options.waitTimeoutMs ?? 2_000)));
    } catch {
      acked = -1;
    }
    if (acked >= wanted) return true;
    this.fail(group, new ClusterStoreError('NOT_REPLICATED', `only ${Math.max(acked, 0)} of ${wanted} replica(s) confirmed the append in time`, sessionsOf(group)), true);
    return false;
  }

  private fail(group: PendingAppend[], error: ClusterStoreError, uncertain: boolean): void {
    for (const pending of group) pending.reject(error);
    if (uncertain && error.sessionIds.length > 0) this.options.onUncertain?.(error.sessionIds);
  }

  private chain(group: PendingAppend[]): { all: LogEntry[]; perPending: LogEntry[][]; headSeq: number; headHash: string } {
    let seq = this.headSeq;
    let prevHash = this.headHash;
    const at = this.now().toISOString();
    const perPending: LogEntry[][] = [];
    for (const pending of group) {
      const out: LogEntry[] = [];
      for (const entry of pending.entries) {
        seq += 1;
        // Exactly the fields (and order-independent hash) of the LevelDB log, so replay, the
        // contracts and `audit verify` read both the same way.
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
        prevHash = hash;
        out.push({ ...body, hash } as LogEntry);
      }
      perPending.push(out);
    }
    return { all: perPending.flat(), perPending, headSeq: seq, headHash: prevHash };
  }

  async read(options: ReadOptions = {}): Promise<LogEntry[]> {
    const key = options.sessionId ? this.keys.sessionLog(options.sessionId) : this.keys.log;
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    const end = options.until === undefined ? '+' : `${options.until}-0`;
    const out: LogEntry[] = [];
    let after = options.after ?? 0;
    while (out.length < limit) {
      const page = await this.range(key, after, end, PAGE);
      for (const entry of page) {
        if (!options.taskId || entry.taskId === options.taskId) out.push(entry);
        if (out.length >= limit) break;
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.seq ?? after;
    }
    return out;
  }

  async entryAt(seq: number): Promise<LogEntry | null> {
    if (!(seq > 0)) return null;
    const page = await this.range(this.keys.log, seq - 1, `${seq}-0`, 1);
    return page[0]?.seq === seq ? page[0] : null;
  }

  /**
   * Recomputes the whole global chain and checks it ends at the recorded head. The head is read
   * first and the walk stops there: other nodes go on appending meanwhile, and each append moves
   * the head and writes its entries in one script, so everything up to that head is there.
   */
  async verify(): Promise<VerifyResult> {
    const [headSeq, headHash] = await this.redis.hmget(this.keys.head, 'seq', 'hash');
    const end = `${Number(headSeq ?? 0)}-0`;
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    let after = 0;
    for (;;) {
      const page = headSeq ? await this.range(this.keys.log, after, end, PAGE) : [];
      for (const entry of page) {
        const { hash, ...body } = entry;
        if (entry.seq !== expectedSeq) return { ok: false, count, headHash: prevHash, brokenAt: entry.seq, reason: 'sequence gap or key mismatch' };
        if (entry.prevHash !== prevHash) return { ok: false, count, headHash: prevHash, brokenAt: entry.seq, reason: 'previous-hash link broken' };
        if (hashEntry(body) !== hash) return { ok: false, count, headHash: prevHash, brokenAt: entry.seq, reason: 'entry content does not match its hash' };
        prevHash = hash;
        expectedSeq += 1;
        count += 1;
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.seq ?? after;
    }
    if (Number(headSeq ?? 0) !== count || (headHash ?? GENESIS_HASH) !== prevHash) {
      return { ok: false, count, headHash: prevHash, brokenAt: count + 1, reason: `the recorded head (seq ${headSeq ?? 0}) does not match the last entry (seq ${count}): entries are missing` };
    }
    return { ok: true, count, headHash: prevHash, brokenAt: null, reason: null };
  }

  /** One session's entries must also all be in the global chain, identical (audit cross-check). */
  async verifySession(sessionId: string): Promise<{ ok: boolean; count: number; reason: string | null }> {
    const entries = await this.read({ sessionId });
    for (const entry of entries) {
      const global = await this.entryAt(entry.seq);
      if (!global || global.hash !== entry.hash) return { ok: false, count: entries.length, reason: `session entry ${entry.seq} differs from the global log` };
    }
    return { ok: true, count: entries.length, reason: null };
  }

  private async range(key: string, after: number, end: string, count: number): Promise<LogEntry[]> {
    const start = after > 0 ? `(${after}-0` : '-';
    const rows = (await this.redis.xrange(key, start, end, 'COUNT', count)) as [string, string[]][];
    return rows.map(([, fields]) => JSON.parse(fields[1] ?? 'null') as LogEntry);
  }
}

function sessionsOf(group: PendingAppend[]): string[] {
  return [...new Set(group.flatMap((pending) => pending.entries.flatMap((entry) => (entry.sessionId ? [entry.sessionId] : []))))];
}
