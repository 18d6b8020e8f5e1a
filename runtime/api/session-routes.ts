import type { SessionEvent, SessionView } from '../../actors/index.js';
import type { SessionSummary } from '../../contracts/index.js';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import { availableFirst, isCommandAgent, languageModelOrder } from '../sessions/agent-kinds.js';
import { resolveAllowedRepo } from '../sessions/repo-policy.js';
import { newId } from '../sessions/session-registry.js';
import type { AppContext } from './app-context.js';
import { recordOwner } from './member-changes.js';
import { parseQuery } from './parse-query.js';
import { actorOf } from './principal-actor.js';
import { requireAvailableAgent } from './agent-required.js';
import { AddTaskBody, CreateSessionBody, EmptyBody, EventsQuery, RejectBody, RollbackBody, SaveBody } from './schemas.js';
import { repoTarget } from '../sessions/session-meta.js';
import { describeMissing, missingStatuses } from '../ci/required-statuses.js';
import { refuseNothingApproved, refuseUnapproved, saveCandidatesOf } from './review-save.js';

export function sessionRoutes(app: AppContext): Route[] {
  const summary = (id: string): SessionSummary => {
    const view = app.sessions.get(id).view();
    const counts: Record<string, number> = {};
    for (const task of view.tasks) counts[task.status] = (counts[task.status] ?? 0) + 1;
    return { id: view.id, title: view.title, repoPath: view.repoPath, status: view.status, createdAt: view.createdAt, taskCounts: counts, damage: view.damage };
  };
  const taskOf = (sessionId: string, taskId: string) => {
    const task = app.sessions.get(sessionId).view().tasks.find((candidate) => candidate.id === taskId);
    if (!task) throw new ApiError('TASK_NOT_FOUND', `no task ${taskId} in session ${sessionId}`);
    return task;
  };
  const routingOrder = (requested: string | undefined): string[] => {
    const known = app.adapters.order();
    if (requested !== undefined && !known.includes(requested)) {
      throw new ApiError('UNKNOWN_AGENT', `no agent adapter named ${requested}`, { known });
    }
    if (requested && isCommandAgent(requested)) return [requested];
    const order = requested
      ? languageModelOrder(app.defaults.agentOrder, requested)
      : // No agent asked for: the router puts available adapters first, in the session's order.
        availableFirst(languageModelOrder(app.defaults.agentOrder), (id) => app.adapters.isAvailable(id));
    requireAvailableAgent(app, order);
    return order;
  };

  /** A command on one task: the task must exist, and its machine must accept the command now. */
  const taskCommandRoute = (verb: string, type: 'TASK.CANCEL' | 'TASK.REJECT', access: 'operator' | 'reviewer') =>
    defineRoute({
      method: 'POST',
      pattern: `/api/sessions/:id/tasks/:taskId/${verb}`,
      access,
      body: RejectBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const taskId = ctx.params.taskId ?? '';
        taskOf(host.id, taskId);
        if (type === 'TASK.CANCEL' && ctx.body.reason !== undefined) throw new ApiError('VALIDATION_FAILED', 'a cancel takes no reason', { issues: [{ path: 'reason', message: 'only a reject takes a reason' }] });
        const reason = type === 'TASK.REJECT' && ctx.body.reason ? { reason: ctx.body.reason } : {};
        await submitCommand(host, { type, taskId, ...reason, at: app.now().toISOString(), by: ctx.principal?.name ?? '' }, ctx.principal, 'INVALID_STATE');
        return json(202, taskOf(host.id, taskId));
      },
    });

  return [
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions',
      access: 'operator',
      body: CreateSessionBody,
      async handle(ctx) {
        const given = await resolveAllowedRepo(ctx.body.repoPath, app.config.repoRoots);
        // One repository, one name: its `.git` directory, a subdirectory or a linked worktree all
        // mean the main worktree, so locks and the dirty-checkout guard apply whatever was typed.
        const inspected = await app.engine.inspectRepository(given);
        const repoPath = await resolveAllowedRepo(inspected.repoPath, app.config.repoRoots);
        // The base branch: as asked, else the branch the checkout is on (not one of ours), else main/master.
        const checkedOut = inspected.headBranch !== null && !inspected.headBranch.startsWith('session/') ? inspected.headBranch : null;
        const baseBranch = (await app.engine.inspectRepository(repoPath, ctx.body.baseBranch ?? checkedOut ?? inspected.mainBranch)).mainBranch;
        // The base branch as it is now becomes the session's first checkpoint, so its first Save can be rolled back.
        const beforeCreate = async (sessionId: string) => void (await app.engine.recordSessionStart({ repoPath, baseBranch, sessionId }));
        const host = await app.sessions.create({ title: ctx.body.title, repoPath, baseBranch, requireApproval: ctx.body.requireApproval, defaults: app.defaults, by: actorOf(ctx.principal), beforeCreate });
        await recordOwner(app, host.id, ctx.principal);
        return json(201, host.view());
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions',
      access: 'viewer',
      // Only the sessions the caller is a member of (admins: all).
      handle: (ctx) => json(200, { sessions: app.sessions.all().filter((host) => app.access.canSee(ctx.principal, host.id)).map((host) => summary(host.id)) }),
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id',
      access: 'viewer',
      handle: (ctx) => json(200, app.sessions.get(ctx.params.id ?? '').view()),
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/tasks',
      access: 'operator',
      body: AddTaskBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const taskId = newId('t');
        const agentOrder = routingOrder(ctx.body.agent);
        const event: SessionEvent = {
          type: 'TASK.ADD', taskId, prompt: ctx.body.prompt, agent: ctx.body.agent ?? null, agentOrder,
          at: app.now().toISOString(), by: ctx.principal?.name ?? 'unknown',
        };
        await submitCommand(host, event, ctx.principal, 'SESSION_BUSY');
        return json(202, taskOf(host.id, taskId));
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/tasks/:taskId',
      access: 'viewer',
      handle: (ctx) => json(200, taskOf(ctx.params.id ?? '', ctx.params.taskId ?? '')),
    }),
    taskCommandRoute('cancel', 'TASK.CANCEL', 'operator'),
    taskCommandRoute('reject', 'TASK.REJECT', 'reviewer'),
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/tasks/:taskId/diff',
      access: 'viewer',
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const taskId = ctx.params.taskId ?? '';
        const task = taskOf(host.id, taskId);
        // From the commit the task started on: after a Save merged it, main's merge base with the
        // branch is the branch itself and the review diff would be empty.
        const base = task.baseCommit ?? undefined;
        // Once its branch is pruned (git.pruneTaskBranches), the task's last commit stands in for it.
        const headIfPruned = task.commit ?? task.baseCommit ?? undefined;
        return json(200, await app.engine.taskDiff({ ...repoTarget(host.meta), sessionId: host.id, taskId, ...(base ? { base } : {}), ...(headIfPruned ? { headIfPruned } : {}) }));
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/save',
      access: 'operator',
      body: SaveBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const chosen = ctx.body.taskIds;
        if (chosen) refuseUnreadyChosen(host.view(), chosen);
        else refuseEmptySave(host.view());
        await refuseMissingStatuses(app, host, chosen);
        const saveId = newId('save');
        await submitCommand(host, { type: 'SAVE.REQUEST', saveId, at: app.now().toISOString(), by: ctx.principal?.name ?? '', ...(chosen ? { taskIds: chosen } : {}) }, ctx.principal, 'SAVE_IN_PROGRESS');
        return json(202, { saveId, session: host.view() });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/resume',
      access: 'reviewer',
      body: EmptyBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        await submitCommand(host, { type: 'REVIEW.RESUME', at: app.now().toISOString(), by: ctx.principal?.name ?? '' }, ctx.principal, 'INVALID_STATE');
        return json(202, host.view());
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/rollback',
      access: 'operator',
      body: RollbackBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const checkpoints = await app.engine.listCheckpoints(host.meta.repoPath);
        if (!checkpoints.some((checkpoint) => checkpoint.tag === ctx.body.checkpoint)) {
          throw new ApiError('CHECKPOINT_NOT_FOUND', `no checkpoint ${ctx.body.checkpoint} in ${host.meta.repoPath}`);
        }
        const rollbackId = newId('rb');
        await submitCommand(
          host,
          { type: 'ROLLBACK.REQUEST', rollbackId, checkpoint: ctx.body.checkpoint, mode: ctx.body.mode, at: app.now().toISOString(), by: ctx.principal?.name ?? '' },
          ctx.principal,
          'ROLLBACK_IN_PROGRESS',
        );
        return json(202, { rollbackId, session: host.view() });
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/events',
      access: 'viewer',
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const query = parseQuery(EventsQuery, ctx.query);
        const events = await app.log.read({ sessionId: host.id, after: query.after, limit: query.limit, ...(query.taskId ? { taskId: query.taskId } : {}) });
        return json(200, { sessionId: host.id, events, head: host.lastAppliedSeq });
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/branches',
      access: 'viewer',
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        return json(200, { branches: await app.engine.listSessionBranches(host.meta.repoPath, host.id, host.meta.baseBranch) });
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/checkpoints',
      access: 'viewer',
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        return json(200, { checkpoints: await app.engine.listCheckpoints(host.meta.repoPath) });
      },
    }),
  ];
}

/**
 * Tasks a Save would merge now whose commits lack a required CI status: refused with 409
 * STATUS_REQUIRED before anything is logged. Tasks still working are checked when the Save starts.
 */
async function refuseMissingStatuses(app: AppContext, host: ReturnType<AppContext['sessions']['get']>, chosen: string[] | undefined): Promise<void> {
  const view = host.view();
  if (view.status === 'damaged') return;
  // A repository whose configuration cannot be read is the Save's to report (with the engine's code).
  const required = await app.engine.repoConfig(repoTarget(host.meta)).then((config) => config.ci.requiredStatuses, () => [] as string[]);
  const candidates = chosen ?? saveCandidatesOf(view);
  const missing = missingStatuses(view, candidates, required);
  if (missing.length > 0) {
    throw new ApiError('STATUS_REQUIRED', `a required CI status is missing: ${describeMissing(missing)}`, { required, missing });
  }
}

/**
 * A command is refused (with `refusedAs`, and without touching the log) when the session's
 * machine would not accept it in its current state.
 */
async function submitCommand(
  host: ReturnType<AppContext['sessions']['get']>,
  event: SessionEvent,
  principal: Parameters<typeof actorOf>[0],
  refusedAs: 'SESSION_BUSY' | 'SAVE_IN_PROGRESS' | 'ROLLBACK_IN_PROGRESS' | 'INVALID_STATE',
): Promise<void> {
  try {
    await host.submit(event, { actor: actorOf(principal), command: true });
  } catch (error) {
    if (error instanceof ApiError && error.code === 'INVALID_STATE' && refusedAs !== 'INVALID_STATE') {
      throw new ApiError(refusedAs, error.message, error.data);
    }
    throw error;
  }
}

/** Statuses a Save drains (waits for) before merging: their work may still become ready. */
const WORKING_STATUSES = new Set(['preparing', 'running', 'retry_wait', 'committing']);

/** A Save of chosen tasks merges only tasks ready for review with changes: say which one is not. */
function refuseUnreadyChosen(view: SessionView, taskIds: string[]): void {
  if (view.status === 'damaged') return; // the submit refuses it with SESSION_DAMAGED
  for (const taskId of taskIds) {
    const task = view.tasks.find((candidate) => candidate.id === taskId);
    if (!task) throw new ApiError('TASK_NOT_FOUND', `no task ${taskId} in session ${view.id}`, { taskId });
    if (task.status !== 'ready_for_review' || task.commit === null) {
      const why = task.status === 'ready_for_review' ? 'it changed nothing' : `it is ${task.status.replace(/_/g, ' ')}`;
      throw new ApiError('TASK_NOT_READY', `task ${taskId} cannot be saved: ${why}; only tasks ready for review with changes can`, { taskId, status: task.status });
    }
    refuseUnapproved(view, task);
  }
}

/**
 * A Save with nothing ready and nothing still working would merge nothing: refused up front with
 * 409 NOTHING_TO_SAVE, before anything is logged or the session changes state.
 */
function refuseEmptySave(view: SessionView): void {
  if (view.status === 'damaged') return; // the submit refuses it with SESSION_DAMAGED
  const ready = view.tasks.filter((task) => task.status === 'ready_for_review' && task.commit !== null);
  if (view.tasks.some((task) => WORKING_STATUSES.has(task.status))) return;
  if (ready.length > 0) return refuseNothingApproved(view, ready);
  if (view.tasks.some((task) => task.reverted?.reapply)) return;
  throw new ApiError('NOTHING_TO_SAVE', 'no task is ready to merge: finish a task (or retry a failed one), then Save', {
    tasks: view.tasks.length,
  });
}
