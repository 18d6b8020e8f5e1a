// Cluster mode: tokens and memberships are shared through Redis. Their rows are written by the
// log's append script as side writes (tables `tokens` and `members`, redis-keys.ts), atomically
// with their audit entries, so Redis is the truth; each node keeps its in-memory stores as a
// cache of those tables so that access checks stay synchronous and cost no I/O.
//
// Freshness: a request with a bearer token, and every /sync authentication, first re-reads the
// token's row and (for a session) the caller's member row from Redis, so a revoke or a removal
// on another node is never missed by the node checking it (no stale grant). Everything else
// (listings, cookie sign-ins) reads the cache, which each node keeps current by announcing its
// own writes on a pub/sub channel, re-reading both tables whenever its subscription
// (re)connects, and re-reading them every `reloadMs` in case a message was lost.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ApiError } from '../errors.js';
import type { FetchHandler } from '../http/fetch-handler.js';
import { redisKeys } from '../storage/redis-keys.js';
import { memberRowKey, type MembershipRecord, type MembershipStore } from './membership-store.js';
import type { SharedDevices } from './shared-devices.js';
import { hashToken, type TokenRecord, type TokenStore } from './token-store.js';

interface AuthMessage {
  from: string;
  tokens?: [hash: string, record: TokenRecord][];
  members?: MembershipRecord[];
}

/** The pub/sub channel on which nodes (and the CLI) announce token and membership writes. */
export function authChannel(keyPrefix: string): string {
  return `${keyPrefix}auth`;
}

/** Tells every node of a token row written outside a node (`thalogos token create --cluster`). */
export async function announceToken(redis: Redis, keyPrefix: string, from: string, hash: string, record: TokenRecord): Promise<void> {
  const message: AuthMessage = { from, tokens: [[hash, record]] };
  await redis.publish(authChannel(keyPrefix), JSON.stringify(message));
}

export interface SharedAuthOptions {
  redis: Redis;
  keyPrefix: string;
  nodeId: string;
  tokens: TokenStore;
  members: MembershipStore;
  logger: Logger;
  /**
   * A token was revoked, or a membership changed, on another node: close this node's live sockets
   * of that token (on that session), as the writing node does with its own, so they reconnect
   * with the new role or are refused.
   */
  onAccessChanged?: (tokenId: string, sessionId?: string) => void;
  /** Full re-read of both tables as a safety net for lost pub/sub messages. Default 30 s. */
  reloadMs?: number;
}

export class SharedAuth {
  private readonly keys;
  private readonly channel: string;
  private subscriber: Redis | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly options: SharedAuthOptions) {
    this.keys = redisKeys(options.keyPrefix);
    this.channel = authChannel(options.keyPrefix);
  }

  /** Loads both tables, then follows the other nodes' writes. */
  async start(): Promise<void> {
    await this.reload();
    const { tokens, members } = this.options;
    this.unsubscribe.push(
      tokens.onWrite((hash, record) => this.announce({ tokens: [[hash, record]] })),
      members.onApply((records) => this.announce({ members: records })),
    );
    const subscriber = this.options.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => this.options.logger.warn({ err: error.message }, 'auth subscription error (reconnecting)'));
    subscriber.on('message', (_channel: string, raw: string) => this.receive(raw));
    // After a reconnect, messages sent meanwhile are gone: read the tables again.
    subscriber.on('ready', () => void this.reload().catch(() => undefined));
    await subscriber.subscribe(this.channel);
    this.timer = setInterval(() => void this.reload().catch(() => undefined), this.options.reloadMs ?? 30_000);
    this.timer.unref();
  }

  /** Re-reads a bearer token's row; returns nothing, the token store answers afterwards. */
  async freshenToken(secret: string): Promise<void> {
    const hash = hashToken(secret);
    const raw = await this.options.redis.hget(this.keys.table('tokens'), hash);
    this.options.tokens.applyReplica(hash, raw ? (JSON.parse(raw) as TokenRecord) : null);
  }

  /** Re-reads one member row (the caller's on the session it addresses). */
  async freshenMember(sessionId: string, tokenId: string): Promise<void> {
    const raw = await this.options.redis.hget(this.keys.table('members'), memberRowKey(sessionId, tokenId));
    if (raw) this.options.members.applyReplica([JSON.parse(raw) as MembershipRecord]);
    else this.options.members.forget(sessionId, tokenId);
  }

  /** The per-request check in cluster mode: the token's row, then the caller's row on the session. */
  async freshen(secret: string, sessionId: string | null): Promise<void> {
    await this.freshenToken(secret);
    const principal = this.options.tokens.authenticate(secret);
    if (principal && sessionId) await this.freshenMember(sessionId, principal.tokenId);
  }

  /**
   * A token named by id (a member being added) that this node has not heard of yet: minted on
   * another node a moment ago, its announcement still on the way. Re-read the tables.
   */
  async ensureToken(tokenId: string): Promise<void> {
    if (!this.options.tokens.get(tokenId)) await this.reload();
  }

  async reload(): Promise<void> {
    const [tokenRows, memberRows] = await Promise.all([
      this.options.redis.hgetall(this.keys.table('tokens')),
      this.options.redis.hgetall(this.keys.table('members')),
    ]);
    this.options.tokens.replaceAll(Object.entries(tokenRows).map(([hash, raw]) => [hash, JSON.parse(raw) as TokenRecord]));
    this.options.members.replaceAll(Object.values(memberRows).map((raw) => JSON.parse(raw) as MembershipRecord));
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const off of this.unsubscribe.splice(0)) off();
    this.subscriber?.disconnect();
    this.subscriber = null;
  }

  private announce(message: Omit<AuthMessage, 'from'>): void {
    const payload: AuthMessage = { from: this.options.nodeId, ...message };
    this.options.redis.publish(this.channel, JSON.stringify(payload)).catch((error: Error) => {
      // The others catch up at their next reload (or freshen on their next request).
      this.options.logger.warn({ err: error.message }, 'could not announce an auth change');
    });
  }

  private receive(raw: string): void {
    let message: AuthMessage;
    try {
      message = JSON.parse(raw) as AuthMessage;
    } catch {
      return;
    }
    if (message.from === this.options.nodeId) return;
    for (const [hash, record] of message.tokens ?? []) {
      this.options.tokens.applyReplica(hash, record);
      if (record.revokedAt) this.options.onAccessChanged?.(record.id);
    }
    if (message.members?.length) {
      this.options.members.applyReplica(message.members);
      for (const record of message.members) this.options.onAccessChanged?.(record.tokenId, record.sessionId);
    }
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const MEMBER_PATH = /^\/api\/sessions\/[^/]+\/members\/([^/]+)$/;
const SESSION_PATH = /^\/api\/sessions\/([A-Za-z0-9][A-Za-z0-9_.-]{0,127})(?:\/|$)/;

/**
 * Freshens the caller's token and member rows (or device session) before the request is checked,
 * so a token revoked or a member removed on another node is refused here at once. Redis unreachable: a retryable
 * 503, never an answer from rows that may be stale.
 */
export function withFreshAuth(inner: FetchHandler, shared: SharedAuth, devices: SharedDevices | null, logger: Logger): FetchHandler {
  return async (request) => {
    const secret = BEARER.exec(request.headers.get('authorization') ?? '')?.[1];
    const cookie = request.headers.get('cookie') ?? undefined;
    if (secret || (cookie && devices)) {
      const sessionId = SESSION_PATH.exec(new URL(request.url).pathname)?.[1] ?? null;
      try {
        if (secret) await shared.freshen(secret, sessionId);
        const memberTokenId = MEMBER_PATH.exec(new URL(request.url).pathname)?.[1];
        if (memberTokenId && request.method === 'PUT') await shared.ensureToken(memberTokenId);
        // A cookie made on another node (or signed out there); its token's rows follow by pub/sub.
        else await devices?.freshenCookie(cookie);
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'could not re-read the caller\'s token from Redis');
        const refusal = new ApiError('STORE_UNAVAILABLE', 'cannot check the token against the cluster store (Redis unreachable); retry shortly');
        return new Response(JSON.stringify(refusal.toJSON()), { status: refusal.status, headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1', 'cache-control': 'no-store' } });
      }
    }
    return inner(request);
  };
}
