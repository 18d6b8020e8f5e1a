import type { Redis } from 'ioredis';
import type { SessionMeta } from '../sessions/session-meta.js';
import { redisKeys } from '../storage/redis-keys.js';
import type { SessionRef } from './ownership.js';

/**
 * The cluster's session index: the meta rows SessionRegistry writes as a side write of
 * SESSION.CREATED land in the Redis table `sessions` (redis-event-log.ts), so every node sees
 * every session the moment its creation is acknowledged.
 */
export async function listClusterSessions(redis: Redis, keyPrefix: string): Promise<(SessionRef & { meta: SessionMeta })[]> {
  const rows = await redis.hgetall(redisKeys(keyPrefix).table('sessions'));
  return Object.values(rows)
    .map((raw) => JSON.parse(raw) as SessionMeta)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    .map((meta) => ({ id: meta.id, repoPath: meta.repoPath, meta }));
}
