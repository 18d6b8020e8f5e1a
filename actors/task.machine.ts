// One task: a worktree, a sequence of agent runs (retries on the same agent, then fallbacks to
// the next agent in its order), a commit, and a review outcome.
import { assign, sendParent, sendTo, setup, spawnChild, stopChild } from 'xstate';
import type { AnyActorRef } from 'xstate';
import type { TaskResolution, TaskReview, TaskRework } from '../contracts/index.js';
import { agentMachine } from './agent.machine.js';
import type { AgentContext, AgentRunOutput } from './agent.machine.js';
import { ZERO_USAGE } from './agent.machine.js';
import { retryDelayMs } from './backoff.js';
import type {
  CommitWorkParams,
  PrepareWorktreeParams,
  ReleaseTaskParams,
  ScheduleRetryParams,
} from './effect-params.js';
import { agentActorId, runIdFor } from './events.js';
import type {
  AgentError,
  AgentOutcome,
  AgentUsage,
  Handoff,
  ResumeFrom,
  TaskChanges,
  TaskEvent,
  TaskStatus,
} from './events.js';

export interface TaskInput {
  sessionId: string;
  taskId: string;
  prompt: string;
  /** First entry is the requested agent; the rest are fallbacks, in order. Never empty. */
  agentOrder: string[];
  createdAt: string;
  createdBy: string | null;
  timeoutMs: number;
  /** Retries per agent after a transient failure (attempts per agent = 1 + maxRetries). */
  maxRetries: number;
  /** The task whose prompt this one runs again after a rollback (absent: none). */
  reworkOf?: string | null;
}

export interface TaskRun {
  runId: string;
  agent: string;
  attempt: number;
  /** null while the run is in flight. */
  outcome: AgentOutcome | 'interrupted' | null;
  finalMessage: string | null;
  lastMessage: string | null;
  error: AgentError | null;
  usage: AgentUsage;
  resumeToken: string | null;
  cliVersion: string | null;
  startedAt: string | null;
  endedAt: string | null;
  handoff: Handoff | null;
  resume: ResumeFrom | null;
}

export type TaskErrorCode = 'AGENTS_EXHAUSTED' | 'WORKTREE_FAILED' | 'SETUP_FAILED' | 'COMMIT_FAILED' | 'REWORK_FAILED';

export interface TaskError {
  code: TaskErrorCode;
  message: string;
  /** The agent that failed last, or null when no agent was involved. */
  agent: string | null;
  /** Run ids of every run of the task, in order. */
  runs: string[];
  cause: { code: string; message: string } | null;
}

export interface TaskClosure {
  by: string;
  at: string;
  reason: string | null;
}

export interface TaskMerge {
  saveId: string;
  tag: string;
  at: string;
}

export interface TaskContext extends TaskInput {
  worktreePath: string | null;
  branch: string | null;
  baseCommit: string | null;
  runs: TaskRun[];
  currentRunId: string | null;
  commit: string | null;
  changes: TaskChanges | null;
  error: TaskError | null;
  agentIndex: number;
  /** Runs started for the current agent, interrupted ones excepted. */
  attemptsForAgent: number;
  /** Set when a fallback is decided; consumed by the next run. */
  pendingHandoff: Handoff | null;
  /** Set when an interrupted run left a resume token; consumed by the next run. */
  resume: ResumeFrom | null;
  /** After a requeue: the agent had already succeeded, so only the commit is left to do. */
  resumeAtCommit: boolean;
  /** After an interrupted run: the next run continues the same attempt instead of using a retry. */
  continueAttempt: boolean;
  cancelRequested: TaskClosure | null;
  closed: TaskClosure | null;
  merged: TaskMerge | null;
  /** The instruction of the current (or last) rework; the goal in `prompt` stays as stated. */
  rework: TaskRework | null;
  /** Conflicts people resolved on the task's branch, in order. */
  resolutions: TaskResolution[];
  /** Approval and requests for changes (absent in snapshots from before the review loop). */
  review?: TaskReview;
}

/** A finished agent child, as XState delivers it. */
export interface AgentDoneEvent {
  type: `xstate.done.actor.${string}`;
  output: AgentRunOutput;
}

type TaskMachineEvent = TaskEvent | AgentDoneEvent;

export function currentRun(context: TaskContext): TaskRun | undefined {
  return context.runs.find((run) => run.runId === context.currentRunId);
}

function replaceRun(runs: TaskRun[], runId: string | null, patch: Partial<TaskRun>): TaskRun[] {
  return runs.map((run) => (run.runId === runId ? { ...run, ...patch } : run));
}

function currentAgent(context: TaskContext): string {
  // agentOrder is never empty (the session refuses such tasks), and agentIndex never runs past it.
  return context.agentOrder[context.agentIndex] ?? context.agentOrder[context.agentOrder.length - 1] ?? 'unknown';
}

/** Which run of which task on which agent: the common part of the run's effect params. */
function runIdentity(context: TaskContext): CommitWorkParams {
  const run = currentRun(context);
  return {
    sessionId: context.sessionId,
    taskId: context.taskId,
    runId: run?.runId ?? '',
    agent: run?.agent ?? currentAgent(context),
  };
}

/** Why the next agent is taking over, in words the next agent's prompt can carry. */
export function fallbackReason(output: AgentRunOutput, timeoutMs: number): string {
  if (output.outcome === 'timed_out') return `timed out after ${timeoutMs} ms`;
  if (output.outcome === 'cancelled') return 'cancelled';
  const error = output.error;
  if (!error) return 'failed without an error report';
  return `${error.code}: ${error.message}${error.transient ? ' (retries exhausted)' : ''}`;
}

function doneOutput(event: TaskMachineEvent): AgentRunOutput | null {
  // Only an agent child's done event: TASK.SETUP_FAILED carries an `output` (text) too.
  return event.type.startsWith('xstate.done.actor.') && 'output' in event ? (event as AgentDoneEvent).output : null;
}

/** The live agent child's context, read so a cancelled or interrupted run keeps its usage. */
function liveAgentContext(self: AnyActorRef, runId: string | null): AgentContext | null {
  if (runId === null) return null;
  const snapshot = self.getSnapshot() as { children?: Record<string, AnyActorRef | undefined> };
  const child = snapshot.children?.[agentActorId(runId)];
  const childSnapshot = child?.getSnapshot() as { context?: AgentContext } | undefined;
  return childSnapshot?.context ?? null;
}

export const taskMachine = setup({
  types: {} as {
    context: TaskContext;
    input: TaskInput;
    events: TaskMachineEvent;
  },
  actors: {
    agent: agentMachine,
  },
  actions: {
    // Effects: no-ops here (replay mode); the runtime provides the real ones.
    prepareWorktree: (_: unknown, _params: PrepareWorktreeParams) => {},
    commitWork: (_: unknown, _params: CommitWorkParams) => {},
    scheduleRetry: (_: unknown, _params: ScheduleRetryParams) => {},
    releaseTask: (_: unknown, _params: ReleaseTaskParams) => {},

    notifyStatus: sendParent(({ context }, params: { status: TaskStatus }) => ({
      type: 'TASK.STATUS' as const,
      taskId: context.taskId,
      status: params.status,
      commit: context.commit,
    })),

    recordWorktree: assign(({ event }) => {
      if (event.type !== 'TASK.WORKTREE_READY') return {};
      return { worktreePath: event.worktreePath, branch: event.branch, baseCommit: event.baseCommit };
    }),

    /** Opens the next run record; `spawnAgent` (always right after) starts its actor. */
    beginRun: assign(({ context }) => {
      const runId = runIdFor(context.taskId, context.runs.length + 1);
      const attemptsForAgent = context.continueAttempt
        ? Math.max(context.attemptsForAgent, 1)
        : context.attemptsForAgent + 1;
      const run: TaskRun = {
        runId,
        agent: currentAgent(context),
        attempt: attemptsForAgent,
        outcome: null,
        finalMessage: null,
        lastMessage: null,
        error: null,
        usage: ZERO_USAGE,
        resumeToken: null,
        cliVersion: null,
        startedAt: null,
        endedAt: null,
        handoff: context.pendingHandoff,
        resume: context.resume,
      };
      return {
        runs: [...context.runs, run],
        currentRunId: runId,
        attemptsForAgent,
        pendingHandoff: null,
        resume: null,
        continueAttempt: false,
      };
    }),
    spawnAgent: spawnChild('agent', {
      id: ({ context }) => agentActorId(context.currentRunId ?? ''),
      input: ({ context }) => {
        const run = currentRun(context);
        return {
          ...runIdentity(context),
          attempt: run?.attempt ?? 1,
          prompt: context.rework?.prompt ?? context.prompt,
          handoff: run?.handoff ?? null,
          resume: run?.resume ?? null,
          timeoutMs: context.timeoutMs,
        };
      },
    }),
    forwardToAgent: sendTo(
      ({ context }) => agentActorId(context.currentRunId ?? ''),
      ({ event }) => event,
    ),
    cancelAgent: sendTo(
      ({ context }) => agentActorId(context.currentRunId ?? ''),
      ({ context }) => ({
        type: 'AGENT.CANCEL' as const,
        taskId: context.taskId,
        runId: context.currentRunId ?? '',
        reason: 'task_cancelled',
      }),
    ),
    stopAgent: stopChild(({ context }) => agentActorId(context.currentRunId ?? '')),

    recordRunStarted: assign(({ context, event }) => {
      if (event.type !== 'AGENT.STARTED') return {};
      return {
        runs: replaceRun(context.runs, context.currentRunId, {
          cliVersion: event.cliVersion,
          resumeToken: event.resumeToken ?? null,
          startedAt: event.at ?? null,
        }),
      };
    }),
    recordRunResumable: assign(({ context, event }) => {
      if (event.type !== 'AGENT.RESUMABLE') return {};
      return { runs: replaceRun(context.runs, context.currentRunId, { resumeToken: event.resumeToken }) };
    }),
    recordRunEnd: assign(({ context, event }) => {
      const output = doneOutput(event);
      if (!output) return {};
      return {
        runs: replaceRun(context.runs, output.runId, {
          outcome: output.outcome,
          finalMessage: output.finalMessage,
          lastMessage: output.lastMessage,
          error: output.error,
          usage: output.usage,
          resumeToken: output.resumeToken,
          cliVersion: output.cliVersion,
          startedAt: output.startedAt,
          endedAt: output.endedAt,
        }),
      };
    }),
    /** Closes the in-flight run record from the live agent before the agent is stopped. */
    captureRun: assign(({ context, self }, params: { outcome: 'cancelled' | 'interrupted' }) => {
      const live = liveAgentContext(self, context.currentRunId);
      return {
        runs: replaceRun(context.runs, context.currentRunId, {
          outcome: params.outcome,
          lastMessage: live?.lastMessage ?? null,
          usage: live?.usage ?? ZERO_USAGE,
          resumeToken: live?.resumeToken ?? currentRun(context)?.resumeToken ?? null,
          cliVersion: live?.cliVersion ?? currentRun(context)?.cliVersion ?? null,
        }),
      };
    }),
    applyRework: assign(({ event }) => {
      if (event.type !== 'TASK.REWORK') return {};
      return {
        rework: { prompt: event.prompt, by: event.by, at: event.at },
        agentOrder: event.agentOrder,
        agentIndex: 0,
        attemptsForAgent: 0,
        continueAttempt: false,
        pendingHandoff: null,
        resume: null,
        error: null,
      };
    }),
    /**
     * Changes requested: the next run continues the conversation of the last successful run (its
     * agent, resumed with the CLI's session id when it left one), on the same worktree and branch.
     */
    applyChangesRequest: assign(({ context, event }) => {
      if (event.type !== 'TASK.REQUEST_CHANGES') return {};
      const last = [...context.runs].reverse().find((run) => run.outcome === 'succeeded') ?? context.runs[context.runs.length - 1];
      const resume = last?.resumeToken ? { runId: last.runId, resumeToken: last.resumeToken } : null;
      const review = context.review ?? { approved: null, rounds: [] };
      return {
        rework: { prompt: event.prompt, by: event.by, at: event.at },
        agentIndex: Math.max(0, last ? context.agentOrder.indexOf(last.agent) : 0),
        attemptsForAgent: 0,
        continueAttempt: false,
        pendingHandoff: null,
        resume,
        error: null,
        review: {
          approved: null,
          rounds: [...review.rounds, {
            round: review.rounds.length + 1, message: event.message, comments: event.comments, by: event.by, at: event.at,
            runId: runIdFor(context.taskId, context.runs.length + 1), resumed: resume !== null, commitBefore: context.commit, commitAfter: null,
          }],
        },
      };
    }),
    recordApproval: assign(({ context, event }) => {
      if (event.type !== 'TASK.APPROVE') return {};
      return { review: { approved: { commit: event.commit, by: event.by, at: event.at }, rounds: context.review?.rounds ?? [] } };
    }),
    fallBack: assign(({ context, event }) => {
      const output = doneOutput(event);
      if (!output) return {};
      return {
        agentIndex: context.agentIndex + 1,
        attemptsForAgent: 0,
        continueAttempt: false,
        pendingHandoff: {
          fromRunId: output.runId,
          fromAgent: output.agent,
          finalMessage: output.finalMessage ?? output.lastMessage,
          reason: fallbackReason(output, context.timeoutMs),
        },
      };
    }),
    failExhausted: assign(({ context, event }) => {
      const output = doneOutput(event);
      const reason = output ? fallbackReason(output, context.timeoutMs) : 'unknown';
      return {
        error: {
          code: 'AGENTS_EXHAUSTED' as const,
          message: `every agent in [${context.agentOrder.join(', ')}] failed; last: ${reason}`,
          agent: output?.agent ?? currentAgent(context),
          runs: context.runs.map((run) => run.runId),
          cause: output?.error ? { code: output.error.code, message: output.error.message } : null,
        },
      };
    }),
    /** A rework whose agents all failed leaves the work it was asked to change as it was. */
    failRework: assign(({ context, event }) => {
      const output = doneOutput(event);
      const reason = output ? fallbackReason(output, context.timeoutMs) : 'unknown';
      return {
        error: {
          code: 'REWORK_FAILED' as const,
          message: `the rework failed on every agent in [${context.agentOrder.join(', ')}] (last: ${reason}); the task's earlier work is unchanged and still ready for review`,
          agent: output?.agent ?? currentAgent(context),
          runs: context.runs.map((run) => run.runId),
          cause: output?.error ? { code: output.error.code, message: output.error.message } : null,
        },
      };
    }),
    recordResolution: assign(({ context, event }) => {
      if (event.type !== 'TASK.CONFLICT_RESOLVED') return {};
      const files = [...new Set(event.resolutions.map((choice) => choice.path))];
      // A person resolved the conflict: an approval carries over to the resolution commit.
      const approved = context.review?.approved ? { ...context.review.approved, commit: event.commit } : null;
      return {
        commit: event.commit,
        error: null,
        review: { approved, rounds: context.review?.rounds ?? [] },
        resolutions: [...context.resolutions, { saveId: event.saveId, commit: event.commit, by: event.by, at: event.at, files }],
      };
    }),
    failWorktree: assign(({ context, event }) => {
      if (event.type !== 'TASK.WORKTREE_FAILED') return {};
      return {
        error: {
          code: 'WORKTREE_FAILED' as const,
          message: event.error.message,
          agent: null,
          runs: context.runs.map((run) => run.runId),
          cause: { code: event.error.code, message: event.error.message },
        },
      };
    }),
    /** The failing command's output is in the message: what a person needs to fix the setup. */
    failSetup: assign(({ context, event }) => {
      if (event.type !== 'TASK.SETUP_FAILED') return {};
      // The runtime's message says which command and how it ended (exit code, or its timeout).
      const what = event.error.message;
      return {
        error: {
          code: 'SETUP_FAILED' as const,
          message: event.output ? `${what}\n${event.output}` : what,
          agent: null,
          runs: context.runs.map((run) => run.runId),
          cause: { code: event.error.code, message: event.error.message },
        },
      };
    }),
    failCommit: assign(({ context, event }) => {
      if (event.type !== 'TASK.COMMIT_FAILED') return {};
      return {
        error: {
          code: 'COMMIT_FAILED' as const,
          message: event.error.message,
          agent: currentRun(context)?.agent ?? null,
          runs: context.runs.map((run) => run.runId),
          cause: { code: event.error.code, message: event.error.message },
        },
      };
    }),
    recordCommit: assign(({ context, event }) => {
      if (event.type !== 'TASK.COMMITTED') return {};
      // A rework that changed nothing keeps the work it was asked to change (and its line counts).
      const kept = event.commit === null && context.rework !== null && context.commit !== null;
      const commit = kept ? context.commit : event.commit;
      // The review round this commit answers: the latest one, when the current rework is its request.
      const rounds = context.review?.rounds ?? [];
      const open = rounds[rounds.length - 1];
      const answers = open !== undefined && open.commitAfter === null && context.rework?.at === open.at && context.rework.by === open.by;
      const review = answers ? { approved: null, rounds: [...rounds.slice(0, -1), { ...open, commitAfter: event.commit }] } : context.review;
      return { commit, changes: kept ? context.changes : event.changes, ...(review ? { review } : {}) };
    }),
    recordCancelRequest: assign(({ event }) => {
      if (event.type !== 'TASK.CANCEL') return {};
      return { cancelRequested: { by: event.by, at: event.at, reason: null } };
    }),
    closeByCancel: assign(({ context, event }) => {
      if (event.type === 'TASK.CANCEL') return { closed: { by: event.by, at: event.at, reason: null } };
      return { closed: context.cancelRequested };
    }),
    closeByReject: assign(({ event }) => {
      if (event.type !== 'TASK.REJECT') return {};
      return { closed: { by: event.by, at: event.at, reason: event.reason ?? null } };
    }),
    recordMerge: assign(({ event }) => {
      if (event.type !== 'TASK.MERGED') return {};
      return { merged: { saveId: event.saveId, tag: event.tag, at: event.at } };
    }),
    rememberInterruptedRun: assign(({ context }) => {
      const run = currentRun(context);
      return {
        continueAttempt: true,
        resume: run?.resumeToken ? { runId: run.runId, resumeToken: run.resumeToken } : null,
      };
    }),
    rememberInterruptedCommit: assign({ resumeAtCommit: true }),
    clearResumeAtCommit: assign({ resumeAtCommit: false }),
  },
  guards: {
    hasReworkAgent: ({ event }) => event.type === 'TASK.REWORK' && event.agentOrder.length > 0,
    // Changes go back to a conversation, so there must have been one.
    canRequestChanges: ({ context, event }) => event.type === 'TASK.REQUEST_CHANGES' && context.runs.length > 0,
    isCurrentCommit: ({ context, event }) => event.type === 'TASK.APPROVE' && context.commit !== null && event.commit === context.commit,
    isCurrentRun: ({ context, event }) => 'runId' in event && event.runId === context.currentRunId,
    runSucceeded: ({ context, event }) => {
      const output = doneOutput(event);
      return output !== null && output.runId === context.currentRunId && output.outcome === 'succeeded';
    },
    canRetry: ({ context, event }) => {
      const output = doneOutput(event);
      return (
        output !== null &&
        output.runId === context.currentRunId &&
        output.outcome === 'failed' &&
        output.error?.transient === true &&
        context.attemptsForAgent <= context.maxRetries
      );
    },
    canFallBack: ({ context, event }) => {
      const output = doneOutput(event);
      return output !== null && output.runId === context.currentRunId && context.agentIndex + 1 < context.agentOrder.length;
    },
    isCurrentRunDone: ({ context, event }) => doneOutput(event)?.runId === context.currentRunId,
    // Only a rework of work that was already committed can fall back to it.
    isReworkRunDone: ({ context, event }) => doneOutput(event)?.runId === context.currentRunId && context.rework !== null && context.commit !== null,
    resumeAtCommit: ({ context }) => context.resumeAtCommit,
    cancelRequested: ({ context }) => context.cancelRequested !== null,
    noCancelRequested: ({ context }) => context.cancelRequested === null,
  },
}).createMachine({
  id: 'task',
  context: ({ input }) => ({
    ...input,
    worktreePath: null,
    branch: null,
    baseCommit: null,
    runs: [],
    currentRunId: null,
    commit: null,
    changes: null,
    error: null,
    agentIndex: 0,
    attemptsForAgent: 0,
    pendingHandoff: null,
    resume: null,
    resumeAtCommit: false,
    continueAttempt: false,
    cancelRequested: null,
    closed: null,
    merged: null,
    rework: null,
    resolutions: [],
    review: { approved: null, rounds: [] },
  }),
  // The session records a new task as queued itself; the first TASK.STATUS comes with the first change.
  initial: 'queued',
  states: {
    queued: {
      on: {
        'TASK.DISPATCH': { target: 'preparing' },
        'TASK.CANCEL': { target: 'cancelled', actions: 'closeByCancel' },
      },
    },
    preparing: {
      entry: [
        { type: 'notifyStatus', params: { status: 'preparing' } },
        {
          type: 'prepareWorktree',
          params: ({ context }) => ({ sessionId: context.sessionId, taskId: context.taskId }),
        },
      ],
      on: {
        'TASK.WORKTREE_READY': [
          { guard: 'resumeAtCommit', target: 'committing', actions: ['recordWorktree', 'clearResumeAtCommit'] },
          { target: 'running', actions: ['recordWorktree', 'beginRun', 'spawnAgent'] },
        ],
        'TASK.WORKTREE_FAILED': { target: 'failed', actions: 'failWorktree' },
        // TASK.SETUP_STARTED and TASK.SETUP_OUTPUT are logged and streamed; they change nothing here.
        'TASK.SETUP_FAILED': { target: 'failed', actions: 'failSetup' },
        'TASK.CANCEL': { target: 'cancelled', actions: 'closeByCancel' },
        'TASK.INTERRUPT': { target: 'interrupted' },
      },
    },
    running: {
      entry: { type: 'notifyStatus', params: { status: 'running' } },
      on: {
        'AGENT.STARTED': { guard: 'isCurrentRun', actions: ['recordRunStarted', 'forwardToAgent'] },
        'AGENT.EVENT': { guard: 'isCurrentRun', actions: 'forwardToAgent' },
        'AGENT.RESUMABLE': { guard: 'isCurrentRun', actions: ['recordRunResumable', 'forwardToAgent'] },
        'AGENT.EXITED': { guard: 'isCurrentRun', actions: 'forwardToAgent' },
        'AGENT.TIMEOUT': { guard: 'isCurrentRun', actions: 'forwardToAgent' },
        'AGENT.CANCEL': { guard: 'isCurrentRun', actions: 'forwardToAgent' },
        'xstate.done.actor.*': [
          { guard: 'runSucceeded', target: 'committing', actions: ['recordRunEnd', 'stopAgent'] },
          { guard: 'canRetry', target: 'retry_wait', actions: ['recordRunEnd', 'stopAgent'] },
          // Fallback stays in `running`: same status, a new run with the next agent.
          {
            guard: 'canFallBack',
            actions: ['recordRunEnd', 'stopAgent', 'fallBack', 'beginRun', 'spawnAgent'],
          },
          { guard: 'isReworkRunDone', target: 'ready_for_review', actions: ['recordRunEnd', 'stopAgent', 'failRework'] },
          { guard: 'isCurrentRunDone', target: 'failed', actions: ['recordRunEnd', 'stopAgent', 'failExhausted'] },
        ],
        'TASK.CANCEL': {
          target: 'cancelled',
          actions: [
            { type: 'captureRun', params: { outcome: 'cancelled' } },
            'cancelAgent',
            'stopAgent',
            'closeByCancel',
          ],
        },
        // The process died with the runtime: nothing to cancel, only to remember.
        'TASK.INTERRUPT': {
          target: 'interrupted',
          actions: [{ type: 'captureRun', params: { outcome: 'interrupted' } }, 'stopAgent', 'rememberInterruptedRun'],
        },
      },
    },
    retry_wait: {
      entry: [
        { type: 'notifyStatus', params: { status: 'retry_wait' } },
        {
          type: 'scheduleRetry',
          params: ({ context }) => ({
            sessionId: context.sessionId,
            taskId: context.taskId,
            delayMs: retryDelayMs(context.attemptsForAgent),
            attempt: context.attemptsForAgent + 1,
          }),
        },
      ],
      on: {
        'TASK.RETRY_DUE': { target: 'running', actions: ['beginRun', 'spawnAgent'] },
        'TASK.CANCEL': { target: 'cancelled', actions: 'closeByCancel' },
        'TASK.INTERRUPT': { target: 'interrupted' },
      },
    },
    // A cancel during the commit waits for it: a git write cut off halfway could leave a lock or a
    // half-moved ref behind. The task then ends cancelled, whatever the commit's result.
    committing: {
      entry: [
        { type: 'notifyStatus', params: { status: 'committing' } },
        {
          type: 'commitWork',
          params: ({ context }) => runIdentity(context),
        },
      ],
      on: {
        'TASK.COMMITTED': [
          { guard: 'cancelRequested', target: 'cancelled', actions: ['recordCommit', 'closeByCancel'] },
          { target: 'ready_for_review', actions: 'recordCommit' },
        ],
        'TASK.COMMIT_FAILED': [
          { guard: 'cancelRequested', target: 'cancelled', actions: ['failCommit', 'closeByCancel'] },
          { target: 'failed', actions: 'failCommit' },
        ],
        'TASK.CANCEL': { guard: 'noCancelRequested', actions: 'recordCancelRequest' },
        'TASK.INTERRUPT': { target: 'interrupted', actions: 'rememberInterruptedCommit' },
      },
    },
    ready_for_review: {
      entry: { type: 'notifyStatus', params: { status: 'ready_for_review' } },
      on: {
        'TASK.MERGED': { target: 'merged', actions: 'recordMerge' },
        'TASK.REWORK': { guard: 'hasReworkAgent', target: 'running', actions: ['applyRework', 'beginRun', 'spawnAgent'] },
        'TASK.REQUEST_CHANGES': { guard: 'canRequestChanges', target: 'running', actions: ['applyChangesRequest', 'beginRun', 'spawnAgent'] },
        'TASK.APPROVE': { guard: 'isCurrentCommit', actions: 'recordApproval' },
        'TASK.REJECT': { target: 'rejected', actions: 'closeByReject' },
        // Re-entered so the session learns the branch's new head.
        'TASK.CONFLICT_RESOLVED': { target: 'ready_for_review', reenter: true, actions: 'recordResolution' },
      },
    },
    interrupted: {
      entry: { type: 'notifyStatus', params: { status: 'interrupted' } },
      on: {
        'TASK.REQUEUE': { target: 'queued', actions: { type: 'notifyStatus', params: { status: 'queued' } } },
        'TASK.CANCEL': { target: 'cancelled', actions: 'closeByCancel' },
      },
    },
    merged: finalState('merged'),
    rejected: finalState('rejected'),
    failed: finalState('failed'),
    cancelled: finalState('cancelled'),
  },
});

/** A final state tells the session and lets the runtime clean up (worktree, locks). */
function finalState(outcome: ReleaseTaskParams['outcome']) {
  return {
    type: 'final',
    entry: [
      { type: 'notifyStatus', params: { status: outcome } },
      {
        type: 'releaseTask',
        params: ({ context }: { context: TaskContext }) => ({ sessionId: context.sessionId, taskId: context.taskId, outcome }),
      },
    ],
  } as const;
}

export const FINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>([
  'merged',
  'rejected',
  'failed',
  'cancelled',
]);
