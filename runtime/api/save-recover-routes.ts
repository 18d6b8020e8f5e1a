import { z } from 'zod';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import type { AppContext } from './app-context.js';
import { actorOf } from './principal-actor.js';
import { repoTarget } from '../sessions/session-meta.js';

const RecoverBody = z.strictObject({
  /** Settle the journal even though its writer looks alive (another process holding it). */
  force: z.boolean().optional(),
});

/**
 * A Save the repository holds a journal of: what is pending (read-only), and finishing it. The
 * engine finishes a publish that got as far as moving main, or undoes one that did not; the next
 * Save and every start do the same on their own, so this is for an operator who wants to see it.
 */
export function saveRecoverRoutes(app: AppContext): Route[] {
  return [
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/save/recover',
      access: 'viewer',
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const pending = await app.engine.pendingSave({ ...repoTarget(host.meta), sessionId: host.id });
        return json(200, { sessionId: host.id, status: host.status(), pending });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/save/recover',
      access: 'operator',
      body: RecoverBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const pending = await app.engine.pendingSave({ ...repoTarget(host.meta), sessionId: host.id });
        // A Save this process is running now (gates can take minutes) is not recovered under it.
        if (pending?.running) throw new ApiError('SAVE_IN_PROGRESS', `Save ${pending.saveId} is running; wait for it to finish`, { saveId: pending.saveId });
        const recovered = await app.engine.recoverSave({ ...repoTarget(host.meta), sessionId: host.id, force: ctx.body.force === true });
        const view = host.view();
        // A session still waiting on that Save learns its outcome through its log, like any effect.
        if (view.status === 'saving' && view.pendingSave && recovered.state !== 'none') {
          const result = recovered.state === 'completed'
            ? recovered.result
            : { status: 'error' as const, error: recovered.reason ?? { code: 'INTERRUPTED', message: 'the Save was undone; nothing was published. Save again.' } };
          await host.submit({ type: 'SAVE.COMPLETED', saveId: view.pendingSave.saveId, result, at: app.now().toISOString() }, { actor: actorOf(ctx.principal), command: false });
        }
        return json(200, { sessionId: host.id, recovered, session: host.view() });
      },
    }),
  ];
}
