// Event sourcing guarantees: a persisted snapshot (JSON round trip) restores to an actor that
// continues exactly like the uninterrupted one, without re-running effects; the same events give
// the same view whether applied live, replayed without effects, or read from a persisted snapshot.
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { Snapshot } from 'xstate';
import { canAccept } from './can-accept.js';
import { describeSession } from './describe-session.js';
import { provideEffects } from './effects.js';
import type { SessionEvent } from './events.js';
import { sessionMachine } from './session.machine.js';
import { ev, permanent, saveResults, SESSION_INPUT, spyEffects, transient } from './test-support.js';
import type { EffectCall } from './test-support.js';

/** A session's life touching every machine state: dispatch, retry, fallback, interrupt, Save, review, rollback. */
function script(): SessionEvent[] {
  return [
    ev.add('t1'),
    ev.add('t2', { agent: 'claude' }),
    ev.add('t3'),
    ev.rollback('rb-1'),
    ev.ready('t1'),
    ev.started('t1', 't1-r1', 'tok-1'),
    ev.message('t1', 't1-r1', 'looking around'),
    ev.usage('t1', 't1-r1', 50, 10, 0.1),
    ev.ready('t2'),
    ev.started('t2', 't2-r1'),
    ev.exited('t2', 't2-r1', 'failed', { error: transient() }),
    ev.interrupt('t1'),
    ev.rollbackCompleted('rb-1'),
    ev.requeue('t1'),
    ev.retryDue('t2'),
    ev.exited('t2', 't2-r2', 'failed', { error: permanent() }),
    ev.ready('t3'),
    ev.save('save-1'),
    ev.started('t2', 't2-r3'),
    ev.message('t2', 't2-r3', 'codex here'),
    ev.exited('t2', 't2-r3', 'succeeded'),
    ev.committed('t2', 'c2'),
    ev.cancel('t3'),
    ev.cancel('t1'),
    ev.saveProgress('save-1', 'merging'),
    ev.saveCompleted('save-1', saveResults.gatesFailed('test')),
    ev.add('t4'),
    ev.resume(),
    ev.ready('t4'),
    ev.started('t4', 't4-r1'),
    ev.timeout('t4', 't4-r1'),
    ev.exited('t4', 't4-r1', 'cancelled'),
    ev.exited('t4', 't4-r2', 'succeeded'),
    ev.committed('t4', 'c4'),
    ev.save('save-2'),
    ev.saveCompleted('save-2', saveResults.published('checkpoint/1', ['t2', 't4'], 'm1')),
    ev.add('t5'),
    ev.ready('t5'),
  ];
}

function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Applies every event (the runtime logs it whether or not the machine takes it). */
function run(events: SessionEvent[]) {
  const effects = spyEffects();
  const actor = createActor(provideEffects(effects), { input: SESSION_INPUT }).start();
  const callsAfter: number[] = [effects.log.length];
  for (const event of events) {
    actor.send(event);
    callsAfter.push(effects.log.length);
  }
  return { actor, effects, callsAfter };
}

describe('persistence and replay', () => {
  const events = script();
  const full = run(events);

  it('the script reaches the states it is meant to cover, every event accepted', () => {
    const probe = createActor(sessionMachine, { input: SESSION_INPUT }).start();
    for (const event of events) {
      expect(canAccept(probe.getSnapshot(), event), JSON.stringify(event)).toBe(true);
      probe.send(event);
    }
    const view = describeSession(full.actor.getSnapshot());
    expect(view.status).toBe('active');
    expect(Object.fromEntries(view.tasks.map((task) => [task.id, task.status]))).toEqual({
      t1: 'cancelled',
      t2: 'merged',
      t3: 'cancelled',
      t4: 'merged',
      t5: 'running',
    });
    expect(view.timeline.map((entry) => entry.kind)).toEqual(['rollback', 'save', 'review_resumed', 'save']);
    expect(view.tasks.find((task) => task.id === 't1')?.runs.map((r) => r.outcome)).toEqual(['interrupted']);
    expect(view.tasks.find((task) => task.id === 't2')?.runs.map((r) => [r.agent, r.outcome])).toEqual([
      ['claude', 'failed'],
      ['claude', 'failed'],
      ['codex', 'succeeded'],
    ]);
  });

  it('restores from a JSON round-tripped snapshot after every event and continues identically', () => {
    for (let k = 0; k <= events.length; k += 1) {
      const before = run(events.slice(0, k));
      const persisted = json(before.actor.getPersistedSnapshot());
      const viewBefore = describeSession(before.actor.getSnapshot());
      before.actor.stop();

      const effects = spyEffects();
      // `input` is ignored when a snapshot is given; XState's types just insist on it.
      const restored = createActor(provideEffects(effects), { snapshot: persisted as Snapshot<unknown>, input: SESSION_INPUT }).start();
      // Restoring runs no effect: they already ran before the snapshot was taken.
      expect(effects.log, `effects on restore at ${k}`).toEqual([]);
      expect(describeSession(restored.getSnapshot()), `view after restore at ${k}`).toEqual(viewBefore);

      for (const event of events.slice(k)) restored.send(event);
      expect(describeSession(restored.getSnapshot()), `view at ${k}`).toEqual(describeSession(full.actor.getSnapshot()));
      expect(json(restored.getPersistedSnapshot()), `snapshot at ${k}`).toEqual(json(full.actor.getPersistedSnapshot()));
      const expectedCalls: EffectCall[] = full.effects.log.slice(full.callsAfter[k]);
      expect(effects.log, `effects after restore at ${k}`).toEqual(expectedCalls);
      restored.stop();
    }
  });

  it('replay without effects (the bare machine) gives the same view as the live actor', () => {
    const replayed = createActor(sessionMachine, { input: SESSION_INPUT }).start();
    for (const event of events) replayed.send(event);
    expect(describeSession(replayed.getSnapshot())).toEqual(describeSession(full.actor.getSnapshot()));
    expect(json(replayed.getPersistedSnapshot())).toEqual(json(full.actor.getPersistedSnapshot()));
  });

  it('the view of a persisted snapshot equals the view of the live one, at every step', () => {
    const effects = spyEffects();
    const actor = createActor(provideEffects(effects), { input: SESSION_INPUT }).start();
    for (const event of events) {
      actor.send(event);
      const live = describeSession(actor.getSnapshot());
      expect(describeSession(json(actor.getPersistedSnapshot()))).toEqual(live);
      expect(json(live)).toEqual(live); // plain JSON, nothing lost in a round trip
    }
  });

  it('two replays of the same events are deep-equal', () => {
    const a = run(events);
    const b = run(events);
    expect(describeSession(a.actor.getSnapshot())).toEqual(describeSession(b.actor.getSnapshot()));
    expect(a.effects.log).toEqual(b.effects.log);
  });
});
