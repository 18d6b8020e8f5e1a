// Planning (issue 13): a goal goes to the planner (a language-model agent run read-only on the
// repository); its plan is seeded into the session's shared document, where people edit it
// together; an operator approves it, which adds its tasks with their dependencies. Every refusal
// happens before anything is logged or started.
import type { Logger } from 'pino';
import { z } from 'zod';
import { checkPlan, planEdits, planTaskPrompt, type Plan, type PlanRecord } from '../../contracts/plan.js';
import type { SessionEvent } from '../../contracts/index.js';
import { addPlanTask, movePlanTask, readPlanTasks, seedPlan, type SharedPlanTask } from '../../sync/index.js';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import { startPlanner } from '../planning/planner.js';
import { availableFirst, isCommandAgent, languageModelOrder } from '../sessions/agent-kinds.js';
import type { RunTable } from '../sessions/run-table.js';
import { newId } from '../sessions/session-registry.js';
import type { SessionHost } from '../sessions/session-host.js';
import type { AppContext } from './app-context.js';
import { requireAvailableAgent } from './agent-required.js';
import { actorOf } from './principal-actor.js';
import { EmptyBody } from './schemas.js';

const MoveBody = z.strictObject({ to: z.number().int().min(0).max(49) });

const PlanBody = z.strictObject({
  goal: z.string().trim().min(1).max(20_000),
  agent: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'agent ids are lower-case words').optional(),
});

export function planRoutes(app: AppContext, runs: RunTable, logger: Logger): Route[] {
  const planOf = (host: SessionHost, planId: string): PlanRecord => {
    const plan = (host.view().plans ?? []).find((p) => p.planId === planId);
    if (!plan) throw new ApiError('PLAN_NOT_FOUND', `no plan ${planId} in session ${host.id}`, { planId });
    return plan;
  };

  /** The agent that plans: the one asked for, else the first available language-model agent. */
  const plannerAgent = (requested: string | undefined): string => {
    const known = app.adapters.order();
    if (requested !== undefined && !known.includes(requested)) throw new ApiError('UNKNOWN_AGENT', `no agent adapter named ${requested}`, { known });
    if (requested !== undefined && isCommandAgent(requested)) {
      throw new ApiError('NO_PLANNER', `the ${requested} agent runs shell commands and does not plan: ask a language-model agent`, { agent: requested });
    }
    const candidates = requested ? [requested] : languageModelOrder(app.defaults.agentOrder).filter((id) => known.includes(id));
    const found = candidates.find((id) => app.adapters.isAvailable(id));
    if (found) return found;
    const agents = candidates.map((id) => ({ id, reason: app.adapters.unavailableReason(id) }));
    throw new ApiError('NO_PLANNER', `no language-model agent is available to plan (${agents.map((a) => `${a.id}: ${a.reason ?? 'not available'}`).join('; ') || 'none configured'}). Sign one in, or run the goal as one task`, { agents });
  };

  /** The plan as people edited it in the shared document (seeded from the planner's when absent). */
  const draftOf = async (host: SessionHost, record: PlanRecord): Promise<SharedPlanTask[] | null> => {
    const draft = await app.sync.readShared(host.id, (doc) => readPlanTasks(doc, record.planId));
    if (draft !== null || record.plan === null) return draft;
    await seed(host.id, record.planId, record.plan);
    return app.sync.readShared(host.id, (doc) => readPlanTasks(doc, record.planId));
  };
  const seed = (sessionId: string, planId: string, plan: Plan) => app.sync.editShared(sessionId, (doc) => seedPlan(doc, planId, plan.tasks));

  /** Each task's agent order, as POST .../tasks would give it (the suggested agent first). */
  const agentOrderOf = (taskId: string, agent: string | null): string[] => {
    const known = app.adapters.order();
    if (agent !== null && !known.includes(agent)) throw new ApiError('UNKNOWN_AGENT', `task ${taskId} asks for ${agent}, which is no agent adapter`, { taskId, agent, known });
    if (agent !== null && isCommandAgent(agent)) return [agent];
    const order = agent ? languageModelOrder(app.defaults.agentOrder, agent) : availableFirst(languageModelOrder(app.defaults.agentOrder), (id) => app.adapters.isAvailable(id));
    requireAvailableAgent(app, order);
    return order;
  };

  /** A plan people may still edit: ready, and seeded into the shared document. */
  const editable = async (sessionId: string, planId: string): Promise<{ host: SessionHost; record: PlanRecord }> => {
    const host = app.sessions.get(sessionId);
    const record = planOf(host, planId);
    if (record.status !== 'ready') throw new ApiError('PLAN_NOT_READY', `plan ${planId} is ${record.status}: only a ready plan is edited`, { planId, status: record.status });
    await draftOf(host, record);
    return { host, record };
  };
  const draftReply = async (host: SessionHost, planId: string) => ({ draft: await app.sync.readShared(host.id, (doc) => readPlanTasks(doc, planId)) });

  return [
    // Adding and moving a task create a Y.Map, which only the server writes (sync/plan-document.ts);
    // everyone editing the shared document sees the change at once. Reviewers edit plans.
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/plans/:planId/tasks',
      access: 'reviewer',
      body: EmptyBody,
      async handle(ctx) {
        const { host, record } = await editable(ctx.params.id ?? '', ctx.params.planId ?? '');
        let id: string | null = null;
        await app.sync.editShared(host.id, (doc) => { id = addPlanTask(doc, record.planId); });
        return json(201, { id, ...(await draftReply(host, record.planId)) });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/plans/:planId/tasks/:taskId/move',
      access: 'reviewer',
      body: MoveBody,
      async handle(ctx) {
        const { host, record } = await editable(ctx.params.id ?? '', ctx.params.planId ?? '');
        const taskId = ctx.params.taskId ?? '';
        let moved = false;
        await app.sync.editShared(host.id, (doc) => { moved = movePlanTask(doc, record.planId, taskId, ctx.body.to); });
        if (!moved) throw new ApiError('TASK_NOT_FOUND', `plan ${record.planId} has no task ${taskId}`, { planId: record.planId, taskId });
        return json(200, await draftReply(host, record.planId));
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/plans',
      access: 'operator',
      body: PlanBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const agent = plannerAgent(ctx.body.agent);
        const planId = newId('p');
        await host.submit({ type: 'PLAN.REQUEST', planId, goal: ctx.body.goal, agent, at: app.now().toISOString(), by: ctx.principal?.name ?? '' }, { actor: actorOf(ctx.principal), command: true });
        startPlanner(host, {
          adapters: app.adapters, runs, now: app.now, logger,
          agents: () => app.adapters.order(),
          onCreated: (plan) => seed(host.id, planId, plan),
        }, { planId, goal: ctx.body.goal, agent });
        return json(202, planOf(host, planId));
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/plans',
      access: 'viewer',
      handle: (ctx) => json(200, { plans: app.sessions.get(ctx.params.id ?? '').view().plans ?? [] }),
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/plans/:planId',
      access: 'viewer',
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const record = planOf(host, ctx.params.planId ?? '');
        // `draft`: the plan as the shared document holds it now (people's edits), null before it exists.
        const draft = record.status === 'ready' ? await app.sync.readShared(host.id, (doc) => readPlanTasks(doc, record.planId)) : null;
        return json(200, { ...record, draft });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/plans/:planId/approve',
      access: 'operator',
      body: EmptyBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const record = planOf(host, ctx.params.planId ?? '');
        if (record.status !== 'ready' || record.plan === null) {
          throw new ApiError('PLAN_NOT_READY', `plan ${record.planId} is ${record.status}: only a ready plan can be approved`, { planId: record.planId, status: record.status });
        }
        const checked = checkPlan({ summary: record.plan.summary, tasks: await draftOf(host, record) ?? [] });
        if (!checked.ok) throw new ApiError(checked.error.code, `the edited plan cannot be approved: ${checked.error.message}`, checked.error.data);
        const plan = checked.plan;
        const taskIds = new Map(plan.tasks.map((t) => [t.id, newId('t')]));
        const tasks = plan.tasks.map((t) => ({
          // A command agent runs its prompt as a shell command line: it gets it verbatim.
          taskId: taskIds.get(t.id) ?? '', planTaskId: t.id, prompt: t.agent !== null && isCommandAgent(t.agent) ? t.prompt : planTaskPrompt(t), agent: t.agent,
          agentOrder: agentOrderOf(t.id, t.agent), dependsOn: t.dependsOn.map((d) => taskIds.get(d) ?? ''),
        }));
        const event: SessionEvent = { type: 'PLAN.APPROVE', planId: record.planId, plan, tasks, edits: planEdits(record.plan, plan), at: app.now().toISOString(), by: ctx.principal?.name ?? '' };
        try {
          await host.submit(event, { actor: actorOf(ctx.principal), command: true });
        } catch (error) {
          // A second approval that lost the race; otherwise approval adds tasks, refused like a task added while a Save runs.
          const now = planOf(host, record.planId).status;
          if (error instanceof ApiError && error.code === 'INVALID_STATE' && now !== 'ready') throw new ApiError('PLAN_NOT_READY', `plan ${record.planId} is ${now}`, { planId: record.planId, status: now });
          if (error instanceof ApiError && error.code === 'INVALID_STATE') throw new ApiError('SESSION_BUSY', error.message, error.data);
          throw error;
        }
        return json(202, { ...planOf(host, record.planId), tasks: host.view().tasks.filter((t) => t.planId === record.planId) });
      },
    }),
  ];
}
