// CI reports back: a verdict per commit and context (pending, success, failure, error), recorded in
// the session's log (so every replica and every replay sees it), shown on tasks and checkpoints, and
// required before a Save when `.thalogos.json` says so.
import { z } from 'zod';
import { defineRoute, json, type Route } from '../http/route.js';
import type { AppContext } from './app-context.js';
import { actorOf } from './principal-actor.js';

export const CiStatusBody = z.strictObject({
  commit: z.string().regex(/^[0-9a-f]{40}$/, 'a full commit id (40 lowercase hex digits)'),
  context: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'a CI context name, e.g. ci/test'),
  state: z.enum(['pending', 'success', 'failure', 'error']),
  url: z.string().url().max(2000).refine((url) => /^https?:\/\//.test(url), 'an http(s) URL').optional(),
  description: z.string().max(500).optional(),
});

export function ciRoutes(app: AppContext): Route[] {
  return [
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/statuses',
      // A CI system's token: an operator token that is a member of the session.
      access: 'operator',
      body: CiStatusBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const body = ctx.body as z.infer<typeof CiStatusBody>;
        await host.submit({
          type: 'CI.STATUS', commit: body.commit, context: body.context, state: body.state,
          url: body.url ?? null, description: body.description ?? null, at: app.now().toISOString(), by: ctx.principal?.name ?? '',
        }, { actor: actorOf(ctx.principal), command: true });
        return json(201, { commit: body.commit, statuses: host.view().ciStatuses[body.commit] ?? {} });
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/statuses',
      access: 'viewer',
      handle(ctx) {
        return json(200, { statuses: app.sessions.get(ctx.params.id ?? '').view().ciStatuses });
      },
    }),
  ];
}
