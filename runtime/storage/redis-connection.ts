import { Redis } from 'ioredis';
import type { RedisTarget } from '../cluster/cluster-config.js';

/**
 * One ioredis client for a URL or a Sentinel-managed master. With Sentinel, ioredis asks the
 * sentinels for the current master and reconnects to the new one after a failover; commands
 * issued meanwhile wait in its offline queue (bounded by the retry strategy below) instead of
 * failing at once.
 */
export function connectRedis(target: RedisTarget, options: { name?: string; lazy?: boolean } = {}): Redis {
  const common = {
    connectionName: options.name ?? 'thalogos',
    lazyConnect: options.lazy ?? false,
    // Reconnect quickly (a Sentinel failover takes seconds), but never give up: a node without
    // Redis answers 503s until it is back rather than exiting.
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 1_000),
    maxRetriesPerRequest: 20,
    enableOfflineQueue: true,
  };
  if (target.kind === 'url') return new Redis(target.url, common);
  return new Redis({
    ...common,
    sentinels: target.sentinels,
    name: target.masterName,
    sentinelRetryStrategy: (attempt: number) => Math.min(100 * attempt, 1_000),
    // After a failover the old master may come back as a replica: a write sent to it must
    // make ioredis reconnect to the new master rather than fail the command.
    reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
  });
}
