import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../errors.js';
import type { Principal, TokenStore } from './token-store.js';

/**
 * "Remember me on this device": a browser exchanges its access token once for an HttpOnly,
 * SameSite=Strict cookie naming a device session, so new tabs and shared links are signed in
 * without the token being kept anywhere page scripts can read.
 *
 * - The cookie holds a random id; only its SHA-256 is stored (`<data dir>/device-sessions.json`,
 *   mode 0600), like tokens. A device session acts as the token it was made from: revoking the
 *   token ends every device session made from it.
 * - CSRF: SameSite=Strict keeps other sites' requests from carrying the cookie, and every write
 *   through the cookie (anything but GET/HEAD) must also carry `x-thalogos-csrf` with the
 *   session's CSRF token, which only a same-origin page can read (GET /api/auth/session).
 * - The sync socket cannot send the HttpOnly cookie's meaning in its auth message, so the session
 *   also has a sync ticket (hash stored) that the socket accepts in place of a token.
 * - Sign-out deletes the device session on the server, not only the cookie.
 */
export const COOKIE_NAME = 'thalogos_device';
export const CSRF_HEADER = 'x-thalogos-csrf';
const MAX_AGE_SECONDS = 30 * 24 * 3600;
const FILE = 'device-sessions.json';
const MAX_TICKETS = 16;

export interface DeviceSession {
  idHash: string;
  tokenId: string;
  csrfToken: string;
  /** One per tab that fetched a ticket (the newest few are kept). */
  syncTicketHashes: string[];
  createdAt: string;
  expiresAt: string;
}

export interface DeviceSignIn {
  cookie: string;
  csrfToken: string;
  syncTicket: string;
  principal: Principal;
}

export const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const secret = () => randomBytes(32).toString('base64url');

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=') || null;
  }
  return null;
}

export class DeviceSessions {
  private readonly sessions = new Map<string, DeviceSession>();
  private readonly changeListeners = new Set<(idHash: string, session: DeviceSession | null) => void>();
  private readonly file: string;

  constructor(dataDir: string, private readonly tokens: TokenStore, private readonly now: () => Date = () => new Date()) {
    this.file = path.join(dataDir, FILE);
    try {
      const stored = JSON.parse(readFileSync(this.file, 'utf8')) as DeviceSession[];
      for (const session of stored) this.sessions.set(session.idHash, session);
    } catch {
      // no file yet (or unreadable): no device is remembered
    }
  }

  /** A token a person just typed becomes a device session (null when the token is refused). */
  create(token: string): DeviceSignIn | null {
    const principal = this.tokens.authenticate(token);
    if (!principal) return null;
    const cookie = secret();
    const syncTicket = secret();
    const at = this.now();
    const session: DeviceSession = {
      idHash: sha256(cookie), tokenId: principal.tokenId, csrfToken: secret(), syncTicketHashes: [sha256(syncTicket)],
      createdAt: at.toISOString(), expiresAt: new Date(at.getTime() + MAX_AGE_SECONDS * 1000).toISOString(),
    };
    this.sessions.set(session.idHash, session);
    this.persist();
    this.changed(session.idHash, session);
    return { cookie, csrfToken: session.csrfToken, syncTicket, principal };
  }

  /** The device session a request's cookie names, with the principal it acts as. */
  lookup(cookieHeader: string | undefined): { session: DeviceSession; principal: Principal } | null {
    const cookie = readCookie(cookieHeader, COOKIE_NAME);
    if (!cookie) return null;
    const session = this.sessions.get(sha256(cookie));
    if (!session) return null;
    if (Date.parse(session.expiresAt) <= this.now().getTime()) {
      this.remove(session.idHash);
      return null;
    }
    const principal = this.principalOf(session.tokenId);
    return principal ? { session, principal } : null;
  }

  /**
   * The principal for an API request that has no bearer token: its cookie's, provided a write
   * carries the CSRF token. A write without it is refused, never treated as anonymous.
   */
  authenticate(headers: Record<string, string>, method: string, publicRoute = false): Principal | null {
    const found = this.lookup(headers.cookie);
    if (!found) return null;
    if (method !== 'GET' && method !== 'HEAD' && !sameText(headers[CSRF_HEADER] ?? '', found.session.csrfToken)) {
      // A public route (signing in again over a stale cookie) just goes without the cookie.
      if (publicRoute) return null;
      throw new ApiError('FORBIDDEN', `a request signed in by cookie must carry the ${CSRF_HEADER} header (cross-site request refused)`);
    }
    return found.principal;
  }

  /** The sync socket's credential for a cookie-signed-in page. */
  authenticateSyncTicket(ticket: string): Principal | null {
    const hash = sha256(ticket);
    for (const session of this.sessions.values()) {
      if (session.syncTicketHashes.includes(hash) && Date.parse(session.expiresAt) > this.now().getTime()) return this.principalOf(session.tokenId);
    }
    return null;
  }

  /** A fresh sync ticket for a new tab (the tickets of tabs already open stay valid). */
  newSyncTicket(session: DeviceSession): string {
    const ticket = secret();
    session.syncTicketHashes = [...session.syncTicketHashes, sha256(ticket)].slice(-MAX_TICKETS);
    this.persist();
    this.changed(session.idHash, session);
    return ticket;
  }

  remove(idHash: string): void {
    if (!this.sessions.delete(idHash)) return;
    this.persist();
    this.changed(idHash, null);
  }

  /**
   * Cluster mode (auth/shared-devices.ts): a device session as Redis holds it (null: gone), so a
   * cookie made on one node signs in on every node. Not reported to change listeners.
   */
  applyReplica(idHash: string, session: DeviceSession | null): void {
    if (session) this.sessions.set(idHash, session);
    else this.sessions.delete(idHash);
  }

  /** Called after each change this node makes (cluster mode stores it in Redis). */
  onChange(listener: (idHash: string, session: DeviceSession | null) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private changed(idHash: string, session: DeviceSession | null): void {
    for (const listener of this.changeListeners) listener(idHash, session);
  }

  cookieHeader(cookie: string): string {
    return `${COOKIE_NAME}=${cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${MAX_AGE_SECONDS}`;
  }

  clearedCookieHeader(): string {
    return `${COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  private principalOf(tokenId: string): Principal | null {
    const record = this.tokens.list().find((candidate) => candidate.id === tokenId);
    return record && !record.revokedAt ? { tokenId: record.id, name: record.name, role: record.role } : null;
  }

  private persist(): void {
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, JSON.stringify([...this.sessions.values()]), { mode: 0o600 });
    renameSync(temp, this.file);
  }
}
