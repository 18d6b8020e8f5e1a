import { describe, expect, it } from 'vitest';
import { ev, SESSION_INPUT } from '../../actors/test-support.js';
import type { LogEntry, SessionEvent } from '../../contracts/index.js';
import { SYSTEM_ACTOR } from '../log/log-entry.js';
import { replayEntries } from './replay.js';
import { SESSION_CREATED } from './session-meta.js';

const SID = SESSION_INPUT.sessionId;

/** A log as the runtime writes it (hashes are not replay's business). */
function logOf(items: Array<Partial<LogEntry> & Pick<LogEntry, 'type' | 'data'>>): LogEntry[] {
  return items.map((item, index) => ({
    seq: index + 1, at: '2026-01-01T00:00:00.000Z', actor: SYSTEM_ACTOR, sessionId: SID, taskId: null, prevHash: 'p', hash: 'h', ...item,
  }));
}
const created = { kind: 'audit' as const, type: SESSION_CREATED, data: { meta: { id: SID, title: 't', repoPath: '/r', createdAt: 'x', createdBy: 'a' }, input: SESSION_INPUT } };
const actorEntry = (event: SessionEvent) => ({ kind: 'actor' as const, type: event.type, data: event });

describe('replayEntries', () => {
  it('skips audit records, including the untyped CONFLICT.* records the first wave wrote beside actor events', () => {
    const entries = logOf([
      created,
      actorEntry(ev.add('t1')),
      // Written by the first wave's conflict routes: no kind, data without a `type` (made restarts throw).
      { type: 'CONFLICT.RESOLVE', data: { ours: 'a', theirs: 'b', resolutions: [] } },
      { type: 'CONFLICT.RESOLVED', data: { commit: 'c', branch: 'b', files: [] } },
      { kind: 'audit', type: 'MEMBER.ADDED', data: { tokenId: 'x', role: 'viewer' } },
      actorEntry(ev.add('t2')),
    ]);
    const result = replayEntries(entries, null);
    expect(result.damage).toBeNull();
    expect(result.seq).toBe(6);
    expect(result.view.tasks.map((task) => task.id)).toEqual(['t1', 't2']);
  });

  it('quarantines at the first entry that does not match its contract, describing the state just before it', () => {
    const entries = logOf([
      created,
      actorEntry(ev.add('t1')),
      { kind: 'actor', type: 'TASK.ADD', data: { taskId: 't2' } },
      actorEntry(ev.add('t3')),
    ]);
    const result = replayEntries(entries, null);
    expect(result.damage).toMatchObject({ seq: 3, type: 'TASK.ADD' });
    expect(result.damage?.reason).toMatch(/not a valid TASK\.ADD event/);
    expect(result.seq).toBe(2);
    expect(result.view.status).toBe('damaged');
    expect(result.view.damage).toEqual(result.damage);
    expect(result.view.tasks.map((task) => task.id)).toEqual(['t1']);
  });

  it('quarantines an unknown entry type and an entry whose type disagrees with its data', () => {
    expect(replayEntries(logOf([created, { type: 'SOMETHING.NEW', data: {} }]), null).damage).toMatchObject({ seq: 2, reason: 'unknown entry type SOMETHING.NEW' });
    const mismatched = logOf([created, { kind: 'actor', type: 'TASK.CANCEL', data: ev.add('t1') }]);
    expect(replayEntries(mismatched, null).damage?.reason).toMatch(/TASK\.CANCEL carries a TASK\.ADD event/);
  });

  it('honours an admin skip or repair recorded after the damaged entry', () => {
    const broken = { kind: 'actor' as const, type: 'TASK.ADD', data: { taskId: 't2' } };
    const skipped = replayEntries(logOf([created, broken, actorEntry(ev.add('t3')), { kind: 'audit', type: 'SESSION.ENTRY_SKIPPED', data: { seq: 2, reason: 'typo' } }]), null);
    expect(skipped.damage).toBeNull();
    expect(skipped.view.tasks.map((task) => task.id)).toEqual(['t3']);
    const repaired = replayEntries(
      logOf([created, broken, actorEntry(ev.add('t3')), { kind: 'audit', type: 'SESSION.ENTRY_REPAIRED', data: { seq: 2, reason: 'fixed', event: ev.add('t2') } }]),
      null,
    );
    expect(repaired.damage).toBeNull();
    expect(repaired.view.tasks.map((task) => task.id)).toEqual(['t2', 't3']);
  });

  it('a log without SESSION.CREATED throws a typed error (restore then quarantines the session)', () => {
    expect(() => replayEntries(logOf([actorEntry(ev.add('t1'))]), null)).toThrow(expect.objectContaining({ code: 'SESSION_NOT_FOUND' }));
  });
});
