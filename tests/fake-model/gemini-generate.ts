import { asArray, asRecord, json, sse, type FakeReply } from './reply.js';
import { pickScriptedTurn, shellWrite, type ConversationStep, type ResolvedFakeModelOptions } from './script.js';

/**
 * Gemini API `models/<model>:streamGenerateContent?alt=sse` (and the non-streaming
 * `:generateContent` the CLI uses for side questions), as Gemini CLI speaks it.
 */
export function geminiGenerate(body: unknown, opts: ResolvedFakeModelOptions, stream: boolean): FakeReply {
  const req = asRecord(body);
  const decls = asArray(req['tools']).flatMap((t) => asArray(asRecord(t)['functionDeclarations'])).map(asRecord);
  const steps: ConversationStep[] = asArray(req['contents'])
    .filter((c) => asRecord(c)['role'] !== 'model')
    .flatMap((c) => asArray(asRecord(c)['parts']))
    .map((p): ConversationStep => asRecord(p)['functionResponse'] !== undefined ? { kind: 'tool_result' } : { kind: 'prompt', text: String(asRecord(p)['text'] ?? '') });
  const turn = decls.length === 0 ? { kind: 'text' as const, text: 'ok' } : pickScriptedTurn(opts, steps);
  if (turn.kind === 'hang') return { kind: 'hang' };
  if (turn.kind === 'status') {
    const status = turn.status === 401 ? 'UNAUTHENTICATED' : turn.status === 429 ? 'RESOURCE_EXHAUSTED' : 'INTERNAL';
    return json(turn.status, { error: { code: turn.status, message: turn.message ?? `fake status ${turn.status}`, status } });
  }
  let part: Record<string, unknown>;
  if (turn.kind === 'text') {
    part = { text: turn.text };
  } else {
    const names = new Set(decls.map((d) => String(d['name'] ?? '')));
    part = turn.kind === 'shell'
      ? { functionCall: { name: 'run_shell_command', args: { command: turn.command, description: 'run a command' } } }
      : names.has('write_file')
      ? { functionCall: { name: 'write_file', args: { file_path: turn.path, content: turn.content } } }
      : { functionCall: { name: 'run_shell_command', args: { command: shellWrite(turn.path, turn.content) } } };
  }
  const chunk = {
    candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: opts.usage.input, candidatesTokenCount: opts.usage.output,
      totalTokenCount: opts.usage.input + opts.usage.output },
    modelVersion: 'gemini-fake',
  };
  return stream ? sse([{ data: chunk }]) : json(200, chunk);
}
