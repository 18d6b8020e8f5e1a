// Preview links carry a capability in their path: /preview/{session}/{task}/{ticket}/... The ticket
// names the token it was issued to, the session, the task and an expiry, under an HMAC with a key
// that lives only in this process. Every request re-checks that the token still exists and is
// still a member, so revoking a token or a membership ends its previews at once.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const PREVIEW_TICKET_TTL_MS = 60 * 60 * 1000;

export interface PreviewGrant {
  tokenId: string;
  sessionId: string;
  taskId: string;
  expiresAt: number;
}

export class PreviewTickets {
  private readonly key = randomBytes(32);

  constructor(private readonly now: () => number) {}

  issue(grant: Omit<PreviewGrant, 'expiresAt'>): { ticket: string; expiresAt: number } {
    const expiresAt = this.now() + PREVIEW_TICKET_TTL_MS;
    const payload = Buffer.from(JSON.stringify({ t: grant.tokenId, s: grant.sessionId, k: grant.taskId, e: expiresAt })).toString('base64url');
    return { ticket: `${payload}.${this.sign(payload)}`, expiresAt };
  }

  /** The grant of a ticket for this session and task, or null (forged, expired, or for another task). */
  verify(ticket: string, sessionId: string, taskId: string): PreviewGrant | null {
    const [payload, mac, extra] = ticket.split('.');
    if (!payload || !mac || extra !== undefined) return null;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let data: { t?: unknown; s?: unknown; k?: unknown; e?: unknown };
    try {
      data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof data;
    } catch {
      return null;
    }
    if (typeof data.t !== 'string' || data.s !== sessionId || data.k !== taskId || typeof data.e !== 'number' || data.e <= this.now()) return null;
    return { tokenId: data.t, sessionId, taskId, expiresAt: data.e };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
