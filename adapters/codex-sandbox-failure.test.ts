import { describe, expect, it } from 'vitest';
import type { AgentEventDraft } from './agent-event.js';
import { codexAdapter } from './codex.adapter.js';

const refused: AgentEventDraft = {
  type: 'command', command: 'echo hi > a.txt', exitCode: 1, status: 'failed',
  output: 'bwrap: execvp codex-linux-sandbox: No such file or directory',
};

describe('codex: a run whose every tool its own sandbox refused', () => {
  it('is AGENT_SANDBOX_BLOCKED (not a silent success) only when every command was refused and nothing changed', () => {
    const classify = codexAdapter.sandboxFailure!;
    expect(classify([refused, refused])).toMatchObject({ code: 'AGENT_SANDBOX_BLOCKED', transient: false });
    expect(classify([refused, { ...refused, exitCode: 0, output: 'ok' }])).toBeNull();
    expect(classify([refused, { type: 'file_change', path: 'a.txt', kind: 'add' }])).toBeNull();
    expect(classify([{ ...refused, output: 'Refusing to create helper binaries under temporary dir "/tmp"' }])).toMatchObject({ code: 'AGENT_SANDBOX_BLOCKED' });
    expect(classify([])).toBeNull();
  });
});
