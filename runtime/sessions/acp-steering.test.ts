import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../actors/index.js';
import type { PermissionDecision, PermissionRequest, RunControl } from '../../adapters/index.js';
import { ManualClock } from '../../tests/helpers/manual-clock.js';
import type { ActorRef } from '../log/log-entry.js';
import { AcpSteering } from './acp-steering.js';

const REQUEST: PermissionRequest = {
  requestId: 'r1-p1', toolCallId: 'call_1', title: 'echo hi > a.txt', toolKind: 'execute', locations: [], detail: 'echo hi > a.txt',
  options: [
    { optionId: 'yes-always', name: 'Always', kind: 'allow_always' },
    { optionId: 'yes', name: 'Allow', kind: 'allow_once' },
    { optionId: 'no', name: 'Reject', kind: 'reject_once' },
  ],
};
const RAE: ActorRef = { kind: 'user', id: 'tok-rae', name: 'rae' };

function harness(timeoutMs = 60_000) {
  const clock = new ManualClock();
  const steering = new AcpSteering({ clock, timeoutMs });
  const logged: Array<{ event: SessionEvent; actor: ActorRef | undefined }> = [];
  const record = async (event: SessionEvent, actor?: ActorRef): Promise<void> => { logged.push({ event, actor }); };
  const abort = new AbortController();
  let decided: PermissionDecision | null = null;
  void steering.asker('s1', 't1', 'r1', record)(REQUEST, abort.signal).then((d) => { decided = d; });
  const settled = async (): Promise<PermissionDecision | null> => { for (let i = 0; i < 5; i++) await Promise.resolve(); return decided; };
  return { clock, steering, logged, abort, settled, record };
}

describe('AcpSteering: permission requests', () => {
  it('records the request, and the decision with its author before the agent hears it', async () => {
    const h = harness();
    expect(h.logged[0]?.event).toMatchObject({ type: 'AGENT.PERMISSION_REQUESTED', taskId: 't1', runId: 'r1', request: REQUEST, expiresAt: '2026-01-01T00:01:00.000Z' });
    h.steering.decide('s1', 'r1-p1', { decision: 'allow' }, 'rae', RAE);
    // Without a choice: the "once" option, so the next such call asks again.
    expect(await h.settled()).toEqual({ outcome: 'selected', optionId: 'yes' });
    expect(h.logged[1]).toEqual({ actor: RAE, event: { type: 'AGENT.PERMISSION_DECIDED', taskId: 't1', runId: 'r1', requestId: 'r1-p1', decision: 'allowed', optionId: 'yes', reason: null, by: 'rae', at: '2026-01-01T00:00:00.000Z' } });
    expect(h.clock.pending).toBe(0);
    // Answered once: a second answer finds nothing.
    expect(() => h.steering.decide('s1', 'r1-p1', { decision: 'deny' }, 'rae', RAE)).toThrow(expect.objectContaining({ code: 'PERMISSION_NOT_FOUND' }));
  });

  it('an unanswered request is denied when the injected clock reaches its timeout, not before', async () => {
    const h = harness(60_000);
    h.clock.advance(59_999);
    expect(await h.settled()).toBeNull();
    h.clock.advance(1);
    expect(await h.settled()).toEqual({ outcome: 'denied', reason: 'nobody answered within 60 s' });
    expect(h.logged[1]?.event).toMatchObject({ type: 'AGENT.PERMISSION_DECIDED', decision: 'denied', by: 'timeout', at: '2026-01-01T00:01:00.000Z' });
    expect(h.logged[1]?.actor).toBeUndefined();
  });

  it('a turn that ends first denies the request as the system; bad answers are refused and change nothing', async () => {
    const h = harness();
    expect(() => h.steering.decide('other-session', 'r1-p1', { decision: 'allow' }, 'rae', RAE)).toThrow(expect.objectContaining({ code: 'PERMISSION_NOT_FOUND' }));
    expect(() => h.steering.decide('s1', 'r1-p1', { decision: 'allow', optionId: 'no' }, 'rae', RAE)).toThrow(expect.objectContaining({ code: 'PERMISSION_OPTION_INVALID' }));
    expect(() => h.steering.decide('s1', 'r1-p1', { decision: 'deny', optionId: 'unknown' }, 'rae', RAE)).toThrow(expect.objectContaining({ code: 'PERMISSION_OPTION_INVALID' }));
    expect(h.logged).toHaveLength(1);
    h.abort.abort();
    expect(await h.settled()).toMatchObject({ outcome: 'denied' });
    expect(h.logged[1]?.event).toMatchObject({ type: 'AGENT.PERMISSION_DECIDED', decision: 'denied', by: 'thalogos' });
  });

  it('a message reaches only a registered live run, and is recorded as its author\'s once the agent took it', async () => {
    const h = harness();
    const sent: string[] = [];
    let accepting = true;
    const control: RunControl = { send: (text) => (accepting ? (sent.push(text), { accepted: true, delivery: 'next_turn' }) : { accepted: false, reason: 'the agent has finished its last turn' }) };
    await expect(h.steering.message('s1', 't1', 'hello', false, 'otto', RAE)).rejects.toMatchObject({ code: 'RUN_NOT_STEERABLE' });
    h.steering.register({ sessionId: 's1', taskId: 't1', runId: 'r1', control, record: h.record });
    await expect(h.steering.message('s2', 't1', 'hello', false, 'otto', RAE)).rejects.toMatchObject({ code: 'RUN_NOT_STEERABLE' });
    expect(await h.steering.message('s1', 't1', 'hello', false, 'otto', RAE)).toEqual({ runId: 'r1', delivery: 'next_turn' });
    expect(sent).toEqual(['hello']);
    expect(h.logged.at(-1)).toEqual({ actor: RAE, event: { type: 'AGENT.MESSAGE', taskId: 't1', runId: 'r1', text: 'hello', delivery: 'next_turn', by: 'otto', at: '2026-01-01T00:00:00.000Z' } });
    accepting = false;
    const before = h.logged.length;
    await expect(h.steering.message('s1', 't1', 'late', false, 'otto', RAE)).rejects.toMatchObject({ code: 'RUN_NOT_STEERABLE' });
    h.steering.unregister('r1');
    await expect(h.steering.message('s1', 't1', 'gone', false, 'otto', RAE)).rejects.toMatchObject({ code: 'RUN_NOT_STEERABLE' });
    expect(h.logged).toHaveLength(before);
  });
});
