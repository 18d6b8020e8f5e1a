import { describe, expect, it } from 'vitest';
import { resolveAgentOrder } from './session.machine.js';
import type { SessionEvent, TaskAddEvent } from './events.js';
import { ev, paramsOf, runToReview, saveResults, sendAll, startSession, taskOf, view } from './test-support.js';

const statuses = (actor: Parameters<typeof view>[0]) =>
  Object.fromEntries(view(actor).tasks.map((task) => [task.id, task.status]));

const published = (tag: string, mergedTaskIds: string[]) => saveResults.published(tag, mergedTaskIds);

describe('session machine: tasks and dispatch', () => {
  it('starts idle and becomes active with the first task', () => {
    const { actor } = startSession();
    expect(actor.getSnapshot().value).toBe('idle');
    expect(view(actor)).toMatchObject({ id: 's1', title: 'Test session', status: 'idle', tasks: [] });
    sendAll(actor, [ev.add('t1')]);
    expect(actor.getSnapshot().value).toBe('active');
    expect(actor.getSnapshot().context.taskOrder).toEqual(['t1']);
    expect(Object.keys(actor.getSnapshot().children)).toEqual(['task:t1']);
  });

  it('refuses a duplicate task id and a task with no agent to run', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1')]);
    expect(actor.getSnapshot().can(ev.add('t1'))).toBe(false);
    const none = startSession({ agentOrder: [] });
    expect(none.actor.getSnapshot().can(ev.add('t1'))).toBe(false);
    expect(none.actor.getSnapshot().can(ev.add('t1', { agent: 'codex' }))).toBe(true);
  });

  it('orders a task’s agents: requested first, then its own order or the session’s, no duplicates', () => {
    const add = (agent: string | null, agentOrder: string[]) => ev.add('x', { agent, agentOrder }) as TaskAddEvent;
    expect(resolveAgentOrder(add(null, []), ['codex', 'claude'])).toEqual(['codex', 'claude']);
    expect(resolveAgentOrder(add('claude', []), ['codex', 'claude'])).toEqual(['claude', 'codex']);
    expect(resolveAgentOrder(add('gemini', ['claude']), ['codex'])).toEqual(['gemini', 'claude']);
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1', { agent: 'gemini' })]);
    expect(taskOf(actor, 't1')).toMatchObject({ agent: 'gemini', agentOrder: ['gemini', 'codex', 'claude'] });
  });

  it('dispatches the oldest queued tasks while fewer than maxParallel hold a slot', () => {
    const { actor, effects } = startSession({ maxParallel: 2 });
    sendAll(actor, [ev.add('t1'), ev.add('t2'), ev.add('t3'), ev.add('t4')]);
    expect(statuses(actor)).toEqual({ t1: 'preparing', t2: 'preparing', t3: 'queued', t4: 'queued' });
    // running and committing hold slots too
    sendAll(actor, [ev.ready('t1'), ev.exited('t1', 't1-r1', 'succeeded')]);
    expect(statuses(actor)).toMatchObject({ t1: 'committing', t3: 'queued' });
    sendAll(actor, [ev.committed('t1')]);
    expect(statuses(actor)).toEqual({ t1: 'ready_for_review', t2: 'preparing', t3: 'preparing', t4: 'queued' });
    sendAll(actor, [ev.cancel('t2')]);
    expect(statuses(actor)).toEqual({ t1: 'ready_for_review', t2: 'cancelled', t3: 'preparing', t4: 'preparing' });
    expect(paramsOf(effects, 'prepareWorktree').map((p) => (p as { taskId: string }).taskId)).toEqual(['t1', 't2', 't3', 't4']);
  });

  it('a task waiting for a retry does not hold a slot', () => {
    const { actor } = startSession({ maxParallel: 1 });
    sendAll(actor, [
      ev.add('t1'),
      ev.add('t2'),
      ev.ready('t1'),
      ev.exited('t1', 't1-r1', 'failed', { error: { code: 'RATE', message: 'x', transient: true } }),
    ]);
    expect(statuses(actor)).toEqual({ t1: 'retry_wait', t2: 'preparing' });
  });

  it('leaves task-directed events for unknown tasks unhandled', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1')]);
    const unknown: SessionEvent[] = [
      ev.ready('nope'),
      ev.cancel('nope'),
      ev.reject('nope'),
      ev.committed('nope'),
      ev.retryDue('nope'),
      ev.interrupt('nope'),
      ev.requeue('nope'),
      ev.started('nope', 'nope-r1'),
      ev.exited('nope', 'nope-r1', 'succeeded'),
      ev.timeout('nope', 'nope-r1'),
    ];
    for (const event of unknown) expect(actor.getSnapshot().can(event)).toBe(false);
    const before = actor.getPersistedSnapshot();
    for (const event of unknown) actor.send(event);
    expect(actor.getPersistedSnapshot()).toEqual(before);
  });
});

describe('session machine: Save', () => {
  it('with nothing busy goes straight to saving and asks for the ready tasks with a commit, in creation order', () => {
    const { actor, effects } = startSession();
    sendAll(actor, [ev.add('t1'), ev.add('t2'), ev.add('t3')]);
    runToReview(actor, 't2');
    runToReview(actor, 't1');
    runToReview(actor, 't3', null); // nothing changed: no commit, not merged
    sendAll(actor, [ev.save('save-1')]);
    expect(actor.getSnapshot().value).toBe('saving');
    expect(paramsOf(effects, 'startSave')).toEqual([{ sessionId: 's1', saveId: 'save-1', taskIds: ['t1', 't2'] }]);
    expect(view(actor).pendingSave).toMatchObject({ saveId: 'save-1', phase: 'started', taskIds: ['t1', 't2'], requestedBy: 'alice' });
  });

  it('refuses new tasks, a second Save, a rollback and rejects while saving; records progress of its own save only', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1')]);
    runToReview(actor, 't1');
    sendAll(actor, [ev.save('save-1')]);
    const snapshot = actor.getSnapshot();
    expect(snapshot.can(ev.add('t2'))).toBe(false);
    expect(snapshot.can(ev.save('save-2'))).toBe(false);
    expect(snapshot.can(ev.rollback('rb-1'))).toBe(false);
    expect(snapshot.can(ev.reject('t1'))).toBe(false);
    expect(snapshot.can(ev.saveProgress('other', 'merging'))).toBe(false);
    expect(snapshot.can(ev.saveCompleted('other', { status: 'nothing_to_save' }))).toBe(false);
    sendAll(actor, [ev.saveProgress('save-1', 'gates')]);
    expect(view(actor).pendingSave?.phase).toBe('gates');
    actor.send(ev.saveCompleted('other', { status: 'nothing_to_save' }));
    expect(actor.getSnapshot().value).toBe('saving');
  });

  it('a Save of chosen tasks starts at once while others run, merges only those, and leaves the rest as they are', () => {
    const { actor, effects } = startSession({ maxParallel: 3 });
    sendAll(actor, [ev.add('t1'), ev.add('t2'), ev.add('t3')]);
    runToReview(actor, 't1');
    runToReview(actor, 't2');
    runToReview(actor, 't3', null); // changed nothing
    sendAll(actor, [ev.add('t4')]);
    expect(statuses(actor)).toMatchObject({ t4: 'preparing' });
    // Not ready, unknown, or without changes: refused.
    expect(actor.getSnapshot().can({ ...ev.save('save-x'), taskIds: ['t4'] } as SessionEvent)).toBe(false);
    expect(actor.getSnapshot().can({ ...ev.save('save-x'), taskIds: ['t9'] } as SessionEvent)).toBe(false);
    expect(actor.getSnapshot().can({ ...ev.save('save-x'), taskIds: ['t3'] } as SessionEvent)).toBe(false);
    sendAll(actor, [{ ...ev.save('save-1'), taskIds: ['t2'] } as SessionEvent]);
    // t4 is still busy, yet the Save does not wait for it.
    expect(actor.getSnapshot().value).toBe('saving');
    expect(paramsOf(effects, 'startSave')).toEqual([{ sessionId: 's1', saveId: 'save-1', taskIds: ['t2'] }]);
    expect(view(actor).pendingSave).toMatchObject({ phase: 'started', taskIds: ['t2'], chosen: true });
    // t4 keeps working meanwhile.
    sendAll(actor, [ev.ready('t4')]);
    expect(statuses(actor)).toMatchObject({ t4: 'running' });
    sendAll(actor, [ev.saveCompleted('save-1', published('checkpoint/2026-01-01-1', ['t2']))]);
    expect(actor.getSnapshot().value).toBe('active');
    expect(statuses(actor)).toMatchObject({ t1: 'ready_for_review', t2: 'merged', t3: 'ready_for_review', t4: 'running' });
  });

  it('freezes while tasks are busy, dispatches nothing, and starts the Save once drained', () => {
    const { actor, effects } = startSession({ maxParallel: 2 });
    sendAll(actor, [ev.add('t1'), ev.add('t2'), ev.add('t3')]);
    runToReview(actor, 't1');
    // t1 freed a slot, so t3 was dispatched: t2 and t3 are busy.
    expect(statuses(actor)).toEqual({ t1: 'ready_for_review', t2: 'preparing', t3: 'preparing' });
    sendAll(actor, [ev.save('save-1')]);
    expect(actor.getSnapshot().value).toBe('frozen');
    expect(view(actor).pendingSave).toMatchObject({ saveId: 'save-1', phase: 'draining' });
    expect(paramsOf(effects, 'startSave')).toEqual([]);
    expect(actor.getSnapshot().can(ev.add('t4'))).toBe(false);
    expect(actor.getSnapshot().can(ev.save('save-2'))).toBe(false);
    expect(actor.getSnapshot().can(ev.rollback('rb-1'))).toBe(false);

    // Tasks keep settling while frozen; retry_wait counts as busy.
    sendAll(actor, [ev.ready('t2'), ev.exited('t2', 't2-r1', 'failed', { error: { code: 'R', message: 'm', transient: true } })]);
    sendAll(actor, [ev.cancel('t3')]);
    expect(statuses(actor)).toMatchObject({ t2: 'retry_wait', t3: 'cancelled' });
    expect(actor.getSnapshot().value).toBe('frozen');
    sendAll(actor, [ev.retryDue('t2'), ev.exited('t2', 't2-r2', 'succeeded'), ev.committed('t2')]);
    expect(actor.getSnapshot().value).toBe('saving');
    expect(paramsOf(effects, 'startSave')).toEqual([{ sessionId: 's1', saveId: 'save-1', taskIds: ['t1', 't2'] }]);
  });

  it('does not dispatch queued tasks while frozen or saving, and does once active again', () => {
    const { actor, effects } = startSession({ maxParallel: 1 });
    sendAll(actor, [ev.add('t1'), ev.add('t2'), ev.save('save-1')]);
    expect(actor.getSnapshot().value).toBe('frozen');
    sendAll(actor, [ev.cancel('t1')]);
    // t1 is gone, t2 is queued (not busy): drained.
    expect(actor.getSnapshot().value).toBe('saving');
    expect(statuses(actor)).toEqual({ t1: 'cancelled', t2: 'queued' });
    sendAll(actor, [ev.saveCompleted('save-1', { status: 'nothing_to_save' })]);
    expect(actor.getSnapshot().value).toBe('active');
    expect(statuses(actor)).toEqual({ t1: 'cancelled', t2: 'preparing' });
    expect(paramsOf(effects, 'prepareWorktree')).toHaveLength(2);
    expect(view(actor).lastSave?.result).toEqual({ status: 'nothing_to_save' });
    expect(view(actor).checkpoints).toEqual([]);
  });

  it('published: merged tasks become merged, a checkpoint and a timeline entry are added, back to active', () => {
    const { actor, effects } = startSession();
    sendAll(actor, [ev.add('t1'), ev.add('t2')]);
    runToReview(actor, 't1');
    runToReview(actor, 't2');
    sendAll(actor, [ev.save('save-1'), ev.saveCompleted('save-1', published('checkpoint/2026-01-01-1', ['t1']))]);
    expect(actor.getSnapshot().value).toBe('active');
    expect(statuses(actor)).toEqual({ t1: 'merged', t2: 'ready_for_review' });
    expect(taskOf(actor, 't1').merged).toMatchObject({ saveId: 'save-1', tag: 'checkpoint/2026-01-01-1' });
    const v = view(actor);
    expect(v.checkpoints).toEqual([
      {
        tag: 'checkpoint/2026-01-01-1',
        commit: 'commit-checkpoint/2026-01-01-1',
        at: v.lastSave?.completedAt,
        saveId: 'save-1',
        mergedTaskIds: ['t1'],
      },
    ]);
    expect(v.timeline).toHaveLength(1);
    expect(v.timeline[0]).toMatchObject({ kind: 'save', saveId: 'save-1', taskIds: ['t1', 't2'], result: { status: 'published' } });
    expect(v.pendingSave).toBeNull();
    expect(paramsOf(effects, 'releaseTask')).toEqual([{ sessionId: 's1', taskId: 't1', outcome: 'merged' }]);
  });

  const failures = {
    gates_failed: saveResults.gatesFailed('npm test'),
    conflict: saveResults.conflict('t1'),
    error: { status: 'error', error: { code: 'MAIN_WORKTREE_DIRTY', message: 'local edits' } },
  } as const;
  it.each(['gates_failed', 'conflict', 'error'] as const)('%s -> awaiting_review -> REVIEW.RESUME -> active', (status) => {
    const { actor, effects } = startSession();
    sendAll(actor, [ev.add('t1')]);
    runToReview(actor, 't1');
    sendAll(actor, [ev.save('save-1'), ev.saveCompleted('save-1', failures[status])]);
    expect(actor.getSnapshot().value).toBe('awaiting_review');
    expect(view(actor).lastSave).toMatchObject({ saveId: 'save-1', result: failures[status] });
    expect(statuses(actor)).toEqual({ t1: 'ready_for_review' });
    expect(view(actor).checkpoints).toEqual([]);

    // Work goes on while people review: new tasks are taken and dispatched, a new Save may start.
    sendAll(actor, [ev.add('t2')]);
    expect(statuses(actor)).toEqual({ t1: 'ready_for_review', t2: 'preparing' });
    expect(actor.getSnapshot().can(ev.save('save-2'))).toBe(true);

    sendAll(actor, [ev.resume()]);
    expect(actor.getSnapshot().value).toBe('active');
    expect(view(actor).timeline.map((entry) => entry.kind)).toEqual(['save', 'review_resumed']);
    expect(actor.getSnapshot().can(ev.resume())).toBe(false);

    sendAll(actor, [ev.save('save-2')]);
    expect(actor.getSnapshot().value).toBe('frozen');
    expect(paramsOf(effects, 'startSave')).toHaveLength(1);
  });

  it('a new Save from awaiting_review', () => {
    const { actor, effects } = startSession();
    sendAll(actor, [ev.add('t1')]);
    runToReview(actor, 't1');
    sendAll(actor, [ev.save('save-1'), ev.saveCompleted('save-1', saveResults.conflict('t1')), ev.save('save-2')]);
    expect(actor.getSnapshot().value).toBe('saving');
    sendAll(actor, [ev.saveCompleted('save-2', published('cp-2', ['t1']))]);
    expect(actor.getSnapshot().value).toBe('active');
    expect(paramsOf(effects, 'startSave').map((p) => (p as { saveId: string }).saveId)).toEqual(['save-1', 'save-2']);
    expect(view(actor).timeline.map((entry) => entry.kind === 'save' && entry.result.status)).toEqual(['conflict', 'published']);
  });

  it('is not accepted in idle', () => {
    const { actor } = startSession();
    expect(actor.getSnapshot().can(ev.save('save-1'))).toBe(false);
  });
});

describe('session machine: rollback', () => {
  it('starts the rollback, refuses a second one and a Save meanwhile, records completion', () => {
    const { actor, effects } = startSession();
    sendAll(actor, [ev.add('t1'), ev.rollback('rb-1', 'checkpoint/x')]);
    expect(paramsOf(effects, 'startRollback')).toEqual([
      { sessionId: 's1', rollbackId: 'rb-1', checkpoint: 'checkpoint/x', mode: 'restore_commit' },
    ]);
    expect(view(actor).pendingRollback).toMatchObject({ rollbackId: 'rb-1', checkpoint: 'checkpoint/x', requestedBy: 'alice' });
    expect(actor.getSnapshot().can(ev.rollback('rb-2'))).toBe(false);
    expect(actor.getSnapshot().can(ev.save('save-1'))).toBe(false);
    expect(actor.getSnapshot().can(ev.rollbackCompleted('rb-other'))).toBe(false);
    // Tasks still run during a rollback.
    expect(actor.getSnapshot().can(ev.ready('t1'))).toBe(true);

    sendAll(actor, [ev.rollbackCompleted('rb-1')]);
    const v = view(actor);
    expect(v.pendingRollback).toBeNull();
    expect(v.timeline).toEqual([
      expect.objectContaining({ kind: 'rollback', rollbackId: 'rb-1', checkpoint: 'checkpoint/x', result: { status: 'completed', commit: 'restore1', branch: 'main' } }),
    ]);
    expect(actor.getSnapshot().can(ev.rollback('rb-2'))).toBe(true);
    expect(actor.getSnapshot().can(ev.rollbackCompleted('rb-1'))).toBe(false);
  });

  it('is accepted in idle and in awaiting_review', () => {
    const { actor } = startSession();
    expect(actor.getSnapshot().can(ev.rollback('rb-1'))).toBe(true);
    sendAll(actor, [ev.rollback('rb-1'), ev.rollbackCompleted('rb-1')]);
    expect(actor.getSnapshot().value).toBe('idle');
    sendAll(actor, [ev.add('t1')]);
    runToReview(actor, 't1');
    sendAll(actor, [ev.save('s'), ev.saveCompleted('s', saveResults.gatesFailed())]);
    expect(actor.getSnapshot().value).toBe('awaiting_review');
    expect(actor.getSnapshot().can(ev.rollback('rb-2'))).toBe(true);
  });
});

describe('session machine: promotion', () => {
  const request = (promotionId: string, environment: string, required: { count: number; role: 'reviewer' | 'operator' } | null, by = 'alice'): SessionEvent =>
    ({ type: 'PROMOTION.REQUEST', promotionId, checkpoint: 'checkpoint/2026-12-03-1', environment, required, at: '2026-12-03T10:00:00Z', by });
  const approve = (promotionId: string, by: string): SessionEvent => ({ type: 'PROMOTION.APPROVE', promotionId, by, at: '2026-12-03T10:01:00Z' });
  const completed = (promotionId: string): SessionEvent => ({
    type: 'PROMOTION.COMPLETED', promotionId, at: '2026-12-03T10:02:00Z',
    result: { status: 'promoted', environment: 'prod', checkpoint: 'checkpoint/2026-12-03-1', commit: 'c'.repeat(40), previous: null, gates: [] },
  });

  it('starts a promotion without approvals at once, one per environment, in any state', () => {
    const { actor, effects } = startSession();
    sendAll(actor, [request('pr-1', 'dev', null)]);
    expect(paramsOf(effects, 'startPromotion')).toEqual([{ sessionId: 's1', promotionId: 'pr-1', checkpoint: 'checkpoint/2026-12-03-1', environment: 'dev' }]);
    expect(view(actor).pendingPromotions).toMatchObject([{ promotionId: 'pr-1', state: 'running' }]);
    expect(actor.getSnapshot().can(request('pr-2', 'dev', null))).toBe(false);
    expect(actor.getSnapshot().can(request('pr-2', 'staging', null))).toBe(true);
  });

  it('waits for the count of approvals by others, refuses self- and double approval, then starts it and records the result', () => {
    const { actor, effects } = startSession();
    sendAll(actor, [request('pr-1', 'prod', { count: 2, role: 'reviewer' })]);
    expect(paramsOf(effects, 'startPromotion')).toEqual([]);
    expect(actor.getSnapshot().can(approve('pr-1', 'alice'))).toBe(false);
    expect(actor.getSnapshot().can(completed('pr-1'))).toBe(false);
    sendAll(actor, [approve('pr-1', 'bob')]);
    expect(actor.getSnapshot().can(approve('pr-1', 'bob'))).toBe(false);
    expect(paramsOf(effects, 'startPromotion')).toEqual([]);
    sendAll(actor, [approve('pr-1', 'carol')]);
    expect(paramsOf(effects, 'startPromotion')).toHaveLength(1);
    expect(actor.getSnapshot().can(approve('pr-1', 'dave'))).toBe(false);
    sendAll(actor, [completed('pr-1')]);
    expect(view(actor).pendingPromotions).toEqual([]);
    expect(view(actor).timeline).toMatchObject([{ kind: 'promotion', promotionId: 'pr-1', approvals: [{ by: 'bob' }, { by: 'carol' }], result: { status: 'promoted' } }]);
  });
});
