// One run of one agent CLI. The adapter process lives in the runtime; this machine only records
// what the runtime reports about it and asks for effects (start, cancel, arm a timeout).
import { assign, enqueueActions, setup } from 'xstate';
import type { ArmTimeoutParams, CancelRunParams, StartRunParams } from './effect-params.js';
import type {
  AgentError,
  AgentEvent,
  AgentEventsBatch,
  AgentOutcome,
  AgentStreamEvent,
  AgentUsage,
} from './events.js';

/** What the run is started with (`startRun`'s params) plus its timeout. */
export interface AgentInput extends StartRunParams {
  /** 0 or less: no timeout is armed. */
  timeoutMs: number;
}

export interface AgentContext extends AgentInput {
  cliVersion: string | null;
  resumeToken: string | null;
  startedAt: string | null;
  endedAt: string | null;
  eventCounts: Record<string, number>;
  lastMessage: string | null;
  usage: AgentUsage;
  outcome: AgentOutcome | null;
  exitCode: number | null;
  finalMessage: string | null;
  error: AgentError | null;
  cancelReason: string | null;
}

/** What a finished run hands to its task (the `xstate.done.actor.agent:<runId>` output). */
export interface AgentRunOutput {
  runId: string;
  agent: string;
  outcome: AgentOutcome;
  finalMessage: string | null;
  error: AgentError | null;
  usage: AgentUsage;
  resumeToken: string | null;
  lastMessage: string | null;
  eventCounts: Record<string, number>;
  exitCode: number | null;
  cliVersion: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

export const ZERO_USAGE: AgentUsage = Object.freeze({ inputTokens: 0, outputTokens: 0, costUsd: 0 });

function finiteOrZero(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Usage events are deltas (one per model turn); the run's usage is their sum. */
export function addUsage(total: AgentUsage, event: AgentStreamEvent): AgentUsage {
  return {
    inputTokens: total.inputTokens + finiteOrZero(event.inputTokens),
    outputTokens: total.outputTokens + finiteOrZero(event.outputTokens),
    costUsd: total.costUsd + finiteOrZero(event.costUsd),
  };
}

export function agentOutput(context: AgentContext): AgentRunOutput {
  return {
    runId: context.runId,
    agent: context.agent,
    // A final state always sets the outcome; 'failed' only guards the type.
    outcome: context.outcome ?? 'failed',
    finalMessage: context.finalMessage,
    error: context.error,
    usage: context.usage,
    resumeToken: context.resumeToken,
    lastMessage: context.lastMessage,
    eventCounts: context.eventCounts,
    exitCode: context.exitCode,
    cliVersion: context.cliVersion,
    startedAt: context.startedAt,
    endedAt: context.endedAt,
  };
}

const exitedWith = (outcome: AgentOutcome) =>
  ({
    guard: { type: 'exitedWith', params: { outcome } },
    target: outcome,
    actions: { type: 'recordExit', params: { outcome } },
  }) as const;

/** While the process may still run: stream events, exits, and requests to stop it. */
const LIVE_RUN_HANDLERS = {
  'AGENT.EVENT': { guard: 'isOwnRun', actions: 'recordStreamEvent' },
  'AGENT.EVENTS': { guard: 'isOwnRun', actions: 'recordStreamEvent' },
  'AGENT.RESUMABLE': { guard: 'isOwnRun', actions: 'recordResumable' },
  // Exiting before AGENT.STARTED is a spawn failure; it ends the run like any other exit.
  'AGENT.EXITED': [exitedWith('succeeded'), exitedWith('failed'), exitedWith('cancelled'), exitedWith('timed_out')],
  'AGENT.CANCEL': { guard: 'isOwnRun', target: 'cancelling', actions: 'recordCancelReason' },
  'AGENT.TIMEOUT': { guard: 'isOwnRun', target: 'timing_out', actions: 'recordCancelReason' },
} as const;

/**
 * Cancel and timeout both wait for the process to exit, so a fallback agent never shares the
 * worktree with a process that is still writing to it. The outcome asked for wins over the one
 * the process reports.
 */
function stopping(outcome: 'cancelled' | 'timed_out') {
  return {
    entry: {
      type: 'cancelRun',
      params: ({ context }: { context: AgentContext }) => ({
        sessionId: context.sessionId,
        taskId: context.taskId,
        runId: context.runId,
        reason: outcome === 'timed_out' ? 'timeout' : (context.cancelReason ?? 'cancelled'),
      }),
    },
    on: {
      'AGENT.STARTED': { guard: 'isOwnRun', actions: 'recordStarted' },
      'AGENT.EVENT': { guard: 'isOwnRun', actions: 'recordStreamEvent' },
      'AGENT.EVENTS': { guard: 'isOwnRun', actions: 'recordStreamEvent' },
      'AGENT.EXITED': { guard: 'isOwnRun', target: outcome, actions: { type: 'recordExit', params: { outcome } } },
    },
  } as const;
}

export const agentMachine = setup({
  types: {} as {
    context: AgentContext;
    input: AgentInput;
    events: AgentEvent | AgentEventsBatch;
    output: AgentRunOutput;
  },
  actions: {
    // Effects: no-ops here (replay mode); the runtime provides the real ones.
    startRun: (_: unknown, _params: StartRunParams) => {},
    cancelRun: (_: unknown, _params: CancelRunParams) => {},
    armTimeout: (_: unknown, _params: ArmTimeoutParams) => {},

    recordStarted: assign(({ context, event }) => {
      if (event.type !== 'AGENT.STARTED') return {};
      return {
        cliVersion: event.cliVersion,
        resumeToken: event.resumeToken ?? context.resumeToken,
        startedAt: event.at ?? context.startedAt,
      };
    }),
    recordResumable: assign(({ event }) => (event.type === 'AGENT.RESUMABLE' ? { resumeToken: event.resumeToken } : {})),
    // A batch folds its events in order: the same context as one AGENT.EVENT per event.
    recordStreamEvent: assign(({ context, event }) => {
      const streamed = event.type === 'AGENT.EVENT' ? [event.event] : event.type === 'AGENT.EVENTS' ? event.events : [];
      if (streamed.length === 0) return {};
      const eventCounts = { ...context.eventCounts };
      let { lastMessage, usage } = context;
      for (const one of streamed) {
        eventCounts[one.type] = (eventCounts[one.type] ?? 0) + 1;
        if (one.type === 'message' && typeof one.text === 'string') lastMessage = one.text;
        if (one.type === 'usage') usage = addUsage(usage, one);
      }
      return { eventCounts, lastMessage, usage };
    }),
    recordCancelReason: assign(({ event }) => ({
      cancelReason: event.type === 'AGENT.CANCEL' ? event.reason : 'timeout',
    })),
    /** `outcome` overrides what the process reported: a cancel or timeout we asked for wins the race. */
    recordExit: assign(({ context, event }, params: { outcome: AgentOutcome }) => {
      if (event.type !== 'AGENT.EXITED') return {};
      return {
        outcome: params.outcome,
        exitCode: event.exitCode,
        finalMessage: event.finalMessage,
        error: event.error ?? null,
        endedAt: event.at ?? null,
        resumeToken: event.resumeToken ?? context.resumeToken,
        cliVersion: event.cliVersion ?? context.cliVersion,
      };
    }),
  },
  guards: {
    isOwnRun: ({ context, event }) => event.runId === context.runId,
    exitedWith: ({ context, event }, params: { outcome: AgentOutcome }) =>
      event.type === 'AGENT.EXITED' && event.runId === context.runId && event.outcome === params.outcome,
    hasTimeout: ({ context }) => context.timeoutMs > 0,
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => ({
    ...input,
    cliVersion: null,
    resumeToken: null,
    startedAt: null,
    endedAt: null,
    eventCounts: {},
    lastMessage: null,
    usage: ZERO_USAGE,
    outcome: null,
    exitCode: null,
    finalMessage: null,
    error: null,
    cancelReason: null,
  }),
  initial: 'starting',
  states: {
    starting: {
      entry: [
        {
          type: 'startRun',
          params: ({ context }) => ({
            sessionId: context.sessionId,
            taskId: context.taskId,
            runId: context.runId,
            agent: context.agent,
            attempt: context.attempt,
            prompt: context.prompt,
            handoff: context.handoff,
            resume: context.resume,
          }),
        },
        // Without a configured timeout no timer is armed at all.
        enqueueActions(({ context, enqueue, check }) => {
          if (!check('hasTimeout')) return;
          enqueue({
            type: 'armTimeout',
            params: {
              sessionId: context.sessionId,
              taskId: context.taskId,
              runId: context.runId,
              timeoutMs: context.timeoutMs,
            },
          });
        }),
      ],
      on: {
        'AGENT.STARTED': { guard: 'isOwnRun', target: 'running', actions: 'recordStarted' },
        ...LIVE_RUN_HANDLERS,
      },
    },
    running: {
      on: LIVE_RUN_HANDLERS,
    },
    // Cancel and timeout both wait for the process to exit, so a fallback agent never shares the
    // worktree with a process that is still writing to it.
    cancelling: stopping('cancelled'),
    timing_out: stopping('timed_out'),
    succeeded: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
    timed_out: { type: 'final' },
  },
  output: ({ context }) => agentOutput(context),
});
