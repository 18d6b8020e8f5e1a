import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import type { AppContext } from './app-context.js';
import type { MembershipRecord } from '../auth/membership-store.js';
import { MEMBER_ADDED } from '../log/audit-only-types.js';
import { memberEntry } from './member-changes.js';
import { actorOf } from './principal-actor.js';
import { tokenGrants } from './token-grants.js';
import { CreateTokenBody, EmptyBody } from './schemas.js';

/**
 * The body of `GET /healthz` (the server also answers it straight from uWS: mount-health.ts).
 * Deliberately tells nothing about sessions: it answers without a token. `ready` turns true once
 * the sessions are restored and every agent CLI is checked; the process is alive (200) before.
 */
export function healthReport(app: Pick<AppContext, 'node' | 'version' | 'now' | 'startedAt' | 'startup'>) {
  const sessionsRestored = app.startup?.sessionsRestored() ?? true;
  const agentsChecked = app.startup?.agentsChecked() ?? true;
  return {
    status: 'ok',
    node: app.node?.id ?? null,
    cluster: app.node?.cluster ?? false,
    version: app.version,
    uptimeSeconds: Math.round((app.now().getTime() - app.startedAt.getTime()) / 1000),
    ready: sessionsRestored && agentsChecked,
    sessions: sessionsRestored ? 'restored' : 'restoring',
    agents: agentsChecked ? 'checked' : 'checking',
  };
}

export function systemRoutes(app: AppContext): Route[] {
  return [
    defineRoute({
      method: 'GET',
      pattern: '/healthz',
      access: 'public',
      handle: () => json(200, healthReport(app)),
    }),
    defineRoute({
      method: 'GET',
      pattern: '/metrics',
      access: 'viewer',
      async handle() {
        return { status: 200, body: await app.metrics.registry.metrics(), contentType: app.metrics.registry.contentType };
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/me',
      access: 'viewer',
      handle: (ctx) => json(200, ctx.principal),
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/agents',
      access: 'viewer',
      handle: () => json(200, { order: app.adapters.order(), agents: app.adapters.statuses() }),
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/agents/refresh',
      access: 'operator',
      body: EmptyBody,
      async handle() {
        return json(200, { order: app.adapters.order(), agents: await app.adapters.handshakeAll() });
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/tokens',
      access: 'admin',
      handle: () => json(200, { tokens: app.tokens.list() }),
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/tokens',
      access: 'admin',
      body: CreateTokenBody,
      async handle(ctx) {
        const by = actorOf(ctx.principal);
        const grants = tokenGrants(app, ctx.body.role, ctx.body.sessions ?? []);
        let memberships: MembershipRecord[] = [];
        // The token row, its memberships and their audit entries (who minted which role for whom,
        // never the secret) land in one batch: a crash cannot leave a working token nobody can account for.
        const { token, record } = await app.tokens.create({ name: ctx.body.name, role: ctx.body.role, createdBy: by.id }, async (created, write) => {
          memberships = grants.map((grant) => ({ ...grant, tokenId: created.id, owner: false, addedAt: created.createdAt, addedBy: by.id, removedAt: null }));
          await app.log.append(
            [
              { actor: by, sessionId: null, type: 'TOKEN.CREATED', data: { id: created.id, name: created.name, role: created.role } },
              ...memberships.map((member) => memberEntry({ type: MEMBER_ADDED, record: member }, by, created.name)),
            ],
            [write, ...memberships.map((member) => app.members.writeFor(member))],
          );
        });
        app.members.apply(memberships);
        return json(201, { token, ...record, sessions: memberships.map((member) => ({ id: member.sessionId, role: member.role })) });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/tokens/:tokenId/revoke',
      access: 'admin',
      body: EmptyBody,
      async handle(ctx) {
        const tokenId = ctx.params.tokenId ?? '';
        if (ctx.principal?.tokenId === tokenId) throw new ApiError('INVALID_STATE', 'a token cannot revoke itself');
        const revoked = await app.tokens.revoke(tokenId, async (record, write) => {
          await app.log.appendOne({ actor: actorOf(ctx.principal), sessionId: null, type: 'TOKEN.REVOKED', data: { id: record.id } }, [write]);
        });
        if (!revoked) throw new ApiError('TOKEN_NOT_FOUND', `no token ${tokenId}`);
        // Live documents authenticate once per connection: cut the revoked holder off now.
        app.sync.disconnectUser(revoked.record.id);
        return json(200, revoked.record);
      },
    }),
  ];
}
