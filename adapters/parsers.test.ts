import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentAdapter, StreamParser } from './agent-adapter.js';
import type { AgentEventDraft } from './agent-event.js';
import { claudeAdapter } from './claude.adapter.js';
import { codexAdapter } from './codex.adapter.js';
import { geminiAdapter } from './gemini.adapter.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const RUN = { runId: 'r', cwd: '/tmp/thalogos-fixture-repo', prompt: 'p' };

function lines(file: string): string[] {
  return readFileSync(join(FIXTURES, file), 'utf8').split('\n').filter((l) => l.trim().length > 0);
}

function replay(adapter: AgentAdapter, input: string[], exitCode = 0): { events: AgentEventDraft[]; parser: StreamParser } {
  const parser = adapter.createParser(RUN);
  const events = input.flatMap((l) => parser.line(l));
  events.push(...parser.finish({ exitCode, signal: null }));
  return { events, parser };
}

function types(events: AgentEventDraft[]): string[] {
  return events.map((e) => e.type);
}

/** The same recording with an unknown event type and a truncated line spliced in the middle. */
function withNoise(input: string[], unknown: string): string[] {
  const mid = Math.floor(input.length / 2);
  const truncated = (input[mid] ?? '{"type":"x"}').slice(0, 25);
  return [...input.slice(0, mid), unknown, truncated, 'plain text the CLI printed', ...input.slice(mid)];
}

describe('codex parser on recorded 0.169.0 streams', () => {
  it('apply_patch run: file_change, message, usage, resume token', () => {
    const { events, parser } = replay(codexAdapter, lines('codex-0.169.0.jsonl'));
    expect(types(events)).toEqual(['file_change', 'message', 'usage']);
    expect(events[0]).toEqual({ type: 'file_change', path: '/tmp/thalogos-fixture-repo/hello.txt', kind: 'add' });
    expect(events[2]).toMatchObject({ type: 'usage', inputTokens: 240, outputTokens: 60, cachedTokens: 0, costUsd: null });
    const o = parser.outcome();
    expect(o.finalMessage).toBe('All done.');
    expect(o.resumeToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(o.reportedStatus).toBeNull();
    expect(codexAdapter.classifyExit({ exitCode: 0, signal: null, parsed: o, stderrTail: '' })).toEqual({ status: 'succeeded', error: null });
  });

  it('shell run: warning error item, command started and completed with exit code and output', () => {
    const { events } = replay(codexAdapter, lines('codex-0.169.0.shell.jsonl'));
    expect(types(events)).toEqual(['error', 'command', 'command', 'message', 'usage']);
    expect(events[1]).toMatchObject({ type: 'command', exitCode: null, status: 'in_progress' });
    expect(events[2]).toMatchObject({ type: 'command', exitCode: 0, status: 'completed' });
    expect(events[2]?.type === 'command' && events[2].command).toContain('hello.txt');
  });

  it('401 run: turn.failed classified as a non-transient auth failure', () => {
    const { events, parser } = replay(codexAdapter, lines('codex-0.169.0.401.jsonl'), 1);
    expect(types(events)).toEqual(['error', 'error']);
    const c = codexAdapter.classifyExit({ exitCode: 1, signal: null, parsed: parser.outcome(), stderrTail: '' });
    expect(c.status).toBe('failed');
    expect(c.error).toMatchObject({ code: 'AGENT_AUTH', transient: false });
  });

  it('unknown event types, truncated and non-JSON lines become raw events and the rest still parses', () => {
    const input = withNoise(lines('codex-0.169.0.jsonl'), '{"type":"thread.archived","thread_id":"t"}');
    const { events, parser } = replay(codexAdapter, [...input, '{"type":"item.completed","item":{"type":"hologram","id":"x"}}', '{"type":"turn.completed"}', '[1,2]']);
    const raws = events.filter((e) => e.type === 'raw');
    expect(raws.map((r) => r.type === 'raw' && r.reason)).toEqual(['unknown_type', 'not_json', 'not_json', 'unknown_type', 'invalid', 'invalid']);
    expect(types(events).filter((t) => t !== 'raw')).toEqual(['file_change', 'message', 'usage']);
    expect(parser.outcome().finalMessage).toBe('All done.');
  });

  it('exit code 2 is a usage error, never retried', () => {
    const parsed = { finalMessage: null, resumeToken: null, reportedStatus: null, errorText: null };
    expect(codexAdapter.classifyExit({ exitCode: 2, signal: null, parsed, stderrTail: "error: unexpected argument '--full-auto' found" }).error)
      .toMatchObject({ code: 'AGENT_USAGE', transient: false });
  });

  it('builds exec and exec resume command lines; the prompt goes on stdin (`-`)', () => {
    const cfg = { enabled: true, model: 'gpt-5.5', args: ['-c', 'x=1'], env: { A: 'b' }, envFrom: {}, timeoutMs: 1000, network: 'on' as const, maxOutputBytes: 1_000_000 };
    const env = { PATH: '/bin', CLAUDECODE: '1', CODEX_SANDBOX: 'seatbelt' };
    const fresh = codexAdapter.buildCommand({ ...RUN, prompt: '-rf everything' }, cfg, { bin: '/x/codex', env });
    expect(fresh.args).toEqual(['exec', '--json', '--skip-git-repo-check', '--sandbox', 'workspace-write', '-C', RUN.cwd, '-m', 'gpt-5.5', '-c', 'x=1', '--', '-']);
    expect(fresh.stdin).toBe('-rf everything');
    expect(fresh.env).toEqual({ PATH: '/bin', A: 'b' });
    const resumed = codexAdapter.buildCommand({ ...RUN, resumeToken: 'thread-1' }, cfg, { bin: '/x/codex', env });
    expect(resumed.args).toEqual(['exec', 'resume', '--json', '--skip-git-repo-check', '-c', 'sandbox_mode="workspace-write"', '-m', 'gpt-5.5', '-c', 'x=1', '--', 'thread-1', '-']);
    expect(resumed.stdin).toBe('p');
    expect(resumed.cwd).toBe(RUN.cwd);
  });
});

describe('claude parser on recorded 2.1.197 streams', () => {
  it('Write tool run: file_change after its result, message, usage with cost, session id', () => {
    const { events, parser } = replay(claudeAdapter, lines('claude-2.1.197.jsonl'));
    expect(types(events)).toEqual(['file_change', 'message', 'usage']);
    expect(events[0]).toEqual({ type: 'file_change', path: '/tmp/thalogos-fixture-repo/hello.txt', kind: 'add' });
    const usage = events[2];
    expect(usage?.type === 'usage' && usage.costUsd).toBeGreaterThan(0);
    const o = parser.outcome();
    expect(o).toMatchObject({ finalMessage: 'All done.', reportedStatus: 'succeeded' });
    expect(o.resumeToken).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('401 run: is_error result with api_error_status 401 is an auth failure', () => {
    const { parser } = replay(claudeAdapter, lines('claude-2.1.197.401.jsonl'), 1);
    const o = parser.outcome();
    expect(o.reportedStatus).toBe('failed');
    expect(o.errorText).toContain('401');
    expect(claudeAdapter.classifyExit({ exitCode: 1, signal: null, parsed: o, stderrTail: '' }).error).toMatchObject({ code: 'AGENT_AUTH', transient: false });
  });

  it('Bash tool results become command events with the stated exit code; unanswered tools still show', () => {
    const parser = claudeAdapter.createParser(RUN);
    const use = (id: string, name: string, input: unknown): string => JSON.stringify({ type: 'assistant', message: { content: [{ type: 'tool_use', id, name, input }] } });
    const result = (id: string, content: string, isError: boolean): string => JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: id, content, is_error: isError }] } });
    const events = [
      use('a', 'Bash', { command: 'false' }), result('a', 'Exit code 3\nboom', true),
      use('b', 'Grep', { pattern: 'x' }), result('b', 'no matches', false),
      use('c', 'Bash', { command: 'sleep 100' }),
    ].flatMap((l) => parser.line(l));
    events.push(...parser.finish({ exitCode: null, signal: 'SIGTERM' }));
    expect(events).toEqual([
      { type: 'command', command: 'false', exitCode: 3, output: 'Exit code 3\nboom', status: 'failed' },
      { type: 'tool_call', name: 'Grep', input: { pattern: 'x' }, output: 'no matches' },
      { type: 'command', command: 'sleep 100', exitCode: null, output: '', status: 'in_progress' },
    ]);
  });

  it('unknown event types, truncated and non-JSON lines become raw events and the rest still parses', () => {
    const input = withNoise(lines('claude-2.1.197.jsonl'), '{"type":"rate_limit_event","info":{}}');
    const { events, parser } = replay(claudeAdapter, input);
    const raws = events.filter((e) => e.type === 'raw');
    expect(raws.map((r) => r.type === 'raw' && r.reason)).toEqual(['unknown_type', 'not_json', 'not_json']);
    expect(types(events).filter((t) => t !== 'raw')).toEqual(['file_change', 'message', 'usage']);
    expect(parser.outcome().finalMessage).toBe('All done.');
  });

  it('passes a resume token; the prompt goes on stdin, never read as an option', () => {
    const cfg = { enabled: true, args: [], env: {}, envFrom: {}, timeoutMs: 1000, network: 'on' as const, maxOutputBytes: 1_000_000 };
    const c = claudeAdapter.buildCommand({ ...RUN, prompt: '--help', resumeToken: 's-1' }, cfg, { bin: 'claude', env: { CLAUDECODE: '1', HOME: '/h' } });
    expect(c.args).toEqual(['-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits', '--allowedTools=Bash,Write,Edit', '--resume', 's-1']);
    expect(c.stdin).toBe('--help');
    expect(c.env['CLAUDECODE']).toBeUndefined();
  });
});

describe('gemini parser on recorded 0.61.0 streams', () => {
  it('write_file run: file_change, coalesced message, usage, session id', () => {
    const { events, parser } = replay(geminiAdapter, lines('gemini-0.61.0.jsonl'));
    expect(types(events)).toEqual(['file_change', 'message', 'usage']);
    expect(events[0]).toEqual({ type: 'file_change', path: '/tmp/thalogos-fixture-repo/hello.txt', kind: 'write' });
    expect(events[2]).toMatchObject({ type: 'usage', inputTokens: 240, outputTokens: 60 });
    const o = parser.outcome();
    expect(o).toMatchObject({ finalMessage: 'All done.', reportedStatus: 'succeeded' });
    expect(o.resumeToken).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('401 run: error result, and the exit codes (41, 401 % 256) classify as auth', () => {
    const { parser } = replay(geminiAdapter, lines('gemini-0.61.0.401.jsonl'), 1);
    const o = parser.outcome();
    expect(o.reportedStatus).toBe('failed');
    expect(geminiAdapter.classifyExit({ exitCode: 1, signal: null, parsed: o, stderrTail: '' }).error).toMatchObject({ code: 'AGENT_AUTH', transient: false });
    const none = { finalMessage: null, resumeToken: null, reportedStatus: null, errorText: null };
    expect(geminiAdapter.classifyExit({ exitCode: 41, signal: null, parsed: none, stderrTail: '' }).error?.code).toBe('AGENT_AUTH');
    expect(geminiAdapter.classifyExit({ exitCode: 401 % 256, signal: null, parsed: none, stderrTail: '' }).error?.code).toBe('AGENT_AUTH');
    expect(geminiAdapter.classifyExit({ exitCode: 429 % 256, signal: null, parsed: none, stderrTail: '' }).error).toMatchObject({ code: 'AGENT_RATE_LIMITED', transient: true });
    expect(geminiAdapter.classifyExit({ exitCode: 55, signal: null, parsed: none, stderrTail: '' }).error?.code).toBe('AGENT_USAGE');
  });

  it('assistant deltas are coalesced into one message per uninterrupted run', () => {
    const parser = geminiAdapter.createParser(RUN);
    const msg = (content: string): string => JSON.stringify({ type: 'message', role: 'assistant', content, delta: true });
    const events = [msg('Hel'), msg('lo'), JSON.stringify({ type: 'tool_use', tool_name: 'run_shell_command', tool_id: 't', parameters: { command: 'ls' } }),
      JSON.stringify({ type: 'tool_result', tool_id: 't', status: 'success', output: 'a\nb' }), msg('Bye')].flatMap((l) => parser.line(l));
    events.push(...parser.finish({ exitCode: 0, signal: null }));
    expect(events).toEqual([
      { type: 'message', text: 'Hello', role: 'assistant' },
      { type: 'command', command: 'ls', exitCode: null, output: 'a\nb', status: 'success' },
      { type: 'message', text: 'Bye', role: 'assistant' },
    ]);
    expect(parser.outcome().finalMessage).toBe('Bye');
  });

  it('unknown event types, truncated and non-JSON lines become raw events and the rest still parses', () => {
    const input = withNoise(lines('gemini-0.61.0.jsonl'), '{"type":"thought","content":"hmm"}');
    const { events, parser } = replay(geminiAdapter, input);
    const raws = events.filter((e) => e.type === 'raw');
    expect(raws.map((r) => r.type === 'raw' && r.reason)).toEqual(['unknown_type', 'not_json', 'not_json']);
    expect(types(events).filter((t) => t !== 'raw')).toEqual(['file_change', 'message', 'usage']);
    expect(parser.outcome().finalMessage).toBe('All done.');
  });

  it('keeps a prompt that looks like an option a value', () => {
    const c = geminiAdapter.buildCommand({ ...RUN, prompt: '--yolo is not a prompt', resumeToken: 'u-1' }, { enabled: true, model: 'm', args: [], env: {}, envFrom: {}, timeoutMs: 1, network: 'on' as const, maxOutputBytes: 1_000_000 }, { bin: 'gemini', env: {} });
    expect(c.args).toEqual(['--prompt=', '--output-format', 'stream-json', '--yolo', '--skip-trust', '-m', 'm', '--resume', 'u-1']);
    expect(c.stdin).toBe('--yolo is not a prompt');
  });
});

describe('fixtures per installed CLI version', () => {
  const installed = (pkg: string): string =>
    (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  it.each([
    ['codex', '@openai/codex'],
    ['claude', '@anthropic-ai/claude-code'],
    ['gemini', '@google/gemini-cli'],
  ])('%s: a recorded stream exists for the installed version (re-record with tests/fake-model/record-fixtures.ts)', (cli, pkg) => {
    const version = installed(pkg);
    expect(() => lines(`${cli}-${version}.jsonl`)).not.toThrow();
    expect(() => lines(`${cli}-${version}.401.jsonl`)).not.toThrow();
  });
});
