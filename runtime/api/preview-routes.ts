// Previews of the dev servers tasks start: which tasks hold a port and whether something listens
// on it, and a preview link (a capability URL, see previews/preview-tickets.ts) for one of them.
import { EmptyBody } from './schemas.js';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import { isListening, type TaskPorts } from '../previews/task-ports.js';
import { previewPrefix } from '../previews/preview-proxy.js';
import type { PreviewTickets } from '../previews/preview-tickets.js';
import type { AppContext } from './app-context.js';

export function previewRoutes(app: AppContext, ports: TaskPorts, tickets: PreviewTickets): Route[] {
  return [
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/previews',
      access: 'viewer',
      async handle(ctx) {
        const sessionId = app.sessions.get(ctx.params.id ?? '').id;
        const held = ports.forSession(sessionId);
        const previews = await Promise.all(held.map(async ({ taskId, port }) => ({ taskId, port, listening: await isListening(port) })));
        return json(200, { previews });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/tasks/:taskId/preview',
      access: 'viewer',
      body: EmptyBody,
      async handle(ctx) {
        const sessionId = app.sessions.get(ctx.params.id ?? '').id;
        const taskId = ctx.params.taskId ?? '';
        if (!app.sessions.get(sessionId).view().tasks.some((task) => task.id === taskId)) throw new ApiError('TASK_NOT_FOUND', `no task ${taskId} in session ${sessionId}`);
        const port = ports.get(sessionId, taskId);
        if (port === null) throw new ApiError('PREVIEW_NOT_AVAILABLE', `task ${taskId} has no running process with a port`, { taskId });
        const principal = ctx.principal;
        if (!principal) throw new ApiError('UNAUTHENTICATED', 'a valid bearer token is required');
        const { ticket, expiresAt } = tickets.issue({ tokenId: principal.tokenId, sessionId, taskId });
        return json(200, { url: `${previewPrefix(sessionId, taskId, ticket)}/`, port, listening: await isListening(port), expiresAt: new Date(expiresAt).toISOString() });
      },
    }),
  ];
}
