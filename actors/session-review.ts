// The session's bookkeeping of the review loop: approvals, review rounds and rejections on the
// timeline, the requireApproval setting, and reverted tasks queued to be merged again. Each
// function is the context change of one event (session.machine.ts wraps them in `assign`).
import type { SessionEvent, TimelineEntry } from '../contracts/index.js';
import type { SessionContext } from './session.machine.js';

type Change = Partial<SessionContext>;

function withEntry(context: SessionContext, entry: TimelineEntry): TimelineEntry[] {
  return [...context.timeline, entry];
}

/** TASK.APPROVE: the approval holds for this commit only. */
export function approval(context: SessionContext, event: SessionEvent | { type: string }): Change {
  if (event.type !== 'TASK.APPROVE') return {};
  const e = event as Extract<SessionEvent, { type: 'TASK.APPROVE' }>;
  return {
    approvals: { ...context.approvals, [e.taskId]: e.commit },
    timeline: withEntry(context, { kind: 'task_review', taskId: e.taskId, decision: 'approved', by: e.by, at: e.at, commit: e.commit, round: null, comments: 0 }),
  };
}

/** TASK.REQUEST_CHANGES: a review round on the timeline (the task records the round itself). */
export function changesRequest(context: SessionContext, event: SessionEvent | { type: string }): Change {
  if (event.type !== 'TASK.REQUEST_CHANGES') return {};
  const e = event as Extract<SessionEvent, { type: 'TASK.REQUEST_CHANGES' }>;
  const round = context.timeline.filter((entry) => entry.kind === 'task_review' && entry.taskId === e.taskId && entry.decision === 'changes_requested').length + 1;
  return {
    timeline: withEntry(context, {
      kind: 'task_review', taskId: e.taskId, decision: 'changes_requested', by: e.by, at: e.at,
      commit: context.taskCommits[e.taskId] ?? null, round, comments: e.comments.length,
    }),
  };
}

/** TASK.REJECT of a task ready for review lands on the timeline (a reject of anything else is refused). */
export function rejection(context: SessionContext, event: SessionEvent | { type: string }): Change {
  if (event.type !== 'TASK.REJECT') return {};
  const e = event as Extract<SessionEvent, { type: 'TASK.REJECT' }>;
  if (context.taskStatus[e.taskId] !== 'ready_for_review') return {};
  return {
    timeline: withEntry(context, { kind: 'task_review', taskId: e.taskId, decision: 'rejected', by: e.by, at: e.at, commit: context.taskCommits[e.taskId] ?? null, round: null, comments: 0 }),
  };
}

export function settings(context: SessionContext, event: SessionEvent | { type: string }): Change {
  if (event.type !== 'SESSION.SETTINGS') return {};
  const e = event as Extract<SessionEvent, { type: 'SESSION.SETTINGS' }>;
  return {
    requireApproval: e.requireApproval,
    timeline: withEntry(context, { kind: 'session_settings', requireApproval: e.requireApproval, by: e.by, at: e.at }),
  };
}

/** TASK.REAPPLY: the reverted task's branch holds its work re-applied; the next Save merges it. */
export function reapply(context: SessionContext, event: SessionEvent | { type: string }): Change {
  if (event.type !== 'TASK.REAPPLY') return {};
  const e = event as Extract<SessionEvent, { type: 'TASK.REAPPLY' }>;
  const mark = context.reverted?.[e.taskId];
  if (!mark) return {};
  return {
    reverted: { ...context.reverted, [e.taskId]: { ...mark, reapply: { commit: e.commit, by: e.by, at: e.at } } },
    timeline: withEntry(context, { kind: 'task_reapply', taskId: e.taskId, action: 'reapply', by: e.by, at: e.at, newTaskId: null, saveId: null }),
  };
}

/** A person resolved a conflict on an approved task: the approval moves to the resolution commit. */
export function carryApproval(context: SessionContext, event: SessionEvent | { type: string }): Change {
  if (event.type !== 'TASK.CONFLICT_RESOLVED') return {};
  const e = event as Extract<SessionEvent, { type: 'TASK.CONFLICT_RESOLVED' }>;
  if (context.approvals?.[e.taskId] === undefined) return {};
  return { approvals: { ...context.approvals, [e.taskId]: e.commit } };
}

/** A published Save merged re-applied tasks: their work is on the base branch again. */
export function reapplied(context: SessionContext, event: SessionEvent | { type: string }): Change {
  if (event.type !== 'SAVE.COMPLETED') return {};
  const e = event as Extract<SessionEvent, { type: 'SAVE.COMPLETED' }>;
  if (e.result.status !== 'published') return {};
  const back = e.result.mergedTaskIds.filter((id) => context.reverted?.[id]?.reapply);
  if (back.length === 0) return {};
  const reverted = { ...context.reverted };
  const timeline = [...context.timeline];
  for (const id of back) {
    const by = reverted[id]?.reapply?.by ?? '';
    delete reverted[id];
    timeline.push({ kind: 'task_reapply', taskId: id, action: 'reapplied', by, at: e.at, newTaskId: null, saveId: e.saveId });
  }
  return { reverted, timeline };
}
