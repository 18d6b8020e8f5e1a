// Shared by the actor tests only (not exported from index.ts): spy effects, a session starter and
// event builders, so each test reads as the event sequence it sends.
import { vi } from 'vitest';
import { createActor } from 'xstate';
import type { Actor } from 'xstate';
import { describeSession } from './describe-session.js';
import type { TaskView } from './describe-session.js';
import { provideEffects } from './effects.js';
import type { SessionEffects } from './effects.js';
import type { AgentError, AgentOutcome, SaveResult, SessionEvent } from './events.js';
import type { SessionInput } from './session.machine.js';

export type EffectName = keyof SessionEffects;
export type EffectCall = { effect: EffectName; params: unknown };

export interface SpyEffects extends SessionEffects {
  /** Every effect call, in order. */
  log: EffectCall[];
}

const EFFECT_NAMES: EffectName[] = [
  'startSave',
  'startRollback',
  'startPromotion',
  'prepareWorktree',
  'commitWork',
  'scheduleRetry',
  'releaseTask',
  'startRun',
  'cancelRun',
  'armTimeout',
];

export function spyEffects(): SpyEffects {
  const log: EffectCall[] = [];
  const effects = { log } as Record<string, unknown>;
  for (const name of EFFECT_NAMES) {
    effects[name] = vi.fn((params: unknown) => {
      log.push({ effect: name, params });
    });
  }
  return effects as unknown as SpyEffects;
}

/** The params of every call of one effect, in order. */
export function paramsOf(effects: SpyEffects, name: EffectName): unknown[] {
  return effects.log.filter((call) => call.effect === name).map((call) => call.params);
}

export const SESSION_INPUT: SessionInput = {
  sessionId: 's1',
  title: 'Test session',
  repoPath: '/repo',
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'alice',
  agentOrder: ['codex', 'claude', 'gemini'],
  maxParallel: 4,
  taskTimeoutMs: 600_000,
  maxRetries: 2,
};

export type SessionActor = Actor<ReturnType<typeof provideEffects>>;

export function startSession(
  overrides: Partial<SessionInput> = {},
  effects: SpyEffects = spyEffects(),
): { actor: SessionActor; effects: SpyEffects } {
  const actor = createActor(provideEffects(effects), { input: { ...SESSION_INPUT, ...overrides } });
  actor.start();
  return { actor, effects };
}

export function view(actor: SessionActor) {
  return describeSession(actor.getSnapshot());
}

export function taskOf(actor: SessionActor, taskId: string): TaskView {
  const task = view(actor).tasks.find((candidate) => candidate.id === taskId);
  if (!task) throw new Error(`no task ${taskId}`);
  return task;
}

/** Sends events after checking that the machine accepts each one (a refused event fails the test). */
export function sendAll(actor: SessionActor, events: SessionEvent[]): void {
  for (const event of events) {
    if (!actor.getSnapshot().can(event)) throw new Error(`refused: ${JSON.stringify(event)}`);
    actor.send(event);
  }
}

let clock = 0;
function at(): string {
  clock += 1;
  return new Date(Date.UTC(2026, 0, 1, 0, 0, clock)).toISOString();
}

export const ev = {
  add: (taskId: string, extra: { agent?: string | null; agentOrder?: string[]; prompt?: string } = {}): SessionEvent => ({
    type: 'TASK.ADD',
    taskId,
    prompt: extra.prompt ?? `do ${taskId}`,
    agent: extra.agent ?? null,
    agentOrder: extra.agentOrder ?? [],
    at: at(),
    by: 'alice',
  }),
  ready: (taskId: string): SessionEvent => ({
    type: 'TASK.WORKTREE_READY',
    taskId,
    worktreePath: `/wt/${taskId}`,
    branch: `session/s1/task/${taskId}`,
    baseCommit: 'base0',
  }),
  worktreeFailed: (taskId: string): SessionEvent => ({
    type: 'TASK.WORKTREE_FAILED',
    taskId,
    error: { code: 'WORKTREE_EXISTS', message: 'worktree already exists' },
  }),
  started: (taskId: string, runId: string, resumeToken: string | null = null): SessionEvent => ({
    type: 'AGENT.STARTED',
    taskId,
    runId,
    cliVersion: '1.2.3',
    resumeToken,
    at: at(),
  }),
  message: (taskId: string, runId: string, text: string): SessionEvent => ({
    type: 'AGENT.EVENT',
    taskId,
    runId,
    event: { type: 'message', text },
  }),
  usage: (taskId: string, runId: string, inputTokens: number, outputTokens: number, costUsd: number | null): SessionEvent => ({
    type: 'AGENT.EVENT',
    taskId,
    runId,
    event: { type: 'usage', inputTokens, outputTokens, costUsd },
  }),
  exited: (
    taskId: string,
    runId: string,
    outcome: AgentOutcome,
    extra: { error?: AgentError | null; finalMessage?: string | null } = {},
  ): SessionEvent => ({
    type: 'AGENT.EXITED',
    taskId,
    runId,
    outcome,
    exitCode: outcome === 'succeeded' ? 0 : 1,
    finalMessage: extra.finalMessage ?? `${runId} ${outcome}`,
    error: extra.error ?? null,
    at: at(),
  }),
  timeout: (taskId: string, runId: string): SessionEvent => ({ type: 'AGENT.TIMEOUT', taskId, runId }),
  agentCancel: (taskId: string, runId: string, reason = 'operator'): SessionEvent => ({
    type: 'AGENT.CANCEL',
    taskId,
    runId,
    reason,
  }),
  committed: (taskId: string, commit: string | null = `c-${taskId}`): SessionEvent => ({
    type: 'TASK.COMMITTED',
    taskId,
    commit,
    changes: { filesChanged: commit ? 1 : 0, insertions: commit ? 3 : 0, deletions: 0, files: commit ? [`${taskId}.txt`] : [] },
  }),
  commitFailed: (taskId: string): SessionEvent => ({
    type: 'TASK.COMMIT_FAILED',
    taskId,
    error: { code: 'INDEX_LOCKED', message: 'index.lock exists' },
  }),
  retryDue: (taskId: string): SessionEvent => ({ type: 'TASK.RETRY_DUE', taskId }),
  cancel: (taskId: string): SessionEvent => ({ type: 'TASK.CANCEL', taskId, by: 'bob', at: at() }),
  reject: (taskId: string): SessionEvent => ({ type: 'TASK.REJECT', taskId, by: 'bob', at: at(), reason: 'not needed' }),
  interrupt: (taskId: string): SessionEvent => ({ type: 'TASK.INTERRUPT', taskId, reason: 'runtime restarted' }),
  requeue: (taskId: string): SessionEvent => ({ type: 'TASK.REQUEUE', taskId }),
  save: (saveId: string): SessionEvent => ({ type: 'SAVE.REQUEST', saveId, at: at(), by: 'alice' }),
  saveProgress: (saveId: string, phase: string): SessionEvent => ({ type: 'SAVE.PROGRESS', saveId, phase }),
  saveCompleted: (saveId: string, result: SaveResult): SessionEvent => ({ type: 'SAVE.COMPLETED', saveId, result, at: at() }),
  resume: (): SessionEvent => ({ type: 'REVIEW.RESUME', at: at(), by: 'alice' }),
  rollback: (rollbackId: string, checkpoint = 'checkpoint/2026-01-01-1'): SessionEvent => ({
    type: 'ROLLBACK.REQUEST',
    rollbackId,
    checkpoint,
    mode: 'restore_commit',
    at: at(),
    by: 'alice',
  }),
  rollbackCompleted: (rollbackId: string): SessionEvent => ({
    type: 'ROLLBACK.COMPLETED',
    rollbackId,
    result: { status: 'completed', commit: 'restore1', branch: 'main' },
    at: at(),
  }),
};

export const transient = (code = 'RATE_LIMITED'): AgentError => ({ code, message: 'try later', transient: true });
export const permanent = (code = 'AUTH_FAILED'): AgentError => ({ code, message: 'bad credentials', transient: false });

/** Drives one task from queued (already dispatched) to ready_for_review on its first agent. */
export function runToReview(actor: SessionActor, taskId: string, commit: string | null = `c-${taskId}`): void {
  const runId = `${taskId}-r1`;
  sendAll(actor, [
    ev.ready(taskId),
    ev.started(taskId, runId),
    ev.exited(taskId, runId, 'succeeded'),
    ev.committed(taskId, commit),
  ]);
}

/** Save results as the engine returns them (contracts/save.ts), with placeholder details. */
export const saveResults = {
  published: (tag: string, mergedTaskIds: string[], commit = `commit-${tag}`): SaveResult => ({
    status: 'published', tag, commit, integrationCommit: commit, mergedTaskIds, autoResolved: [], gates: [],
  }),
  gatesFailed: (command = 'npm test'): SaveResult => ({
    status: 'gates_failed', integrationCommit: 'candidate', mergedTaskIds: [], gates: [{ command, exitCode: 1, timedOut: false, durationMs: 5, output: 'failed' }],
  }),
  conflict: (taskId = 't1'): SaveResult => ({
    status: 'conflict',
    report: { sessionId: 'sess-1', taskId, branch: `session/sess-1/task/${taskId}`, ours: 'ours', theirs: 'theirs', files: [], autoResolved: [], summary: { files: 0, hunks: 0 } },
  }),
};
