import { asArray, asRecord, json, sse, type FakeReply } from './reply.js';
import { pickScriptedTurn, shellWrite, type ConversationStep, type ResolvedFakeModelOptions } from './script.js';

/** Anthropic Messages API (`POST /v1/messages`), streaming or not, as Claude Code speaks it. */
export function anthropicMessages(body: unknown, opts: ResolvedFakeModelOptions, n: number): FakeReply {
  const req = asRecord(body);
  const tools = asArray(req['tools']).map(asRecord);
  const steps: ConversationStep[] = asArray(req['messages']).flatMap((m): ConversationStep[] => {
    const message = asRecord(m);
    if (message['role'] !== 'user') return [];
    const content = message['content'];
    if (typeof content === 'string') return [{ kind: 'prompt', text: content }];
    return asArray(content).map((b): ConversationStep => asRecord(b)['type'] === 'tool_result' ? { kind: 'tool_result' } : { kind: 'prompt', text: String(asRecord(b)['text'] ?? '') });
  });
  // Side requests without tools (titles, summaries) get a plain answer and never consume the script.
  const turn = tools.length === 0 ? { kind: 'text' as const, text: 'ok' } : pickScriptedTurn(opts, steps);
  if (turn.kind === 'hang') return { kind: 'hang' };
  if (turn.kind === 'status') {
    const type = turn.status === 401 ? 'authentication_error' : turn.status === 429 ? 'rate_limit_error' : 'api_error';
    return json(turn.status, { type: 'error', error: { type, message: turn.message ?? `fake status ${turn.status}` } });
  }
  let block: Record<string, unknown>;
  let deltas: unknown[];
  let stop: string;
  if (turn.kind === 'text') {
    block = { type: 'text', text: turn.text };
    deltas = [{ type: 'text_delta', text: turn.text }];
    stop = 'end_turn';
  } else {
    const names = new Set(tools.map((t) => String(t['name'] ?? '')));
    const [name, input] = turn.kind === 'shell'
      ? ['Bash', { command: turn.command, description: 'run a command' }]
      : names.has('Write')
        ? ['Write', { file_path: turn.path, content: turn.content }]
        : ['Bash', { command: shellWrite(turn.path, turn.content), description: 'write file' }];
    block = { type: 'tool_use', id: `toolu_${n}`, name, input };
    deltas = [{ type: 'input_json_delta', partial_json: JSON.stringify(input) }];
    stop = 'tool_use';
  }
  const model = String(req['model'] ?? 'claude-fake');
  const usage = { input_tokens: opts.usage.input, output_tokens: opts.usage.output,
    cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const message = { id: `msg_${n}`, type: 'message', role: 'assistant', model, stop_sequence: null };
  if (req['stream'] !== true) return json(200, { ...message, content: [block], stop_reason: stop, usage });
  const startBlock = block['type'] === 'text' ? { type: 'text', text: '' } : { ...block, input: {} };
  return sse([
    { event: 'message_start', data: { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } } },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: startBlock } },
    ...deltas.map((delta) => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta } })),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: opts.usage.output } } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ]);
}
