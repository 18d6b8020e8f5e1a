import { client, ndJsonStream, PROTOCOL_VERSION, type ClientContext, type PromptResponse, type RequestPermissionRequest, type RequestPermissionResponse } from '@agentclientprotocol/sdk';
import { MAX_PERMISSION_DETAIL, type PermissionAsker, type PermissionDecision, type PermissionRequest, type SteerResult } from './acp-control.js';
import { AcpUpdateMapper } from './acp-updates.js';
import type { InteractiveIo, ParsedOutcome, StreamParser } from './agent-adapter.js';
import type { AgentEventDraft } from './agent-event.js';

export interface AcpSessionOptions {
  runId: string;
  cwd: string;
  prompt: string;
  resumeToken?: string | null | undefined;
  askPermission?: PermissionAsker | undefined;
  /** After the last turn and stdin closed, how long the agent may take to exit before it is stopped. */
  exitGraceMs?: number;
}

/** How a failed `session/load` is reported (classified AGENT_RESUME_FAILED). */
export const RESUME_FAILED = 'session/load failed';

/** Reads the token counts the agents put on a prompt response (Claude: `usage`, Gemini: `_meta.quota`). */
function usageOf(r: PromptResponse): { input: number; output: number; cached?: number } | null {
  const loose = r as PromptResponse & { usage?: { inputTokens?: number; outputTokens?: number; cachedReadTokens?: number } };
  if (loose.usage && typeof loose.usage.inputTokens === 'number') {
    return { input: loose.usage.inputTokens, output: loose.usage.outputTokens ?? 0, ...(loose.usage.cachedReadTokens ? { cached: loose.usage.cachedReadTokens } : {}) };
  }
  const quota = (r._meta?.['quota'] as { token_count?: { input_tokens?: number; output_tokens?: number } } | undefined)?.token_count;
  if (quota && typeof quota.input_tokens === 'number') return { input: quota.input_tokens, output: quota.output_tokens ?? 0 };
  return null;
}

function detailOf(p: RequestPermissionRequest): string | null {
  const input = p.toolCall.rawInput as Record<string, unknown> | null | undefined;
  const command = input?.['command'];
  if (typeof command === 'string') return command.slice(0, MAX_PERMISSION_DETAIL);
  if (Array.isArray(command)) return command.join(' ').slice(0, MAX_PERMISSION_DETAIL);
  const diffs = (p.toolCall.content ?? []).flatMap((c) => (c.type === 'diff' ? [`${c.path}\n${c.newText}`] : []));
  return diffs.length > 0 ? diffs.join('\n').slice(0, MAX_PERMISSION_DETAIL) : null;
}

/**
 * One ACP conversation over the child's stdio, as a StreamParser: stdout lines feed the protocol
 * client, updates become events, the prompt turns run one after the other (the task's prompt, then
 * each person's message), and the run ends when the last turn has ended and nobody wrote since.
 */
export function createAcpSession(opts: AcpSessionOptions): StreamParser {
  const outcome: ParsedOutcome = { finalMessage: null, resumeToken: opts.resumeToken ?? null, reportedStatus: null, errorText: null };
  const mapper = new AcpUpdateMapper();
  const queue: string[] = [];
  const pendingAsks = new Set<AbortController>();
  let input: ReadableStreamDefaultController<Uint8Array> | null = null;
  let io: InteractiveIo | null = null;
  let agent: ClientContext | null = null;
  let sessionId: string | null = null;
  let turnLive = false;
  let ending = false;
  let replaying = false;
  let asked = 0;
  const encoder = new TextEncoder();

  const emit = (drafts: AgentEventDraft[]): void => { io?.emit(drafts); };

  const decide = async (params: RequestPermissionRequest): Promise<RequestPermissionResponse> => {
    emit(mapper.flush());
    const request: PermissionRequest = io!.redact({
      requestId: `${opts.runId}-p${++asked}`,
      toolCallId: params.toolCall.toolCallId,
      title: params.toolCall.title ?? params.toolCall.toolCallId,
      toolKind: params.toolCall.kind ?? null,
      locations: (params.toolCall.locations ?? []).map((l) => l.path),
      detail: detailOf(params),
      options: params.options.map((o) => ({ optionId: o.optionId, name: o.name, kind: o.kind })),
    });
    const abort = new AbortController();
    pendingAsks.add(abort);
    let decision: PermissionDecision;
    try {
      decision = opts.askPermission
        ? await opts.askPermission(request, abort.signal)
        : { outcome: 'denied', reason: 'nobody can answer permission requests for this run' };
    } catch (err) {
      decision = { outcome: 'denied', reason: `the permission request failed: ${String(err)}` };
    } finally {
      pendingAsks.delete(abort);
    }
    if (abort.signal.aborted) {
      // session/cancel was sent: the protocol wants pending requests answered as cancelled.
      emit([{ type: 'tool_call', name: 'permission', input: request, output: 'cancelled: the turn was interrupted' }]);
      return { outcome: { outcome: 'cancelled' } };
    }
    const chosen = decision.outcome === 'selected' ? params.options.find((o) => o.optionId === decision.optionId) : undefined;
    if (chosen && (chosen.kind === 'allow_once' || chosen.kind === 'allow_always')) {
      emit([{ type: 'tool_call', name: 'permission', input: request, output: `allowed: ${chosen.name}` }]);
      return { outcome: { outcome: 'selected', optionId: chosen.optionId } };
    }
    // A denial picks the agent's own "reject once" so it stops this tool call and goes on talking.
    const reason = decision.outcome === 'denied' ? decision.reason : chosen ? chosen.name : `unknown option ${decision.optionId}`;
    emit([{ type: 'tool_call', name: 'permission', input: request, output: `denied: ${reason}` }]);
    const reject = chosen ?? params.options.find((o) => o.kind === 'reject_once') ?? params.options.find((o) => o.kind === 'reject_always');
    return reject ? { outcome: { outcome: 'selected', optionId: reject.optionId } } : { outcome: { outcome: 'cancelled' } };
  };

  const finishTurn = (r: PromptResponse): void => {
    emit(mapper.abandon());
    const u = usageOf(r);
    if (u) emit([{ type: 'usage', inputTokens: u.input, outputTokens: u.output, ...(u.cached === undefined ? {} : { cachedTokens: u.cached }), costUsd: null }]);
    outcome.finalMessage = mapper.lastMessage ?? outcome.finalMessage;
  };

  const converse = async (ctx: ClientContext): Promise<void> => {
    agent = ctx;
    const init = await ctx.request('initialize', {
      protocolVersion: PROTOCOL_VERSION,
      // Files and terminals stay the agent's own (inside the sandbox); we only answer permissions.
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: 'thalogos', version: '1' },
    });
    // What ran is recorded with the run: the adapter package and its version (claude-agent-acp,
    // codex-acp) or the CLI's own (Gemini), whichever answers.
    const info = init.agentInfo;
    if (info?.version) outcome.agentVersion = info.name ? `${info.name} ${info.version}` : info.version;
    if (opts.resumeToken && init.agentCapabilities?.loadSession) {
      // The agent replays the old conversation as updates: they are history, not this run's events.
      replaying = true;
      try {
        await ctx.request('session/load', { sessionId: opts.resumeToken, cwd: opts.cwd, mcpServers: [] });
      } catch (err) {
        const e = err as { message?: string; data?: unknown };
        throw new Error(`${RESUME_FAILED}: ${e.message ?? String(err)}${e.data ? ` ${JSON.stringify(e.data)}` : ''}`);
      } finally {
        replaying = false;
      }
      sessionId = opts.resumeToken;
    } else {
      sessionId = (await ctx.request('session/new', { cwd: opts.cwd, mcpServers: [] })).sessionId;
    }
    outcome.resumeToken = sessionId;
    emit([]);
    let next: string | undefined = opts.prompt;
    let last: PromptResponse | null = null;
    while (next !== undefined) {
      mapper.newTurn();
      turnLive = true;
      try {
        last = await ctx.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: next }] });
      } finally {
        turnLive = false;
      }
      finishTurn(last);
      next = queue.shift();
    }
    ending = true;
    const stop = last?.stopReason ?? 'end_turn';
    if (stop === 'end_turn' || stop === 'cancelled') outcome.reportedStatus = 'succeeded';
    else { outcome.reportedStatus = 'failed'; outcome.errorText = `the agent stopped: ${stop}`; }
  };

  const end = (): void => {
    ending = true;
    for (const a of pendingAsks) a.abort();
    // EOF on stdin ends the agent; one that lingers is stopped after a grace period, long enough
    // for a busy machine to let it write its session (a later session/load needs it).
    io?.stdin.end();
    const t = setTimeout(() => io?.stop(), opts.exitGraceMs ?? 10_000);
    t.unref();
  };

  return {
    attach(theIo) {
      io = theIo;
      const readable = new ReadableStream<Uint8Array>({ start: (c) => { input = c; } });
      const writable = new WritableStream<Uint8Array>({
        write: (chunk) => new Promise<void>((resolve, reject) => {
          theIo.stdin.write(chunk, (err) => (err ? reject(err) : resolve()));
        }),
      });
      const app = client({ name: 'thalogos' })
        .onNotification('session/update', ({ params }) => {
          if (replaying || (sessionId !== null && params.sessionId !== sessionId)) return;
          emit(mapper.update(params.update));
        })
        .onRequest('session/request_permission', ({ params }) => decide(params));
      void app.connectWith(ndJsonStream(writable, readable), converse).then(
        () => end(),
        (err: unknown) => {
          const e = err as { message?: string; data?: unknown };
          const details = e.data && typeof e.data === 'object' ? JSON.stringify(e.data) : '';
          outcome.reportedStatus = 'failed';
          outcome.errorText = `${e.message ?? String(err)}${details ? ` ${details}` : ''}`.slice(0, 2_000);
          emit(mapper.abandon());
          end();
        },
      );
    },
    control: {
      send(text, o): SteerResult {
        if (ending) return { accepted: false, reason: 'the agent has finished its last turn' };
        if (o?.interrupt && turnLive && agent && sessionId) {
          queue.unshift(text);
          for (const a of pendingAsks) a.abort();
          void agent.notify('session/cancel', { sessionId }).catch(() => { /* the run's end tells */ });
          return { accepted: true, delivery: 'interrupt' };
        }
        queue.push(text);
        return { accepted: true, delivery: 'next_turn' };
      },
    },
    line(line) {
      if (!line.trimStart().startsWith('{')) return line.trim().length > 0 ? [{ type: 'raw', line: line.slice(0, 16_384), reason: 'not_json' }] : [];
      input?.enqueue(encoder.encode(`${line}\n`));
      return [];
    },
    finish() {
      try { input?.close(); } catch { /* already closed */ }
      ending = true;
      return mapper.abandon();
    },
    outcome: () => ({ ...outcome }),
  };
}
