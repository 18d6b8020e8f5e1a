import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { AgentAdapter, ParsedOutcome, StreamParser } from './agent-adapter.js';
import type { AgentEventDraft } from './agent-event.js';
import { buildChildEnv } from './child-env.js';
import { classifyStandardExit, type FailureCode } from './failure-classifier.js';
import { firstSemver } from './handshake.js';
import { invalid, parseJsonObject, unknownType } from './json-line.js';
import { geminiStateDirs } from './sandbox/state-dirs.js';

// Shapes of `gemini -p ... --output-format stream-json` (0.61).
const Init = z.looseObject({ session_id: z.string(), model: z.string().optional() });
const Message = z.looseObject({ role: z.string(), content: z.string(), delta: z.boolean().optional() });
const ToolUse = z.looseObject({ tool_name: z.string(), tool_id: z.string(), parameters: z.record(z.string(), z.unknown()).default({}) });
const ToolResult = z.looseObject({
  tool_id: z.string(), status: z.string(), output: z.string().optional(),
  error: z.looseObject({ message: z.string() }).optional(),
});
const ErrorEvent = z.looseObject({ message: z.string(), severity: z.string().optional() });
const Stats = z.looseObject({ input_tokens: z.number().default(0), output_tokens: z.number().default(0), cached: z.number().optional() });
const Result = z.looseObject({
  status: z.string(), stats: Stats.optional(),
  error: z.looseObject({ message: z.string(), type: z.string().optional() }).optional(),
});

type Use = z.infer<typeof ToolUse>;

function toolEvents(use: Use, result: z.infer<typeof ToolResult> | null): AgentEventDraft[] {
  const ok = result?.status === 'success';
  const output = result === null ? undefined : (result.output ?? result.error?.message ?? '');
  const p = use.parameters;
  if (use.tool_name === 'run_shell_command' && typeof p['command'] === 'string') {
    // The stream carries no exit code; the tool output sometimes states it.
    const stated = /Exit Code: (\d+)/i.exec(output ?? '')?.[1];
    return [{ type: 'command', command: p['command'], exitCode: stated !== undefined ? Number(stated) : null,
      output: output ?? '', status: result === null ? 'in_progress' : result.status }];
  }
  const path = p['file_path'];
  if ((use.tool_name === 'write_file' || use.tool_name === 'replace') && typeof path === 'string' && ok) {
    return [{ type: 'file_change', path, kind: use.tool_name === 'write_file' ? 'write' : 'update' }];
  }
  return [{ type: 'tool_call', name: use.tool_name, input: p, ...(output === undefined ? {} : { output }) }];
}

function createGeminiParser(): StreamParser {
  const outcome: ParsedOutcome = { finalMessage: null, resumeToken: null, reportedStatus: null, errorText: null };
  const pending = new Map<string, Use>();
  // Assistant text arrives as deltas; one message event per uninterrupted run of deltas.
  let text = '';
  const flush = (): AgentEventDraft[] => {
    if (text.length === 0) return [];
    const t = text;
    text = '';
    outcome.finalMessage = t;
    return [{ type: 'message', text: t, role: 'assistant' }];
  };

  const parse = (v: Record<string, unknown>, line: string): AgentEventDraft[] => {
    switch (v['type']) {
      case 'init': {
        const i = Init.safeParse(v);
        if (!i.success) return [invalid(line)];
        outcome.resumeToken = i.data.session_id;
        return [];
      }
      case 'tool_use': {
        const u = ToolUse.safeParse(v);
        if (!u.success) return [invalid(line)];
        pending.set(u.data.tool_id, u.data);
        return [];
      }
      case 'tool_result': {
        const r = ToolResult.safeParse(v);
        if (!r.success) return [invalid(line)];
        const use = pending.get(r.data.tool_id);
        pending.delete(r.data.tool_id);
        return use ? toolEvents(use, r.data) : [{ type: 'tool_call', name: r.data.tool_id, output: r.data.output ?? '' }];
      }
      case 'error': {
        const e = ErrorEvent.safeParse(v);
        if (!e.success) return [invalid(line)];
        if (e.data.severity !== 'warning') outcome.errorText = e.data.message;
        return [{ type: 'error', message: e.data.message, ...(e.data.severity ? { code: e.data.severity.toUpperCase() } : {}) }];
      }
      case 'result': {
        const r = Result.safeParse(v);
        if (!r.success) return [invalid(line)];
        const ok = r.data.status === 'success';
        outcome.reportedStatus = ok ? 'succeeded' : 'failed';
        if (!ok) outcome.errorText = r.data.error?.message ?? outcome.errorText ?? `result status ${r.data.status}`;
        const s = r.data.stats;
        return s ? [{ type: 'usage', inputTokens: s.input_tokens, outputTokens: s.output_tokens,
          ...(s.cached === undefined ? {} : { cachedTokens: s.cached }), costUsd: null }] : [];
      }
      default:
        return [unknownType(line)];
    }
  };

  return {
    line(line) {
      const j = parseJsonObject(line);
      if (!j.ok) return [...flush(), j.raw];
      if (j.value['type'] === 'message') {
        const m = Message.safeParse(j.value);
        if (!m.success) return [...flush(), invalid(line)];
        if (m.data.role !== 'assistant') return [];
        if (m.data.delta === false) { const out = flush(); text = m.data.content; return [...out, ...flush()]; }
        text += m.data.content;
        return [];
      }
      return [...flush(), ...parse(j.value, line)];
    },
    finish() {
      const out = flush();
      for (const use of pending.values()) out.push(...toolEvents(use, null));
      pending.clear();
      return out;
    },
    outcome: () => ({ ...outcome }),
  };
}

// Gemini CLI exit codes: its own (41 auth, 42 bad input, 52 config, 55 untrusted workspace), and
// API failures as the HTTP status modulo 256.
const EXIT_CODES: Readonly<Record<number, FailureCode>> = {
  41: 'AGENT_AUTH', 42: 'AGENT_USAGE', 52: 'AGENT_USAGE', 55: 'AGENT_USAGE',
  [400 % 256]: 'AGENT_USAGE', [401 % 256]: 'AGENT_AUTH', [403 % 256]: 'AGENT_AUTH', [404 % 256]: 'AGENT_USAGE',
  [429 % 256]: 'AGENT_RATE_LIMITED', [500 % 256]: 'AGENT_UPSTREAM', [502 % 256]: 'AGENT_UPSTREAM',
  [503 % 256]: 'AGENT_UPSTREAM', [504 % 256]: 'AGENT_UPSTREAM',
};

export const geminiAdapter: AgentAdapter = {
  id: 'gemini',
  displayName: 'Gemini CLI',
  defaultBin: 'gemini',
  versionArgs: ['--version'],
  parseVersion: firstSemver,
  // `--output-format stream-json` exists from here on.
  minVersion: '0.11.0',
  descriptor: (config, cliVersion) => ({
    id: 'gemini', displayName: 'Gemini CLI', cliVersion, defaultModel: config.model ?? null, streams: true, canResume: true,
    sandboxModes: ['yolo'], structuredFinalOutput: false, costPerMTokens: null,
  }),
  detectUnauthenticated({ env }) {
    for (const name of ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_GENAI_USE_GCA', 'GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_CLOUD_PROJECT']) {
      if (env[name]) return null;
    }
    const dir = join(env['HOME'] ?? homedir(), '.gemini');
    if (['oauth_creds.json', 'settings.json', 'google_accounts.json', '.env'].some((f) => existsSync(join(dir, f)))) return null;
    return 'no GEMINI_API_KEY or GOOGLE_API_KEY, no Vertex AI settings and no ~/.gemini login (run `gemini` once to log in)';
  },
  stateDirs: geminiStateDirs,
  buildCommand(opts, config, ctx) {
    // The prompt goes on stdin (an argv element is limited to 128 KiB); the CLI puts stdin before
    // the (empty) `--prompt=` value, which keeps it headless.
    const args = [
      // --skip-trust: a fresh task worktree is never in the user's trusted folders (exit 55 otherwise).
      // A planning run: `--approval-mode plan` is Gemini's read-only mode.
      '--prompt=', '--output-format', 'stream-json', ...(opts.readOnly ? ['--approval-mode', 'plan'] : ['--yolo']), '--skip-trust',
      ...(config.model ? ['-m', config.model] : []),
      ...(opts.resumeToken ? ['--resume', opts.resumeToken] : []),
      ...config.args,
    ];
    return { bin: ctx.bin, args, env: buildChildEnv(ctx.env, config.env), cwd: opts.cwd, stdin: opts.prompt };
  },
  readOnlyMode: true,
  createParser: createGeminiParser,
  classifyExit: (exit) => classifyStandardExit(exit, EXIT_CODES),
};
