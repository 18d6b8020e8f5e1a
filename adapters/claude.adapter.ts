import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { AgentAdapter, ParsedOutcome, StreamParser } from './agent-adapter.js';
import type { AgentEventDraft } from './agent-event.js';
import { buildChildEnv } from './child-env.js';
import { classifyStandardExit } from './failure-classifier.js';
import { firstSemver } from './handshake.js';
import { invalid, parseJsonObject, unknownType } from './json-line.js';
import { claudeStateDirs } from './sandbox/state-dirs.js';

// Shapes of `claude -p --output-format stream-json --verbose` (2.1).
const Block = z.looseObject({ type: z.string() });
const TextBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const ThinkingBlock = z.looseObject({ type: z.literal('thinking'), thinking: z.string() });
const ToolUse = z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.record(z.string(), z.unknown()).default({}) });
const ToolResult = z.looseObject({
  type: z.literal('tool_result'), tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]).optional(),
  is_error: z.boolean().optional(),
});
const Message = z.looseObject({ message: z.looseObject({ content: z.union([z.string(), z.array(Block)]) }) });
const Result = z.looseObject({
  subtype: z.string(), is_error: z.boolean().optional(), result: z.string().optional(), session_id: z.string().optional(),
  total_cost_usd: z.number().nullable().optional(), api_error_status: z.number().nullable().optional(),
  usage: z.looseObject({
    input_tokens: z.number().default(0), output_tokens: z.number().default(0),
    cache_creation_input_tokens: z.number().nullable().optional(), cache_read_input_tokens: z.number().nullable().optional(),
  }).optional(),
  errors: z.array(z.string()).optional(),
});
const System = z.looseObject({ subtype: z.string(), session_id: z.string().optional() });

type PendingTool = z.infer<typeof ToolUse>;
const FILE_TOOLS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit']);

function resultText(content: z.infer<typeof ToolResult>['content']): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((c) => c.text ?? '').join('');
}

function toolEvents(use: PendingTool, result: z.infer<typeof ToolResult> | null): AgentEventDraft[] {
  const output = result ? resultText(result.content) : undefined;
  const failed = result?.is_error === true;
  const input = use.input;
  if (use.name === 'Bash' && typeof input['command'] === 'string') {
    // Claude reports the exit code only in the text of a failed result ("Exit code 2").
    const exitCode = result === null ? null : failed ? Number(/Exit code (\d+)/.exec(output ?? '')?.[1] ?? 1) : 0;
    return [{ type: 'command', command: input['command'], exitCode, output: output ?? '', status: result === null ? 'in_progress' : failed ? 'failed' : 'completed' }];
  }
  const path = input['file_path'] ?? input['notebook_path'];
  if (FILE_TOOLS.has(use.name) && typeof path === 'string' && result !== null && !failed) {
    const kind = use.name === 'Write' && /created/i.test(output ?? '') ? 'add' : 'update';
    return [{ type: 'file_change', path, kind }];
  }
  return [{ type: 'tool_call', name: use.name, input, ...(output === undefined ? {} : { output }) }];
}

function createClaudeParser(): StreamParser {
  const outcome: ParsedOutcome = { finalMessage: null, resumeToken: null, reportedStatus: null, errorText: null };
  const pending = new Map<string, PendingTool>();
  let lastText: string | null = null;

  return {
    line(line) {
      const j = parseJsonObject(line);
      if (!j.ok) return [j.raw];
      const v = j.value;
      switch (v['type']) {
        case 'system': {
          const s = System.safeParse(v);
          if (!s.success) return [invalid(line)];
          if (s.data.subtype !== 'init') return [unknownType(line)];
          if (s.data.session_id) outcome.resumeToken = s.data.session_id;
          return [];
        }
        case 'assistant': {
          const m = Message.safeParse(v);
          if (!m.success) return [invalid(line)];
          const content = m.data.message.content;
          if (typeof content === 'string') { lastText = content; return [{ type: 'message', text: content, role: 'assistant' }]; }
          const out: AgentEventDraft[] = [];
          for (const b of content) {
            const text = TextBlock.safeParse(b);
            if (text.success) { lastText = text.data.text; out.push({ type: 'message', text: text.data.text, role: 'assistant' }); continue; }
            const th = ThinkingBlock.safeParse(b);
            if (th.success) { out.push({ type: 'reasoning', text: th.data.thinking }); continue; }
            const tu = ToolUse.safeParse(b);
            // Held until its result arrives, so the event carries the command's output.
            if (tu.success) { pending.set(tu.data.id, tu.data); continue; }
            if (b.type !== 'redacted_thinking') out.push({ type: 'raw', line: JSON.stringify(b), reason: 'unknown_type' });
          }
          return out;
        }
        case 'user': {
          const m = Message.safeParse(v);
          if (!m.success) return [invalid(line)];
          const content = m.data.message.content;
          if (typeof content === 'string') return [];
          const out: AgentEventDraft[] = [];
          for (const b of content) {
            const r = ToolResult.safeParse(b);
            if (!r.success) continue; // the prompt echoed back, or context text
            const use = pending.get(r.data.tool_use_id);
            pending.delete(r.data.tool_use_id);
            out.push(...(use ? toolEvents(use, r.data) : [{ type: 'tool_call' as const, name: 'unknown', output: resultText(r.data.content) }]));
          }
          return out;
        }
        case 'result': {
          const r = Result.safeParse(v);
          if (!r.success) return [invalid(line)];
          const d = r.data;
          if (d.session_id) outcome.resumeToken = d.session_id;
          const failed = d.is_error === true || d.subtype !== 'success';
          outcome.reportedStatus = failed ? 'failed' : 'succeeded';
          if (failed) {
            const status = d.api_error_status ? `API status ${d.api_error_status}: ` : '';
            outcome.httpStatus = d.api_error_status ?? null;
            outcome.errorText = `${status}${d.result ?? d.errors?.join('; ') ?? d.subtype}`;
          } else {
            outcome.finalMessage = d.result ?? lastText;
          }
          const u = d.usage;
          if (!u) return [];
          const cached = u.cache_read_input_tokens ?? 0;
          return [{ type: 'usage', inputTokens: u.input_tokens + (u.cache_creation_input_tokens ?? 0) + cached,
            outputTokens: u.output_tokens, cachedTokens: cached, costUsd: d.total_cost_usd ?? null }];
        }
        default:
          return [unknownType(line)];
      }
    },
    finish() {
      // Tools whose result never came (the run was cut short) still show what was attempted.
      const out = [...pending.values()].flatMap((use) => toolEvents(use, null));
      pending.clear();
      if (outcome.finalMessage === null && outcome.reportedStatus !== 'failed') outcome.finalMessage = lastText;
      return out;
    },
    outcome: () => ({ ...outcome }),
  };
}

export const claudeAdapter: AgentAdapter = {
  id: 'claude',
  displayName: 'Claude Code',
  defaultBin: 'claude',
  versionArgs: ['--version'],
  parseVersion: firstSemver,
  // stream-json with `result.total_cost_usd` and `--permission-mode acceptEdits` exist from 1.0.
  minVersion: '1.0.0',
  descriptor: (config, cliVersion) => ({
    id: 'claude', displayName: 'Claude Code', cliVersion, defaultModel: config.model ?? null, streams: true, canResume: true,
    sandboxModes: ['acceptEdits', 'default', 'plan'], structuredFinalOutput: true, costPerMTokens: null,
  }),
  detectUnauthenticated({ env }) {
    for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY']) {
      if (env[name]) return null;
    }
    if (process.platform === 'darwin') return null; // the login may sit in the keychain
    const home = env['HOME'] ?? homedir();
    const dirs = [env['CLAUDE_CONFIG_DIR'], join(home, '.claude')].filter((d): d is string => typeof d === 'string');
    const files = [...dirs.flatMap((d) => [join(d, '.credentials.json'), join(d, 'settings.json'), join(d, '.claude.json')]), join(home, '.claude.json')];
    if (files.some((f) => existsSync(f))) return null;
    return 'no ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN and no Claude Code login (run `claude` once to log in)';
  },
  stateDirs: claudeStateDirs,
  buildCommand(opts, config, ctx) {
    const args = [
      '-p', '--output-format', 'stream-json', '--verbose',
      // acceptEdits + an allow-list needs no prompt and, unlike bypassPermissions, works as root.
      // A planning run: plan mode reads and proposes, it edits nothing.
      ...(opts.readOnly ? ['--permission-mode', 'plan'] : ['--permission-mode', 'acceptEdits', '--allowedTools=Bash,Write,Edit']),
      ...(config.model ? ['--model', config.model] : []),
      ...(opts.resumeToken ? ['--resume', opts.resumeToken] : []),
      ...config.args,
    ];
    // `-p` without a prompt argument reads it from stdin: an argv element is limited to 128 KiB.
    return { bin: ctx.bin, args, env: buildChildEnv(ctx.env, config.env), cwd: opts.cwd, stdin: opts.prompt };
  },
  readOnlyMode: true,
  createParser: createClaudeParser,
  classifyExit: (exit) => classifyStandardExit(exit),
};
