import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/** Who a presence entry belongs to, as the server knows it from the token. */
export interface PresenceIdentity {
  userId: string;
  name: string;
  role: string;
}

/** The palette the console uses; a person's colour follows from their token id, not their claim. */
export const PRESENCE_COLORS = ['#6366f1', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#ec4899', '#8b5cf6', '#14b8a6'] as const;

export function presenceColor(userId: string): string {
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PRESENCE_COLORS[hash % PRESENCE_COLORS.length] ?? PRESENCE_COLORS[0];
}

/**
 * Rewrites one awareness update (y-protocols layout: count, then per entry clientId, clock and the
 * state as a JSON string). Each state's `user` becomes the server's identity for this connection,
 * whatever the client put there; entries for client ids another person holds (`mayUse` false) are
 * dropped, so nobody can overwrite someone else's presence. Returns null when nothing is left.
 */
export function stampAwarenessUpdate(update: Uint8Array, identity: PresenceIdentity, mayUse: (clientId: number) => boolean): Uint8Array | null {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const kept: Array<{ clientId: number; clock: number; state: string }> = [];
  const user = { id: identity.userId, name: identity.name, role: identity.role, color: presenceColor(identity.userId) };
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const raw = decoding.readVarString(decoder);
    if (!mayUse(clientId)) continue;
    let state: unknown;
    try {
      state = JSON.parse(raw);
    } catch {
      continue;
    }
    // null is how a client says it left; anything else must be an object we can stamp.
    if (state === null) kept.push({ clientId, clock, state: 'null' });
    else if (typeof state === 'object' && !Array.isArray(state)) kept.push({ clientId, clock, state: JSON.stringify({ ...state, user }) });
  }
  if (kept.length === 0) return null;
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, kept.length);
  for (const entry of kept) {
    encoding.writeVarUint(encoder, entry.clientId);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarString(encoder, entry.state);
  }
  return encoding.toUint8Array(encoder);
}

/**
 * Which person holds which awareness client id, per document. The first user to send an entry for
 * a client id holds it until the document unloads; a user holds at most `perUser` ids per document
 * (the oldest is let go: a reloaded tab gets a new id).
 */
export class PresenceClaims {
  private readonly byDocument = new Map<string, Map<number, string>>();

  constructor(private readonly perUser = 32) {}

  mayUse(documentName: string, clientId: number, userId: string): boolean {
    let claims = this.byDocument.get(documentName);
    if (!claims) {
      claims = new Map();
      this.byDocument.set(documentName, claims);
    }
    const holder = claims.get(clientId);
    if (holder !== undefined) return holder === userId;
    const held = [...claims].filter(([, user]) => user === userId);
    if (held.length >= this.perUser && held[0]) claims.delete(held[0][0]);
    claims.set(clientId, userId);
    return true;
  }

  release(documentName: string): void {
    this.byDocument.delete(documentName);
  }
}

/** A token bucket: `burst` frames at once, refilled at `perSecond`. */
export class RateLimit {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
