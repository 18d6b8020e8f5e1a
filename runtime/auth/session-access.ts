import { ROLES, type Role } from './roles.js';
import type { MembershipStore } from './membership-store.js';
import type { Principal } from './token-store.js';

/**
 * Per-session access: admins see and touch every session; any other token only the sessions it is
 * a member of, with the lower of its token role and its member role. A session without a member
 * row for the token (including sessions created before memberships existed) does not exist for it.
 */
export class SessionAccess {
  constructor(private readonly members: MembershipStore) {}

  /** The role this principal has on the session, or null when the session is invisible to it. */
  roleOn(principal: Principal, sessionId: string): Role | null {
    if (principal.role === 'admin') return 'admin';
    const member = this.members.roleOf(sessionId, principal.tokenId);
    if (member === null) return null;
    return lowerRole(principal.role, member);
  }

  canSee(principal: Principal | null, sessionId: string): boolean {
    return principal !== null && this.roleOn(principal, sessionId) !== null;
  }
}

export function lowerRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}
