import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { codexSetup } from './fake-model/cli-setup.js';
import { collect, describeCliContract, scenario, type Scenario } from './fake-model/cli-contract.js';

describeCliContract('codex', (url) => codexSetup(url));

describe('codex: its own sandbox refusing every tool', () => {
  let s: Scenario | null = null;
  afterEach(async () => { await s?.cleanup(); s = null; });

  // Unconfined, Codex starts its own sandbox; with CODEX_HOME under the temporary dir it refuses to
  // create the helper it needs, every shell tool fails, and the turn still "completes".
  it('a run whose tools all failed on the CLI sandbox is AGENT_SANDBOX_BLOCKED, not a silent success', async () => {
    s = await scenario('codex', (url) => codexSetup(url), [
      { kind: 'shell', command: 'echo blocked-run > blocked.txt' },
      { kind: 'text', text: 'Done, file written.' },
    ], { sandbox: 'off' });
    await s.registry.handshakeAll();
    const { events, outcome } = await collect(s.registry.run('codex', { runId: 'codex-blocked', cwd: s.repo, prompt: 'Write the file.' }));
    expect(readdirSync(s.repo)).not.toContain('blocked.txt');
    expect(outcome.status, JSON.stringify({ outcome, events })).toBe('failed');
    expect(outcome.error).toMatchObject({ code: 'AGENT_SANDBOX_BLOCKED', transient: false });
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'failed' });
  });
});
