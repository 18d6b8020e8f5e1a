import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ADAPTERS, AgentEventSchema, buildPrompt, createAdapterRegistry, type AdapterRegistry, type AgentEvent, type AgentRun, type RunOutcome } from '../../adapters/index.js';
import { createSandbox } from '../../adapters/sandbox/sandbox.js';
import { processesWithCommandLine, processGone } from '../../adapters/test-support.js';
import type { CliSetup } from './cli-setup.js';
import { FAKE_KEYS, tempGitRepo } from './cli-setup.js';
import type { FakeTurn } from './script.js';
import { startFakeModel, type FakeModelServer } from './server.js';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** A secret the user has in their environment: it must reach the child and no sink. */
export const PLANTED_SECRET = 'planted-secret-value-7f3a9c21e5';

export interface Scenario {
  registry: AdapterRegistry;
  server: FakeModelServer;
  repo: string;
  setup: CliSetup;
  cleanup(): Promise<void>;
}

export async function scenario(
  id: string,
  makeSetup: (url: string) => Promise<CliSetup>,
  turns: FakeTurn[] | ((repo: string) => FakeTurn[]),
  overrides: { timeoutMs?: number; sandbox?: 'bubblewrap' | 'off' } = {},
): Promise<Scenario> {
  const { sandbox: sandboxMode = 'bubblewrap', ...configOverrides } = overrides;
  // The repo comes first: a script that writes a file needs its absolute path.
  const repo = await tempGitRepo();
  const server = await startFakeModel({ turns: typeof turns === 'function' ? turns(repo.dir) : turns });
  const setup = await makeSetup(server.url);
  const adapter = ADAPTERS.find((a) => a.id === id);
  const env = { ...process.env, THALOGOS_PLANTED_TOKEN: PLANTED_SECRET, CLAUDECODE: '1' };
  if (!adapter) throw new Error(`no adapter ${id}`);
  const registry = createAdapterRegistry({
    config: { order: [id], adapters: { [id]: { enabled: true, ...setup.config, ...configOverrides } } },
    // CLAUDECODE as if Thalogos itself ran inside Claude Code: the adapter must strip it.
    env,
    // The contract holds inside the sandbox (the default) as it does unconfined.
    sandbox: createSandbox({ mode: sandboxMode }, env),
    projectRoot: PROJECT_ROOT,
    adapters: [adapter],
    killGraceMs: 2_000,
    versionTimeoutMs: 30_000,
  });
  // Track runs so a failing test never leaves a CLI running behind it.
  const runs: AgentRun[] = [];
  const run = registry.run;
  registry.run = (runId, runOpts) => { const r = run(runId, runOpts); runs.push(r); return r; };
  return {
    registry, server, repo: repo.dir, setup,
    cleanup: async () => {
      for (const r of runs) r.cancel('test cleanup');
      await Promise.all(runs.map((r) => r.done));
      await server.close(); await repo.cleanup(); await setup.cleanup();
    },
  };
}

export async function collect(run: { events: AsyncIterable<AgentEvent>; done: Promise<RunOutcome> }): Promise<{ events: AgentEvent[]; outcome: RunOutcome }> {
  const events: AgentEvent[] = [];
  for await (const e of run.events) events.push(e);
  return { events, outcome: await run.done };
}

function isGone(pid: number): boolean {
  return processGone(pid, true);
}

/**
 * Sleep lengths unique per CLI and scenario: the checks look for the command line system-wide, and
 * the CLI test files run in parallel. Claude Code and Gemini CLI start shell tools in a session of
 * their own, so only a kill that follows the whole process tree reaches these.
 */
const SLEEPS = { codex: 31337, claude: 31347, gemini: 31357 } as const;

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The contract every real CLI must meet against the fake model server: one describe block per
 * CLI, same scenarios, so a new adapter is held to exactly the same standard.
 */
export function describeCliContract(id: 'codex' | 'claude' | 'gemini', makeSetup: (url: string) => Promise<CliSetup>): void {
  describe(`${id}: real CLI against the fake model server`, () => {
    let s: Scenario | null = null;
    afterEach(async () => { await s?.cleanup(); s = null; });

    it('edits the worktree and yields message, tool activity, usage and done', async () => {
      s = await scenario(id, makeSetup, (repo) => [
        { kind: 'write_file', path: join(repo, 'hello.txt'), content: 'hello from the fake model\n' },
        { kind: 'text', text: `All done. (echoing ${PLANTED_SECRET} and ${FAKE_KEYS[id]})` },
      ]);
      const { registry, server: srv, repo } = s;
      const file = join(repo, 'hello.txt');
      const [status] = await registry.handshakeAll();
      expect(status?.status, status?.reason ?? '').toBe('available');
      expect(status?.descriptor.cliVersion).toMatch(/^\d+\.\d+\.\d+/);

      // A real multi-line prompt, with lines that look like options, must reach the model intact.
      const prompt = buildPrompt({ task: 'Create hello.txt saying hello.', sharedMemory: '- keep it short\n--no-colour please',
        acceptanceNotes: 'hello.txt exists.' });
      const run = registry.run(id, { runId: `${id}-happy`, cwd: repo, prompt });
      const started = await run.started;
      expect(started.pid).toBeGreaterThan(0);
      const { events, outcome } = await collect(run);

      expect(outcome.status, JSON.stringify({ outcome, events }, null, 1)).toBe('succeeded');
      expect(readFileSync(file, 'utf8')).toBe('hello from the fake model\n');
      const types = new Set(events.map((e) => e.type));
      expect(types.has('message')).toBe(true);
      expect(['command', 'file_change', 'tool_call'].some((t) => types.has(t as AgentEvent['type']))).toBe(true);
      expect(types.has('usage')).toBe(true);
      const last = events.at(-1);
      expect(last?.type).toBe('done');
      expect(last?.type === 'done' && last.status).toBe('succeeded');
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      for (const e of events) expect(AgentEventSchema.safeParse(e).success, JSON.stringify(e)).toBe(true);
      expect(outcome.usage.inputTokens).toBeGreaterThan(0);
      expect(outcome.usage.outputTokens).toBeGreaterThan(0);
      expect(outcome.resumeToken).toBeTruthy();
      expect(outcome.cliVersion).toBe(status?.descriptor.cliVersion);
      expect(outcome.finalMessage).toContain('All done.');

      const firstBody = JSON.stringify(srv.modelRequests()[0]?.body ?? null);
      for (const part of ['Create hello.txt saying hello.', '- keep it short', '--no-colour please', 'hello.txt exists.']) {
        expect(firstBody).toContain(JSON.stringify(part).slice(1, -1));
      }

      // The key reached the model server (so the child got it) but no sink.
      const sawKey = srv.modelRequests().some((r) => JSON.stringify(r.headers).includes(FAKE_KEYS[id]));
      expect(sawKey).toBe(true);
      const sinks = JSON.stringify({ events, outcome });
      expect(sinks).not.toContain(FAKE_KEYS[id]);
      expect(sinks).not.toContain(PLANTED_SECRET);
      expect(sinks).toContain('[REDACTED]');
    });

    it('a shell tool call becomes a command event with its output and exit code', async () => {
      s = await scenario(id, makeSetup, [
        { kind: 'shell', command: 'echo shell-ran-here > shell.txt && echo visible-output && exit 3' },
        { kind: 'text', text: 'Command finished.' },
      ]);
      await s.registry.handshakeAll();
      const { events, outcome } = await collect(s.registry.run(id, { runId: `${id}-shell`, cwd: s.repo, prompt: 'Run the command.' }));
      expect(outcome.status, JSON.stringify({ outcome, events })).toBe('succeeded');
      expect(readFileSync(join(s.repo, 'shell.txt'), 'utf8')).toBe('shell-ran-here\n');
      const done = events.filter((e) => e.type === 'command' && e.status !== 'in_progress');
      expect(done, JSON.stringify(events)).toHaveLength(1);
      const cmd = done[0];
      expect(cmd?.type === 'command' && cmd.command).toContain('echo shell-ran-here');
      expect(cmd?.type === 'command' && cmd.output).toContain('visible-output');
      // Codex and Claude report the exit code; Gemini's stream does not carry one.
      if (id !== 'gemini') expect(cmd?.type === 'command' && cmd.exitCode).toBe(3);
    });

    it('a prompt over 128 KiB (one argv element\'s limit) reaches the model whole', async () => {
      s = await scenario(id, makeSetup, [{ kind: 'text', text: 'Read it all.' }]);
      await s.registry.handshakeAll();
      const lines = Array.from({ length: 4_000 }, (_, i) => `- note ${i}: keep the public API stable and small`);
      const prompt = buildPrompt({ task: 'BEGIN-MARK-5521 Summarise the notes.', sharedMemory: lines.join('\n'), acceptanceNotes: 'END-MARK-9917' });
      expect(Buffer.byteLength(prompt)).toBeGreaterThan(131_072);
      const { events, outcome } = await collect(s.registry.run(id, { runId: `${id}-big`, cwd: s.repo, prompt }));
      expect(outcome.status, JSON.stringify({ outcome, events }).slice(0, 2000)).toBe('succeeded');
      const body = JSON.stringify(s.server.modelRequests()[0]?.body ?? null);
      for (const part of ['BEGIN-MARK-5521', '- note 0: keep', '- note 3999: keep', 'END-MARK-9917']) expect(body).toContain(part);
    });

    it('resumes the conversation from the resume token', async () => {
      s = await scenario(id, makeSetup, [{ kind: 'text', text: 'First answer: ALPHA-7731.' }]);
      await s.registry.handshakeAll();
      const first = await collect(s.registry.run(id, { runId: `${id}-r1`, cwd: s.repo, prompt: 'Remember a code word.' }));
      expect(first.outcome.status, JSON.stringify(first.outcome)).toBe('succeeded');
      const token = first.outcome.resumeToken;
      expect(token).toBeTruthy();
      const before = s.server.modelRequests().length;
      const second = await collect(s.registry.run(id, { runId: `${id}-r2`, cwd: s.repo, prompt: 'What was the code word?', resumeToken: token }));
      expect(second.outcome.status, JSON.stringify(second.outcome)).toBe('succeeded');
      // The resumed request carries the earlier turn: the CLI really continued that conversation.
      const later = s.server.modelRequests().slice(before).map((r) => JSON.stringify(r.body));
      expect(later.some((b) => b.includes('ALPHA-7731') && b.includes('What was the code word?'))).toBe(true);
    });

    it('401 from the model: failed with a non-transient auth error, adapter marked unauthenticated', async () => {
      s = await scenario(id, makeSetup, [{ kind: 'status', status: 401, message: 'invalid x-api-key' }]);
      await s.registry.handshakeAll();
      const { events, outcome } = await collect(s.registry.run(id, { runId: `${id}-401`, cwd: s.repo, prompt: 'Say hi.' }));
      expect(outcome.status, JSON.stringify(outcome)).toBe('failed');
      expect(outcome.error?.code, JSON.stringify(outcome)).toBe('AGENT_AUTH');
      expect(outcome.error?.transient).toBe(false);
      expect(events.at(-1)?.type).toBe('done');
      expect(JSON.stringify({ events, outcome })).not.toContain(FAKE_KEYS[id]);
      expect(s.registry.isAvailable(id)).toBe(false);
      expect(s.registry.statuses()[0]?.status).toBe('unauthenticated');
      expect(() => s!.registry.run(id, { runId: 'x', cwd: s!.repo, prompt: 'again' })).toThrow(/unauthenticated/);
    });

    it('500 from the model: failed with a transient error', async () => {
      s = await scenario(id, makeSetup, [{ kind: 'status', status: 500, message: 'upstream exploded' }]);
      await s.registry.handshakeAll();
      const { outcome } = await collect(s.registry.run(id, { runId: `${id}-500`, cwd: s.repo, prompt: 'Say hi.' }));
      expect(outcome.status, JSON.stringify(outcome)).toBe('failed');
      expect(outcome.error?.transient, JSON.stringify(outcome)).toBe(true);
    });

    it('a hanging model: the run times out, and no process it started survives', async () => {
      // The tool call leaves a daemon behind (reparented, in no group of the run), then the model hangs.
      const daemon = `sleep ${SLEEPS[id] + 1}`;
      s = await scenario(id, makeSetup, [
        { kind: 'shell', command: `(exec ${daemon} > /dev/null 2>&1 &); echo daemon-started` },
        { kind: 'hang' },
      ], { timeoutMs: 12_000 });
      await s.registry.handshakeAll();
      const run = s.registry.run(id, { runId: `${id}-hang`, cwd: s.repo, prompt: 'Say hi.' });
      const { pid } = await run.started;
      const server = s.server;
      await waitFor(() => server.requests.some((r) => r.reply === 'hang'), 45_000);
      // Codex ends a tool command's background processes itself when the command returns.
      if (id !== 'codex') expect(processesWithCommandLine(daemon).length, 'the daemon is running').toBeGreaterThan(0);
      const { outcome } = await collect(run);
      expect(outcome.status).toBe('timed_out');
      expect(outcome.error).toMatchObject({ code: 'AGENT_TIMEOUT', transient: true });
      expect(isGone(pid!)).toBe(true);
      expect(processesWithCommandLine(daemon)).toEqual([]);
    });

    it('cancel mid-run kills every process of the run, including a shell tool in its own session', async () => {
      const sleeper = `sleep ${SLEEPS[id]}`;
      s = await scenario(id, makeSetup, [{ kind: 'shell', command: `exec ${sleeper}` }]);
      await s.registry.handshakeAll();
      const run = s.registry.run(id, { runId: `${id}-cancel`, cwd: s.repo, prompt: 'Say hi.' });
      const { pid } = await run.started;
      await waitFor(() => processesWithCommandLine(sleeper).length > 0, 45_000);
      expect(isGone(pid!)).toBe(false);
      run.cancel('user pressed stop');
      const { events, outcome } = await collect(run);
      expect(outcome.status).toBe('cancelled');
      expect(outcome.error).toMatchObject({ code: 'AGENT_CANCELLED', transient: false });
      expect(events.at(-1)).toMatchObject({ type: 'done', status: 'failed' });
      expect(isGone(pid!)).toBe(true);
      expect(processesWithCommandLine(sleeper)).toEqual([]);
    });

    it('cancel while the model request hangs kills the process group', async () => {
      s = await scenario(id, makeSetup, [{ kind: 'hang' }]);
      await s.registry.handshakeAll();
      const run = s.registry.run(id, { runId: `${id}-cancel-hang`, cwd: s.repo, prompt: 'Say hi.' });
      const { pid } = await run.started;
      const server = s.server;
      await waitFor(() => server.requests.some((r) => r.reply === 'hang'), 45_000);
      // The resume token is known long before the run ends: the runtime records it at once.
      const early = await Promise.race([run.resumeToken, new Promise((r) => setTimeout(() => r('not yet'), 10_000))]);
      expect(typeof early === 'string' && early.length > 0 && early !== 'not yet', String(early)).toBe(true);
      run.cancel('user pressed stop');
      const { outcome } = await collect(run);
      expect(outcome.status).toBe('cancelled');
      expect(outcome.resumeToken).toBe(early);
      expect(isGone(pid!)).toBe(true);
    });
  });
}

/** Fixtures are recorded per CLI version: a new version must come with its own recording. */
export function fixtureFor(cli: string, version: string): string | null {
  const path = join(PROJECT_ROOT, 'adapters', 'fixtures', `${cli}-${version}.jsonl`);
  return existsSync(path) ? path : null;
}

