import type { ConflictReport } from '../../git-engine/index.js';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import { availableFirst, isCommandAgent, languageModelOrder } from '../sessions/agent-kinds.js';
import type { SessionHost } from '../sessions/session-host.js';
import type { AppContext } from './app-context.js';
import { actorOf } from './principal-actor.js';
import { DelegateConflictBody, ResolveConflictBody } from './schemas.js';

/**
 * The conflict a Save stopped on, if the session is waiting for people because of one. Only the
 * latest Save's report can be acted on: an older one no longer describes the branches.
 */
function openConflict(host: SessionHost, taskId: string | undefined): ConflictReport {
  const view = host.view();
  const result = view.lastSave?.result as { status?: string; report?: ConflictReport } | undefined;
  if (view.status !== 'awaiting_review' || result?.status !== 'conflict' || !result.report) {
    throw new ApiError('INVALID_STATE', 'the session is not stopped on a merge conflict', { status: view.status });
  }
  if (taskId !== undefined && taskId !== result.report.taskId) {
    throw new ApiError('INVALID_STATE', `the open conflict is on task ${result.report.taskId}, not ${taskId}`);
  }
  return result.report;
}

function conflictPrompt(report: ConflictReport, originalPrompt: string): string {
  const files = report.files.map((file) => `- ${file.path} (${file.kind}): ${file.summary}`).join('\n');
  return [
    `Saving this session stopped on a merge conflict between this task's branch (${report.branch}) and the`,
    `integration of the session's other work (commit ${report.ours}).`,
    '',
    `In this worktree, run \`git merge ${report.ours}\`, resolve every conflict so that both sides' intent is`,
    'kept, make sure the project still builds and its tests pass, and commit the merge.',
    '',
    'Conflicting files:',
    files,
    '',
    'The task this branch was made for:',
    originalPrompt,
  ].join('\n');
}

export function conflictRoutes(app: AppContext): Route[] {
  return [
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/conflicts/resolve',
      access: 'reviewer',
      body: ResolveConflictBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const report = openConflict(host, ctx.body.taskId);
        const actor = actorOf(ctx.principal);
        // The decision is logged before the repository changes, and its outcome after.
        await app.log.appendOne({ actor, sessionId: host.id, taskId: report.taskId, type: 'CONFLICT.RESOLVE', data: { ours: report.ours, theirs: report.theirs, resolutions: ctx.body.resolutions } });
        try {
          const resolved = await app.engine.resolveConflict({
            repoPath: host.meta.repoPath, sessionId: host.id, taskId: report.taskId, ours: report.ours, theirs: report.theirs, resolutions: ctx.body.resolutions,
            // The Agent: trailer names the person; characters a git identity cannot hold are dropped.
            resolvedBy: (ctx.principal?.name ?? '').replace(/[<>\r\n\0]/g, '').trim() || 'person',
          });
          await app.log.appendOne({ actor, sessionId: host.id, taskId: report.taskId, type: 'CONFLICT.RESOLVED', data: resolved });
          return json(200, { taskId: report.taskId, ...resolved, session: host.view() });
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'INTERNAL';
          await app.log.appendOne({ actor, sessionId: host.id, taskId: report.taskId, type: 'CONFLICT.RESOLVE_FAILED', data: { code, message: (error as Error).message } });
          if (['UNRESOLVED_CONFLICT', 'INVALID_RESOLUTION', 'STALE_CONFLICT', 'WORKTREE_DIRTY'].includes(code)) {
            throw new ApiError(code === 'STALE_CONFLICT' || code === 'WORKTREE_DIRTY' ? 'INVALID_STATE' : 'VALIDATION_FAILED', (error as Error).message, { code, data: (error as { data?: unknown }).data });
          }
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/conflicts/delegate',
      access: 'operator',
      body: DelegateConflictBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const report = openConflict(host, ctx.body.taskId);
        const task = host.view().tasks.find((candidate) => candidate.id === report.taskId);
        if (!task) throw new ApiError('TASK_NOT_FOUND', `no task ${report.taskId}`);
        const known = app.adapters.order();
        if (ctx.body.agent !== undefined && (!known.includes(ctx.body.agent) || isCommandAgent(ctx.body.agent))) {
          throw new ApiError('UNKNOWN_AGENT', `${ctx.body.agent} cannot resolve conflicts; use one of the language-model agents`, { known });
        }
        const agentOrder = availableFirst(languageModelOrder(app.defaults.agentOrder, ctx.body.agent), (id) => app.adapters.isAvailable(id));
        await host.submit(
          { type: 'TASK.REWORK', taskId: report.taskId, prompt: conflictPrompt(report, task.prompt), agentOrder, by: ctx.principal?.name ?? '', at: new Date().toISOString() },
          { actor: actorOf(ctx.principal), command: true },
        );
        return json(202, host.view().tasks.find((candidate) => candidate.id === report.taskId));
      },
    }),
  ];
}
