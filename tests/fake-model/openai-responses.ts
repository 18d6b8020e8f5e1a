import { asArray, asRecord, json, sse, type FakeReply } from './reply.js';
import { pickScriptedTurn, shellWrite, type ConversationStep, type ResolvedFakeModelOptions } from './script.js';

/** OpenAI Responses API, streaming (`POST /v1/responses`), as Codex CLI speaks it. */
export function openAiResponses(body: unknown, opts: ResolvedFakeModelOptions, n: number): FakeReply {
  const req = asRecord(body);
  const input = asArray(req['input']);
  const steps: ConversationStep[] = input.flatMap((i): ConversationStep[] => {
    const item = asRecord(i);
    if (item['type'] === 'function_call_output' || item['type'] === 'custom_tool_call_output') return [{ kind: 'tool_result' }];
    if (item['role'] !== 'user') return [];
    const content = item['content'];
    const text = typeof content === 'string' ? content : asArray(content).map((c) => String(asRecord(c)['text'] ?? '')).join('\n');
    return [{ kind: 'prompt', text }];
  });
  const turn = pickScriptedTurn(opts, steps);
  if (turn.kind === 'hang') return { kind: 'hang' };
  if (turn.kind === 'status') {
    return json(turn.status, { error: { message: turn.message ?? `fake status ${turn.status}`, type: 'fake_error', code: String(turn.status) } });
  }
  const id = `resp_${n}`;
  let item: Record<string, unknown>;
  if (turn.kind === 'text') {
    item = { type: 'message', role: 'assistant', id: `msg_${n}`, status: 'completed',
      content: [{ type: 'output_text', text: turn.text, annotations: [] }] };
  } else {
    const tools = asArray(req['tools']).map(asRecord);
    const names = new Set(tools.map((t) => String(t['name'] ?? '')));
    const cmd = turn.kind === 'shell' ? turn.command : shellWrite(turn.path, turn.content);
    const callId = `call_${n}`;
    if (turn.kind === 'write_file' && names.has('apply_patch')) {
      const lines = turn.content.replace(/\n$/, '').split('\n').map((l) => `+${l}`).join('\n');
      item = { type: 'custom_tool_call', id: `ctc_${n}`, call_id: callId, name: 'apply_patch', status: 'completed',
        input: `*** Begin Patch\n*** Add File: ${turn.path}\n${lines}\n*** End Patch\n` };
    } else if (names.has('exec_command')) {
      item = { type: 'function_call', id: `fc_${n}`, call_id: callId, name: 'exec_command', arguments: JSON.stringify({ cmd }) };
    } else if (names.has('shell_command')) {
      item = { type: 'function_call', id: `fc_${n}`, call_id: callId, name: 'shell_command', arguments: JSON.stringify({ command: cmd }) };
    } else {
      item = { type: 'function_call', id: `fc_${n}`, call_id: callId, name: 'shell', arguments: JSON.stringify({ command: ['sh', '-c', cmd] }) };
    }
  }
  const usage = { input_tokens: opts.usage.input, input_tokens_details: { cached_tokens: 0 },
    output_tokens: opts.usage.output, output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: opts.usage.input + opts.usage.output };
  const base = { id, object: 'response', created_at: 0, model: String(req['model'] ?? 'fake'), status: 'in_progress' };
  return sse([
    { event: 'response.created', data: { type: 'response.created', response: base } },
    { event: 'response.output_item.added', data: { type: 'response.output_item.added', output_index: 0, item } },
    { event: 'response.output_item.done', data: { type: 'response.output_item.done', output_index: 0, item } },
    { event: 'response.completed', data: { type: 'response.completed', response: { ...base, status: 'completed', output: [item], usage } } },
  ]);
}
