// The task machine, driven the only way the runtime drives it: through the session actor.
import { describe, expect, it } from 'vitest';
import { canAccept } from './can-accept.js';
import {
  ev,
  paramsOf,
  permanent,
  runToReview,
  sendAll,
  startSession,
  taskOf,
  transient,
  view,
} from './test-support.js';

function sessionWithTask(overrides: Parameters<typeof startSession>[0] = {}) {
  const started = startSession(overrides);
  sendAll(started.actor, [ev.add('t1')]);
  return started;
}

describe('task machine: happy path', () => {
  it('queued -> preparing -> running -> committing -> ready_for_review -> merged, with effects', () => {
    const { actor, effects } = sessionWithTask();
    expect(taskOf(actor, 't1').status).toBe('preparing');
    expect(paramsOf(effects, 'prepareWorktree')).toEqual([{ sessionId: 's1', taskId: 't1' }]);

    sendAll(actor, [ev.ready('t1')]);
    const running = taskOf(actor, 't1');
    expect(running.status).toBe('running');
    expect(running).toMatchObject({ worktreePath: '/wt/t1', branch: 'session/s1/task/t1', baseCommit: 'base0' });
    expect(actor.getSnapshot().children['task:t1']?.getSnapshot().children['agent:t1-r1']).toBeDefined();
    expect(paramsOf(effects, 'startRun')).toEqual([
      { sessionId: 's1', taskId: 't1', runId: 't1-r1', agent: 'codex', attempt: 1, prompt: 'do t1', handoff: null, resume: null },
    ]);
    expect(paramsOf(effects, 'armTimeout')).toEqual([{ sessionId: 's1', taskId: 't1', runId: 't1-r1', timeoutMs: 600_000 }]);

    sendAll(actor, [ev.started('t1', 't1-r1'), ev.message('t1', 't1-r1', 'working'), ev.exited('t1', 't1-r1', 'succeeded')]);
    expect(taskOf(actor, 't1').status).toBe('committing');
    expect(paramsOf(effects, 'commitWork')).toEqual([{ sessionId: 's1', taskId: 't1', runId: 't1-r1', agent: 'codex' }]);
    // The finished agent child is stopped and dropped from the snapshot; its data lives in the run record.
    expect(actor.getSnapshot().children['task:t1']?.getSnapshot().children['agent:t1-r1']).toBeUndefined();

    sendAll(actor, [ev.committed('t1', 'abc123')]);
    const ready = taskOf(actor, 't1');
    expect(ready.status).toBe('ready_for_review');
    expect(ready.commit).toBe('abc123');
    expect(ready.changes).toEqual({ filesChanged: 1, insertions: 3, deletions: 0, files: ['t1.txt'] });
    expect(ready.lastMessage).toBe('working');
    expect(ready.runs[0]).toMatchObject({ runId: 't1-r1', outcome: 'succeeded', finalMessage: 't1-r1 succeeded' });
    expect(actor.getSnapshot().context.taskStatus).toEqual({ t1: 'ready_for_review' });
    expect(actor.getSnapshot().context.taskCommits).toEqual({ t1: 'abc123' });
    expect(paramsOf(effects, 'releaseTask')).toEqual([]);
  });

  it('ready_for_review -> rejected (final, released)', () => {
    const { actor, effects } = sessionWithTask();
    runToReview(actor, 't1');
    sendAll(actor, [ev.reject('t1')]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('rejected');
    expect(task.closed).toMatchObject({ by: 'bob', reason: 'not needed' });
    expect(paramsOf(effects, 'releaseTask')).toEqual([{ sessionId: 's1', taskId: 't1', outcome: 'rejected' }]);
    // A final task takes nothing more.
    expect(actor.getSnapshot().can(ev.cancel('t1'))).toBe(false);
  });
});

describe('task machine: failures', () => {
  it('worktree failure -> failed with WORKTREE_FAILED', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [ev.worktreeFailed('t1')]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('failed');
    expect(task.error).toEqual({
      code: 'WORKTREE_FAILED',
      message: 'worktree already exists',
      agent: null,
      runs: [],
      cause: { code: 'WORKTREE_EXISTS', message: 'worktree already exists' },
    });
    expect(paramsOf(effects, 'releaseTask')).toEqual([{ sessionId: 's1', taskId: 't1', outcome: 'failed' }]);
    expect(paramsOf(effects, 'startRun')).toEqual([]);
  });

  it('setup output keeps the task preparing; a setup failure -> failed with SETUP_FAILED, no agent started', () => {
    const { actor, effects } = sessionWithTask();
    const at = '2026-01-01T00:00:00.000Z';
    sendAll(actor, [
      { type: 'TASK.SETUP_STARTED', taskId: 't1', commands: ['npm ci'], copied: ['.env'], skipped: [], at },
      { type: 'TASK.SETUP_OUTPUT', taskId: 't1', index: 0, seq: 1, stream: 'stderr', text: 'npm ERR! missing lockfile\n', at },
    ]);
    expect(taskOf(actor, 't1').status).toBe('preparing');
    sendAll(actor, [{
      type: 'TASK.SETUP_FAILED', taskId: 't1', error: { code: 'SETUP_FAILED', message: 'setup command 1 of 1 (npm ci) exited with 1' },
      command: 'npm ci', index: 0, exitCode: 1, timedOut: false, output: 'npm ERR! missing lockfile\n', at,
    }]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('failed');
    expect(task.error).toEqual({
      code: 'SETUP_FAILED',
      message: 'setup command 1 of 1 (npm ci) exited with 1\nnpm ERR! missing lockfile\n',
      agent: null,
      runs: [],
      cause: { code: 'SETUP_FAILED', message: 'setup command 1 of 1 (npm ci) exited with 1' },
    });
    expect(paramsOf(effects, 'startRun')).toEqual([]);
    expect(paramsOf(effects, 'releaseTask')).toEqual([{ sessionId: 's1', taskId: 't1', outcome: 'failed' }]);
  });

  it('commit failure -> failed with COMMIT_FAILED', () => {
    const { actor } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.exited('t1', 't1-r1', 'succeeded'), ev.commitFailed('t1')]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('failed');
    expect(task.error).toMatchObject({ code: 'COMMIT_FAILED', agent: 'codex', runs: ['t1-r1'] });
  });

  it('transient failure -> retry_wait with backoff -> retry succeeds on the same agent', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.started('t1', 't1-r1'), ev.exited('t1', 't1-r1', 'failed', { error: transient() })]);
    expect(taskOf(actor, 't1').status).toBe('retry_wait');
    expect(paramsOf(effects, 'scheduleRetry')).toEqual([{ sessionId: 's1', taskId: 't1', delayMs: 1_000, attempt: 2 }]);
    // Agent events are not taken while waiting.
    expect(actor.getSnapshot().can(ev.exited('t1', 't1-r1', 'failed'))).toBe(true);
    expect(canAccept(actor.getSnapshot(), ev.exited('t1', 't1-r1', 'failed'))).toBe(false);

    sendAll(actor, [ev.retryDue('t1')]);
    expect(taskOf(actor, 't1').status).toBe('running');
    expect(paramsOf(effects, 'startRun')[1]).toMatchObject({ runId: 't1-r2', agent: 'codex', attempt: 2, handoff: null });
    sendAll(actor, [ev.exited('t1', 't1-r2', 'succeeded'), ev.committed('t1')]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('ready_for_review');
    expect(task.runs.map((run) => [run.runId, run.agent, run.attempt, run.outcome])).toEqual([
      ['t1-r1', 'codex', 1, 'failed'],
      ['t1-r2', 'codex', 2, 'succeeded'],
    ]);
  });

  it('backs off exponentially: 1s, 2s, 4s', () => {
    const { actor, effects } = sessionWithTask({ maxRetries: 3 });
    sendAll(actor, [ev.ready('t1')]);
    for (const n of [1, 2, 3]) {
      sendAll(actor, [ev.exited('t1', `t1-r${n}`, 'failed', { error: transient() }), ev.retryDue('t1')]);
    }
    expect(paramsOf(effects, 'scheduleRetry').map((p) => (p as { delayMs: number }).delayMs)).toEqual([1_000, 2_000, 4_000]);
    expect(taskOf(actor, 't1').attempt).toBe(4);
  });

  it('retries exhausted -> fallback to the next agent with a handoff -> success', () => {
    const { actor, effects } = sessionWithTask({ maxRetries: 1 });
    sendAll(actor, [
      ev.ready('t1'),
      ev.exited('t1', 't1-r1', 'failed', { error: transient() }),
      ev.retryDue('t1'),
      ev.message('t1', 't1-r2', 'half way there'),
      ev.exited('t1', 't1-r2', 'failed', { error: transient(), finalMessage: 'gave up' }),
    ]);
    expect(taskOf(actor, 't1').status).toBe('running');
    expect(paramsOf(effects, 'scheduleRetry')).toHaveLength(1);
    expect(paramsOf(effects, 'startRun')[2]).toEqual({
      sessionId: 's1',
      taskId: 't1',
      runId: 't1-r3',
      agent: 'claude',
      attempt: 1,
      prompt: 'do t1',
      handoff: { fromRunId: 't1-r2', fromAgent: 'codex', finalMessage: 'gave up', reason: 'RATE_LIMITED: try later (retries exhausted)' },
      resume: null,
    });
    sendAll(actor, [ev.exited('t1', 't1-r3', 'succeeded'), ev.committed('t1')]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('ready_for_review');
    expect(task.agent).toBe('claude');
    expect(paramsOf(effects, 'commitWork')).toEqual([{ sessionId: 's1', taskId: 't1', runId: 't1-r3', agent: 'claude' }]);
  });

  it('non-transient failure falls back at once, without retrying', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.exited('t1', 't1-r1', 'failed', { error: permanent() })]);
    expect(paramsOf(effects, 'scheduleRetry')).toEqual([]);
    expect(paramsOf(effects, 'startRun')[1]).toMatchObject({
      runId: 't1-r2',
      agent: 'claude',
      handoff: { fromRunId: 't1-r1', fromAgent: 'codex', reason: 'AUTH_FAILED: bad credentials' },
    });
  });

  it('an agent cancelled from outside falls back to the next agent', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.agentCancel('t1', 't1-r1')]);
    expect(paramsOf(effects, 'cancelRun')).toEqual([{ sessionId: 's1', taskId: 't1', runId: 't1-r1', reason: 'operator' }]);
    sendAll(actor, [ev.exited('t1', 't1-r1', 'failed')]);
    expect(paramsOf(effects, 'startRun')[1]).toMatchObject({ agent: 'claude', handoff: { reason: 'cancelled' } });
  });

  it('every agent exhausted -> failed with AGENTS_EXHAUSTED', () => {
    const { actor, effects } = sessionWithTask({ maxRetries: 0 });
    sendAll(actor, [
      ev.ready('t1'),
      ev.exited('t1', 't1-r1', 'failed', { error: transient() }),
      ev.exited('t1', 't1-r2', 'failed', { error: permanent() }),
      ev.exited('t1', 't1-r3', 'failed', { error: permanent('SANDBOX') }),
    ]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('failed');
    expect(task.error).toEqual({
      code: 'AGENTS_EXHAUSTED',
      message: 'every agent in [codex, claude, gemini] failed; last: SANDBOX: bad credentials',
      agent: 'gemini',
      runs: ['t1-r1', 't1-r2', 't1-r3'],
      cause: { code: 'SANDBOX', message: 'bad credentials' },
    });
    expect(paramsOf(effects, 'releaseTask')).toEqual([{ sessionId: 's1', taskId: 't1', outcome: 'failed' }]);
  });

  it('timeout: the agent is cancelled, and once it exits the next agent takes over', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.started('t1', 't1-r1'), ev.timeout('t1', 't1-r1')]);
    expect(paramsOf(effects, 'cancelRun')).toEqual([{ sessionId: 's1', taskId: 't1', runId: 't1-r1', reason: 'timeout' }]);
    // Still one run until the process is really gone.
    expect(paramsOf(effects, 'startRun')).toHaveLength(1);
    expect(taskOf(actor, 't1').runs[0]?.state).toBe('timing_out');
    sendAll(actor, [ev.exited('t1', 't1-r1', 'cancelled')]);
    expect(taskOf(actor, 't1').runs[0]?.outcome).toBe('timed_out');
    expect(paramsOf(effects, 'startRun')[1]).toMatchObject({
      runId: 't1-r2',
      agent: 'claude',
      handoff: { fromRunId: 't1-r1', reason: 'timed out after 600000 ms' },
    });
  });

  it('ignores agent events for a run that is not the current one', () => {
    const { actor } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.exited('t1', 't1-r1', 'failed', { error: permanent() })]);
    // t1-r1 is over; the current run is t1-r2.
    const stale = ev.exited('t1', 't1-r1', 'succeeded');
    expect(actor.getSnapshot().can(stale)).toBe(true); // the session forwards to a live task ...
    expect(canAccept(actor.getSnapshot(), stale)).toBe(false); // ... which ignores it
    actor.send(stale);
    actor.send(ev.exited('t1', 't1-r7', 'succeeded'));
    expect(taskOf(actor, 't1').status).toBe('running');
    expect(taskOf(actor, 't1').runs.map((run) => run.outcome)).toEqual(['failed', null]);
  });
});

describe('task machine: cancel', () => {
  it('from queued', () => {
    const { actor, effects } = startSession({ maxParallel: 1 });
    sendAll(actor, [ev.add('t1'), ev.add('t2'), ev.cancel('t2')]);
    expect(taskOf(actor, 't2').status).toBe('cancelled');
    expect(taskOf(actor, 't2').closed).toMatchObject({ by: 'bob' });
    expect(paramsOf(effects, 'releaseTask')).toEqual([{ sessionId: 's1', taskId: 't2', outcome: 'cancelled' }]);
    expect(paramsOf(effects, 'prepareWorktree')).toEqual([{ sessionId: 's1', taskId: 't1' }]);
  });

  it('from preparing', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [ev.cancel('t1')]);
    expect(taskOf(actor, 't1').status).toBe('cancelled');
    expect(paramsOf(effects, 'cancelRun')).toEqual([]);
    // The worktree that arrives late is for a finished task: refused.
    expect(actor.getSnapshot().can(ev.ready('t1'))).toBe(false);
  });

  it('from running: the agent gets cancelRun, the run keeps its usage', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.started('t1', 't1-r1'), ev.usage('t1', 't1-r1', 100, 20, 0.5), ev.cancel('t1')]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('cancelled');
    expect(paramsOf(effects, 'cancelRun')).toEqual([{ sessionId: 's1', taskId: 't1', runId: 't1-r1', reason: 'task_cancelled' }]);
    expect(task.runs[0]).toMatchObject({ outcome: 'cancelled', usage: { inputTokens: 100, outputTokens: 20, costUsd: 0.5 } });
    expect(task.usage).toEqual({ inputTokens: 100, outputTokens: 20, costUsd: 0.5 });
    expect(paramsOf(effects, 'releaseTask')).toEqual([{ sessionId: 's1', taskId: 't1', outcome: 'cancelled' }]);
    // The agent's late exit is refused: the task is gone.
    expect(actor.getSnapshot().can(ev.exited('t1', 't1-r1', 'cancelled'))).toBe(false);
  });

  it('from retry_wait', () => {
    const { actor } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.exited('t1', 't1-r1', 'failed', { error: transient() }), ev.cancel('t1')]);
    expect(taskOf(actor, 't1').status).toBe('cancelled');
    expect(actor.getSnapshot().can(ev.retryDue('t1'))).toBe(false);
  });

  it('from committing: waits for the commit, then ends cancelled (keeping the commit)', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.exited('t1', 't1-r1', 'succeeded'), ev.cancel('t1')]);
    expect(taskOf(actor, 't1').status).toBe('committing');
    expect(canAccept(actor.getSnapshot(), ev.cancel('t1'))).toBe(false); // already requested
    sendAll(actor, [ev.committed('t1', 'abc')]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('cancelled');
    expect(task.commit).toBe('abc');
    expect(task.closed).toMatchObject({ by: 'bob' });
    expect(paramsOf(effects, 'releaseTask')).toEqual([{ sessionId: 's1', taskId: 't1', outcome: 'cancelled' }]);
  });

  it('from committing when the commit then fails: cancelled, error kept', () => {
    const { actor } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.exited('t1', 't1-r1', 'succeeded'), ev.cancel('t1'), ev.commitFailed('t1')]);
    expect(taskOf(actor, 't1').status).toBe('cancelled');
    expect(taskOf(actor, 't1').error?.code).toBe('COMMIT_FAILED');
  });

  it('from interrupted', () => {
    const { actor } = sessionWithTask();
    sendAll(actor, [ev.interrupt('t1'), ev.cancel('t1')]);
    expect(taskOf(actor, 't1').status).toBe('cancelled');
  });

  it('is refused in ready_for_review (use reject)', () => {
    const { actor } = sessionWithTask();
    runToReview(actor, 't1');
    expect(canAccept(actor.getSnapshot(), ev.cancel('t1'))).toBe(false);
    expect(canAccept(actor.getSnapshot(), ev.reject('t1'))).toBe(true);
  });
});

describe('task machine: interrupt and requeue', () => {
  it('an interrupted run is resumed with its token, on the same attempt', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.started('t1', 't1-r1', 'resume-tok'), ev.message('t1', 't1-r1', 'midway'), ev.interrupt('t1')]);
    let task = taskOf(actor, 't1');
    expect(task.status).toBe('interrupted');
    expect(task.runs[0]).toMatchObject({ outcome: 'interrupted', lastMessage: 'midway' });
    // The process died with the runtime: there is nothing to cancel.
    expect(paramsOf(effects, 'cancelRun')).toEqual([]);
    expect(actor.getSnapshot().context.taskStatus.t1).toBe('interrupted');

    sendAll(actor, [ev.requeue('t1')]);
    // Requeued and, with a free slot, dispatched again.
    expect(taskOf(actor, 't1').status).toBe('preparing');
    expect(paramsOf(effects, 'prepareWorktree')).toHaveLength(2);
    sendAll(actor, [ev.ready('t1')]);
    expect(paramsOf(effects, 'startRun')[1]).toEqual({
      sessionId: 's1',
      taskId: 't1',
      runId: 't1-r2',
      agent: 'codex',
      attempt: 1,
      prompt: 'do t1',
      handoff: null,
      resume: { runId: 't1-r1', resumeToken: 'resume-tok' },
    });
    sendAll(actor, [ev.exited('t1', 't1-r2', 'succeeded'), ev.committed('t1')]);
    task = taskOf(actor, 't1');
    expect(task.status).toBe('ready_for_review');
    expect(task.runs[1]?.resume).toEqual({ runId: 't1-r1', resumeToken: 'resume-tok' });
  });

  it('a token learnt mid-run (AGENT.RESUMABLE) is what the resumed run gets', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [
      ev.ready('t1'),
      ev.started('t1', 't1-r1'),
      { type: 'AGENT.RESUMABLE', taskId: 't1', runId: 't1-r1', resumeToken: 'thread-42' },
      // A token for another run is ignored.
      { type: 'AGENT.RESUMABLE', taskId: 't1', runId: 't1-r9', resumeToken: 'someone-else' },
      ev.interrupt('t1'),
      ev.requeue('t1'),
      ev.ready('t1'),
    ]);
    expect(paramsOf(effects, 'startRun')[1]).toMatchObject({ runId: 't1-r2', resume: { runId: 't1-r1', resumeToken: 'thread-42' } });
  });

  it('without a resume token the next run starts fresh', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.started('t1', 't1-r1'), ev.interrupt('t1'), ev.requeue('t1'), ev.ready('t1')]);
    expect(paramsOf(effects, 'startRun')[1]).toMatchObject({ runId: 't1-r2', resume: null, attempt: 1 });
  });

  it('keeps attempt counters across the requeue', () => {
    const { actor, effects } = sessionWithTask({ maxRetries: 1 });
    sendAll(actor, [
      ev.ready('t1'),
      ev.exited('t1', 't1-r1', 'failed', { error: transient() }),
      ev.interrupt('t1'),
      ev.requeue('t1'),
      ev.ready('t1'),
    ]);
    expect(paramsOf(effects, 'startRun')[1]).toMatchObject({ runId: 't1-r2', agent: 'codex', attempt: 2 });
    // Attempt 2 was the last allowed on codex: a transient failure now falls back.
    sendAll(actor, [ev.exited('t1', 't1-r2', 'failed', { error: transient() })]);
    expect(paramsOf(effects, 'startRun')[2]).toMatchObject({ runId: 't1-r3', agent: 'claude', attempt: 1 });
  });

  it('interrupted while committing: after requeue only the commit is redone', () => {
    const { actor, effects } = sessionWithTask();
    sendAll(actor, [ev.ready('t1'), ev.exited('t1', 't1-r1', 'succeeded'), ev.interrupt('t1'), ev.requeue('t1'), ev.ready('t1')]);
    expect(taskOf(actor, 't1').status).toBe('committing');
    expect(paramsOf(effects, 'startRun')).toHaveLength(1);
    expect(paramsOf(effects, 'commitWork')).toEqual([
      { sessionId: 's1', taskId: 't1', runId: 't1-r1', agent: 'codex' },
      { sessionId: 's1', taskId: 't1', runId: 't1-r1', agent: 'codex' },
    ]);
  });

  it('interrupted in preparing and retry_wait', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1'), ev.add('t2'), ev.interrupt('t1')]);
    sendAll(actor, [ev.ready('t2'), ev.exited('t2', 't2-r1', 'failed', { error: transient() }), ev.interrupt('t2')]);
    expect(taskOf(actor, 't1').status).toBe('interrupted');
    expect(taskOf(actor, 't2').status).toBe('interrupted');
    expect(actor.getSnapshot().can(ev.retryDue('t2'))).toBe(true);
    expect(canAccept(actor.getSnapshot(), ev.retryDue('t2'))).toBe(false);
  });

  it('interrupt is refused in queued and ready_for_review', () => {
    const { actor } = startSession({ maxParallel: 1 });
    sendAll(actor, [ev.add('t1'), ev.add('t2')]);
    runToReview(actor, 't1');
    sendAll(actor, [ev.cancel('t2')]);
    expect(canAccept(actor.getSnapshot(), ev.interrupt('t1'))).toBe(false);
    const other = startSession({ maxParallel: 0 });
    sendAll(other.actor, [ev.add('q1')]);
    expect(taskOf(other.actor, 'q1').status).toBe('queued');
    expect(canAccept(other.actor.getSnapshot(), ev.interrupt('q1'))).toBe(false);
  });
});

describe('task machine: rework', () => {
  const rework = (taskId: string, agentOrder = ['claude']) => ({
    type: 'TASK.REWORK' as const, taskId, prompt: 'merge the integration and resolve the conflicts', agentOrder, by: 'rae', at: '2026-01-01T00:10:00.000Z',
  });

  it('ready_for_review -> running with the new instruction and agents, then back to review with the new commit', () => {
    const { actor, effects } = sessionWithTask();
    runToReview(actor, 't1');
    expect(canAccept(actor.getSnapshot(), rework('t1'))).toBe(true);
    sendAll(actor, [rework('t1')]);
    expect(taskOf(actor, 't1').status).toBe('running');
    expect(paramsOf(effects, 'startRun').at(-1)).toMatchObject({ runId: 't1-r2', agent: 'claude', prompt: 'merge the integration and resolve the conflicts', handoff: null, resume: null });
    sendAll(actor, [ev.started('t1', 't1-r2'), ev.exited('t1', 't1-r2', 'succeeded'), ev.committed('t1', 'def456')]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('ready_for_review');
    expect(task.commit).toBe('def456');
    expect(task.runs.map((run) => run.agent)).toEqual(['codex', 'claude']);
  });

  it('keeps the goal as stated and records the instruction beside it', () => {
    const { actor } = sessionWithTask();
    runToReview(actor, 't1');
    const goal = taskOf(actor, 't1').prompt;
    sendAll(actor, [rework('t1')]);
    const task = taskOf(actor, 't1');
    expect(task.prompt).toBe(goal);
    expect(task.rework).toEqual({ prompt: 'merge the integration and resolve the conflicts', by: 'rae', at: '2026-01-01T00:10:00.000Z' });
  });

  it('a rework that fails on every agent leaves the task ready for review with its commit (the work is not lost)', () => {
    const { actor, effects } = sessionWithTask();
    runToReview(actor, 't1', 'abc123');
    sendAll(actor, [rework('t1'), ev.started('t1', 't1-r2'), ev.exited('t1', 't1-r2', 'failed', { error: permanent('ADAPTER_UNAVAILABLE') })]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('ready_for_review');
    expect(task.commit).toBe('abc123');
    expect(task.error).toMatchObject({ code: 'REWORK_FAILED', cause: { code: 'ADAPTER_UNAVAILABLE' } });
    expect(paramsOf(effects, 'releaseTask')).toEqual([]);
  });

  it('a conflict resolved by people moves the task to the resolution commit and the session records it', () => {
    const { actor } = sessionWithTask();
    runToReview(actor, 't1', 'abc123');
    const resolved = {
      type: 'TASK.CONFLICT_RESOLVED' as const, taskId: 't1', saveId: 'save1', commit: 'merge789', ours: 'o', theirs: 'abc123',
      resolutions: [{ path: 'a.txt', hunk: 0, side: 'theirs' as const }], by: 'rae', at: '2026-01-01T00:30:00.000Z',
    };
    expect(canAccept(actor.getSnapshot(), resolved)).toBe(true);
    sendAll(actor, [resolved]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('ready_for_review');
    expect(task.commit).toBe('merge789');
    expect(task.resolutions).toEqual([{ saveId: 'save1', commit: 'merge789', by: 'rae', at: '2026-01-01T00:30:00.000Z', files: ['a.txt'] }]);
    expect(view(actor).timeline.at(-1)).toEqual({ kind: 'conflict_resolved', taskId: 't1', saveId: 'save1', commit: 'merge789', by: 'rae', at: '2026-01-01T00:30:00.000Z' });
    // The session's Save candidates follow the new head.
    expect(actor.getSnapshot().context.taskCommits.t1).toBe('merge789');
  });

  it('is refused without agents, outside ready_for_review, and while a Save runs', () => {
    const { actor } = sessionWithTask();
    expect(canAccept(actor.getSnapshot(), rework('t1'))).toBe(false); // still preparing
    runToReview(actor, 't1');
    expect(canAccept(actor.getSnapshot(), rework('t1', []))).toBe(false);
    sendAll(actor, [{ type: 'SAVE.REQUEST', saveId: 'save1', at: '2026-01-01T00:20:00.000Z', by: 'ann' }]);
    expect(actor.getSnapshot().value).toBe('saving');
    expect(canAccept(actor.getSnapshot(), rework('t1'))).toBe(false);
  });
});
