// Public surface of the actors folder: the three machines, their effects, events and the view.
export { sessionMachine, resolveAgentOrder, saveCandidates } from './session.machine.js';
export { taskMachine, FINAL_TASK_STATUSES, fallbackReason } from './task.machine.js';
export { agentMachine, agentOutput } from './agent.machine.js';
export { provideEffects, provideTaskEffects, provideAgentEffects } from './effects.js';
export { describeSession } from './describe-session.js';
export { SessionViewCache } from './session-view-cache.js';
export { canAccept } from './can-accept.js';
export { retryDelayMs, RETRY_BASE_MS, RETRY_CAP_MS } from './backoff.js';
export { ActorsError } from './actors-error.js';
export {
  isTaskDirectedEvent,
  isAgentEvent,
  taskActorId,
  agentActorId,
  runIdFor,
} from './events.js';

export type {
  SessionInput,
  SessionContext,
  Checkpoint,
  PendingSave,
  SaveRecord,
  PendingRollback,
  RollbackRecord,
  TimelineEntry,
} from './session.machine.js';
export type {
  TaskInput,
  TaskContext,
  TaskRun,
  TaskError,
  TaskErrorCode,
  TaskClosure,
  TaskMerge,
  AgentDoneEvent,
} from './task.machine.js';
export type { AgentInput, AgentContext, AgentRunOutput } from './agent.machine.js';
export type { SessionEffects, TaskEffects, AgentEffects } from './effects.js';
export type {
  StartSaveParams,
  StartRollbackParams,
  PrepareWorktreeParams,
  CommitWorkParams,
  ScheduleRetryParams,
  ReleaseTaskParams,
  StartRunParams,
  CancelRunParams,
  ArmTimeoutParams,
} from './effect-params.js';
export type { SessionView, TaskView, RunView } from './describe-session.js';
export type { ActorsErrorCode } from './actors-error.js';
export type {
  TaskStatus,
  SessionStatus,
  AgentOutcome,
  AgentError,
  AgentUsage,
  Handoff,
  ResumeFrom,
  TaskChanges,
  SaveResult,
  SaveFailureStatus,
  RollbackMode,
  RollbackResult,
  AgentStreamEvent,
  AgentStartedEvent,
  AgentStreamedEvent,
  AgentExitedEvent,
  AgentTimeoutEvent,
  AgentCancelEvent,
  AgentEvent,
  TaskWorktreeReadyEvent,
  TaskWorktreeFailedEvent,
  TaskSetupStartedEvent,
  TaskSetupOutputEvent,
  TaskSetupFailedEvent,
  TaskCommittedEvent,
  TaskCommitFailedEvent,
  TaskRetryDueEvent,
  TaskCancelEvent,
  TaskRejectEvent,
  TaskInterruptEvent,
  TaskRequeueEvent,
  TaskCommandEvent,
  TaskDispatchEvent,
  TaskMergedEvent,
  TaskStatusEvent,
  TaskAddEvent,
  SaveRequestEvent,
  SaveProgressEvent,
  SaveCompletedEvent,
  ReviewResumeEvent,
  RollbackRequestEvent,
  RollbackCompletedEvent,
  SessionCommandEvent,
  SessionEvent,
  TaskEvent,
  TaskDirectedEvent,
  AgentEventsBatch,
} from './events.js';
