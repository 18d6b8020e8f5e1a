// The review loop in the machines: approve, request changes (same conversation, same branch),
// requireApproval on Save, rollback marks and re-apply/rework. Replay of the same events gives the
// same view, and a persisted snapshot restores to it.
import { createActor, type Snapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from './events.js';
import { describeSession } from './describe-session.js';
import { provideEffects } from './effects.js';
import { sessionMachine } from './session.machine.js';
import { ev, paramsOf, runToReview, saveResults, SESSION_INPUT, sendAll, spyEffects, startSession, taskOf, view } from './test-support.js';

const C1 = 'a'.repeat(40);
const C2 = 'b'.repeat(40);
const approve = (taskId: string, commit: string, by = 'rita'): SessionEvent => ({ type: 'TASK.APPROVE', taskId, commit, by, at: '2026-01-02T00:00:00.000Z' });
const requestChanges = (taskId: string, at = '2026-01-02T00:01:00.000Z'): SessionEvent => ({
  type: 'TASK.REQUEST_CHANGES', taskId, message: 'Please rename it.', prompt: 'Review: please rename it.\n- a.txt:1 say hello',
  comments: [{ id: 'n1', path: 'a.txt', line: 1, text: 'say hello', by: 'rita' }], by: 'rita', at,
});
const started = (taskId: string, runId: string, token: string | null): SessionEvent => ({ type: 'AGENT.STARTED', taskId, runId, cliVersion: '1', resumeToken: token });

describe('review loop: approve and request changes', () => {
  it('approves the current commit only; a stale commit is refused', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1')]);
    runToReview(actor, 't1', C1);
    expect(actor.getSnapshot().can(approve('t1', C2))).toBe(false);
    sendAll(actor, [approve('t1', C1)]);
    expect(taskOf(actor, 't1').review.approved).toMatchObject({ commit: C1, by: 'rita' });
    expect(view(actor).timeline.at(-1)).toMatchObject({ kind: 'task_review', decision: 'approved', taskId: 't1', commit: C1 });
  });

  it('request changes resumes the last run’s conversation on the same agent; the new commit joins the task and voids the approval', () => {
    const { actor, effects } = startSession();
    sendAll(actor, [ev.add('t1', { agent: 'claude' }), ev.ready('t1'), started('t1', 't1-r1', 'thread-1'), ev.exited('t1', 't1-r1', 'succeeded'), ev.committed('t1', C1), approve('t1', C1)]);
    sendAll(actor, [requestChanges('t1')]);
    const task = taskOf(actor, 't1');
    expect(task.status).toBe('running');
    expect(task.review.approved).toBeNull();
    expect(task.runs.at(-1)).toMatchObject({ runId: 't1-r2', agent: 'claude', resume: { runId: 't1-r1', resumeToken: 'thread-1' } });
    const runs = paramsOf(effects, 'startRun') as Array<{ runId: string; prompt: string; resume: unknown }>;
    expect(runs.at(-1)).toMatchObject({ runId: 't1-r2', prompt: 'Review: please rename it.\n- a.txt:1 say hello', resume: { resumeToken: 'thread-1' } });
    sendAll(actor, [ev.exited('t1', 't1-r2', 'succeeded'), ev.committed('t1', C2)]);
    const after = taskOf(actor, 't1');
    expect(after).toMatchObject({ status: 'ready_for_review', commit: C2, prompt: 'do t1' });
    expect(after.review.rounds).toEqual([expect.objectContaining({ round: 1, runId: 't1-r2', resumed: true, commitBefore: C1, commitAfter: C2, comments: [expect.objectContaining({ path: 'a.txt', line: 1 })] })]);
    expect(view(actor).timeline.filter((e) => e.kind === 'task_review').map((e) => (e as { decision: string }).decision)).toEqual(['approved', 'changes_requested']);
  });

  it('a round that changes nothing keeps the task’s commit and changes (it stays reviewable)', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1')]);
    runToReview(actor, 't1', C1);
    sendAll(actor, [requestChanges('t1'), ev.started('t1', 't1-r2'), ev.exited('t1', 't1-r2', 'succeeded'), ev.committed('t1', null)]);
    expect(taskOf(actor, 't1')).toMatchObject({ status: 'ready_for_review', commit: C1, changes: { filesChanged: 1 } });
    expect(taskOf(actor, 't1').review.rounds[0]?.commitAfter).toBeNull();
  });

  it('request changes is refused while saving and for a task not ready for review', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1'), ev.add('t2')]);
    expect(actor.getSnapshot().can(requestChanges('t1'))).toBe(false);
    runToReview(actor, 't1', C1);
    runToReview(actor, 't2', C2);
    sendAll(actor, [ev.save('sv1')]);
    expect(actor.getSnapshot().value).toBe('saving');
    expect(actor.getSnapshot().can(requestChanges('t1'))).toBe(false);
  });
});

describe('review loop: requireApproval', () => {
  it('Save merges only approved tasks and records the others as left out; a setting change is an event', () => {
    const { actor, effects } = startSession({ requireApproval: true });
    sendAll(actor, [ev.add('t1'), ev.add('t2')]);
    runToReview(actor, 't1', C1);
    runToReview(actor, 't2', C2);
    sendAll(actor, [approve('t2', C2), ev.save('sv1')]);
    expect(paramsOf(effects, 'startSave').at(-1)).toMatchObject({ taskIds: ['t2'] });
    expect(view(actor).pendingSave).toMatchObject({ taskIds: ['t2'], leftOut: ['t1'] });
    sendAll(actor, [ev.saveCompleted('sv1', saveResults.published('checkpoint/2026-01-01-1', ['t2']))]);
    expect(view(actor).lastSave).toMatchObject({ taskIds: ['t2'], leftOut: ['t1'] });
    expect(taskOf(actor, 't1').status).toBe('ready_for_review');
    // Chosen tasks must be approved too.
    expect(actor.getSnapshot().can({ type: 'SAVE.REQUEST', saveId: 'sv2', at: 'x', by: 'a', taskIds: ['t1'] })).toBe(false);
    sendAll(actor, [{ type: 'SESSION.SETTINGS', requireApproval: false, by: 'olga', at: '2026-01-03T00:00:00.000Z' }]);
    expect(view(actor).requireApproval).toBe(false);
    expect(actor.getSnapshot().can({ type: 'SAVE.REQUEST', saveId: 'sv2', at: 'x', by: 'a', taskIds: ['t1'] })).toBe(true);
  });
});

describe('review loop: rollback marks and re-apply', () => {
  const restore = (rollbackId: string, checkpoint: string): SessionEvent[] => [
    ev.rollback(rollbackId, checkpoint),
    { type: 'ROLLBACK.COMPLETED', rollbackId, result: { status: 'completed', mode: 'restore_commit', commit: 'r'.repeat(40), branch: 'main' }, at: '2026-01-04T00:00:00.000Z' },
  ];

  function twoSaves() {
    const started = startSession();
    const { actor } = started;
    sendAll(actor, [ev.add('t1')]);
    runToReview(actor, 't1', C1);
    sendAll(actor, [ev.save('sv1'), ev.saveCompleted('sv1', saveResults.published('checkpoint/2026-01-01-1', ['t1']))]);
    sendAll(actor, [ev.add('t2')]);
    runToReview(actor, 't2', C2);
    sendAll(actor, [ev.save('sv2'), ev.saveCompleted('sv2', saveResults.published('checkpoint/2026-01-01-2', ['t2']))]);
    return started;
  }

  it('a restore to a checkpoint marks the tasks merged after it; a branch rollback marks nothing', () => {
    const { actor } = twoSaves();
    sendAll(actor, restore('rb1', 'checkpoint/2026-01-01-1'));
    expect(taskOf(actor, 't1').reverted).toBeNull();
    expect(taskOf(actor, 't2').reverted).toMatchObject({ rollbackId: 'rb1', checkpoint: 'checkpoint/2026-01-01-1', reapply: null });
    expect(view(actor).timeline.at(-1)).toMatchObject({ kind: 'tasks_reverted', taskIds: ['t2'] });
    // Back to the session's start: both are off main.
    sendAll(actor, restore('rb2', 'session-start/s1'));
    expect(view(actor).tasks.map((t) => t.reverted?.checkpoint ?? null)).toEqual(['session-start/s1', 'checkpoint/2026-01-01-1']);
    // Forward again to the second checkpoint: both are back.
    sendAll(actor, restore('rb3', 'checkpoint/2026-01-01-2'));
    expect(view(actor).tasks.map((t) => t.reverted)).toEqual([null, null]);
    const other = twoSaves().actor;
    sendAll(other, [{ ...ev.rollback('rb1', 'checkpoint/2026-01-01-1'), mode: 'branch' } as SessionEvent, { type: 'ROLLBACK.COMPLETED', rollbackId: 'rb1', result: { status: 'completed', mode: 'branch', commit: C1, branch: 'session/s1/rollback/x' }, at: 'x' }]);
    expect(view(other).tasks.map((t) => t.reverted)).toEqual([null, null]);
  });

  it('re-apply queues the task for the next Save, which clears the mark; rework adds a task with the original prompt once', () => {
    const { actor, effects } = twoSaves();
    sendAll(actor, restore('rb1', 'session-start/s1'));
    const reapply: SessionEvent = { type: 'TASK.REAPPLY', taskId: 't2', commit: C2, by: 'olga', at: '2026-01-05T00:00:00.000Z' };
    sendAll(actor, [reapply]);
    expect(actor.getSnapshot().can(reapply)).toBe(false);
    sendAll(actor, [{ ...(ev.add('t3', { prompt: 'do t1' }) as object), reworkOf: 't1' } as SessionEvent]);
    expect(actor.getSnapshot().can({ ...(ev.add('t4', { prompt: 'do t1' }) as object), reworkOf: 't1' } as SessionEvent)).toBe(false);
    expect(taskOf(actor, 't1').reverted?.reworkedAs).toBe('t3');
    expect(taskOf(actor, 't3').reworkOf).toBe('t1');
    runToReview(actor, 't3', 'c'.repeat(40));
    sendAll(actor, [ev.save('sv3')]);
    expect(paramsOf(effects, 'startSave').at(-1)).toMatchObject({ taskIds: ['t2', 't3'] });
    sendAll(actor, [ev.saveCompleted('sv3', saveResults.published('checkpoint/2026-01-01-3', ['t2', 't3']))]);
    expect(taskOf(actor, 't2').reverted).toBeNull();
    expect(view(actor).timeline.at(-1)).toMatchObject({ kind: 'save' });
    expect(view(actor).timeline.some((e) => e.kind === 'task_reapply' && e.action === 'reapplied' && e.taskId === 't2')).toBe(true);
  });

  it('replay of the review loop’s events equals the live view, also from a persisted snapshot', () => {
    const events: SessionEvent[] = [];
    const effects = spyEffects();
    const live = createActor(provideEffects(effects), { input: { ...SESSION_INPUT, requireApproval: true } }).start();
    const send = (list: SessionEvent[]) => { for (const e of list) { events.push(e); live.send(e); } };
    send([ev.add('t1'), ev.ready('t1'), started('t1', 't1-r1', 'tok'), ev.exited('t1', 't1-r1', 'succeeded'), ev.committed('t1', C1)]);
    send([requestChanges('t1'), ev.exited('t1', 't1-r2', 'succeeded'), ev.committed('t1', C2), approve('t1', C2), ev.save('sv1')]);
    send([ev.saveCompleted('sv1', saveResults.published('checkpoint/2026-01-01-1', ['t1'])), ...restore('rb1', 'session-start/s1')]);
    send([{ type: 'TASK.REAPPLY', taskId: 't1', commit: C1, by: 'o', at: 'x' }]);
    const replayed = createActor(sessionMachine, { input: { ...SESSION_INPUT, requireApproval: true } }).start();
    for (const e of events) replayed.send(e);
    expect(describeSession(replayed.getSnapshot())).toEqual(describeSession(live.getSnapshot()));
    const restored = createActor(sessionMachine, { snapshot: JSON.parse(JSON.stringify(live.getPersistedSnapshot())) as Snapshot<unknown>, input: SESSION_INPUT }).start();
    expect(describeSession(restored.getSnapshot())).toEqual(describeSession(live.getSnapshot()));
    expect(describeSession(live.getSnapshot()).tasks[0]?.reverted?.reapply).toMatchObject({ commit: C1 });
  });
});
