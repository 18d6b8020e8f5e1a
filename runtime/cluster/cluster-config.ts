import { hostname } from 'node:os';

/**
 * Cluster mode is on exactly when Redis is configured. Without THALOGOS_REDIS_URL or
 * THALOGOS_REDIS_SENTINELS the runtime is the embedded default (one node on LevelDB), untouched.
 */
export type RedisTarget =
  | { kind: 'url'; url: string }
  | { kind: 'sentinel'; sentinels: { host: string; port: number }[]; masterName: string };

export interface ClusterConfig {
  redis: RedisTarget;
  /** This node's id: THALOGOS_NODE_ID, else `host:port`. */
  nodeId: string;
  /** How other nodes reach this one (THALOGOS_ADVERTISE_URL, else http://host:port). */
  advertiseUrl: string;
  /** Replicas that must acknowledge each append (`WAIT n`); 0 = the master's AOF alone. */
  waitReplicas: number;
  /** How long WAIT may take before the append counts as failed. */
  waitTimeoutMs: number;
  /** A session's lease lifetime; a node renews at a third of it. */
  leaseMs: number;
  /** Key prefix, so one Redis can hold more than one cluster (tests). */
  keyPrefix: string;
}

export class ClusterConfigError extends Error {
  override readonly name = 'ClusterConfigError';
  readonly code = 'CONFIG_INVALID';
}

const DEFAULT_LEASE_MS = 10_000;

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new ClusterConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

function parseSentinels(raw: string): { host: string; port: number }[] {
  return raw.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = /^(.+):(\d{1,5})$/.exec(part);
    const port = match ? Number(match[2]) : NaN;
    if (!match?.[1] || !(port > 0 && port < 65536)) throw new ClusterConfigError(`THALOGOS_REDIS_SENTINELS: "${part}" is not host:port`);
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  });
}

/** Reads cluster settings from the environment; null means the embedded default. */
export function loadClusterConfig(env: NodeJS.ProcessEnv, listen: { host: string; port: number }): ClusterConfig | null {
  const url = env.THALOGOS_REDIS_URL?.trim();
  const sentinelsRaw = env.THALOGOS_REDIS_SENTINELS?.trim();
  if (!url && !sentinelsRaw) return null;
  if (url && sentinelsRaw) throw new ClusterConfigError('set THALOGOS_REDIS_URL or THALOGOS_REDIS_SENTINELS, not both');
  let redis: RedisTarget;
  if (url) {
    if (!/^rediss?:\/\//.test(url)) throw new ClusterConfigError(`THALOGOS_REDIS_URL must start with redis:// or rediss://, got "${url}"`);
    redis = { kind: 'url', url };
  } else {
    const masterName = env.THALOGOS_REDIS_MASTER?.trim();
    if (!masterName) throw new ClusterConfigError('THALOGOS_REDIS_SENTINELS needs THALOGOS_REDIS_MASTER (the name Sentinel monitors)');
    const sentinels = parseSentinels(sentinelsRaw ?? '');
    if (sentinels.length === 0) throw new ClusterConfigError('THALOGOS_REDIS_SENTINELS lists no sentinel');
    redis = { kind: 'sentinel', sentinels, masterName };
  }
  const host = listen.host === '0.0.0.0' || listen.host === '::' ? hostname() : listen.host;
  const nodeId = env.THALOGOS_NODE_ID?.trim() || `${host}:${listen.port}`;
  if (!/^[A-Za-z0-9._:-]{1,100}$/.test(nodeId)) throw new ClusterConfigError(`THALOGOS_NODE_ID "${nodeId}" may only use letters, digits and . _ : -`);
  const advertiseUrl = (env.THALOGOS_ADVERTISE_URL?.trim() || `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(advertiseUrl)) throw new ClusterConfigError(`THALOGOS_ADVERTISE_URL must be an http(s) URL, got "${advertiseUrl}"`);
  return {
    redis,
    nodeId,
    advertiseUrl,
    waitReplicas: positiveInt(env, 'THALOGOS_REDIS_WAIT_REPLICAS', 0),
    waitTimeoutMs: positiveInt(env, 'THALOGOS_REDIS_WAIT_TIMEOUT_MS', 2_000, 1),
    leaseMs: positiveInt(env, 'THALOGOS_LEASE_MS', DEFAULT_LEASE_MS, 500),
    keyPrefix: env.THALOGOS_REDIS_PREFIX?.trim() || 'thalogos:',
  };
}
