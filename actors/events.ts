// Every event the runtime may log and send to the session actor, plus the internal events the
// machines send each other. All of them are plain JSON: the runtime appends them to the event log
// before delivery, and replaying the log must rebuild the same state.

/** Status strings as the API shows them. */
export type TaskStatus =
  | 'queued'
  | 'preparing'
  | 'running'
  | 'retry_wait'
  | 'committing'
  | 'ready_for_review'
  | 'merged'
  | 'rejected'
  | 'failed'
  | 'cancelled'
  | 'interrupted';

export type SessionStatus = 'idle' | 'active' | 'frozen' | 'saving' | 'awaiting_review';

export type AgentOutcome = 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

/** An agent failure as the adapter reports it; `transient` failures are retried on the same agent. */
export interface AgentError {
  code: string;
  message: string;
  transient: boolean;
}

export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** What a fallback agent is told about the run it takes over from. */
export interface Handoff {
  fromRunId: string;
  fromAgent: string;
  finalMessage: string | null;
  reason: string;
}

/** Continue an interrupted run where the adapter supports it. */
export interface ResumeFrom {
  runId: string;
  resumeToken: string;
}

export interface TaskChanges {
  filesChanged: number;
  insertions: number;
  deletions: number;
  files: string[];
}

/**
 * What the Save pipeline reports. Only `status`, and for `published` the tag, commit and merged
 * task ids, are read here; any other field (gate results, a conflict report) is kept as-is for the
 * timeline and the API.
 */
export type SaveResult =
  | { status: 'published'; tag: string; commit: string; mergedTaskIds: string[]; [detail: string]: unknown }
  | { status: 'nothing_to_save'; [detail: string]: unknown }
  | { status: 'gates_failed' | 'conflict' | 'error'; [detail: string]: unknown };

export type SaveFailureStatus = 'gates_failed' | 'conflict' | 'error';

export type RollbackMode = 'restore_commit' | 'branch';

export type RollbackResult =
  | { status: 'completed'; commit: string | null; branch: string | null; [detail: string]: unknown }
  | { status: 'error'; error: { code: string; message: string }; [detail: string]: unknown };

// ---------------------------------------------------------------------------------------------
// Agent-directed events (runtime -> session -> task -> agent). `runId` selects the run; events
// for any other run are ignored.

/** A normalised adapter event. Only `message` (text) and `usage` are interpreted here. */
export interface AgentStreamEvent {
  type: string;
  text?: string;
  inputTokens?: number | null;
  outputTokens?: number | null;
  costUsd?: number | null;
  [key: string]: unknown;
}

export interface AgentStartedEvent {
  type: 'AGENT.STARTED';
  taskId: string;
  runId: string;
  cliVersion: string | null;
  resumeToken?: string | null;
  /** The process id (and group id) of the CLI: lets a restart stop a run orphaned by a crash. */
  pid?: number | null;
  /** What the agent was told (task, shared memory, hand-off): kept for the audit, not interpreted. */
  prompt?: string;
  at?: string;
}
export interface AgentStreamedEvent {
  type: 'AGENT.EVENT';
  taskId: string;
  runId: string;
  event: AgentStreamEvent;
}
/** The CLI's session/thread id, as soon as the adapter learns it: a crash later can still resume. */
export interface AgentResumableEvent {
  type: 'AGENT.RESUMABLE';
  taskId: string;
  runId: string;
  resumeToken: string;
}
export interface AgentExitedEvent {
  type: 'AGENT.EXITED';
  taskId: string;
  runId: string;
  outcome: AgentOutcome;
  exitCode: number | null;
  finalMessage: string | null;
  error?: AgentError | null;
  /** Some CLIs only reveal their session (resume) token at exit. */
  resumeToken?: string | null;
  cliVersion?: string | null;
  at?: string;
}
export interface AgentTimeoutEvent {
  type: 'AGENT.TIMEOUT';
  taskId: string;
  runId: string;
}
export interface AgentCancelEvent {
  type: 'AGENT.CANCEL';
  taskId: string;
  runId: string;
  reason: string;
}

export type AgentEvent =
  | AgentStartedEvent
  | AgentStreamedEvent
  | AgentResumableEvent
  | AgentExitedEvent
  | AgentTimeoutEvent
  | AgentCancelEvent;

// ---------------------------------------------------------------------------------------------
// Task-directed events the runtime sends (through the session).

export interface TaskWorktreeReadyEvent {
  type: 'TASK.WORKTREE_READY';
  taskId: string;
  worktreePath: string;
  branch: string;
  baseCommit: string;
}
export interface TaskWorktreeFailedEvent {
  type: 'TASK.WORKTREE_FAILED';
  taskId: string;
  error: { code: string; message: string };
}
export interface TaskCommittedEvent {
  type: 'TASK.COMMITTED';
  taskId: string;
  commit: string | null;
  changes: TaskChanges;
}
export interface TaskCommitFailedEvent {
  type: 'TASK.COMMIT_FAILED';
  taskId: string;
  error: { code: string; message: string };
}
export interface TaskRetryDueEvent {
  type: 'TASK.RETRY_DUE';
  taskId: string;
}
export interface TaskCancelEvent {
  type: 'TASK.CANCEL';
  taskId: string;
  by: string;
  at: string;
}
export interface TaskRejectEvent {
  type: 'TASK.REJECT';
  taskId: string;
  by: string;
  at: string;
  reason?: string;
}
/**
 * Sends a task that is ready for review back to work in its own worktree with a new instruction
 * (e.g. "merge the integration and resolve these conflicts"), trying agents in `agentOrder`.
 */
export interface TaskReworkEvent {
  type: 'TASK.REWORK';
  taskId: string;
  prompt: string;
  agentOrder: string[];
  by: string;
  at: string;
}
/** Sent by the runtime after a crash to tasks that were preparing/running/committing/retry_wait. */
export interface TaskInterruptEvent {
  type: 'TASK.INTERRUPT';
  taskId: string;
  reason?: string;
  at?: string;
}
export interface TaskRequeueEvent {
  type: 'TASK.REQUEUE';
  taskId: string;
  at?: string;
}

export type TaskCommandEvent =
  | TaskReworkEvent
  | TaskWorktreeReadyEvent
  | TaskWorktreeFailedEvent
  | TaskCommittedEvent
  | TaskCommitFailedEvent
  | TaskRetryDueEvent
  | TaskCancelEvent
  | TaskRejectEvent
  | TaskInterruptEvent
  | TaskRequeueEvent;

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
// Session-level events the runtime sends.

export interface TaskAddEvent {
  type: 'TASK.ADD';
  taskId: string;
  prompt: string;
  /** The requested agent; it goes first in the task's agent order. */
  agent: string | null;
  /** Fallback order for this task; empty means the session's order. */
  agentOrder: string[];
  at: string;
  by: string;
}
export interface SaveRequestEvent {
  type: 'SAVE.REQUEST';
  saveId: string;
  at: string;
  by: string;
}
export interface SaveProgressEvent {
  type: 'SAVE.PROGRESS';
  saveId: string;
  phase: string;
}
export interface SaveCompletedEvent {
  type: 'SAVE.COMPLETED';
  saveId: string;
  result: SaveResult;
  at: string;
}
export interface ReviewResumeEvent {
  type: 'REVIEW.RESUME';
  at: string;
  by: string;
}
export interface RollbackRequestEvent {
  type: 'ROLLBACK.REQUEST';
  rollbackId: string;
  checkpoint: string;
  mode: RollbackMode;
  at: string;
  by: string;
}
export interface RollbackCompletedEvent {
  type: 'ROLLBACK.COMPLETED';
  rollbackId: string;
  result: RollbackResult;
  at: string;
}

export type SessionCommandEvent =
  | TaskAddEvent
  | SaveRequestEvent
  | SaveProgressEvent
  | SaveCompletedEvent
  | ReviewResumeEvent
  | RollbackRequestEvent
  | RollbackCompletedEvent;

/** Everything the runtime may send to the root session actor (and therefore log). */
export type SessionEvent = SessionCommandEvent | TaskCommandEvent | AgentEvent;

/** Events a task actor receives: forwarded commands and agent events, plus session-internal ones. */
export type TaskEvent = TaskCommandEvent | AgentEvent | TaskDispatchEvent | TaskMergedEvent;

/** Events that carry a `taskId` and are forwarded by the session to `task:<taskId>`. */
export type TaskDirectedEvent = TaskCommandEvent | AgentEvent;

const TASK_DIRECTED_TYPES: ReadonlySet<string> = new Set<TaskDirectedEvent['type']>([
  'TASK.WORKTREE_READY',
  'TASK.WORKTREE_FAILED',
  'TASK.COMMITTED',
  'TASK.COMMIT_FAILED',
  'TASK.RETRY_DUE',
  'TASK.CANCEL',
  'TASK.REJECT',
  'TASK.REWORK',
  'TASK.INTERRUPT',
  'TASK.REQUEUE',
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
