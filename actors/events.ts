// Every event the runtime may log and send to the session actor, plus the internal events the
// machines send each other. All of them are plain JSON: the runtime appends them to the event log
// before delivery, and replaying the log must rebuild the same state. The logged ones are defined
// (as zod schemas) in contracts/session-events.ts; this file adds the machines' internal events.
export type {
  AgentCancelEvent, AgentError, AgentEvent, AgentExitedEvent, AgentOutcome, AgentResumableEvent, AgentStartedEvent,
  AgentStreamEvent, AgentStreamedEvent, AgentTimeoutEvent, AgentUsage, ConflictResolvedEvent, ReviewResumeEvent,
  RollbackCompletedEvent, RollbackMode, RollbackRequestEvent, RollbackResult, SaveCompletedEvent, SaveProgressEvent,
  SaveRequestEvent, SaveResult, SessionCommandEvent, SessionEvent, SessionStatus, TaskAddEvent, TaskCancelEvent,
  TaskChanges, TaskCommandEvent, TaskCommitFailedEvent, TaskCommittedEvent, TaskInterruptEvent, TaskRejectEvent,
  TaskRequeueEvent, TaskRetryDueEvent, TaskReworkEvent, TaskSetupFailedEvent, TaskSetupOutputEvent, TaskSetupStartedEvent, TaskStatus, TaskWorktreeFailedEvent, TaskWorktreeReadyEvent,
  Handoff, ResumeFrom,
} from '../contracts/index.js';
import type { AgentEvent, SaveResult, TaskCommandEvent, TaskStatus } from '../contracts/index.js';

export type SaveFailureStatus = Exclude<SaveResult['status'], 'published' | 'nothing_to_save'>;

/** Internal: only the session sends these to a task. */
export interface TaskDispatchEvent {
  type: 'TASK.DISPATCH';
  taskId: string;
}
export interface TaskMergedEvent {
  type: 'TASK.MERGED';
  taskId: string;
  saveId: string;
  tag: string;
  at: string;
}

/** Internal: what a task tells its session whenever its status changes. */
export interface TaskStatusEvent {
  type: 'TASK.STATUS';
  taskId: string;
  status: TaskStatus;
  commit: string | null;
}

// ---------------------------------------------------------------------------------------------
/** Events a task actor receives: forwarded commands and agent events, plus session-internal ones. */
export type TaskEvent = TaskCommandEvent | AgentEvent | TaskDispatchEvent | TaskMergedEvent;

/** Events that carry a `taskId` and are forwarded by the session to `task:<taskId>`. */
export type TaskDirectedEvent = TaskCommandEvent | AgentEvent;

const TASK_DIRECTED_TYPES: ReadonlySet<string> = new Set<TaskDirectedEvent['type']>([
  'TASK.WORKTREE_READY',
  'TASK.WORKTREE_FAILED',
  'TASK.SETUP_STARTED',
  'TASK.SETUP_OUTPUT',
  'TASK.SETUP_FAILED',
  'TASK.COMMITTED',
  'TASK.COMMIT_FAILED',
  'TASK.RETRY_DUE',
  'TASK.CANCEL',
  'TASK.REJECT',
  'TASK.REWORK',
  'TASK.INTERRUPT',
  'TASK.REQUEUE',
  'TASK.CONFLICT_RESOLVED',
  'TASK.APPROVE',
  'TASK.REQUEST_CHANGES',
  'AGENT.STARTED',
  'AGENT.EVENT',
  'AGENT.RESUMABLE',
  'AGENT.EXITED',
  'AGENT.TIMEOUT',
  'AGENT.CANCEL',
]);

export function isTaskDirectedEvent(event: { type: string }): event is TaskDirectedEvent {
  return TASK_DIRECTED_TYPES.has(event.type);
}

export function isAgentEvent(event: { type: string }): event is AgentEvent {
  return event.type.startsWith('AGENT.') && TASK_DIRECTED_TYPES.has(event.type);
}

/** Actor ids the runtime may rely on. */
export function taskActorId(taskId: string): `task:${string}` {
  return `task:${taskId}`;
}
export function agentActorId(runId: string): `agent:${string}` {
  return `agent:${runId}`;
}
/** Run ids are derived, never generated, so replay gives the same ids. */
export function runIdFor(taskId: string, n: number): string {
  return `${taskId}-r${n}`;
}
