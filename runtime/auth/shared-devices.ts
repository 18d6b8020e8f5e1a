// Cluster mode: "remember me on this device" across nodes. A device session (the cookie, its CSRF
// token and its sync tickets, auth/session-cookie.ts) made on one node must sign in on every
// node, and a request a node forwards to a session's owner carries the cookie to a node that did
// not make it. Each node writes its device sessions through to Redis and, before a cookie or a
// sync ticket is checked, re-reads the row it names (a sign-out elsewhere is seen at once).
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redisKeys } from '../storage/redis-keys.js';
import { COOKIE_NAME, readCookie, sha256, type DeviceSession, type DeviceSessions } from './session-cookie.js';

export class SharedDevices {
  private readonly rows: string;
  private readonly tickets: string;
  private readonly unsubscribe: () => void;

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly devices: DeviceSessions, logger: Logger) {
    const keys = redisKeys(keyPrefix);
    this.rows = keys.table('device-sessions');
    // Sync ticket hash -> device session id hash (the socket sends only the ticket).
    this.tickets = keys.table('device-tickets');
    this.unsubscribe = devices.onChange((idHash, session) => {
      const write = session
        ? this.redis.multi().hset(this.rows, idHash, JSON.stringify(session)).hset(this.tickets, ...session.syncTicketHashes.flatMap((hash) => [hash, idHash])).exec()
        : this.redis.hdel(this.rows, idHash);
      write.catch((error: Error) => logger.warn({ err: error.message }, 'could not store a device session in Redis; it works on this node only until it is'));
    });
  }

  /** Re-reads the device session a Cookie header names. */
  async freshenCookie(cookieHeader: string | undefined): Promise<void> {
    const cookie = readCookie(cookieHeader, COOKIE_NAME);
    if (!cookie) return;
    await this.freshen(sha256(cookie));
  }

  /** Re-reads the device session a sync ticket belongs to. */
  async freshenTicket(ticket: string): Promise<void> {
    const idHash = await this.redis.hget(this.tickets, sha256(ticket));
    if (idHash) await this.freshen(idHash);
  }

  close(): void {
    this.unsubscribe();
  }

  private async freshen(idHash: string): Promise<void> {
    const raw = await this.redis.hget(this.rows, idHash);
    this.devices.applyReplica(idHash, raw ? (JSON.parse(raw) as DeviceSession) : null);
  }
}
