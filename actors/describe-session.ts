// A plain-JSON view of a session and its tasks, read from a live snapshot (`actor.getSnapshot()`)
// or a persisted one (`actor.getPersistedSnapshot()`, possibly after a JSON round trip). The API
// and `thalogos replay` both use it, so it reads nothing but the snapshot.
import type { AgentContext } from './agent.machine.js';
import { ZERO_USAGE } from './agent.machine.js';
import { ActorsError } from './actors-error.js';
import { agentActorId, taskActorId } from './events.js';
import type { AgentUsage, TaskStatus } from './events.js';
import type { SessionContext } from './session.machine.js';
import type { TaskContext, TaskRun } from './task.machine.js';
import type { PendingPermission, RunView, SessionStatus, SessionView, TaskView } from '../contracts/index.js';

export type { RunView, SessionView, TaskView } from '../contracts/index.js';

/** The part of a machine snapshot the view reads; live and persisted snapshots both have it. */
export interface SnapshotLike<TContext> {
  value: unknown;
  context: TContext;
  children?: Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function asSnapshot<TContext>(value: unknown): SnapshotLike<TContext> | null {
  if (!isObject(value) || !('value' in value) || !isObject(value.context)) return null;
  return value as unknown as SnapshotLike<TContext>;
}

/** A child is a live actor ref (getSnapshot) or a persisted entry ({ snapshot, src }). */
function childSnapshot<TContext>(parent: SnapshotLike<unknown>, id: string): SnapshotLike<TContext> | null {
  const child = parent.children?.[id];
  if (!isObject(child)) return null;
  if (typeof child.getSnapshot === 'function') return asSnapshot<TContext>((child.getSnapshot as () => unknown)());
  return asSnapshot<TContext>(child.snapshot);
}

function addUsage(a: AgentUsage, b: AgentUsage): AgentUsage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, costUsd: a.costUsd + b.costUsd };
}

function describeRun(task: SnapshotLike<TaskContext>, run: TaskRun): RunView {
  const live = run.outcome === null ? childSnapshot<AgentContext>(task, agentActorId(run.runId)) : null;
  const agent = live?.context ?? null;
  return {
    runId: run.runId,
    agent: run.agent,
    attempt: run.attempt,
    outcome: run.outcome,
    state: live && typeof live.value === 'string' ? live.value : null,
    finalMessage: run.finalMessage,
    lastMessage: agent ? agent.lastMessage : run.lastMessage,
    error: run.error,
    usage: agent ? agent.usage : run.usage,
    eventCounts: agent ? agent.eventCounts : {},
    cliVersion: agent ? agent.cliVersion : run.cliVersion,
    startedAt: agent ? agent.startedAt : run.startedAt,
    endedAt: run.endedAt,
    handoff: run.handoff,
    resume: run.resume,
  };
}

export function describeTask(session: SnapshotLike<SessionContext>, id: string): TaskView {
  const task = childSnapshot<TaskContext>(session, taskActorId(id));
  if (!task) {
    throw new ActorsError('INVALID_SNAPSHOT', `the session snapshot has no actor for task ${id}`, { taskId: id });
  }
  const c = task.context;
  const runs = c.runs.map((run) => describeRun(task, run));
  const last = runs[runs.length - 1];
  const lastWithMessage = [...runs].reverse().find((run) => run.lastMessage !== null);
  return {
    id,
    status: task.value as TaskStatus,
    prompt: c.prompt,
    agent: c.agentOrder[c.agentIndex] ?? last?.agent ?? '',
    agentOrder: c.agentOrder,
    attempt: last?.attempt ?? 0,
    runs,
    worktreePath: c.worktreePath,
    branch: c.branch,
    baseCommit: c.baseCommit,
    commit: c.commit,
    changes: c.changes,
    error: c.error,
    createdAt: c.createdAt,
    createdBy: c.createdBy,
    lastMessage: lastWithMessage?.lastMessage ?? null,
    usage: runs.reduce((total, run) => addUsage(total, run.usage), ZERO_USAGE),
    closed: c.closed,
    merged: c.merged,
    // Snapshots persisted before these fields existed have neither.
    rework: c.rework ?? null,
    resolutions: c.resolutions ?? [],
    // An approval counts for the commit it was given on only.
    review: { approved: c.review?.approved && c.review.approved.commit === c.commit ? c.review.approved : null, rounds: c.review?.rounds ?? [] },
    reverted: session.context.reverted?.[id] ?? null,
    reworkOf: c.reworkOf ?? null,
    ...(session.context.taskDeps?.[id]?.length ? { dependsOn: session.context.taskDeps[id] } : {}),
    ...(session.context.taskPlans?.[id] ? { planId: session.context.taskPlans[id] } : {}),
  };
}

/**
 * The session as the API shows it. Accepts `actor.getSnapshot()` or `actor.getPersistedSnapshot()`
 * (also after JSON round trip); the two give deep-equal views for the same events.
 */
export function describeSession(snapshot: unknown): SessionView {
  // Copies, so a caller mutating the view cannot reach into the actor's context.
  return structuredClone(sessionViewWith(snapshot, describeTask));
}

/**
 * Everything a task's view is read from: its snapshot, the snapshots of its agents still
 * running, and the session's rollback mark for it (`reverted`, kept in the session's context). Snapshots are immutable, so while none of these objects changed, the view did not
 * either (session-view-cache.ts keys on them).
 */
export function taskViewSources(session: SnapshotLike<SessionContext>, id: string): unknown[] {
  const task = childSnapshot<TaskContext>(session, taskActorId(id));
  if (!task) return [];
  const agents = task.context.runs.filter((run) => run.outcome === null).map((run) => childSnapshot<AgentContext>(task, agentActorId(run.runId)));
  return [task, session.context.reverted?.[id] ?? null, ...agents];
}

/** The session view with each task's view from `taskView`; shares objects with the snapshot. */
export function sessionViewWith(snapshot: unknown, taskView: (session: SnapshotLike<SessionContext>, id: string) => TaskView): SessionView {
  const session = asSnapshot<SessionContext>(snapshot);
  if (!session || typeof session.value !== 'string' || !Array.isArray(session.context.taskOrder)) {
    throw new ActorsError('INVALID_SNAPSHOT', 'not a session snapshot', {});
  }
  const c = session.context;
  const tasks = c.taskOrder.map((id) => taskView(session, id));
  return {
    id: c.sessionId,
    title: c.title,
    repoPath: c.repoPath,
    baseBranch: c.baseBranch ?? null,
    ciStatuses: c.ciStatuses ?? {},
    status: session.value as SessionStatus,
    createdAt: c.createdAt,
    createdBy: c.createdBy,
    agentOrder: c.agentOrder,
    maxParallel: c.maxParallel,
    requireApproval: c.requireApproval ?? false,
    tasks,
    checkpoints: c.checkpoints,
    timeline: c.timeline,
    lastSave: c.lastSave,
    pendingSave: c.pendingSave,
    pendingRollback: c.pendingRollback,
    pendingPromotions: c.pendingPromotions ?? [],
    plans: c.plans ?? [],
    pendingPermissions: livePermissions(c.pendingPermissions ?? [], tasks),
    damage: null,
  };
}

/**
 * Requests of runs still in flight: after a crash the run is gone with nobody left to answer its
 * request, so the request is no longer shown (the log keeps it).
 */
function livePermissions(pending: PendingPermission[], tasks: TaskView[]): PendingPermission[] {
  return pending.filter((p) => tasks.some((t) => t.id === p.taskId && t.runs.some((r) => r.runId === p.runId && r.outcome === null)));
}
