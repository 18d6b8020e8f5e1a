import type { MemberRole } from '../auth/membership-store.js';
import type { Role } from '../auth/roles.js';
import { ApiError } from '../errors.js';
import type { AppContext } from './app-context.js';

/**
 * Checks the sessions a new token is to join (before anything is written): every session must
 * exist, and an admin token takes none (it sees every session already).
 */
export function tokenGrants(app: Pick<AppContext, 'sessions'>, role: Role, sessions: Array<{ id: string; role: MemberRole }>): Array<{ sessionId: string; role: MemberRole }> {
  if (role === 'admin' && sessions.length > 0) {
    throw new ApiError('VALIDATION_FAILED', 'admin tokens see every session; they take no memberships', {
      issues: [{ path: 'sessions', message: 'not allowed with role admin' }],
    });
  }
  return sessions.map((entry) => ({ sessionId: app.sessions.get(entry.id).id, role: entry.role }));
}
