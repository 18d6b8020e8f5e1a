import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { AgentAdapter, ParsedOutcome, StreamParser } from './agent-adapter.js';
import type { AgentEventDraft } from './agent-event.js';
import { buildChildEnv } from './child-env.js';
import { classifyStandardExit, failure, type RunFailure } from './failure-classifier.js';
import { firstSemver } from './handshake.js';
import { invalid, parseJsonObject, unknownType } from './json-line.js';
import { codexStateDirs } from './sandbox/state-dirs.js';

// Shapes of `codex exec --json` (0.169). Loose objects: new fields are fine, missing ones are not.
const Usage = z.looseObject({
  input_tokens: z.number(), output_tokens: z.number(), cached_input_tokens: z.number().optional(),
});
const Item = z.looseObject({ id: z.string().optional(), type: z.string() });
const Event = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('thread.started'), thread_id: z.string() }),
  z.looseObject({ type: z.literal('turn.started') }),
  z.looseObject({ type: z.literal('turn.completed'), usage: Usage }),
  z.looseObject({ type: z.literal('turn.failed'), error: z.looseObject({ message: z.string() }) }),
  z.looseObject({ type: z.literal('error'), message: z.string() }),
  z.looseObject({ type: z.enum(['item.started', 'item.updated', 'item.completed']), item: Item }),
]);
const KNOWN = new Set(['thread.started', 'turn.started', 'turn.completed', 'turn.failed', 'error', 'item.started', 'item.updated', 'item.completed']);

const AgentMessage = z.looseObject({ text: z.string() });
const Command = z.looseObject({
  command: z.string(), aggregated_output: z.string().default(''), exit_code: z.number().int().nullable().default(null),
  status: z.string().optional(),
});
const FileChange = z.looseObject({ changes: z.array(z.looseObject({ path: z.string(), kind: z.string() })) });
const McpCall = z.looseObject({
  server: z.string(), tool: z.string(), arguments: z.unknown().optional(), result: z.unknown().optional(),
  error: z.looseObject({ message: z.string() }).nullable().optional(), status: z.string().optional(),
});
const WebSearch = z.looseObject({ query: z.string() });
const TodoList = z.looseObject({ items: z.array(z.looseObject({ text: z.string(), completed: z.boolean() })) });
const ErrorItem = z.looseObject({ message: z.string() });

function createCodexParser(): StreamParser {
  const outcome: ParsedOutcome = { finalMessage: null, resumeToken: null, reportedStatus: null, errorText: null };

  const item = (phase: string, raw: z.infer<typeof Item>, line: string): AgentEventDraft[] => {
    const completed = phase === 'item.completed';
    switch (raw.type) {
      case 'agent_message': {
        if (!completed) return [];
        const m = AgentMessage.safeParse(raw);
        if (!m.success) return [invalid(line)];
        outcome.finalMessage = m.data.text;
        return [{ type: 'message', text: m.data.text, role: 'assistant' }];
      }
      case 'reasoning': {
        if (!completed) return [];
        const m = AgentMessage.safeParse(raw);
        return m.success ? [{ type: 'reasoning', text: m.data.text }] : [invalid(line)];
      }
      case 'command_execution': {
        // Started and completed both surface: a long command is visible while it runs.
        if (phase === 'item.updated') return [];
        const c = Command.safeParse(raw);
        if (!c.success) return [invalid(line)];
        return [{ type: 'command', command: c.data.command, exitCode: c.data.exit_code, output: c.data.aggregated_output,
          status: c.data.status ?? (completed ? 'completed' : 'in_progress') }];
      }
      case 'file_change': {
        if (!completed) return [];
        const f = FileChange.safeParse(raw);
        if (!f.success) return [invalid(line)];
        return f.data.changes.map((ch) => ({ type: 'file_change' as const, path: ch.path, kind: ch.kind }));
      }
      case 'mcp_tool_call': {
        if (!completed) return [];
        const t = McpCall.safeParse(raw);
        if (!t.success) return [invalid(line)];
        const output = t.data.error?.message ?? (t.data.result === undefined ? undefined : JSON.stringify(t.data.result));
        return [{ type: 'tool_call', name: `${t.data.server}.${t.data.tool}`, input: t.data.arguments,
          ...(output === undefined ? {} : { output }) }];
      }
      case 'web_search': {
        if (!completed) return [];
        const w = WebSearch.safeParse(raw);
        return w.success ? [{ type: 'tool_call', name: 'web_search', input: { query: w.data.query } }] : [invalid(line)];
      }
      case 'todo_list': {
        if (!completed) return [];
        const t = TodoList.safeParse(raw);
        return t.success ? [{ type: 'tool_call', name: 'todo_list', input: t.data.items }] : [invalid(line)];
      }
      case 'error': {
        // Item-level errors are warnings (e.g. unknown model metadata); the turn decides failure.
        const e = ErrorItem.safeParse(raw);
        return e.success ? [{ type: 'error', message: e.data.message, code: 'CLI_WARNING' }] : [invalid(line)];
      }
      default:
        return completed || phase === 'item.started' ? [unknownType(line)] : [];
    }
  };

  return {
    line(line) {
      const j = parseJsonObject(line);
      if (!j.ok) return [j.raw];
      if (!KNOWN.has(String(j.value['type']))) return [unknownType(line)];
      const p = Event.safeParse(j.value);
      if (!p.success) return [invalid(line)];
      const e = p.data;
      switch (e.type) {
        case 'thread.started':
          outcome.resumeToken = e.thread_id;
          return [];
        case 'turn.started':
          return [];
        case 'turn.completed':
          return [{ type: 'usage', inputTokens: e.usage.input_tokens, outputTokens: e.usage.output_tokens,
            ...(e.usage.cached_input_tokens === undefined ? {} : { cachedTokens: e.usage.cached_input_tokens }), costUsd: null }];
        case 'turn.failed':
          outcome.reportedStatus = 'failed';
          outcome.errorText = e.error.message;
          return [{ type: 'error', message: e.error.message, code: 'TURN_FAILED' }];
        case 'error':
          outcome.errorText = e.message;
          return [{ type: 'error', message: e.message }];
        default:
          return item(e.type, e.item, line);
      }
    },
    finish: () => [],
    outcome: () => ({ ...outcome }),
  };
}

/**
 * Codex's own sandbox failing to start (`bwrap: execvp codex-linux-sandbox`, helper binaries it
 * refused to create, a Landlock/seccomp refusal) makes every shell tool fail while the turn still
 * ends "completed": the run claims success having changed nothing.
 */
const CODEX_SANDBOX_ERROR = /codex-linux-sandbox|Refusing to create helper binaries|sandbox(?:ing)? (?:denied|error|failed)|landlock|seccomp/i;

function codexSandboxFailure(events: readonly AgentEventDraft[]): RunFailure | null {
  const ran = events.filter((e): e is Extract<AgentEventDraft, { type: 'command' }> => e.type === 'command' && e.status !== 'in_progress');
  const blocked = ran.filter((e) => e.exitCode !== 0 && CODEX_SANDBOX_ERROR.test(e.output));
  if (blocked.length === 0 || blocked.length < ran.length || events.some((e) => e.type === 'file_change')) return null;
  const sample = blocked[0]?.output.trim().split('\n')[0] ?? '';
  return failure('AGENT_SANDBOX_BLOCKED', `every shell tool of this run was refused by Codex's own sandbox (${blocked.length} of ${ran.length}; "${sample.slice(0, 200)}"): nothing was done. Run Codex inside the Thalogos sandbox (the default), or give it a CODEX_HOME outside the temporary dir.`);
}

function codexHome(env: NodeJS.ProcessEnv): string {
  return env['CODEX_HOME'] ?? join(env['HOME'] ?? homedir(), '.codex');
}

export const codexAdapter: AgentAdapter = {
  id: 'codex',
  displayName: 'Codex CLI',
  defaultBin: 'codex',
  versionArgs: ['--version'],
  parseVersion: firstSemver,
  // `exec --json` with item events and `exec resume` both exist from here on.
  minVersion: '0.50.0',
  descriptor: (config, cliVersion) => ({
    id: 'codex', displayName: 'Codex CLI', cliVersion, defaultModel: config.model ?? null, streams: true, canResume: true,
    sandboxModes: ['read-only', 'workspace-write', 'danger-full-access'], structuredFinalOutput: true, costPerMTokens: null,
  }),
  detectUnauthenticated({ env, config }) {
    if (env['OPENAI_API_KEY'] || env['CODEX_API_KEY']) return null;
    const home = codexHome(env);
    if (existsSync(join(home, 'auth.json'))) return null;
    // A custom provider (Azure, a proxy, a local model) brings its own key through its env_key.
    if (config.args.some((a) => a.includes('model_provider'))) return null;
    try {
      if (/^\s*model_provider\s*=/m.test(readFileSync(join(home, 'config.toml'), 'utf8'))) return null;
    } catch { /* no config file */ }
    return `no OPENAI_API_KEY or CODEX_API_KEY, no ${join(home, 'auth.json')} (run \`codex login\`), and no custom model_provider configured`;
  },
  stateDirs: codexStateDirs,
  sandboxFailure: codexSandboxFailure,
  buildCommand(opts, config, ctx) {
    const model = config.model ? ['-m', config.model] : [];
    // Inside our sandbox Codex's own is switched off: it would nest a second bubblewrap through
    // helper binaries Codex refuses to create under a temporary CODEX_HOME, and every tool would
    // fail. Unconfined (sandbox "off"), Codex keeps its workspace-write sandbox.
    // A planning run asks Codex for its read-only sandbox either way; ours binds the dir read-only too.
    const mode = opts.readOnly ? 'read-only' : ctx.sandboxed ? 'danger-full-access' : 'workspace-write';
    // The prompt goes on stdin (`-`): an argv element is limited to 128 KiB. `--` ends the options.
    const args = opts.resumeToken
      ? ['exec', 'resume', '--json', '--skip-git-repo-check', '-c', `sandbox_mode="${mode}"`, ...model, ...config.args, '--', opts.resumeToken, '-']
      : ['exec', '--json', '--skip-git-repo-check', '--sandbox', mode, '-C', opts.cwd, ...model, ...config.args, '--', '-'];
    return { bin: ctx.bin, args, env: buildChildEnv(ctx.env, config.env), cwd: opts.cwd, stdin: opts.prompt };
  },
  readOnlyMode: true,
  createParser: createCodexParser,
  // Codex: 0 ok, 1 run failed (classified from its error text), 2 usage error.
  classifyExit: (exit) => classifyStandardExit(exit, { 2: 'AGENT_USAGE' }),
};
