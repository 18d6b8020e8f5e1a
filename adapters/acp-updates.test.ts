import type { SessionUpdate } from '@agentclientprotocol/sdk';
import { describe, expect, it } from 'vitest';
import { AgentEventSchema } from './agent-event.js';
import { AcpUpdateMapper } from './acp-updates.js';

// Shapes as the three agents sent them against the scripted model server (claude-agent-acp 0.23,
// codex-acp 0.16, gemini --acp 0.61).
const text = (t: string): SessionUpdate => ({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: t } });

describe('ACP session updates -> normalised events', () => {
  it('joins message chunks into one message, thoughts into reasoning, and keeps the last message', () => {
    const m = new AcpUpdateMapper();
    expect([...m.update({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'think ' } }), ...m.update({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'more' } })]).toEqual([]);
    expect(m.update(text('All '))).toEqual([{ type: 'reasoning', text: 'think more' }]);
    expect(m.update(text('done.'))).toEqual([]);
    expect(m.flush()).toEqual([{ type: 'message', text: 'All done.', role: 'assistant' }]);
    expect(m.lastMessage).toBe('All done.');
  });

  it('a shell tool call becomes one command event when it finishes, with output and exit code', () => {
    const m = new AcpUpdateMapper();
    expect(m.update({ sessionUpdate: 'tool_call', toolCallId: 'call_1', title: 'echo hi', kind: 'execute', status: 'pending', rawInput: { command: ['/bin/bash', '-lc', 'echo hi && exit 3'] } })).toEqual([]);
    expect(m.update({ sessionUpdate: 'tool_call_update', toolCallId: 'call_1', status: 'in_progress' })).toEqual([]);
    const out = m.update({ sessionUpdate: 'tool_call_update', toolCallId: 'call_1', status: 'failed', rawOutput: { stdout: 'hi\n', exit_code: 3 } });
    expect(out).toEqual([{ type: 'command', command: '/bin/bash -lc echo hi && exit 3', exitCode: 3, output: 'hi\n', status: 'failed' }]);
    expect(m.abandon()).toEqual([]);
  });

  it('a completed edit becomes a file_change per diff path (add without old text); a failed one a tool_call', () => {
    const m = new AcpUpdateMapper();
    m.update({ sessionUpdate: 'tool_call', toolCallId: 'w', title: 'Write a.txt', kind: 'edit', status: 'pending' });
    const done = m.update({ sessionUpdate: 'tool_call_update', toolCallId: 'w', status: 'completed', content: [
      { type: 'diff', path: '/repo/a.txt', oldText: null, newText: 'a' }, { type: 'diff', path: '/repo/b.txt', oldText: 'x', newText: 'y' },
    ] });
    expect(done).toEqual([{ type: 'file_change', path: '/repo/a.txt', kind: 'add' }, { type: 'file_change', path: '/repo/b.txt', kind: 'update' }]);
    const failed = m.update({ sessionUpdate: 'tool_call', toolCallId: 'x', title: 'Writing to c.txt', kind: 'edit', status: 'failed',
      content: [{ type: 'content', content: { type: 'text', text: 'Cannot enable privileged approval modes in an untrusted folder.' } }] });
    expect(failed).toEqual([{ type: 'tool_call', name: 'Writing to c.txt', output: 'failed: Cannot enable privileged approval modes in an untrusted folder.' }]);
  });

  it('plans become a plan tool_call; unknown updates are raw; quiet ones are dropped; unfinished tools are reported at the end', () => {
    const m = new AcpUpdateMapper();
    expect(m.update({ sessionUpdate: 'plan', entries: [{ content: 'write tests', status: 'pending', priority: 'high' }] }))
      .toEqual([{ type: 'tool_call', name: 'plan', input: [{ content: 'write tests', status: 'pending', priority: 'high' }] }]);
    expect(m.update({ sessionUpdate: 'usage_update', used: 10, size: 100 } as SessionUpdate)).toEqual([]);
    const raw = m.update({ sessionUpdate: 'brand_new_kind', x: 1 } as unknown as SessionUpdate);
    expect(raw).toEqual([{ type: 'raw', line: '{"sessionUpdate":"brand_new_kind","x":1}', reason: 'unknown_type' }]);
    m.update({ sessionUpdate: 'tool_call', toolCallId: 'q', title: 'sleep 100', kind: 'execute', status: 'in_progress', rawInput: { command: 'sleep 100' } });
    m.update(text('stopping'));
    const end = m.abandon();
    expect(end).toEqual([{ type: 'message', text: 'stopping', role: 'assistant' }, { type: 'command', command: 'sleep 100', exitCode: null, output: '', status: 'in_progress' }]);
    for (const e of [...raw, ...end]) expect(AgentEventSchema.safeParse({ ...e, at: 'now', seq: 0 }).success).toBe(true);
  });
});
