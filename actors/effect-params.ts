// Parameters of every side effect the machines request. Plain JSON, so the runtime can log them,
// hand them to a worker, or compare them in tests.
import type { Handoff, ResumeFrom, RollbackMode, TaskStatus } from './events.js';

// session effects
export interface StartSaveParams {
  sessionId: string;
  saveId: string;
  /** Tasks in ready_for_review with a commit, in creation order. */
  taskIds: string[];
}
export interface StartRollbackParams {
  sessionId: string;
  rollbackId: string;
  checkpoint: string;
  mode: RollbackMode;
}

export interface StartPromotionParams {
  sessionId: string;
  promotionId: string;
  checkpoint: string;
  environment: string;
}

// task effects
export interface PrepareWorktreeParams {
  sessionId: string;
  taskId: string;
}
export interface CommitWorkParams {
  sessionId: string;
  taskId: string;
  runId: string;
  agent: string;
}
export interface ScheduleRetryParams {
  sessionId: string;
  taskId: string;
  delayMs: number;
  /** The attempt number the retry will run as (2 for the first retry). */
  attempt: number;
}
export interface ReleaseTaskParams {
  sessionId: string;
  taskId: string;
  outcome: Extract<TaskStatus, 'merged' | 'rejected' | 'failed' | 'cancelled'>;
}

// agent effects
export interface StartRunParams {
  sessionId: string;
  taskId: string;
  runId: string;
  agent: string;
  attempt: number;
  prompt: string;
  handoff: Handoff | null;
  resume: ResumeFrom | null;
}
export interface CancelRunParams {
  sessionId: string;
  taskId: string;
  runId: string;
  reason: string;
}
export interface ArmTimeoutParams {
  sessionId: string;
  taskId: string;
  runId: string;
  timeoutMs: number;
}
