// Live steering of ACP agents (issue 13): a person's message to a running agent, and the answer to
// an agent's permission request. Both are recorded as actor events with the caller as author; a
// refused request (no live run, no such request, a wrong option) logs nothing.
import { z } from 'zod';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import type { AcpSteering } from '../sessions/acp-steering.js';
import type { AppContext } from './app-context.js';
import { actorOf } from './principal-actor.js';

export const AgentMessageBody = z.strictObject({
  text: z.string().trim().min(1).max(16_000),
  /** Cancel the agent's current turn (session/cancel) so the message is heard at once. */
  interrupt: z.boolean().default(false),
});

export const PermissionAnswerBody = z.strictObject({
  decision: z.enum(['allow', 'deny']),
  /** One of the request's options of that kind; default: its "once" option. */
  optionId: z.string().min(1).max(200).optional(),
  reason: z.string().trim().min(1).max(2000).optional(),
});

export function steeringRoutes(app: AppContext, steering: AcpSteering): Route[] {
  return [
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/tasks/:taskId/messages',
      access: 'reviewer',
      body: AgentMessageBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const taskId = ctx.params.taskId ?? '';
        if (!host.view().tasks.some((t) => t.id === taskId)) throw new ApiError('TASK_NOT_FOUND', `no task ${taskId} in session ${host.id}`);
        const sent = await steering.message(host.id, taskId, ctx.body.text, ctx.body.interrupt, ctx.principal?.name ?? '', actorOf(ctx.principal));
        return json(202, { taskId, ...sent });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/permissions/:requestId',
      access: 'reviewer',
      body: PermissionAnswerBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const requestId = ctx.params.requestId ?? '';
        steering.decide(host.id, requestId, ctx.body, ctx.principal?.name ?? '', actorOf(ctx.principal));
        // The decision is logged before the agent hears it; wait for it so the view shows it.
        await host.settled();
        return json(200, { requestId, decision: ctx.body.decision, session: host.view() });
      },
    }),
  ];
}
