// The single injection point for side effects. The machines' own implementations are no-ops
// (replay mode); the runtime passes real ones here and gets back a session machine whose task and
// agent children use them too.
import { agentMachine } from './agent.machine.js';
import type {
  ArmTimeoutParams,
  CancelRunParams,
  CommitWorkParams,
  PrepareWorktreeParams,
  ReleaseTaskParams,
  ScheduleRetryParams,
  StartRollbackParams,
  StartPromotionParams,
  StartRunParams,
  StartSaveParams,
} from './effect-params.js';
import { sessionMachine } from './session.machine.js';
import { taskMachine } from './task.machine.js';

/**
 * Effects run synchronously while the actor processes an event. They must not throw and must not
 * send to the actor synchronously: start the work, then deliver its result later as a logged event
 * (a failure is an event too, e.g. TASK.WORKTREE_FAILED or AGENT.EXITED with outcome 'failed').
 */
export interface AgentEffects {
  startRun(params: StartRunParams): void;
  cancelRun(params: CancelRunParams): void;
  armTimeout(params: ArmTimeoutParams): void;
}

export interface TaskEffects extends AgentEffects {
  prepareWorktree(params: PrepareWorktreeParams): void;
  commitWork(params: CommitWorkParams): void;
  scheduleRetry(params: ScheduleRetryParams): void;
  releaseTask(params: ReleaseTaskParams): void;
}

export interface SessionEffects extends TaskEffects {
  startSave(params: StartSaveParams): void;
  startRollback(params: StartRollbackParams): void;
  startPromotion(params: StartPromotionParams): void;
}

export function provideAgentEffects(effects: AgentEffects): typeof agentMachine {
  return agentMachine.provide({
    actions: {
      startRun: (_, params) => effects.startRun(params),
      cancelRun: (_, params) => effects.cancelRun(params),
      armTimeout: (_, params) => effects.armTimeout(params),
    },
  });
}

export function provideTaskEffects(effects: TaskEffects): typeof taskMachine {
  return taskMachine.provide({
    actions: {
      prepareWorktree: (_, params) => effects.prepareWorktree(params),
      commitWork: (_, params) => effects.commitWork(params),
      scheduleRetry: (_, params) => effects.scheduleRetry(params),
      releaseTask: (_, params) => effects.releaseTask(params),
    },
    actors: { agent: provideAgentEffects(effects) },
  });
}

/** The session machine with every effect of the session, its tasks and their agents provided. */
export function provideEffects(effects: SessionEffects): typeof sessionMachine {
  return sessionMachine.provide({
    actions: {
      startSave: (_, params) => effects.startSave(params),
      startRollback: (_, params) => effects.startRollback(params),
      startPromotion: (_, params) => effects.startPromotion(params),
    },
    actors: { task: provideTaskEffects(effects) },
  });
}
