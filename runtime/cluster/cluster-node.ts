// Cluster mode composed: the Redis connection, the shared log and snapshots, this node's
// ownership of sessions, routing to owners, and the cluster's HTTP surface. server.ts uses this
// only when THALOGOS_REDIS_URL or THALOGOS_REDIS_SENTINELS is set.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ApiError } from '../errors.js';
import type { FetchHandler } from '../http/fetch-handler.js';
import { defineRoute, type Route } from '../http/route.js';
import type { AuditReport, IntegrityFinding, LogAnchor } from '../log/log-integrity.js';
import type { SessionMeta } from '../sessions/session-meta.js';
import type { SessionHost } from '../sessions/session-host.js';
import type { SessionRegistry } from '../sessions/session-registry.js';
import type { RunTable } from '../sessions/run-table.js';
import type { MembershipStore } from '../auth/membership-store.js';
import { SharedAuth, withFreshAuth } from '../auth/shared-auth.js';
import { SharedDevices } from '../auth/shared-devices.js';
import type { DeviceSessions } from '../auth/session-cookie.js';
import type { TokenStore } from '../auth/token-store.js';
import { redisKeys } from '../storage/redis-keys.js';
import { connectRedis } from '../storage/redis-connection.js';
import { RedisEventLog } from '../storage/redis-event-log.js';
import { RedisSnapshotStore } from '../storage/redis-snapshot-store.js';
import type { ClusterConfig } from './cluster-config.js';
import { withOwnerRouting } from './owner-routing.js';
import { Ownership, repoLeaseName } from './ownership.js';
import { listClusterSessions } from './session-table.js';

export interface ClusterRuntime {
  sessions: SessionRegistry;
  runs: RunTable;
  /** A session was adopted (re-project its documents, metrics). */
  onAdopted?: (host: SessionHost) => void;
  /** The session left this node: stop what it still runs outside its actor (gates, setups); returns how many. */
  onLost?: (sessionId: string) => number;
}

export interface ClusterNode {
  config: ClusterConfig;
  redis: Redis;
  log: RedisEventLog;
  snapshots: RedisSnapshotStore;
  ownership: Ownership;
  /** SessionRegistry's hook: a new session's lease is taken before its first append. */
  beforeCreate(meta: SessionMeta): Promise<void>;
  /** Starts heartbeats and claiming, once the runtime can host sessions. */
  start(runtime: ClusterRuntime): Promise<void>;
  /**
   * Tokens and memberships shared through Redis: loads both tables into the stores and follows
   * the other nodes' changes (auth/shared-auth.ts). Call before anything checks a token.
   */
  shareAuth(stores: { tokens: TokenStore; members: MembershipStore; onAccessChanged: (tokenId: string, sessionId?: string) => void }): Promise<SharedAuth>;
  /** Device sessions (the console's cookie sign-in) written through to Redis, valid on every node. */
  shareDevices(devices: DeviceSessions): SharedDevices;
  /** Whether the cluster has the session (its meta row is in Redis), whichever node runs it. */
  hasSession(sessionId: string): Promise<boolean>;
  /**
   * Session requests go to the owner, creations to the node holding the repository, listings
   * gather every node's; each caller's token is re-read from Redis first.
   */
  wrap(handler: FetchHandler, placement: { canonicalRepo: (body: unknown) => Promise<string> }): FetchHandler;
  routes(): Route[];
  audit(anchors?: LogAnchor[]): Promise<AuditReport>;
  /** Drain (hand sessions over) or, after a crash-like stop, just disconnect. */
  close(options: { drain: boolean }): Promise<void>;
}

export async function openClusterNode(config: ClusterConfig, options: { logger: Logger; now: () => Date }): Promise<ClusterNode> {
  const logger = options.logger.child({ component: 'cluster', node: config.nodeId });
  const redis = connectRedis(config.redis, { name: `thalogos:${config.nodeId}` });
  redis.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis connection error (reconnecting)'));
  await checkDurability(redis, logger);
  await waitForReplicas(redis, config.waitReplicas, logger);
  let runtime: ClusterRuntime | null = null;
  let shared: SharedAuth | null = null;
  let devices: SharedDevices | null = null;
  const ownership = new Ownership({
    redis,
    nodeId: config.nodeId,
    advertiseUrl: config.advertiseUrl,
    leaseMs: config.leaseMs,
    keyPrefix: config.keyPrefix,
    listSessions: () => listClusterSessions(redis, config.keyPrefix),
    onAdopt: async (session) => {
      if (!runtime) throw new Error('not started');
      const meta = (await listClusterSessions(redis, config.keyPrefix)).find((row) => row.id === session.id)?.meta;
      if (!meta) throw new Error(`session ${session.id} has no meta row`);
      const host = await runtime.sessions.adopt(meta);
      logger.info({ sessionId: session.id, seq: host.lastAppliedSeq, damaged: host.damage !== null }, 'took over session');
      runtime.onAdopted?.(host);
    },
    onLose: (sessionId, reason) => {
      if (!runtime) return;
      // Another node owns it now (or will): stop its actor and kill its runs, so nothing of
      // this node acts on the session any more. Its appends are already refused by the fence.
      const host = runtime.sessions.has(sessionId) ? runtime.sessions.get(sessionId) : null;
      if (host && !host.isClosed && !host.damage) {
        const tasks = new Set(host.view().tasks.map((task) => task.id));
        runtime.runs.cancelForTasks(tasks, `session ${sessionId} moved to another node`);
      }
      runtime.sessions.evict(sessionId);
      const killed = runtime.onLost?.(sessionId) ?? 0;
      logger.warn({ sessionId, reason, killedProcessGroups: killed }, 'gave up session');
    },
  });
  const log = await RedisEventLog.open(redis, {
    keyPrefix: config.keyPrefix,
    fenceFor: (sessionId) => ownership.leases.fenceFor(sessionId),
    onFenced: (sessionId, value) => ownership.leases.fenced(sessionId, value),
    // An append whose outcome is unknown: give the session up so it is rebuilt from the log
    // (here or elsewhere) instead of running on a state that may miss an entry.
    onUncertain: (sessionIds) => {
      for (const sessionId of sessionIds) void ownership.leases.release(sessionId, 'fenced').catch(() => undefined);
    },
    waitReplicas: config.waitReplicas,
    waitTimeoutMs: config.waitTimeoutMs,
    now: options.now,
  });
  const snapshots = new RedisSnapshotStore(redis, config.keyPrefix, log, options.now);
  const hasSession = async (sessionId: string) => (await redis.hexists(redisKeys(config.keyPrefix).table('sessions'), sessionId)) === 1;

  return {
    config,
    redis,
    log,
    snapshots,
    ownership,
    async beforeCreate(meta) {
      if (!(await ownership.claimNew({ id: meta.id, repoPath: meta.repoPath }))) {
        // Another node holds the repository (placement): it must create the session.
        throw new ApiError('OWNER_UNAVAILABLE', `another node runs the sessions of ${meta.repoPath}; create the session there (see GET /api/cluster)`);
      }
    },
    async shareAuth(stores) {
      shared = new SharedAuth({ redis, keyPrefix: config.keyPrefix, nodeId: config.nodeId, logger, ...stores });
      await shared.start();
      return shared;
    },
    shareDevices(sessions) {
      devices = new SharedDevices(redis, config.keyPrefix, sessions, logger);
      return devices;
    },
    hasSession,
    async start(rt) {
      runtime = rt;
      await ownership.start();
      logger.info({ url: config.advertiseUrl, sessions: ownership.ownedSessions().length }, 'cluster node started');
    },
    wrap(handler, placement) {
      const routed = withOwnerRouting(handler, {
        nodeId: config.nodeId,
        ownerOf: (id) => ownership.lookup(id),
        sessionKnown: hasSession,
        stillOwned: (id) => ownership.owns(id),
        placementOf: async (body) => {
          const repoPath = await placement.canonicalRepo(body);
          const lease = repoLeaseName(repoPath);
          // Ours already (or free: this node claims it in beforeCreate).
          if (ownership.leases.fenceFor(lease)) return { self: true };
          const holder = await ownership.ownerOf(lease);
          if (!holder || holder.id === config.nodeId) return null;
          return { self: false, ...holder };
        },
        listTargets: async () => {
          const view = await ownership.view();
          const alive = new Map(view.nodes.filter((node) => node.alive).map((node) => [node.id, node]));
          return {
            others: view.nodes.filter((node) => node.alive && node.id !== config.nodeId && node.sessions > 0).map((node) => ({ id: node.id, url: node.url })),
            orphaned: view.sessions.filter((session) => !session.owner || !alive.has(session.owner)).map((session) => session.id),
          };
        },
        retryAfterSeconds: Math.max(1, Math.ceil(config.leaseMs / 3000)),
      });
      return shared ? withFreshAuth(routed, shared, devices, logger) : routed;
    },
    routes() {
      return [
        defineRoute({
          method: 'GET',
          pattern: '/api/cluster',
          access: 'viewer',
          handle: async () => ({ status: 200, body: { node: config.nodeId, ...(await ownership.view()) } }),
        }),
      ];
    },
    async audit(anchors = []) {
      const chain = await log.verify();
      const head = await log.refreshHead();
      const findings: IntegrityFinding[] = chain.ok ? [] : [{ kind: 'chain_broken' as IntegrityFinding['kind'], seq: chain.brokenAt, reason: chain.reason ?? 'broken' }];
      for (const position of await snapshots.positions()) {
        const entry = await log.entryAt(position.seq);
        if (position.hash && entry?.hash !== position.hash) findings.push({ kind: 'snapshot_mismatch' as IntegrityFinding['kind'], seq: position.seq, reason: 'the snapshot does not match its log entry', sessionId: position.sessionId });
      }
      for (const anchor of anchors) {
        const entry = await log.entryAt(anchor.seq);
        if (entry?.hash !== anchor.hash) findings.push({ kind: 'anchor_mismatch', seq: anchor.seq, reason: `${anchor.source ?? 'an anchor'} recorded log seq ${anchor.seq} with another hash`, ...(anchor.source ? { source: anchor.source } : {}) });
      }
      return {
        ok: findings.length === 0,
        count: chain.count,
        headHash: chain.headHash,
        brokenAt: findings[0]?.seq ?? null,
        reason: findings[0]?.reason ?? null,
        head,
        journal: null,
        snapshotsChecked: (await snapshots.positions()).length,
        anchorsChecked: anchors.length,
        anchorsSuperseded: [],
        findings,
      };
    },
    async close({ drain }) {
      await shared?.close();
      devices?.close();
      await ownership.stop({ release: drain });
      redis.disconnect();
    },
  };
}

/**
 * An acknowledged append must survive the master's crash: that needs AOF with fsync on every
 * write. Managed Redis may forbid CONFIG; then the operator vouches for it (docs/runbooks/cluster.md).
 */
async function checkDurability(redis: Redis, logger: Logger): Promise<void> {
  try {
    const [, aof] = (await redis.config('GET', 'appendonly')) as string[];
    const [, fsync] = (await redis.config('GET', 'appendfsync')) as string[];
    if (aof !== 'yes' || fsync !== 'always') {
      logger.warn({ appendonly: aof, appendfsync: fsync }, 'Redis is not configured with appendonly yes + appendfsync always: acknowledged commands can be lost if the master crashes (docs/runbooks/cluster.md)');
    }
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'could not read the Redis durability settings (CONFIG GET); make sure AOF with appendfsync always is on');
  }
}

/** How long a starting node waits for THALOGOS_REDIS_WAIT_REPLICAS replicas to be linked. */
const REPLICA_WAIT_MS = 120_000;

/**
 * With WAIT configured, every append needs that many linked replicas; the node's first append
 * (its admin token, at start) failed with NOT_REPLICATED and the node exited when it started
 * while a replica was still syncing (a Redis restart, a failover). It waits for them instead,
 * saying so, for up to REPLICA_WAIT_MS; after that its appends answer a retryable 503.
 */
async function waitForReplicas(redis: Redis, wanted: number, logger: Logger): Promise<void> {
  if (wanted <= 0) return;
  const deadline = Date.now() + REPLICA_WAIT_MS;
  let warned = 0;
  for (;;) {
    let linked = -1;
    try {
      const info = await redis.info('replication');
      // A replica counts once the master streams to it (`state=online`), as WAIT needs.
      linked = info.split('\n').filter((line) => /^slave\d+:.*state=online/.test(line)).length;
      // Online is not yet acknowledging: a replica fresh from its initial sync can take a moment
      // before WAIT counts it (a loaded CI machine's first append timed out right there). WAIT
      // itself is the test: it returns once that many replicas acknowledged this connection's writes.
      if (linked >= wanted && Number(await redis.wait(wanted, 1_000)) >= wanted) return;
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'could not read the replication state (INFO replication)');
      return;
    }
    if (Date.now() >= deadline) {
      logger.error({ linked, wanted }, 'still too few Redis replicas linked: appends will be refused (NOT_REPLICATED, retryable) until they are');
      return;
    }
    if (Date.now() - warned > 10_000) {
      warned = Date.now();
      logger.warn({ linked, wanted }, 'waiting for Redis replicas before the first append (THALOGOS_REDIS_WAIT_REPLICAS)');
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

