import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEventSchema, type AgentEvent, type PermissionDecision, type PermissionRequest } from '../adapters/index.js';
import { claudeSetup, codexSetup, geminiSetup, type CliSetup } from './fake-model/cli-setup.js';
import { collect, scenario, type Scenario } from './fake-model/cli-contract.js';

/**
 * The three ACP agents (real binaries: claude-agent-acp, codex-acp, gemini --acp) against the
 * scripted model server, inside the sandbox, with a permission asker standing in for the people
 * on the session (the runtime's own asker is tested in runtime-acp.test.ts).
 */
const KINDS: ReadonlyArray<[string, (url: string) => Promise<CliSetup>]> = [
  ['claude-acp', (url) => claudeSetup(url, 90_000)],
  ['codex-acp', (url) => codexSetup(url, 90_000)],
  ['gemini-acp', (url) => geminiSetup(url, 90_000)],
];

const allowOnce = (r: PermissionRequest): PermissionDecision => {
  const o = r.options.find((x) => x.kind === 'allow_once');
  if (!o) throw new Error(`no allow_once option in ${JSON.stringify(r.options)}`);
  return { outcome: 'selected', optionId: o.optionId };
};

function permissionEvents(events: AgentEvent[]): Array<Extract<AgentEvent, { type: 'tool_call' }>> {
  return events.filter((e): e is Extract<AgentEvent, { type: 'tool_call' }> => e.type === 'tool_call' && e.name === 'permission');
}

describe.each(KINDS)('%s: real ACP agent against the fake model server', (id, setup) => {
  let s: Scenario | null = null;
  afterEach(async () => { await s?.cleanup(); s = null; });

  it('edits the worktree once a permission request is allowed; the session id is the resume token', { timeout: 150_000 }, async () => {
    s = await scenario(id, setup, (repo) => [
      { kind: 'write_file', path: join(repo, 'hello.txt'), content: 'hello over ACP\n' },
      { kind: 'text', text: 'All done over ACP.' },
    ]);
    const [status] = await s.registry.handshakeAll();
    expect(status?.status, status?.reason ?? '').toBe('available');
    const asked: PermissionRequest[] = [];
    const run = s.registry.run(id, { runId: `${id}-edit`, cwd: s.repo, prompt: 'Create hello.txt saying hello.',
      askPermission: async (r) => { asked.push(r); return allowOnce(r); } });
    expect(run.control).toBeDefined();
    const { events, outcome } = await collect(run);
    expect(outcome.status, JSON.stringify({ outcome, events }, null, 1).slice(0, 6000)).toBe('succeeded');
    expect(readFileSync(join(s.repo, 'hello.txt'), 'utf8')).toBe('hello over ACP\n');
    expect(asked.length, JSON.stringify(events)).toBeGreaterThan(0);
    expect(asked[0]?.title.length).toBeGreaterThan(0);
    expect(asked[0]?.options.map((o) => o.kind)).toContain('reject_once');
    expect(permissionEvents(events)[0]?.output).toMatch(/^allowed: /);
    const types = new Set(events.map((e) => e.type));
    expect(types.has('message')).toBe(true);
    expect(events.some((e) => (e.type === 'file_change' && e.path.endsWith('hello.txt')) || (e.type === 'command' && e.command.includes('hello.txt'))), JSON.stringify(events)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'succeeded' });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    for (const e of events) expect(AgentEventSchema.safeParse(e).success, JSON.stringify(e)).toBe(true);
    expect(outcome.finalMessage).toContain('All done over ACP.');
    expect(outcome.resumeToken).toBeTruthy();
    expect(await run.resumeToken).toBe(outcome.resumeToken);
    // No usable --version for these kinds: the version the agent gave in its initialize answer.
    expect(outcome.cliVersion).toMatch(/\d+\.\d+\.\d+/);
    const first = JSON.stringify(s.server.modelRequests()[0]?.body ?? null);
    expect(first).toContain('Create hello.txt saying hello.');
  });

  it('a denied permission request stops the tool call: nothing is written', { timeout: 150_000 }, async () => {
    s = await scenario(id, setup, (repo) => [
      { kind: 'write_file', path: join(repo, 'denied.txt'), content: 'must not exist\n' },
      { kind: 'text', text: 'Understood, not writing it.' },
    ]);
    await s.registry.handshakeAll();
    const run = s.registry.run(id, { runId: `${id}-deny`, cwd: s.repo, prompt: 'Create denied.txt.',
      askPermission: async () => ({ outcome: 'denied', reason: 'reviewer said no' }) });
    const { events, outcome } = await collect(run);
    expect(outcome.status, JSON.stringify({ outcome, events }).slice(0, 6000)).toBe('succeeded');
    expect(existsSync(join(s.repo, 'denied.txt'))).toBe(false);
    expect(permissionEvents(events)[0]?.output).toBe('denied: reviewer said no');
    expect(events.some((e) => e.type === 'file_change')).toBe(false);
  });

  it('a message sent while the agent works reaches it as the next turn', { timeout: 150_000 }, async () => {
    s = await scenario(id, setup, (repo) => [
      { kind: 'write_file', path: join(repo, 'first.txt'), content: 'first\n' },
      { kind: 'text', text: 'Turn over.' },
    ]);
    await s.registry.handshakeAll();
    let release!: () => void;
    const asked = new Promise<void>((r) => { release = r; });
    const run = s.registry.run(id, { runId: `${id}-steer`, cwd: s.repo, prompt: 'Create first.txt.',
      // The permission request holds the first turn open while the message is sent.
      askPermission: async (r) => { release(); await new Promise((t) => setTimeout(t, 200)); return allowOnce(r); } });
    await asked;
    expect(run.control?.send('STEER-MARK-4242 also say goodbye')).toEqual({ accepted: true, delivery: 'next_turn' });
    const { events, outcome } = await collect(run);
    expect(outcome.status, JSON.stringify({ outcome, events }).slice(0, 6000)).toBe('succeeded');
    const bodies = s.server.modelRequests().map((r) => JSON.stringify(r.body));
    expect(bodies.some((b) => b.includes('STEER-MARK-4242')), 'the model saw the message').toBe(true);
    // Sent after the run ended: refused, not lost silently.
    expect(run.control?.send('too late')).toMatchObject({ accepted: false });
  });

  it('an interrupting message cancels the turn (the pending request is answered cancelled) and is heard at once', { timeout: 150_000 }, async () => {
    s = await scenario(id, setup, (repo) => [
      { kind: 'write_file', path: join(repo, 'later.txt'), content: 'later\n' },
      { kind: 'text', text: 'Heard you.' },
    ]);
    await s.registry.handshakeAll();
    let asks = 0;
    let firstAsked!: () => void;
    const asked = new Promise<void>((r) => { firstAsked = r; });
    const run = s.registry.run(id, { runId: `${id}-interrupt`, cwd: s.repo, prompt: 'Create later.txt.',
      askPermission: (r, signal) => {
        asks += 1;
        if (asks > 1) return Promise.resolve(allowOnce(r));
        firstAsked();
        // Nobody answers the first one: only the interrupt ends the wait.
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ outcome: 'denied', reason: 'aborted' }), { once: true }));
      } });
    await asked;
    expect(run.control?.send('INTERRUPT-MARK-2718 stop and listen', { interrupt: true })).toEqual({ accepted: true, delivery: 'interrupt' });
    const { events, outcome } = await collect(run);
    expect(outcome.status, JSON.stringify({ outcome, events }).slice(0, 6000)).toBe('succeeded');
    expect(permissionEvents(events)[0]?.output).toMatch(/^cancelled: /);
    const bodies = s.server.modelRequests().map((r) => JSON.stringify(r.body));
    expect(bodies.some((b) => b.includes('INTERRUPT-MARK-2718')), 'the model saw the message').toBe(true);
  });
});

// Gemini CLI's session/load is not relied on (docs/adapters.md): its resume is not claimed.
describe.each(KINDS.filter(([id]) => id !== 'gemini-acp'))('%s: resume over ACP', (id, setup) => {
  let s: Scenario | null = null;
  afterEach(async () => { await s?.cleanup(); s = null; });

  it('resumes the conversation with session/load', { timeout: 150_000 }, async () => {
    s = await scenario(id, setup, [{ kind: 'text', text: 'First answer: ALPHA-7731.' }]);
    await s.registry.handshakeAll();
    const first = await collect(s.registry.run(id, { runId: `${id}-r1`, cwd: s.repo, prompt: 'Remember a code word.' }));
    expect(first.outcome.status, JSON.stringify(first.outcome)).toBe('succeeded');
    const before = s.server.modelRequests().length;
    const second = await collect(s.registry.run(id, { runId: `${id}-r2`, cwd: s.repo, prompt: 'What was the code word?', resumeToken: first.outcome.resumeToken }));
    expect(second.outcome.status, JSON.stringify(second)).toBe('succeeded');
    expect(second.outcome.resumeToken).toBe(first.outcome.resumeToken);
    const later = s.server.modelRequests().slice(before).map((r) => JSON.stringify(r.body));
    expect(later.some((b) => b.includes('ALPHA-7731') && b.includes('What was the code word?'))).toBe(true);
    // The replayed history is not reported again as this run's events: one answer, this turn's.
    expect(second.events.filter((e) => e.type === 'message' && e.text.includes('ALPHA-7731'))).toHaveLength(1);
  });
});

describe('ACP resume failure', () => {
  let s: Scenario | null = null;
  afterEach(async () => { await s?.cleanup(); s = null; });

  it('a session the agent cannot load fails the run with AGENT_RESUME_FAILED, not a hang', { timeout: 150_000 }, async () => {
    s = await scenario('codex-acp', (url) => codexSetup(url, 90_000), [{ kind: 'text', text: 'never reached' }]);
    await s.registry.handshakeAll();
    const { events, outcome } = await collect(s.registry.run('codex-acp', { runId: 'codex-acp-bad-resume', cwd: s.repo, prompt: 'Continue.', resumeToken: '00000000-0000-7000-8000-000000000000' }));
    expect(outcome.status, JSON.stringify({ outcome, events })).toBe('failed');
    expect(outcome.error?.code).toBe('AGENT_RESUME_FAILED');
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'failed' });
    expect(s.server.modelRequests()).toEqual([]);
  });
});
