import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '../storage/redis-keys.js';
import { LeaseManager, parseLease, type LeaseLostReason } from './lease.js';

/** What the coordinator needs to know of a session: its id and repository (for placement). */
export interface SessionRef {
  id: string;
  repoPath: string;
}

export interface NodeInfo {
  id: string;
  url: string;
  alive: boolean;
  sessions: number;
}

export interface ClusterView {
  nodes: NodeInfo[];
  sessions: { id: string; owner: string | null }[];
}

export interface OwnershipOptions {
  redis: Redis;
  nodeId: string;
  advertiseUrl: string;
  leaseMs: number;
  keyPrefix: string;
  /** Every session of the cluster (the `sessions` table in Redis). */
  listSessions: () => Promise<SessionRef[]>;
  /** This node now owns the session: replay it and resume its interrupted work. */
  onAdopt: (session: SessionRef) => Promise<void>;
  /** This node no longer owns it: stop its actor and kill its runs at once. */
  onLose: (sessionId: string, reason: LeaseLostReason) => void;
}

/** The repository lease's name in the lease manager (a repository is not a session). */
export function repoLeaseName(repoPath: string): string {
  return `repo:${createHash('sha256').update(repoPath).digest('hex').slice(0, 32)}`;
}

/**
 * Which node runs which session. Each node heartbeats, renews its leases, and in each pass takes
 * any session whose lease is free, that is, whose owner died or drained.
 *
 * Placement: sessions on the same repository live on the same node, so git operations on one
 * repository never interleave across nodes. The unit a node takes is therefore the repository: it
 * first holds the repository's lease, then the leases of that repository's sessions. Both are
 * fenced leases; losing the repository's lease gives up all of its sessions.
 */
export class Ownership {
  readonly leases: LeaseManager;
  private readonly keys;
  private readonly owned = new Map<string, SessionRef>();
  /** Leased but still being replayed: not served yet (requests get a retryable 503, not a 404). */
  private readonly adopting = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private passing: Promise<void> | null = null;
  private draining = false;
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly options: OwnershipOptions) {
    this.keys = redisKeys(options.keyPrefix);
    this.leases = new LeaseManager(options.redis, { nodeId: options.nodeId, leaseMs: options.leaseMs, keyPrefix: options.keyPrefix });
    this.leases.onLost((name, reason) => this.lost(name, reason));
  }

  /** Sessions this node runs now. */
  ownedSessions(): string[] {
    return [...this.owned.keys()];
  }

  owns(sessionId: string): boolean {
    return this.owned.has(sessionId) && !this.adopting.has(sessionId) && this.leases.fenceFor(sessionId) !== null;
  }

  /** Heartbeats, renews and claims every third of the lease time. */
  async start(): Promise<void> {
    await this.pass();
    this.timer = setInterval(() => {
      void this.pass();
    }, Math.max(100, Math.floor(this.options.leaseMs / 3)));
    this.timer.unref();
  }

  /** One round: heartbeat, renew, then take what is free. Never overlaps itself. */
  pass(): Promise<void> {
    this.passing ??= (async () => {
      try {
        await this.heartbeat();
        await this.leases.renewAll();
        if (!this.draining) await this.claimFree();
      } catch {
        // Redis unreachable: the leases run out on their own and the fence protects the log.
      } finally {
        this.passing = null;
      }
    })();
    return this.passing;
  }

  /**
   * Before a new session's first append: take its repository and its lease. Returns false when
   * another node holds the repository (the caller routes the creation there).
   */
  async claimNew(session: SessionRef): Promise<boolean> {
    if (this.draining) return false;
    if (!(await this.leases.acquire(repoLeaseName(session.repoPath)))) return false;
    if (!(await this.leases.acquire(session.id))) return false;
    this.owned.set(session.id, session);
    return true;
  }

  /** Who owns the session now (null while nobody holds its lease). */
  async ownerOf(sessionId: string): Promise<{ id: string; url: string | null } | null> {
    const owner = parseLease(await this.options.redis.get(this.leases.leaseKey(sessionId)));
    if (!owner) return null;
    const raw = await this.options.redis.get(this.keys.node(owner.node));
    const url = raw ? (JSON.parse(raw) as { url: string }).url : null;
    return { id: owner.node, url };
  }

  /** For routing: this node, another live node (with its URL), or nobody yet. */
  async lookup(sessionId: string): Promise<{ self: true } | { self: false; id: string; url: string | null } | null> {
    if (this.owns(sessionId)) return { self: true };
    const owner = await this.ownerOf(sessionId);
    if (!owner) return null;
    // Our own id on a lease we no longer hold in memory: we lost it and are shutting it down.
    if (owner.id === this.options.nodeId) return null;
    return { self: false, ...owner };
  }

  /** Stops claiming and gives every lease up, so the other nodes take the sessions at once. */
  async drain(): Promise<void> {
    this.draining = true;
    await this.passing;
    for (const name of this.leases.heldSessions()) await this.leases.release(name).catch(() => undefined);
  }

  async stop(options: { release: boolean }): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (options.release) await this.drain();
    await this.options.redis.del(this.keys.node(this.options.nodeId)).catch(() => undefined);
  }

  /** For GET /api/cluster: the live nodes with their session counts, and each session's owner. */
  async view(): Promise<ClusterView> {
    const nodeKeys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.options.redis.scan(cursor, 'MATCH', this.keys.nodePattern, 'COUNT', 200);
      cursor = next;
      nodeKeys.push(...batch);
    } while (cursor !== '0');
    const sessions = await this.options.listSessions();
    const owners = sessions.length > 0 ? await this.options.redis.mget(sessions.map((session) => this.leases.leaseKey(session.id))) : [];
    const sessionRows = sessions.map((session, index) => ({ id: session.id, owner: parseLease(owners[index] ?? null)?.node ?? null }));
    const nodes = new Map<string, NodeInfo>();
    const rawNodes = nodeKeys.length > 0 ? await this.options.redis.mget(nodeKeys) : [];
    for (const raw of rawNodes) {
      if (!raw) continue;
      const info = JSON.parse(raw) as { id: string; url: string };
      nodes.set(info.id, { id: info.id, url: info.url, alive: true, sessions: 0 });
    }
    for (const row of sessionRows) {
      if (!row.owner) continue;
      // A lease can outlive its node's heartbeat by a little: show that node as not alive.
      const node = nodes.get(row.owner) ?? { id: row.owner, url: '', alive: false, sessions: 0 };
      node.sessions += 1;
      nodes.set(row.owner, node);
    }
    return { nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)), sessions: sessionRows };
  }

  private async heartbeat(): Promise<void> {
    const value = JSON.stringify({ id: this.options.nodeId, url: this.options.advertiseUrl, startedAt: this.startedAt });
    await this.options.redis.set(this.keys.node(this.options.nodeId), value, 'PX', this.options.leaseMs);
  }

  private async claimFree(): Promise<void> {
    const sessions = await this.options.listSessions();
    const byRepo = new Map<string, SessionRef[]>();
    for (const session of sessions) byRepo.set(session.repoPath, [...(byRepo.get(session.repoPath) ?? []), session]);
    for (const [repoPath, group] of byRepo) {
      const free = group.filter((session) => !this.owned.has(session.id));
      if (free.length === 0) continue;
      if (!(await this.leases.acquire(repoLeaseName(repoPath)))) continue;
      for (const session of free) {
        if (this.draining) return;
        if (!(await this.leases.acquire(session.id))) continue;
        this.owned.set(session.id, session);
        this.adopting.add(session.id);
        try {
          await this.options.onAdopt(session);
        } catch {
          // Could not bring it up here: let another node try.
          this.owned.delete(session.id);
          await this.leases.release(session.id).catch(() => undefined);
        } finally {
          this.adopting.delete(session.id);
        }
      }
    }
  }

  private lost(name: string, reason: LeaseLostReason): void {
    if (name.startsWith('repo:')) {
      // Without the repository, none of its sessions may run here.
      for (const session of [...this.owned.values()]) {
        if (repoLeaseName(session.repoPath) === name) void this.leases.release(session.id, reason).catch(() => undefined);
      }
      return;
    }
    if (!this.owned.delete(name)) return;
    this.options.onLose(name, reason);
  }
}
