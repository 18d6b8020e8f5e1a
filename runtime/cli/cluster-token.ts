import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { announceToken } from '../auth/shared-auth.js';
import { hashToken, TokenStore } from '../auth/token-store.js';
import { loadClusterConfig } from '../cluster/cluster-config.js';
import { connectRedis } from '../storage/redis-connection.js';
import { RedisEventLog } from '../storage/redis-event-log.js';
import { checkedTokenInput, OfflineTokenError } from './offline-token.js';

/**
 * `thalogos token create --cluster ...`: mints a token straight into a cluster's Redis, for when
 * the last admin token is lost. Cluster nodes keep tokens in Redis (their LevelDB only caches
 * them), so `--data-dir` would write where no node looks. The cluster is found from the same
 * settings the nodes read (THALOGOS_REDIS_URL, or THALOGOS_REDIS_SENTINELS and
 * THALOGOS_REDIS_MASTER, THALOGOS_REDIS_PREFIX); the nodes may keep running. The token row is a
 * side write of its TOKEN.CREATED entry in the shared log (one script, as a node writes it), then
 * announced so every node's cache has it at once (a node also re-reads a bearer token it has
 * not seen).
 */
export async function createTokenInCluster(input: { env: NodeJS.ProcessEnv; name: string; role: string }): Promise<Record<string, unknown>> {
  const { name, role } = checkedTokenInput(input);
  const config = loadClusterConfig(input.env, { host: '127.0.0.1', port: 0 });
  if (!config) throw new OfflineTokenError('NO_CLUSTER', '--cluster needs THALOGOS_REDIS_URL, or THALOGOS_REDIS_SENTINELS with THALOGOS_REDIS_MASTER, as the nodes have');
  const redis = connectRedis(config.redis, { name: 'thalogos:cli', lazy: true });
  // Reported through connect()'s refusal below, with the cause this keeps.
  let lastError: Error | null = null;
  redis.on('error', (error: Error) => { lastError = error; });
  // The TokenStore makes the row and its write; a throwaway database holds its cache.
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'thalogos-token-'));
  const db = new Level<string, unknown>(path.join(scratch, 'db'), { valueEncoding: 'json' });
  try {
    await redis.connect().catch((error: Error) => {
      throw new OfflineTokenError('NO_CLUSTER', `cannot reach the cluster's Redis: ${(lastError ?? error).message}`);
    });
    // Global entries carry no session, so no lease fence applies.
    const log = await RedisEventLog.open(redis, { keyPrefix: config.keyPrefix, fenceFor: () => null, waitReplicas: config.waitReplicas, waitTimeoutMs: config.waitTimeoutMs, now: () => new Date() });
    await db.open();
    const tokens = await TokenStore.open(db);
    const actor = { kind: 'system' as const, id: 'cli-cluster' };
    const { token, record } = await tokens.create({ name, role, createdBy: actor.id }, async (created, write) => {
      await log.appendOne({ actor, sessionId: null, type: 'TOKEN.CREATED', data: { id: created.id, name: created.name, role: created.role, source: 'cluster-cli' } }, [write]);
    });
    await announceToken(redis, config.keyPrefix, actor.id, hashToken(token), record).catch(() => undefined);
    return { token, ...record };
  } finally {
    await db.close().catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
    redis.disconnect();
  }
}
