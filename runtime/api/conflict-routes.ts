import type { ConflictChoice, ConflictReport } from '../../contracts/index.js';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import { availableFirst, isCommandAgent, languageModelOrder } from '../sessions/agent-kinds.js';
import type { SessionHost } from '../sessions/session-host.js';
import type { AppContext } from './app-context.js';
import { actorOf } from './principal-actor.js';
import { DelegateConflictBody, ResolveConflictBody } from './schemas.js';
import { repoTarget } from '../sessions/session-meta.js';

/**
 * The conflict a Save stopped on, if the session is waiting for people because of one. Only the
 * latest Save's report can be acted on: an older one no longer describes the branches.
 */
function openConflict(host: SessionHost, taskId: string | undefined): { report: ConflictReport; saveId: string } {
  const view = host.view();
  const save = view.lastSave;
  if (view.status !== 'awaiting_review' || !save || save.result.status !== 'conflict') {
    throw new ApiError('INVALID_STATE', 'the session is not stopped on a merge conflict', { status: view.status });
  }
  const { report } = save.result;
  if (taskId !== undefined && taskId !== report.taskId) {
    throw new ApiError('INVALID_STATE', `the open conflict is on task ${report.taskId}, not ${taskId}`);
  }
  // Resolved once already: the task branch has moved past this report.
  if (view.timeline.some((entry) => entry.kind === 'conflict_resolved' && entry.saveId === save.saveId && entry.taskId === report.taskId)) {
    throw new ApiError('STALE_CONFLICT', `the conflict of Save ${save.saveId} on task ${report.taskId} is already resolved; Save again`);
  }
  return { report, saveId: save.saveId };
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
        const by = ctx.principal?.name ?? '';
        // Checked, written to git and logged as one step of the session's queue: nothing else
        // reaches the session in between, and a refused resolution (bad choices, a branch that
        // moved) throws before the append, so it leaves no entry behind.
        const entry = await host.submitPrepared(async () => {
          const { report, saveId } = openConflict(host, ctx.body.taskId);
          const task = host.view().tasks.find((candidate) => candidate.id === report.taskId);
          if (task?.status !== 'ready_for_review') {
            throw new ApiError('INVALID_STATE', `task ${report.taskId} is ${task?.status ?? 'gone'}; only a task ready for review can take a resolution`, { taskId: report.taskId, status: task?.status ?? null });
          }
          // `text` is typed unknown by the body schema: the engine validates it (RESOLUTION_TEXT_INVALID),
          // so once resolveConflict returns, these are valid choices and are logged as sent.
          const resolutions = ctx.body.resolutions as ConflictChoice[];
          const resolved = await app.engine.resolveConflict({
            ...repoTarget(host.meta), sessionId: host.id, taskId: report.taskId, ours: report.ours, theirs: report.theirs, resolutions,
            // The Agent: trailer names the person; characters a git identity cannot hold are dropped.
            resolvedBy: by.replace(/[<>\r\n\0]/g, '').trim() || 'person',
          });
          return {
            type: 'TASK.CONFLICT_RESOLVED', taskId: report.taskId, saveId, commit: resolved.commit, ours: report.ours, theirs: report.theirs,
            resolutions, by, at: app.now().toISOString(),
          };
        }, { actor: actorOf(ctx.principal), command: true });
        const event = entry.data as { taskId: string; commit: string };
        const files = [...new Set(ctx.body.resolutions.map((choice) => choice.path))];
        return json(200, { taskId: event.taskId, commit: event.commit, branch: `session/${host.id}/task/${event.taskId}`, files, session: host.view() });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/conflicts/delegate',
      access: 'operator',
      body: DelegateConflictBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const { report } = openConflict(host, ctx.body.taskId);
        const task = host.view().tasks.find((candidate) => candidate.id === report.taskId);
        if (!task) throw new ApiError('TASK_NOT_FOUND', `no task ${report.taskId}`);
        const known = app.adapters.order();
        if (ctx.body.agent !== undefined && (!known.includes(ctx.body.agent) || isCommandAgent(ctx.body.agent))) {
          throw new ApiError('UNKNOWN_AGENT', `${ctx.body.agent} cannot resolve conflicts; use one of the language-model agents`, { known });
        }
        const candidates = languageModelOrder(app.defaults.agentOrder, ctx.body.agent);
        await app.adapters.checked(candidates); // right after a start they may still be `checking`
        const agentOrder = availableFirst(candidates, (id) => app.adapters.isAvailable(id));
        await host.submit(
          { type: 'TASK.REWORK', taskId: report.taskId, prompt: conflictPrompt(report, task.prompt), agentOrder, by: ctx.principal?.name ?? '', at: app.now().toISOString() },
          { actor: actorOf(ctx.principal), command: true },
        );
        return json(202, host.view().tasks.find((candidate) => candidate.id === report.taskId));
      },
    }),
  ];
}
