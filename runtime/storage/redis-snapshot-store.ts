import type { Redis } from 'ioredis';
import type { LogEntry } from '../log/log-entry.js';
import type { SnapshotPort } from './ports.js';
import { redisKeys } from './redis-keys.js';

/**
 * Only a newer snapshot replaces an older one. A node that lost its session but has not noticed
 * yet may still try to save what it had; its state is a prefix of the log (its later appends
 * were fenced), so its snapshot is correct but older, and must not replace the new owner's.
 */
const SAVE_IF_NEWER = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local row = cjson.decode(cur)
  if tonumber(row.seq) > tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

interface SnapshotRow {
  seq: number;
  hash: string | null;
  snapshot: unknown;
  savedAt: string;
}

export class RedisSnapshotStore implements SnapshotPort {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
    private readonly log: { entryAt(seq: number): Promise<LogEntry | null> },
    private readonly now: () => Date = () => new Date(),
  ) {
    this.key = redisKeys(keyPrefix).snapshots;
  }

  async save(sessionId: string, seq: number, snapshot: unknown): Promise<void> {
    const hash = (await this.log.entryAt(seq))?.hash ?? null;
    const row: SnapshotRow = { seq, hash, snapshot, savedAt: this.now().toISOString() };
    await this.redis.eval(SAVE_IF_NEWER, 1, this.key, sessionId, String(seq), JSON.stringify(row));
  }

  async load(sessionId: string): Promise<{ seq: number; snapshot: unknown } | null> {
    const raw = await this.redis.hget(this.key, sessionId);
    if (!raw) return null;
    const row = JSON.parse(raw) as SnapshotRow;
    return { seq: row.seq, snapshot: row.snapshot };
  }

  async positions(): Promise<{ sessionId: string; seq: number; hash: string | null }[]> {
    const all = await this.redis.hgetall(this.key);
    return Object.entries(all).map(([sessionId, raw]) => {
      const row = JSON.parse(raw) as SnapshotRow;
      return { sessionId, seq: row.seq, hash: row.hash ?? null };
    });
  }

  async discard(sessionId: string): Promise<void> {
    await this.redis.hdel(this.key, sessionId);
  }
}
