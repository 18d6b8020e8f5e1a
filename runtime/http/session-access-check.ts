import { ApiError } from '../errors.js';
import type { Role } from '../auth/roles.js';
import type { Principal } from '../auth/token-store.js';
import type { Route } from './route.js';

/** What the HTTP layer needs to know about per-session access (runtime/auth/session-access.ts). */
export interface SessionAccessPolicy {
  roleOn(principal: Principal, sessionId: string): Role | null;
}

/** Routes under `/api/sessions/:id` act on one session: the caller's role there decides. */
const SESSION_ROUTE = /^\/api\/sessions\/:id(?:\/|$)/;

export function isSessionRoute(route: Route): boolean {
  return SESSION_ROUTE.test(route.pattern);
}

/**
 * The role a request is checked against. For a session route it is the caller's role on that
 * session; a caller who is not a member gets SESSION_NOT_FOUND, exactly as for a session that does
 * not exist, so ids cannot be probed.
 */
export function roleForRequest(route: Route, params: Record<string, string>, principal: Principal, policy: SessionAccessPolicy | undefined): Role {
  if (!policy || !isSessionRoute(route)) return principal.role;
  const sessionId = params.id ?? '';
  const role = policy.roleOn(principal, sessionId);
  if (role === null) throw new ApiError('SESSION_NOT_FOUND', `no session ${sessionId}`);
  return role;
}
