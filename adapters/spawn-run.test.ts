import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADAPTERS } from './adapter-list.js';
import { AgentEventSchema } from './agent-event.js';
import { createAdapterRegistry, type AdapterRegistry } from './registry.js';
import { createSandbox } from './sandbox/sandbox.js';
import { drain, processesWithCommandLine, processGone, script, tempDir, waitUntil } from './test-support.js';

const ROOT = join(import.meta.dirname, '..');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

/**
 * `sandbox: 'off'` for the tests that read pids a run wrote: inside the sandbox those are pids of
 * its own pid namespace, and leftovers die with the namespace (adapters/sandbox/sandbox.test.ts).
 * Off, the ProcessTree machinery tested here is what ends a run's processes.
 */
async function setup(adapters: Record<string, Record<string, unknown>> = {}, env: NodeJS.ProcessEnv = process.env, sandbox: 'bubblewrap' | 'off' = 'bubblewrap'): Promise<{ registry: AdapterRegistry; dir: string }> {
  const t = await tempDir('spawn-run');
  cleanups.push(t.cleanup);
  let tick = 0;
  const registry = createAdapterRegistry({
    config: { order: ['command'], adapters: adapters as never },
    env, projectRoot: ROOT, killGraceMs: 300, adapters: ADAPTERS.filter((a) => a.id === 'command'), sandbox: createSandbox({ mode: sandbox }, env),
    // An injected clock: event times come from it, not from the wall.
    now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)),
  });
  await registry.handshakeAll();
  return { registry, dir: t.dir };
}

describe('command adapter through the registry (real sh)', () => {
  it('runs the prompt in the worktree: one command event with output and exit code, then done', async () => {
    const { registry, dir } = await setup();
    expect(registry.isAvailable('command')).toBe(true);
    const run = registry.run('command', { runId: 'c1', cwd: dir, prompt: "printf 'hi\\n' > out.txt && echo wrote && echo warn >&2" });
    expect((await run.started).pid).toBeGreaterThan(0);
    const { events, outcome } = await drain(run);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('hi\n');
    // Each stdout and stderr line streams as it comes (status 'output'), then the command's result,
    // which says all of it was streamed (a viewer shows each line once).
    expect(events.map((e) => e.type)).toEqual(['command', 'command', 'command', 'done']);
    const live = events.slice(0, 2).map((e) => (e.type === 'command' ? [e.output, e.stream] : null));
    expect(live).toEqual(expect.arrayContaining([['wrote', 'stdout'], ['warn', 'stderr']]));
    expect(events[0]).toMatchObject({ type: 'command', exitCode: null, status: 'output', seq: 0 });
    expect(events[2]).toMatchObject({ type: 'command', exitCode: 0, status: 'completed', streamed: true, seq: 2 });
    expect(events[2]?.at).toMatch(/^2026-01-01T00:00:\d\d\.000Z$/);
    expect(events[2]?.type === 'command' && events[2].output).toMatch(/wrote/);
    expect(events[3]).toMatchObject({ type: 'done', status: 'succeeded', finalMessage: expect.stringContaining('wrote'), seq: 3 });
    for (const e of events) expect(AgentEventSchema.parse(e)).toEqual(e);
    expect(outcome).toMatchObject({ runId: 'c1', status: 'succeeded', exitCode: 0, error: null, resumeToken: null });
    // Replayable: a late second reader sees the same events.
    const again = [];
    for await (const e of run.events) again.push(e);
    expect(again).toEqual(events);
  });

  it('non-zero exit: failed, exit code kept, not transient, stderr tail kept', async () => {
    const { registry, dir } = await setup();
    const { events, outcome } = await drain(registry.run('command', { runId: 'c2', cwd: dir, prompt: 'echo oops >&2; exit 3' }));
    expect(outcome).toMatchObject({ status: 'failed', exitCode: 3, error: { code: 'AGENT_FAILED', transient: false } });
    expect(outcome.stderrTail).toContain('oops');
    expect(events.map((e) => e.type)).toEqual(['command', 'command', 'error', 'done']);
    expect(events[0]).toMatchObject({ type: 'command', output: 'oops', status: 'output', stream: 'stderr' });
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'failed' });
  });

  it('streams stderr while the command runs, not only when it ends', async () => {
    const { registry, dir } = await setup();
    const run = registry.run('command', { runId: 'c2b', cwd: dir, prompt: 'echo early-warning >&2; sleep 3; printf partial >&2' });
    const seen: Array<{ output: string; ms: number }> = [];
    const start = Date.now();
    for await (const e of run.events) if (e.type === 'command' && e.status === 'output') seen.push({ output: e.output, ms: Date.now() - start });
    const ended = Date.now() - start;
    expect(seen.map((line) => line.output)).toEqual(['early-warning', 'partial']);
    // The first stderr line arrived seconds before the command ended.
    expect(ended - (seen[0]?.ms ?? ended)).toBeGreaterThan(2000);
  });

  it('a hang past timeoutMs: timed_out, transient, the process group is gone', async () => {
    const { registry, dir } = await setup({ command: { timeoutMs: 400 } });
    const run = registry.run('command', { runId: 'c3', cwd: dir, prompt: 'sleep 30' });
    const { pid } = await run.started;
    const { outcome } = await drain(run);
    expect(outcome).toMatchObject({ status: 'timed_out', error: { code: 'AGENT_TIMEOUT', transient: true } });
    expect(processGone(pid!, true)).toBe(true);
  });

  it('cancel kills every process of the group, including one that ignores SIGTERM', async () => {
    const { registry, dir } = await setup({}, process.env, 'off');
    const run = registry.run('command', { runId: 'c4', cwd: dir,
      prompt: "sleep 100 & echo $! > a.pid; sh -c 'trap \"\" TERM; echo $$ > b.pid; while :; do sleep 1; done' & wait" });
    const { pid } = await run.started;
    const until = Date.now() + 10_000;
    while (!(existsSync(join(dir, 'a.pid')) && existsSync(join(dir, 'b.pid')) && readFileSync(join(dir, 'b.pid'), 'utf8').trim())) {
      if (Date.now() > until) throw new Error('children never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    const a = Number(readFileSync(join(dir, 'a.pid'), 'utf8'));
    const b = Number(readFileSync(join(dir, 'b.pid'), 'utf8'));
    expect(processGone(a)).toBe(false);
    expect(processGone(b)).toBe(false);
    run.cancel('stop');
    const { events, outcome } = await drain(run);
    expect(outcome).toMatchObject({ status: 'cancelled', error: { code: 'AGENT_CANCELLED', transient: false } });
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'failed' });
    expect(processGone(pid!, true)).toBe(true);
    expect(processGone(a)).toBe(true);
    expect(processGone(b)).toBe(true);
  });

  it('a background process left holding the output pipe does not keep the run open, and is killed', async () => {
    const { registry, dir } = await setup({}, process.env, 'off');
    const { events, outcome } = await drain(registry.run('command', { runId: 'c7', cwd: dir, prompt: 'echo started; sleep 100 & echo $! > bg.pid' }));
    expect(outcome.status).toBe('succeeded');
    expect(events[0]?.type === 'command' && events[0].output).toContain('started');
    expect(processGone(Number(readFileSync(join(dir, 'bg.pid'), 'utf8')))).toBe(true);
  });

  // Unique sleep lengths: the check looks for the command line system-wide.
  it('cancel also kills a process that left the group with setsid', async () => {
    const { registry, dir } = await setup();
    const run = registry.run('command', { runId: 'c8', cwd: dir, prompt: 'setsid sleep 31338 & sleep 30' });
    await run.started;
    await waitUntil(() => processesWithCommandLine('sleep 31338').length > 0, 10_000, 'setsid sleep started');
    run.cancel('stop');
    const { outcome } = await drain(run);
    expect(outcome.status).toBe('cancelled');
    expect(processesWithCommandLine('sleep 31338')).toEqual([]);
  });

  it('a timeout kills a process that left the group, and one orphaned after a normal exit is killed too', async () => {
    const { registry, dir } = await setup({ command: { timeoutMs: 600 } });
    const timed = await drain(registry.run('command', { runId: 'c9', cwd: dir, prompt: 'setsid sleep 31339 & sleep 30' }));
    expect(timed.outcome.status).toBe('timed_out');
    expect(processesWithCommandLine('sleep 31339')).toEqual([]);
    // The shell exits at once; the daemon is reparented away from it and out of its group.
    const orphan = await drain(registry.run('command', { runId: 'c10', cwd: dir,
      prompt: '(setsid sleep 31340 > /dev/null 2>&1 &); echo left-behind' }));
    expect(orphan.outcome.status).toBe('succeeded');
    expect(processesWithCommandLine('sleep 31340')).toEqual([]);
  });

  it('processes left behind after a normal exit get SIGTERM first, so their exit traps run (sandbox off)', async () => {
    const { registry, dir } = await setup({}, process.env, 'off');
    const { outcome } = await drain(registry.run('command', { runId: 'c11', cwd: dir,
      prompt: `sh -c 'trap "echo cleaned > cleaned.txt; exit 0" TERM; sleep 31341 & wait' > /dev/null 2>&1 & echo ok` }));
    expect(outcome.status).toBe('succeeded');
    expect(readFileSync(join(dir, 'cleaned.txt'), 'utf8')).toBe('cleaned\n');
    expect(processesWithCommandLine('sleep 31341')).toEqual([]);
  });

  it('a command over one argument\'s 128 KiB limit is refused before spawning (INVALID_RUN_OPTIONS)', async () => {
    const { registry, dir } = await setup();
    const prompt = `true ${'x'.repeat(140_000)}`;
    expect(() => registry.run('command', { runId: 'c12', cwd: dir, prompt })).toThrow(expect.objectContaining({ code: 'INVALID_RUN_OPTIONS' }));
    // Just under the limit still runs.
    const ok = await drain(registry.run('command', { runId: 'c13', cwd: dir, prompt: `true ${'x'.repeat(131_000)}` }));
    expect(ok.outcome.status).toBe('succeeded');
  });

  it('an AbortSignal cancels the run', async () => {
    const { registry, dir } = await setup();
    const ac = new AbortController();
    const run = registry.run('command', { runId: 'c5', cwd: dir, prompt: 'sleep 30', signal: ac.signal });
    await run.started;
    ac.abort();
    expect((await run.done).status).toBe('cancelled');
  });

  it('planted secrets reach the child but no event, outcome or stderr tail', async () => {
    const secret = 'sk-planted-0123456789abcdefXYZ';
    const configured = 'configured-value-4242';
    const { registry, dir } = await setup({ command: { env: { SOME_SETTING: configured } } }, { ...process.env, MY_SERVICE_API_KEY: secret });
    const { events, outcome } = await drain(registry.run('command', { runId: 'c6', cwd: dir,
      prompt: 'echo "key=$MY_SERVICE_API_KEY"; echo "cfg=$SOME_SETTING" >&2; echo "$MY_SERVICE_API_KEY" > seen.txt; exit 1' }));
    expect(readFileSync(join(dir, 'seen.txt'), 'utf8').trim()).toBe(secret);
    const all = JSON.stringify({ events, outcome });
    expect(all).not.toContain(secret);
    expect(all).not.toContain(configured);
    expect(all).toContain('key=[REDACTED]');
    expect(outcome.stderrTail).toContain('cfg=[REDACTED]');
  });
});

describe('an adapter that throws while finishing the run', () => {
  it('done still resolves (AGENT_FAILED) and the stream still ends with done', async () => {
    const t = await tempDir('throws');
    cleanups.push(t.cleanup);
    const base = ADAPTERS.find((a) => a.id === 'command')!;
    const broken = { ...base, classifyExit: () => { throw new Error('classifier bug'); } };
    const registry = createAdapterRegistry({ config: { order: ['command'], adapters: {} }, env: process.env, projectRoot: ROOT, adapters: [broken] });
    await registry.handshakeAll();
    const { events, outcome } = await drain(registry.run('command', { runId: 't1', cwd: t.dir, prompt: 'echo hi' }));
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'AGENT_FAILED', message: expect.stringContaining('classifier bug') } });
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'failed' });
  });

  it('a timeoutMs beyond setTimeout\'s limit is an invalid config, not an instant timeout', () => {
    expect(() => createAdapterRegistry({ config: { order: ['command'], adapters: { command: { timeoutMs: 2 ** 31 } } } as never,
      env: {}, projectRoot: ROOT })).toThrow(expect.objectContaining({ code: 'INVALID_ADAPTER_CONFIG' }));
  });
});

describe('a binary that disappears between handshake and run', () => {
  // Unconfined the spawn itself fails (no pid); sandboxed bubblewrap starts and cannot exec it.
  it.each(['off', 'bubblewrap'] as const)('fails with AGENT_SPAWN_FAILED and still ends with done (sandbox %s)', async (mode) => {
    const t = await tempDir('vanish');
    cleanups.push(t.cleanup);
    const bin = await script(t.dir, 'codex', 'echo "codex-cli 0.169.0"');
    const env = { ...process.env, OPENAI_API_KEY: 'sk-test-not-real-000000000000' };
    const registry = createAdapterRegistry({ config: { order: ['codex'], adapters: { codex: { enabled: true, bin, args: [], env: {}, timeoutMs: 10_000 } } },
      env, projectRoot: ROOT, adapters: ADAPTERS.filter((a) => a.id === 'codex'), sandbox: createSandbox({ mode }, env) });
    await registry.handshakeAll();
    await rm(bin);
    const run = registry.run('codex', { runId: 'v', cwd: t.dir, prompt: 'x' });
    const { events, outcome } = await drain(run);
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'AGENT_SPAWN_FAILED', transient: false } });
    expect(events.map((e) => e.type)).toEqual(['error', 'done']);
    expect(await run.resumeToken).toBeNull();
    const started = await run.started;
    expect(started.cliVersion).toBe('0.169.0');
    if (mode === 'off') expect(started.pid).toBeNull();
  });
});

describe('a CLI printing garbage (a stand-in binary configured as codex `bin`)', () => {
  it('turns every bad line into a raw event and still completes with the good ones', async () => {
    const t = await tempDir('garbage');
    cleanups.push(t.cleanup);
    const bin = await script(t.dir, 'codex', [
      'if [ "$1" = "--version" ]; then echo "codex-cli 0.169.0"; exit 0; fi',
      'echo "Loading... \\033[32mOK\\033[0m"',
      'echo \'{"type":"thread.started","thread_id":"t-1"}\'',
      'echo \'{"type":"mystery.event","x":1}\'',
      'echo \'{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"half\'',
      'head -c 3000 /dev/zero | tr "\\0" "#"; echo',
      'echo \'{"type":"item.completed","item":{"id":"i2","type":"agent_message","text":"final words"}}\'',
      'printf \'{"type":"turn.completed","usage":{"input_tokens":5,"output_tokens":7}}\'',
    ].join('\n'));
    const registry = createAdapterRegistry({ config: { order: ['codex'], adapters: { codex: { enabled: true, bin, args: [], env: {}, timeoutMs: 10_000 } } },
      env: { ...process.env, OPENAI_API_KEY: 'sk-test-not-real-000000000000' }, projectRoot: ROOT, adapters: ADAPTERS.filter((a) => a.id === 'codex') });
    const [status] = await registry.handshakeAll();
    expect(status).toMatchObject({ status: 'available', binPath: bin, descriptor: { cliVersion: '0.169.0' } });
    const { events, outcome } = await drain(registry.run('codex', { runId: 'g', cwd: t.dir, prompt: 'x' }));
    expect(events.map((e) => (e.type === 'raw' ? `raw:${e.reason}` : e.type))).toEqual(
      ['raw:not_json', 'raw:unknown_type', 'raw:not_json', 'raw:not_json', 'message', 'usage', 'done']);
    expect(outcome).toMatchObject({ status: 'succeeded', finalMessage: 'final words', resumeToken: 't-1', cliVersion: '0.169.0',
      usage: { inputTokens: 5, outputTokens: 7, costUsd: null } });
  });
});
