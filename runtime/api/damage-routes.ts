import { z } from 'zod';
import { SESSION_ENTRY_REPAIRED, SESSION_ENTRY_SKIPPED, SessionEventSchema } from '../../contracts/index.js';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import type { AppContext } from './app-context.js';
import { actorOf } from './principal-actor.js';

const SkipBody = z.strictObject({
  seq: z.number().int().positive(),
  reason: z.string().trim().min(1).max(2000),
});
const RepairBody = SkipBody.extend({ event: SessionEventSchema });

/**
 * Quarantined sessions: an admin inspects the entry their actor cannot apply, then skips it or
 * replaces it with a corrected event. Either decision is an audit record in the session's log
 * (replay honours it from then on), and the session is rebuilt from its log.
 */
export function damageRoutes(app: AppContext): Route[] {
  const damagedHost = (id: string, seq?: number) => {
    const host = app.sessions.get(id);
    const damage = host.damage;
    if (!damage) throw new ApiError('INVALID_STATE', `session ${id} is not quarantined`);
    if (seq !== undefined && seq !== damage.seq) {
      throw new ApiError('INVALID_STATE', `session ${id} is quarantined at entry ${damage.seq}, not ${seq}`, damage);
    }
    return { host, damage };
  };
  const decide = (type: typeof SESSION_ENTRY_SKIPPED | typeof SESSION_ENTRY_REPAIRED, body: typeof SkipBody | typeof RepairBody) =>
    defineRoute({
      method: 'POST',
      pattern: `/api/sessions/:id/damage/${type === SESSION_ENTRY_SKIPPED ? 'skip' : 'repair'}`,
      access: 'admin',
      body,
      async handle(ctx) {
        const { host } = damagedHost(ctx.params.id ?? '', ctx.body.seq);
        await app.log.appendOne({ kind: 'audit', actor: actorOf(ctx.principal), sessionId: host.id, type, data: ctx.body });
        const reloaded = await app.sessions.reload(host.id);
        return json(200, reloaded.view());
      },
    });
  return [
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/damage',
      access: 'admin',
      async handle(ctx) {
        const { host, damage } = damagedHost(ctx.params.id ?? '');
        const [entry] = await app.log.read({ sessionId: host.id, after: damage.seq - 1, limit: 1 });
        return json(200, { damage, entry: entry ?? null });
      },
    }),
    decide(SESSION_ENTRY_SKIPPED, SkipBody),
    decide(SESSION_ENTRY_REPAIRED, RepairBody),
  ];
}
