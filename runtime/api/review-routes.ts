// The review loop's routes (issue 13): approve a task, request changes from the agent that made it
// (with the task's line comments from the shared document), the session's requireApproval
// setting, the Save preview, and re-applying or reworking tasks a rollback took off the base branch.
import type { ReviewComment, SessionEvent, TaskView } from '../../contracts/index.js';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import { isCommandAgent } from '../sessions/agent-kinds.js';
import { newId } from '../sessions/session-registry.js';
import type { SessionHost } from '../sessions/session-host.js';
import { repoTarget } from '../sessions/session-meta.js';
import { requireAvailableAgent } from './agent-required.js';
import type { AppContext } from './app-context.js';
import { actorOf } from './principal-actor.js';
import { saveCandidatesOf } from './review-save.js';
import { EmptyBody, RequestChangesBody, SessionSettingsBody } from './schemas.js';

function taskIn(host: SessionHost, taskId: string): TaskView {
  const task = host.view().tasks.find((candidate) => candidate.id === taskId);
  if (!task) throw new ApiError('TASK_NOT_FOUND', `no task ${taskId} in session ${host.id}`);
  return task;
}

/** What the agent is told: the reviewer's message and each line comment, with the task's goal for context. */
export function changesPrompt(task: TaskView, message: string, comments: ReviewComment[], round: number): string {
  const lines = [`A reviewer asks for changes to your work on this task (review round ${round}).`, '', 'The task:', task.prompt, ''];
  if (message !== '') lines.push('Reviewer:', message, '');
  if (comments.length > 0) {
    lines.push('Comments on lines of your change (file:line of the new version):');
    for (const comment of comments) lines.push(`- ${comment.path}:${comment.line} (${comment.by}): ${comment.text}`);
    lines.push('');
  }
  lines.push('Make the changes in this worktree, on the same branch; your work is committed when you finish.');
  return lines.join('\n');
}

export function reviewRoutes(app: AppContext): Route[] {
  const submit = (host: SessionHost, event: SessionEvent, principal: Parameters<typeof actorOf>[0]) =>
    host.submit(event, { actor: actorOf(principal), command: true });
  const now = () => app.now().toISOString();

  return [
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/tasks/:taskId/approve',
      access: 'reviewer',
      body: EmptyBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const task = taskIn(host, ctx.params.taskId ?? '');
        if (task.status === 'ready_for_review' && task.commit === null) {
          throw new ApiError('TASK_NOT_READY', `task ${task.id} changed nothing: there is no work to approve`, { taskId: task.id });
        }
        await submit(host, { type: 'TASK.APPROVE', taskId: task.id, commit: task.commit ?? '0'.repeat(40), by: ctx.principal?.name ?? '', at: now() }, ctx.principal);
        return json(202, taskIn(host, task.id));
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/tasks/:taskId/request-changes',
      access: 'reviewer',
      body: RequestChangesBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const task = taskIn(host, ctx.params.taskId ?? '');
        const last = task.runs[task.runs.length - 1];
        if (last && isCommandAgent(last.agent)) {
          throw new ApiError('REVIEW_NEEDS_AGENT', `task ${task.id} ran a shell command, not an agent conversation: reject it and add a new task instead`, { taskId: task.id, agent: last.agent });
        }
        // Comments already sent in an earlier round are not sent again.
        const sent = new Set(task.review.rounds.flatMap((round) => round.comments.map((comment) => comment.id)));
        const comments: ReviewComment[] = (await app.sync.readTaskComments(host.id, task.id))
          .filter((comment) => !sent.has(comment.id))
          .slice(0, 500)
          .map((comment) => ({ id: comment.id.slice(0, 200), path: comment.path, line: comment.line, text: comment.text.slice(0, 20_000), by: comment.by.slice(0, 200) }));
        const message = ctx.body.message;
        if (message === '' && comments.length === 0) {
          throw new ApiError('VALIDATION_FAILED', 'say what to change: a message, or comments on lines of the diff', { issues: [{ path: 'message', message: 'empty, and the task has no new line comments' }] });
        }
        const prompt = changesPrompt(task, message, comments, task.review.rounds.length + 1);
        await submit(host, { type: 'TASK.REQUEST_CHANGES', taskId: task.id, message, comments, prompt, by: ctx.principal?.name ?? '', at: now() }, ctx.principal);
        return json(202, taskIn(host, task.id));
      },
    }),
    defineRoute({
      method: 'PUT',
      pattern: '/api/sessions/:id/settings',
      access: 'operator',
      body: SessionSettingsBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        await submit(host, { type: 'SESSION.SETTINGS', requireApproval: ctx.body.requireApproval, by: ctx.principal?.name ?? '', at: now() }, ctx.principal);
        return json(200, host.view());
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/save-preview',
      access: 'viewer',
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const view = host.view();
        const taskIds = saveCandidatesOf(view);
        const leftOut = view.requireApproval
          ? view.tasks.filter((task) => task.status === 'ready_for_review' && task.commit !== null && !taskIds.includes(task.id)).map((task) => task.id)
          : [];
        const waiting = view.tasks.filter((task) => ['preparing', 'running', 'retry_wait', 'committing'].includes(task.status)).map((task) => task.id);
        const preview = await app.engine.savePreview({ ...repoTarget(host.meta), sessionId: host.id, taskIds });
        return json(200, { sessionId: host.id, taskIds, leftOut, waiting, ...preview });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/tasks/:taskId/reapply',
      access: 'operator',
      body: EmptyBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const taskId = ctx.params.taskId ?? '';
        // Checked, written to git and logged as one step of the session's queue (as a conflict resolution).
        await host.submitPrepared(async () => {
          const task = taskIn(host, taskId);
          if (!task.reverted || task.reverted.reapply || task.reverted.reworkedAs) {
            throw new ApiError('INVALID_STATE', `task ${taskId} has no work a rollback took off the base branch, or it is re-applied or reworked already`, { taskId });
          }
          if (!task.baseCommit || !task.commit) throw new ApiError('INVALID_STATE', `task ${taskId} has no commit to re-apply`, { taskId });
          // Refused before any git write when the session would not take it now (e.g. while saving).
          const probe = { type: 'TASK.REAPPLY' as const, taskId, commit: task.commit, by: '', at: '' };
          if (!host.can(probe)) throw new ApiError('INVALID_STATE', `the session cannot re-apply a task while ${host.status()}`, { status: host.status() });
          const done = await app.engine.reapplyTask({ ...repoTarget(host.meta), sessionId: host.id, taskId, base: task.baseCommit, head: task.commit });
          return { type: 'TASK.REAPPLY', taskId, commit: done.commit, by: ctx.principal?.name ?? '', at: now() };
        }, { actor: actorOf(ctx.principal), command: true });
        return json(202, taskIn(host, taskId));
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/tasks/:taskId/rework',
      access: 'operator',
      body: EmptyBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const original = taskIn(host, ctx.params.taskId ?? '');
        if (!original.reverted || original.reverted.reapply || original.reverted.reworkedAs) {
          throw new ApiError('INVALID_STATE', `task ${original.id} has no work a rollback took off the base branch, or it is re-applied or reworked already`, { taskId: original.id });
        }
        const agentOrder = original.agentOrder.filter((agent) => app.adapters.order().includes(agent));
        if (!agentOrder.some(isCommandAgent)) requireAvailableAgent(app, agentOrder);
        const taskId = newId('t');
        await submit(host, {
          type: 'TASK.ADD', taskId, prompt: original.prompt, agent: null, agentOrder, reworkOf: original.id,
          at: now(), by: ctx.principal?.name ?? 'unknown',
        }, ctx.principal);
        return json(202, taskIn(host, taskId));
      },
    }),
  ];
}
