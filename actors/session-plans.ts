// Plans in the session actor: pure functions of the context and one logged event, used by
// session.machine.ts. A plan moves planning -> ready | failed, and ready -> approved; approval adds
// its tasks with their dependencies, and dispatch holds a task until its dependencies are ready.
import type { PlanApproveEvent, PlanCreatedEvent, PlanFailedEvent, PlanRequestEvent, TaskStatus, TimelineEntry } from '../contracts/index.js';
import type { PlanRecord } from '../contracts/plan.js';

interface PlanContext {
  taskStatus: Record<string, TaskStatus>;
  timeline: TimelineEntry[];
  plans?: PlanRecord[];
  taskDeps?: Record<string, string[]>;
  taskPlans?: Record<string, string>;
}

/** A dependency is ready once its work is committed and waiting for review, or merged. */
const READY_DEPENDENCY: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['ready_for_review', 'merged']);

export function dependenciesReady(context: PlanContext, taskId: string): boolean {
  return (context.taskDeps?.[taskId] ?? []).every((dep) => READY_DEPENDENCY.has(context.taskStatus[dep] ?? 'queued'));
}

const planOf = (context: PlanContext, planId: string): PlanRecord | undefined => (context.plans ?? []).find((p) => p.planId === planId);

export function canRequestPlan(context: PlanContext, event: PlanRequestEvent): boolean {
  return planOf(context, event.planId) === undefined;
}

export function isPlanning(context: PlanContext, event: PlanCreatedEvent | PlanFailedEvent): boolean {
  return planOf(context, event.planId)?.status === 'planning';
}

/** A ready plan, whose new tasks' ids are free and whose dependencies name tasks of the same approval. */
export function canApprovePlan(context: PlanContext, event: PlanApproveEvent): boolean {
  if (planOf(context, event.planId)?.status !== 'ready') return false;
  const ids = new Set(event.tasks.map((t) => t.taskId));
  if (ids.size !== event.tasks.length) return false;
  return event.tasks.every((t) => !(t.taskId in context.taskStatus) && t.agentOrder.length > 0 && t.dependsOn.every((d) => ids.has(d) && d !== t.taskId));
}

export function requestPlan(context: PlanContext, event: PlanRequestEvent): Partial<PlanContext> {
  const record: PlanRecord = {
    planId: event.planId, goal: event.goal, agent: event.agent, status: 'planning', requestedAt: event.at, requestedBy: event.by,
    plan: null, error: null, raw: null, finishedAt: null, approval: null,
  };
  return {
    plans: [...(context.plans ?? []), record],
    timeline: [...context.timeline, { kind: 'plan', planId: event.planId, event: 'requested', goal: event.goal, at: event.at, by: event.by }],
  };
}

export function finishPlan(context: PlanContext, event: PlanCreatedEvent | PlanFailedEvent): Partial<PlanContext> {
  const current = planOf(context, event.planId);
  if (!current) return {};
  const done: PlanRecord = event.type === 'PLAN.CREATED'
    ? { ...current, status: 'ready', plan: event.plan, raw: event.raw, finishedAt: event.at }
    : { ...current, status: 'failed', error: event.error, raw: event.raw, finishedAt: event.at };
  const entry: TimelineEntry = {
    kind: 'plan', planId: event.planId, event: event.type === 'PLAN.CREATED' ? 'created' : 'failed', goal: current.goal, at: event.at, by: current.agent,
    ...(event.type === 'PLAN.FAILED' ? { errorCode: event.error.code } : {}),
  };
  return { plans: (context.plans ?? []).map((p) => (p.planId === event.planId ? done : p)), timeline: [...context.timeline, entry] };
}

/** The context after approval; the caller adds each task (`event.tasks`) to the task order and spawns it. */
export function approvePlan(context: PlanContext, event: PlanApproveEvent): Partial<PlanContext> {
  const current = planOf(context, event.planId);
  if (!current) return {};
  const taskIds = Object.fromEntries(event.tasks.map((t) => [t.planTaskId, t.taskId]));
  const approved: PlanRecord = { ...current, status: 'approved', approval: { at: event.at, by: event.by, plan: event.plan, taskIds, edits: event.edits } };
  const taskDeps = { ...context.taskDeps };
  const taskPlans = { ...context.taskPlans };
  for (const t of event.tasks) {
    if (t.dependsOn.length > 0) taskDeps[t.taskId] = t.dependsOn;
    taskPlans[t.taskId] = event.planId;
  }
  return {
    plans: (context.plans ?? []).map((p) => (p.planId === event.planId ? approved : p)),
    taskDeps,
    taskPlans,
    timeline: [...context.timeline, {
      kind: 'plan', planId: event.planId, event: 'approved', goal: current.goal, at: event.at, by: event.by,
      taskIds: event.tasks.map((t) => t.taskId), edits: event.edits,
    }],
  };
}
