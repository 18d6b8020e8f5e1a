/**
 * Log entry types that carry a session id but are audit records, not inputs of the session's
 * actor: replay must skip them (feeding them to the machine is what broke restarts before).
 * Membership changes are written by runtime/api/member-routes.ts.
 */
export const MEMBER_ADDED = 'MEMBER.ADDED';
export const MEMBER_CHANGED = 'MEMBER.CHANGED';
export const MEMBER_REMOVED = 'MEMBER.REMOVED';

export const AUDIT_ONLY_ENTRY_TYPES: ReadonlySet<string> = new Set([MEMBER_ADDED, MEMBER_CHANGED, MEMBER_REMOVED]);
