import type { SessionUpdate, ToolCallContent } from '@agentclientprotocol/sdk';
import type { AgentEventDraft } from './agent-event.js';

/** What is known of one tool call, merged from `tool_call` and its `tool_call_update`s. */
interface ToolState {
  id: string;
  title: string;
  kind: string | null;
  status: string | null;
  rawInput: unknown;
  rawOutput: unknown;
  content: ToolCallContent[];
  locations: string[];
}

const FINISHED = new Set(['completed', 'failed']);

function record(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function text(content: readonly ToolCallContent[]): string {
  return content.flatMap((c) => (c.type === 'content' && c.content.type === 'text' ? [c.content.text] : [])).join('\n');
}

/** The shell command of an `execute` tool: rawInput.command (string or argv), else the title. */
function commandOf(t: ToolState): string {
  const c = record(t.rawInput)?.['command'];
  if (typeof c === 'string') return c;
  if (Array.isArray(c) && c.every((p) => typeof p === 'string')) return c.join(' ');
  return t.title;
}

/** Output and exit code as the agents report them (Codex: rawOutput.{stdout, exit_code}; Claude: text). */
function outputOf(t: ToolState): { output: string; exitCode: number | null } {
  const raw = record(t.rawOutput);
  const fromRaw = raw ? [raw['formatted_output'], raw['aggregated_output'], raw['stdout'], raw['output']].find((v): v is string => typeof v === 'string') : undefined;
  const output = fromRaw ?? (typeof t.rawOutput === 'string' ? t.rawOutput : text(t.content));
  const code = raw ? [raw['exit_code'], raw['exitCode']].find((v): v is number => typeof v === 'number') : undefined;
  const stated = /exit(?: code)?:? (\d+)/i.exec(output)?.[1];
  return { output, exitCode: code ?? (stated === undefined ? null : Number(stated)) };
}

/** A finished (or abandoned) tool call as normalised events: command, file changes, or tool_call. */
function toolEvents(t: ToolState): AgentEventDraft[] {
  const status = t.status ?? 'in_progress';
  if (t.kind === 'execute') {
    const { output, exitCode } = outputOf(t);
    return [{ type: 'command', command: commandOf(t), exitCode, output, status }];
  }
  if ((t.kind === 'edit' || t.kind === 'delete' || t.kind === 'move') && status === 'completed') {
    const diffs = t.content.flatMap((c) => (c.type === 'diff' ? [c] : []));
    const paths = diffs.length > 0 ? diffs.map((d) => d.path) : t.locations;
    if (paths.length > 0) {
      return [...new Set(paths)].map((path) => {
        const d = diffs.find((x) => x.path === path);
        const kind = t.kind === 'delete' ? 'delete' : t.kind === 'move' ? 'move' : d && (d.oldText === null || d.oldText === undefined || d.oldText === '') ? 'add' : 'update';
        return { type: 'file_change', path, kind } satisfies AgentEventDraft;
      });
    }
  }
  const out = outputOf(t).output;
  return [{ type: 'tool_call', name: t.title, ...(t.rawInput === undefined ? {} : { input: t.rawInput }),
    ...(out.length > 0 || FINISHED.has(status) ? { output: status === 'failed' ? `failed: ${out}` : out } : {}) }];
}

/**
 * Turns ACP `session/update`s into the normalised events. Message and thought chunks are joined
 * into one event per uninterrupted run; a tool call becomes its events once it finishes.
 */
export class AcpUpdateMapper {
  private message = '';
  private thought = '';
  private readonly tools = new Map<string, ToolState>();
  /** The last assistant message of the current turn (the run's final message). */
  lastMessage: string | null = null;

  /** Message and thought text held back so far, as events. */
  flush(): AgentEventDraft[] {
    const out: AgentEventDraft[] = [];
    if (this.thought.length > 0) { out.push({ type: 'reasoning', text: this.thought }); this.thought = ''; }
    if (this.message.length > 0) { out.push({ type: 'message', text: this.message, role: 'assistant' }); this.lastMessage = this.message; this.message = ''; }
    return out;
  }

  update(u: SessionUpdate): AgentEventDraft[] {
    switch (u.sessionUpdate) {
      case 'agent_message_chunk':
        if (u.content.type === 'text') {
          const held = this.thought.length > 0 ? this.flushThought() : [];
          this.message += u.content.text;
          return held;
        }
        return [];
      case 'agent_thought_chunk':
        if (u.content.type === 'text') {
          const held = this.message.length > 0 ? this.flush() : [];
          this.thought += u.content.text;
          return held;
        }
        return [];
      case 'tool_call': {
        const t: ToolState = { id: u.toolCallId, title: u.title, kind: u.kind ?? null, status: u.status ?? null, rawInput: u.rawInput,
          rawOutput: u.rawOutput, content: u.content ?? [], locations: (u.locations ?? []).map((l) => l.path) };
        this.tools.set(t.id, t);
        return [...this.flush(), ...this.finishIfDone(t)];
      }
      case 'tool_call_update': {
        const t = this.tools.get(u.toolCallId) ?? { id: u.toolCallId, title: u.title ?? u.toolCallId, kind: null, status: null, rawInput: undefined, rawOutput: undefined, content: [], locations: [] };
        if (u.title) t.title = u.title;
        if (u.kind) t.kind = u.kind;
        if (u.status) t.status = u.status;
        if (u.rawInput !== undefined && u.rawInput !== null) t.rawInput = u.rawInput;
        if (u.rawOutput !== undefined && u.rawOutput !== null) t.rawOutput = u.rawOutput;
        if (u.content) t.content = u.content;
        if (u.locations) t.locations = u.locations.map((l) => l.path);
        this.tools.set(t.id, t);
        return [...this.flush(), ...this.finishIfDone(t)];
      }
      case 'plan':
        // The agent's to-do list: no event type of its own, like Codex's todo_list.
        return [...this.flush(), { type: 'tool_call', name: 'plan', input: u.entries.map((e) => ({ content: e.content, status: e.status, priority: e.priority })) }];
      case 'user_message_chunk':
      case 'available_commands_update':
      case 'current_mode_update':
      case 'config_option_update':
      case 'session_info_update':
      case 'usage_update':
        return [];
      default:
        return [{ type: 'raw', line: JSON.stringify(u).slice(0, 16_384), reason: 'unknown_type' }];
    }
  }

  /** Tool calls that never finished (the turn was cancelled or the agent died), as in-progress events. */
  abandon(): AgentEventDraft[] {
    const out = [...this.flush(), ...[...this.tools.values()].flatMap((t) => toolEvents(t))];
    this.tools.clear();
    return out;
  }

  /** Starts a new turn: its final message is its own. */
  newTurn(): void {
    this.lastMessage = null;
  }

  private flushThought(): AgentEventDraft[] {
    const t = this.thought;
    this.thought = '';
    return [{ type: 'reasoning', text: t }];
  }

  private finishIfDone(t: ToolState): AgentEventDraft[] {
    if (!t.status || !FINISHED.has(t.status)) return [];
    this.tools.delete(t.id);
    return toolEvents(t);
  }
}
