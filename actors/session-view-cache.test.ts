import { describe, expect, it } from 'vitest';
import { describeSession } from './describe-session.js';
import { SessionViewCache } from './session-view-cache.js';
import { ev, runToReview, sendAll, startSession } from './test-support.js';

describe('SessionViewCache', () => {
  it('equals describeSession after every event, and rebuilds only the tasks whose snapshots changed', () => {
    const { actor } = startSession();
    const cache = new SessionViewCache();
    const step = (events: Parameters<typeof sendAll>[1]) => {
      sendAll(actor, events);
      cache.invalidate();
      const view = cache.view(actor.getSnapshot());
      expect(view).toEqual(describeSession(actor.getSnapshot()));
      return view;
    };
    step([ev.add('t1'), ev.add('t2'), ev.add('t3')]);
    runToReview(actor, 't1');
    cache.invalidate();
    const reviewed = cache.view(actor.getSnapshot());
    expect(reviewed).toEqual(describeSession(actor.getSnapshot()));

    // Agent output for t2 changes t2 (its live agent) and nothing else.
    const before = step([ev.ready('t2'), ev.started('t2', 't2-r1')]);
    const after = step([ev.message('t2', 't2-r1', 'reading code')]);
    expect(after).not.toBe(before);
    expect(after.tasks[0]).toBe(before.tasks[0]);
    expect(after.tasks[2]).toBe(before.tasks[2]);
    expect(after.tasks[1]).not.toBe(before.tasks[1]);
    expect(after.tasks[1]?.lastMessage).toBe('reading code');
  });

  it('hands out the same frozen view until invalidated; callers cannot change it or reach the actor', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1', { prompt: 'write docs' })]);
    const cache = new SessionViewCache();
    const view = cache.view(actor.getSnapshot());
    expect(cache.view(actor.getSnapshot())).toBe(view);
    expect(Object.isFrozen(view) && Object.isFrozen(view.tasks) && Object.isFrozen(view.tasks[0]) && Object.isFrozen(view.agentOrder)).toBe(true);
    expect(() => (view.tasks as unknown[]).push({})).toThrow(TypeError);
    expect(() => ((view.tasks[0] as { prompt: string }).prompt = 'changed')).toThrow(TypeError);
    expect(describeSession(actor.getSnapshot()).tasks[0]?.prompt).toBe('write docs');
  });

  it('rebuilds a task whose rollback mark changed (the mark lives in the session, not the task)', () => {
    const { actor } = startSession();
    sendAll(actor, [ev.add('t1'), ev.add('t2')]);
    const cache = new SessionViewCache();
    const snapshot = actor.getSnapshot();
    expect(cache.view(snapshot).tasks[0]?.reverted).toBeNull();
    // A rollback marks t1 in the session's context; t1's own snapshot is the same object.
    const mark = { rollbackId: 'r1', checkpoint: 'checkpoint/2026-12-03-1', at: '2026-12-03T00:00:00.000Z', reapply: null, reworkedAs: null };
    const marked = { ...snapshot, context: { ...snapshot.context, reverted: { t1: mark } } };
    cache.invalidate();
    const view = cache.view(marked);
    expect(view).toEqual(describeSession(marked));
    expect(view.tasks[0]?.reverted).toEqual(mark);
  });
});
