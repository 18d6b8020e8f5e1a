import { z } from 'zod';
import { MemberRoleSchema, type MembershipRecord } from '../auth/membership-store.js';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import { MEMBER_ADDED, MEMBER_CHANGED, MEMBER_REMOVED } from '../log/audit-only-types.js';
import type { AppContext } from './app-context.js';
import { applyMemberChanges, memberView } from './member-changes.js';
import { actorOf } from './principal-actor.js';

export const PutMemberBody = z.strictObject({ role: MemberRoleSchema });

/**
 * Members of one session. The HTTP layer has already checked the caller's role on the session
 * (a non-member got SESSION_NOT_FOUND): reading needs viewer, changing needs operator there.
 */
export function memberRoutes(app: AppContext): Route[] {
  const nameOf = (tokenId: string) => app.tokens.get(tokenId)?.name ?? tokenId;
  const sessionOf = (id: string | undefined) => app.sessions.get(id ?? '').id;
  /** Live documents decide read-only once per connection: a changed member reconnects. */
  const reconnect = (tokenId: string, sessionId: string) => app.sync.disconnectUser(tokenId, sessionId);

  return [
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/members',
      access: 'viewer',
      handle(ctx) {
        const sessionId = sessionOf(ctx.params.id);
        return json(200, { members: app.members.members(sessionId).map((record) => memberView(record, nameOf(record.tokenId))) });
      },
    }),
    defineRoute({
      method: 'PUT',
      pattern: '/api/sessions/:id/members/:tokenId',
      access: 'operator',
      body: PutMemberBody,
      async handle(ctx) {
        const sessionId = sessionOf(ctx.params.id);
        const tokenId = ctx.params.tokenId ?? '';
        const token = app.tokens.get(tokenId);
        if (!token || token.revokedAt) throw new ApiError('TOKEN_NOT_FOUND', `no active token ${tokenId}`);
        if (token.role === 'admin') {
          throw new ApiError('VALIDATION_FAILED', 'admin tokens see every session; they are not members', { issues: [{ path: 'tokenId', message: 'admin token' }] });
        }
        const existing = app.members.get(sessionId, tokenId);
        if (existing?.owner) throw new ApiError('INVALID_STATE', 'the owner of a session keeps the operator role');
        if (existing?.role === ctx.body.role) return json(200, memberView(existing, token.name));
        const by = actorOf(ctx.principal);
        const record: MembershipRecord = existing
          ? { ...existing, role: ctx.body.role }
          : { sessionId, tokenId, role: ctx.body.role, owner: false, addedAt: new Date().toISOString(), addedBy: by.id, removedAt: null };
        await applyMemberChanges(
          app,
          [existing ? { type: MEMBER_CHANGED, record, previousRole: existing.role, name: token.name } : { type: MEMBER_ADDED, record, name: token.name }],
          by,
        );
        if (existing) reconnect(tokenId, sessionId);
        return json(existing ? 200 : 201, memberView(record, token.name));
      },
    }),
    defineRoute({
      method: 'DELETE',
      pattern: '/api/sessions/:id/members/:tokenId',
      access: 'operator',
      async handle(ctx) {
        const sessionId = sessionOf(ctx.params.id);
        const tokenId = ctx.params.tokenId ?? '';
        const existing = app.members.get(sessionId, tokenId);
        if (!existing) throw new ApiError('MEMBER_NOT_FOUND', `token ${tokenId} is not a member of session ${sessionId}`);
        if (existing.owner) throw new ApiError('INVALID_STATE', 'the owner of a session cannot be removed');
        const record: MembershipRecord = { ...existing, removedAt: new Date().toISOString() };
        await applyMemberChanges(app, [{ type: MEMBER_REMOVED, record, name: nameOf(tokenId) }], actorOf(ctx.principal));
        reconnect(tokenId, sessionId);
        return json(200, { removed: memberView(existing, nameOf(tokenId)) });
      },
    }),
  ];
}
