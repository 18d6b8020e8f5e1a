import { describe, expect, it } from 'vitest';
import { ActorsError } from './actors-error.js';
import { canAccept } from './can-accept.js';
import { describeSession } from './describe-session.js';
import { ev, sendAll, startSession, taskOf, transient, view } from './test-support.js';

describe('describeSession', () => {
  it('shows the session fields and a queued task before any run', () => {
    const { actor } = startSession({ maxParallel: 0 });
    sendAll(actor, [ev.add('t1', { prompt: 'write docs' })]);
    const v = view(actor);
    expect(v).toMatchObject({
      id: 's1',
      title: 'Test session',
      repoPath: '/repo',
      status: 'active',
      createdAt: '2026-01-01T00:00:00.000Z',
      createdBy: 'alice',
      agentOrder: ['codex', 'claude', 'gemini'],
      checkpoints: [],
      timeline: [],
      lastSave: null,
      pendingSave: null,
      pendingRollback: null,
      damage: null,
    });
    expect(v.tasks).toEqual([
      {
        id: 't1',
        status: 'queued',
        prompt: 'write docs',
        agent: 'codex',
        agentOrder: ['codex', 'claude', 'gemini'],
        attempt: 0,
        runs: [],
        worktreePath: null,
        branch: null,
        baseCommit: null,
        commit: null,
        changes: null,
        error: null,
        createdAt: expect.any(String),
        createdBy: 'alice',
        lastMessage: null,
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
        closed: null,
        merged: null,
        rework: null,
        resolutions: [],
        review: { approved: null, rounds: [] },
        reverted: null,
        reworkOf: null,
      },
    ]);
  });

  it('reads the live agent of an in-flight run (state, last message, usage, event counts)', () => {
    const { actor } = startSession();
    sendAll(actor, [
      ev.add('t1'),
      ev.ready('t1'),
      ev.started('t1', 't1-r1'),
      ev.message('t1', 't1-r1', 'reading code'),
      ev.usage('t1', 't1-r1', 10, 2, 0.01),
    ]);
    const task = taskOf(actor, 't1');
    expect(task.lastMessage).toBe('reading code');
    expect(task.usage).toEqual({ inputTokens: 10, outputTokens: 2, costUsd: 0.01 });
    expect(task.runs).toEqual([
      expect.objectContaining({
        runId: 't1-r1',
        outcome: null,
        state: 'running',
        lastMessage: 'reading code',
        cliVersion: '1.2.3',
        eventCounts: { message: 1, usage: 1 },
      }),
    ]);
  });

  it('sums usage over every run and shows the agent and attempt of the latest run', () => {
    const { actor } = startSession({ maxRetries: 1 });
    sendAll(actor, [
      ev.add('t1'),
      ev.ready('t1'),
      ev.usage('t1', 't1-r1', 100, 10, 1),
      ev.exited('t1', 't1-r1', 'failed', { error: transient() }),
      ev.retryDue('t1'),
      ev.usage('t1', 't1-r2', 50, 5, 0.5),
      ev.message('t1', 't1-r2', 'retrying'),
      ev.exited('t1', 't1-r2', 'failed', { error: transient() }),
      ev.usage('t1', 't1-r3', 1, 1, 0.25),
    ]);
    const task = taskOf(actor, 't1');
    expect(task.usage).toEqual({ inputTokens: 151, outputTokens: 16, costUsd: 1.75 });
    expect(task.agent).toBe('claude');
    expect(task.attempt).toBe(1);
    // r3 has no message yet: the newest message of any run is shown.
    expect(task.lastMessage).toBe('retrying');
    expect(task.runs.map((run) => run.state)).toEqual([null, null, 'starting']);
  });

  it('returns a copy: editing the view cannot reach the actor', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1')]);
    const v = view(actor);
    v.tasks[0]!.agentOrder.push('evil');
    v.agentOrder.length = 0;
    expect(view(actor).tasks[0]?.agentOrder).toEqual(['codex', 'claude', 'gemini']);
    expect(view(actor).agentOrder).toEqual(['codex', 'claude', 'gemini']);
  });

  it('refuses what is not a session snapshot with INVALID_SNAPSHOT', () => {
    for (const bad of [null, 42, {}, { value: 'active', context: {} }]) {
      let caught: unknown;
      try {
        describeSession(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ActorsError);
      expect((caught as ActorsError).code).toBe('INVALID_SNAPSHOT');
      expect(JSON.parse(JSON.stringify(caught))).toMatchObject({ name: 'ActorsError', code: 'INVALID_SNAPSHOT' });
    }
  });

  it('refuses a snapshot whose task actors are missing', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1')]);
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as { children: Record<string, unknown> };
    persisted.children = {};
    expect(() => describeSession(persisted)).toThrow(/no actor for task t1/);
  });
});

describe('canAccept', () => {
  it('follows a task-directed event down to the task and the agent', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1'), ev.ready('t1'), ev.started('t1', 't1-r1')]);
    const snapshot = actor.getSnapshot();
    expect(canAccept(snapshot, ev.message('t1', 't1-r1', 'x'))).toBe(true);
    expect(canAccept(snapshot, ev.timeout('t1', 't1-r1'))).toBe(true);
    expect(canAccept(snapshot, ev.timeout('t1', 't1-r2'))).toBe(false);
    expect(canAccept(snapshot, ev.committed('t1'))).toBe(false);
    expect(canAccept(snapshot, ev.add('t2'))).toBe(true);
    sendAll(actor, [ev.timeout('t1', 't1-r1')]);
    // The agent is already timing out: a second timeout or a cancel changes nothing.
    expect(canAccept(actor.getSnapshot(), ev.timeout('t1', 't1-r1'))).toBe(false);
    expect(canAccept(actor.getSnapshot(), ev.agentCancel('t1', 't1-r1'))).toBe(false);
    expect(canAccept(actor.getSnapshot(), ev.exited('t1', 't1-r1', 'cancelled'))).toBe(true);
  });
});
