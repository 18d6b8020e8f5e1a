import type { Redis } from 'ioredis';

/**
 * Session ownership: one node at a time holds a session's lease, a Redis key whose value is
 * `<epoch> <nodeId>` and which expires after `leaseMs` unless renewed. The epoch comes from a
 * per-session counter that only ever grows, so a lease taken over after an expiry always has a
 * higher epoch than the one before it.
 *
 * The lease is also the fence: every append carries the exact lease value its node believes it
 * holds, and the append script (redis-event-log.ts) refuses it unless the key still has that
 * value. A node that was paused past its lease (GC, SIGSTOP, a VM migration) therefore cannot
 * write once it wakes up, whatever its own clock says.
 */
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local epoch, node = string.match(cur, '^(%d+) (.*)$')
  if node == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {tonumber(epoch), node}
  end
  return {-1, node or ''}
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], epoch .. ' ' .. ARGV[1], 'PX', ARGV[2])
return {epoch, ARGV[1]}
`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

export interface Fence {
  /** The lease key the append script reads. */
  key: string;
  /** The value it must still hold: `<epoch> <nodeId>`. */
  value: string;
  epoch: number;
}

export interface LeaseOwner {
  node: string;
  epoch: number;
}

export type LeaseLostReason = 'expired' | 'fenced' | 'released';

export class LeaseManager {
  private readonly held = new Map<string, Fence>();
  private readonly lostListeners = new Set<(sessionId: string, reason: LeaseLostReason) => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    readonly options: { nodeId: string; leaseMs: number; keyPrefix: string },
  ) {}

  leaseKey(sessionId: string): string {
    return `${this.options.keyPrefix}lease:${sessionId}`;
  }

  private epochKey(sessionId: string): string {
    return `${this.options.keyPrefix}epoch:${sessionId}`;
  }

  /** Takes the session's lease if it is free (or already ours); null when another node holds it. */
  async acquire(sessionId: string): Promise<Fence | null> {
    const [epoch] = (await this.redis.eval(ACQUIRE, 2, this.leaseKey(sessionId), this.epochKey(sessionId), this.options.nodeId, String(this.options.leaseMs))) as [number, string];
    if (epoch < 0) return null;
    const fence: Fence = { key: this.leaseKey(sessionId), value: `${epoch} ${this.options.nodeId}`, epoch };
    this.held.set(sessionId, fence);
    return fence;
  }

  /** The fence an append of this session must carry, or null when this node does not own it. */
  fenceFor(sessionId: string): Fence | null {
    return this.held.get(sessionId) ?? null;
  }

  /**
   * Whether Redis still has this node's lease on the session at `epoch`. Asked before an effect
   * the fence cannot guard (publishing a Save moves git refs): memory can be stale after a pause.
   */
  async holds(sessionId: string, epoch: number): Promise<boolean> {
    const fence = this.held.get(sessionId);
    if (!fence || fence.epoch !== epoch) return false;
    return (await this.redis.get(fence.key)) === fence.value;
  }

  heldSessions(): string[] {
    return [...this.held.keys()];
  }

  /** Who holds the session's lease now (null when nobody does: it is free to take). */
  async owner(sessionId: string): Promise<LeaseOwner | null> {
    const value = await this.redis.get(this.leaseKey(sessionId));
    return parseLease(value);
  }

  /** Renews every held lease; one that is gone or has a new epoch is reported lost. */
  async renewAll(): Promise<void> {
    const entries = [...this.held.entries()];
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [, fence] of entries) pipeline.eval(RENEW, 1, fence.key, fence.value, String(this.options.leaseMs));
    const results = (await pipeline.exec()) ?? [];
    entries.forEach(([sessionId, fence], index) => {
      const [error, renewed] = results[index] ?? [new Error('no reply'), 0];
      // A transport error says nothing about the lease: the fence decides at the next append,
      // and the next renewal tries again.
      if (!error && renewed === 0 && this.held.get(sessionId) === fence) this.lose(sessionId, 'expired');
    });
  }

  /** Renews every third of the lease time until stop(). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.renewAll().catch(() => undefined);
    }, Math.max(100, Math.floor(this.options.leaseMs / 3)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Gives the lease up (drain, shutdown): another node may take the session at once. */
  async release(sessionId: string, reason: LeaseLostReason = 'released'): Promise<void> {
    const fence = this.held.get(sessionId);
    if (!fence) return;
    // Stop using it before freeing the key, so this node is never running what another one took.
    this.held.delete(sessionId);
    this.emit(sessionId, reason);
    await this.redis.eval(RELEASE, 1, fence.key, fence.value);
  }

  /** Called by the log when the append script refused this node's fence. */
  fenced(sessionId: string, value: string): void {
    if (this.held.get(sessionId)?.value === value) this.lose(sessionId, 'fenced');
  }

  onLost(listener: (sessionId: string, reason: LeaseLostReason) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  private lose(sessionId: string, reason: LeaseLostReason): void {
    this.held.delete(sessionId);
    this.emit(sessionId, reason);
  }

  private emit(sessionId: string, reason: LeaseLostReason): void {
    for (const listener of this.lostListeners) {
      try {
        listener(sessionId, reason);
      } catch {
        // a listener owns its errors
      }
    }
  }
}

export function parseLease(value: string | null): LeaseOwner | null {
  if (!value) return null;
  const match = /^(\d+) (.+)$/.exec(value);
  return match?.[1] && match[2] ? { epoch: Number(match[1]), node: match[2] } : null;
}
