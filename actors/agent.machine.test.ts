import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { AgentInput } from './agent.machine.js';
import { provideAgentEffects } from './effects.js';
import type { AgentEvent, AgentStreamEvent } from './events.js';
import { paramsOf, spyEffects } from './test-support.js';

const INPUT: AgentInput = {
  sessionId: 's1',
  taskId: 't1',
  runId: 't1-r1',
  agent: 'codex',
  attempt: 1,
  prompt: 'fix the bug',
  handoff: null,
  resume: null,
  timeoutMs: 5_000,
};

function startAgent(input: Partial<AgentInput> = {}) {
  const effects = spyEffects();
  const actor = createActor(provideAgentEffects(effects), { input: { ...INPUT, ...input } });
  actor.start();
  return { actor, effects };
}

const exited = (outcome: 'succeeded' | 'failed' | 'cancelled' | 'timed_out', runId = 't1-r1'): AgentEvent => ({
  type: 'AGENT.EXITED',
  taskId: 't1',
  runId,
  outcome,
  exitCode: outcome === 'succeeded' ? 0 : 1,
  finalMessage: `final ${outcome}`,
  error: outcome === 'failed' ? { code: 'CRASH', message: 'boom', transient: false } : null,
  at: '2026-01-01T00:01:00.000Z',
});

describe('agent machine', () => {
  it('starts the run and arms the timeout on entry', () => {
    const { actor, effects } = startAgent({ handoff: { fromRunId: 't1-r0', fromAgent: 'x', finalMessage: null, reason: 'r' } });
    expect(actor.getSnapshot().value).toBe('starting');
    expect(paramsOf(effects, 'startRun')).toEqual([
      {
        sessionId: 's1',
        taskId: 't1',
        runId: 't1-r1',
        agent: 'codex',
        attempt: 1,
        prompt: 'fix the bug',
        handoff: { fromRunId: 't1-r0', fromAgent: 'x', finalMessage: null, reason: 'r' },
        resume: null,
      },
    ]);
    expect(paramsOf(effects, 'armTimeout')).toEqual([{ sessionId: 's1', taskId: 't1', runId: 't1-r1', timeoutMs: 5_000 }]);
  });

  it('arms no timeout when none is configured', () => {
    const { effects } = startAgent({ timeoutMs: 0 });
    expect(paramsOf(effects, 'startRun')).toHaveLength(1);
    expect(paramsOf(effects, 'armTimeout')).toEqual([]);
  });

  it('records start, counts events by type, keeps the last message and sums usage', () => {
    const { actor } = startAgent();
    actor.send({ type: 'AGENT.STARTED', taskId: 't1', runId: 't1-r1', cliVersion: '0.9', resumeToken: 'tok-1', at: 'T1' });
    expect(actor.getSnapshot().value).toBe('running');
    actor.send({ type: 'AGENT.EVENT', taskId: 't1', runId: 't1-r1', event: { type: 'message', text: 'first' } });
    actor.send({ type: 'AGENT.EVENT', taskId: 't1', runId: 't1-r1', event: { type: 'command', command: 'ls' } });
    actor.send({ type: 'AGENT.EVENT', taskId: 't1', runId: 't1-r1', event: { type: 'message', text: 'second' } });
    actor.send({ type: 'AGENT.EVENT', taskId: 't1', runId: 't1-r1', event: { type: 'usage', inputTokens: 10, outputTokens: 5, costUsd: 0.25 } });
    actor.send({ type: 'AGENT.EVENT', taskId: 't1', runId: 't1-r1', event: { type: 'usage', inputTokens: 7, outputTokens: 1, costUsd: null } });
    const context = actor.getSnapshot().context;
    expect(context.cliVersion).toBe('0.9');
    expect(context.resumeToken).toBe('tok-1');
    expect(context.startedAt).toBe('T1');
    expect(context.eventCounts).toEqual({ message: 2, command: 1, usage: 2 });
    expect(context.lastMessage).toBe('second');
    expect(context.usage).toEqual({ inputTokens: 17, outputTokens: 6, costUsd: 0.25 });
  });

  it('applies a batch of stream events (AGENT.EVENTS) exactly as the same events one by one, and ignores another run\'s', () => {
    const events: AgentStreamEvent[] = [
      { type: 'message', text: 'first' },
      { type: 'usage', inputTokens: 10, outputTokens: 5, costUsd: 0.25 },
      { type: 'command', command: 'ls' },
      { type: 'message', text: 'last' },
      { type: 'usage', inputTokens: 7, outputTokens: 1, costUsd: null },
    ];
    const started = { type: 'AGENT.STARTED', taskId: 't1', runId: 't1-r1', cliVersion: '0.9', resumeToken: null, at: 'T1' } as const;
    const one = startAgent().actor;
    one.send(started);
    for (const event of events) one.send({ type: 'AGENT.EVENT', taskId: 't1', runId: 't1-r1', event });
    const batched = startAgent().actor;
    batched.send(started);
    batched.send({ type: 'AGENT.EVENTS', taskId: 't1', runId: 't1-r1', events: events.slice(0, 2) });
    batched.send({ type: 'AGENT.EVENTS', taskId: 't1', runId: 't1-r1', events: events.slice(2) });
    batched.send({ type: 'AGENT.EVENTS', taskId: 't1', runId: 't1-r9', events });
    expect(batched.getSnapshot().context).toEqual(one.getSnapshot().context);
    expect(batched.getSnapshot().context.eventCounts).toEqual({ message: 2, usage: 2, command: 1 });
  });

  it('ends succeeded with its output', () => {
    const { actor } = startAgent();
    actor.send({ type: 'AGENT.STARTED', taskId: 't1', runId: 't1-r1', cliVersion: '0.9', resumeToken: null });
    actor.send({ type: 'AGENT.EVENT', taskId: 't1', runId: 't1-r1', event: { type: 'message', text: 'all done' } });
    actor.send({ ...exited('succeeded'), resumeToken: 'late-token' } as AgentEvent);
    const snapshot = actor.getSnapshot();
    expect(snapshot.value).toBe('succeeded');
    expect(snapshot.status).toBe('done');
    expect(snapshot.output).toMatchObject({
      runId: 't1-r1',
      agent: 'codex',
      outcome: 'succeeded',
      finalMessage: 'final succeeded',
      error: null,
      lastMessage: 'all done',
      resumeToken: 'late-token',
      exitCode: 0,
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    });
  });

  it.each(['failed', 'cancelled', 'timed_out'] as const)('ends %s when the process reports it', (outcome) => {
    const { actor } = startAgent();
    actor.send({ type: 'AGENT.STARTED', taskId: 't1', runId: 't1-r1', cliVersion: '0.9' });
    actor.send(exited(outcome));
    expect(actor.getSnapshot().value).toBe(outcome);
    expect(actor.getSnapshot().output?.outcome).toBe(outcome);
  });

  it('handles an exit without a start (spawn failure)', () => {
    const { actor } = startAgent();
    actor.send(exited('failed'));
    expect(actor.getSnapshot().value).toBe('failed');
    expect(actor.getSnapshot().output?.error).toEqual({ code: 'CRASH', message: 'boom', transient: false });
    expect(actor.getSnapshot().output?.cliVersion).toBeNull();
  });

  it('ignores events for another run', () => {
    const { actor } = startAgent();
    const other = exited('succeeded', 't1-r2');
    expect(actor.getSnapshot().can(other)).toBe(false);
    actor.send(other);
    actor.send({ type: 'AGENT.STARTED', taskId: 't1', runId: 't1-r2', cliVersion: 'x' });
    actor.send({ type: 'AGENT.EVENT', taskId: 't1', runId: 't1-r2', event: { type: 'message', text: 'nope' } });
    expect(actor.getSnapshot().value).toBe('starting');
    expect(actor.getSnapshot().context.lastMessage).toBeNull();
    expect(actor.getSnapshot().context.cliVersion).toBeNull();
  });

  it('cancels: cancelRun on entry, then cancelled once the process exits, whatever it reports', () => {
    const { actor, effects } = startAgent();
    actor.send({ type: 'AGENT.STARTED', taskId: 't1', runId: 't1-r1', cliVersion: '0.9' });
    actor.send({ type: 'AGENT.CANCEL', taskId: 't1', runId: 't1-r1', reason: 'operator' });
    expect(actor.getSnapshot().value).toBe('cancelling');
    expect(paramsOf(effects, 'cancelRun')).toEqual([{ sessionId: 's1', taskId: 't1', runId: 't1-r1', reason: 'operator' }]);
    // A timeout while cancelling changes nothing: the cancel is already under way.
    expect(actor.getSnapshot().can({ type: 'AGENT.TIMEOUT', taskId: 't1', runId: 't1-r1' })).toBe(false);
    actor.send({ type: 'AGENT.EVENT', taskId: 't1', runId: 't1-r1', event: { type: 'message', text: 'bye' } });
    actor.send(exited('succeeded'));
    expect(actor.getSnapshot().value).toBe('cancelled');
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'cancelled', lastMessage: 'bye' });
  });

  it('cancels before the start is confirmed', () => {
    const { actor, effects } = startAgent();
    actor.send({ type: 'AGENT.CANCEL', taskId: 't1', runId: 't1-r1', reason: 'task_cancelled' });
    expect(actor.getSnapshot().value).toBe('cancelling');
    expect(paramsOf(effects, 'cancelRun')).toHaveLength(1);
    actor.send(exited('failed'));
    expect(actor.getSnapshot().output?.outcome).toBe('cancelled');
  });

  it('times out: cancelRun with reason timeout, final timed_out when the process is gone', () => {
    const { actor, effects } = startAgent();
    actor.send({ type: 'AGENT.STARTED', taskId: 't1', runId: 't1-r1', cliVersion: '0.9' });
    actor.send({ type: 'AGENT.TIMEOUT', taskId: 't1', runId: 't1-r1' });
    expect(actor.getSnapshot().value).toBe('timing_out');
    expect(paramsOf(effects, 'cancelRun')).toEqual([{ sessionId: 's1', taskId: 't1', runId: 't1-r1', reason: 'timeout' }]);
    expect(actor.getSnapshot().status).toBe('active');
    expect(actor.getSnapshot().can({ type: 'AGENT.CANCEL', taskId: 't1', runId: 't1-r1', reason: 'x' })).toBe(false);
    actor.send(exited('cancelled'));
    expect(actor.getSnapshot().value).toBe('timed_out');
    expect(actor.getSnapshot().output?.outcome).toBe('timed_out');
  });

  it('ignores a timeout for another run and after the end', () => {
    const { actor, effects } = startAgent();
    actor.send({ type: 'AGENT.TIMEOUT', taskId: 't1', runId: 't1-r9' });
    expect(actor.getSnapshot().value).toBe('starting');
    actor.send(exited('succeeded'));
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().can({ type: 'AGENT.TIMEOUT', taskId: 't1', runId: 't1-r1' })).toBe(false);
    expect(actor.getSnapshot().value).toBe('succeeded');
    expect(paramsOf(effects, 'cancelRun')).toEqual([]);
  });
});
