import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModel, type FakeModelServer } from './server.js';

let server: FakeModelServer | null = null;
afterEach(async () => { await server?.close(); server = null; });

async function post(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

function sseData(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
}

const WRITE = { kind: 'write_file' as const, path: '/w/a.txt', content: 'A\n' };
const TEXT = { kind: 'text' as const, text: 'Finished.' };

describe('fake model server', () => {
  it('OpenAI Responses: apply_patch when offered, shell otherwise, then text after a tool result', async () => {
    server = await startFakeModel({ turns: [WRITE, TEXT] });
    const patch = sseData((await post('/v1/responses', { model: 'm', tools: [{ type: 'custom', name: 'apply_patch' }], input: [] })).text);
    expect(patch.map((e) => e['type'])).toEqual(['response.created', 'response.output_item.added', 'response.output_item.done', 'response.completed']);
    expect(patch[2]?.['item']).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch', input: '*** Begin Patch\n*** Add File: /w/a.txt\n+A\n*** End Patch\n' });
    const shell = sseData((await post('/v1/responses', { tools: [{ type: 'function', name: 'exec_command' }], input: [] })).text);
    expect(JSON.parse(String((shell[2]?.['item'] as Record<string, unknown>)['arguments']))).toEqual({ cmd: "printf '%s' 'A\n' > '/w/a.txt'" });
    const final = sseData((await post('/v1/responses', { tools: [{ name: 'exec_command' }], input: [{ type: 'function_call_output', call_id: 'c', output: 'ok' }] })).text);
    expect(final[2]?.['item']).toMatchObject({ type: 'message', content: [{ type: 'output_text', text: 'Finished.' }] });
    expect(final[3]?.['response']).toMatchObject({ usage: { input_tokens: 120, output_tokens: 30 } });
  });

  it('Anthropic Messages: streamed tool_use with input_json_delta, side requests without tools get plain text', async () => {
    server = await startFakeModel({ turns: [WRITE, TEXT] });
    const events = sseData((await post('/v1/messages?beta=true', { stream: true, tools: [{ name: 'Write' }], messages: [{ role: 'user', content: 'hi' }] })).text);
    expect(events.map((e) => e['type'])).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(events[1]?.['content_block']).toMatchObject({ type: 'tool_use', name: 'Write', input: {} });
    expect(JSON.parse(String((events[2]?.['delta'] as Record<string, unknown>)['partial_json']))).toEqual({ file_path: '/w/a.txt', content: 'A\n' });
    expect(events[4]?.['delta']).toMatchObject({ stop_reason: 'tool_use' });
    const side = JSON.parse((await post('/v1/messages', { messages: [] })).text) as Record<string, unknown>;
    expect(side['content']).toEqual([{ type: 'text', text: 'ok' }]);
  });

  it('Gemini streamGenerateContent: functionCall for write_file, then text after a functionResponse', async () => {
    server = await startFakeModel({ turns: [WRITE, TEXT] });
    const path = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';
    const tools = [{ functionDeclarations: [{ name: 'write_file' }, { name: 'run_shell_command' }] }];
    const first = sseData((await post(path, { tools, contents: [{ role: 'user', parts: [{ text: 'go' }] }] })).text);
    expect(first[0]).toMatchObject({ candidates: [{ content: { parts: [{ functionCall: { name: 'write_file', args: { file_path: '/w/a.txt', content: 'A\n' } } }] } }] });
    const second = sseData((await post(path, { tools, contents: [{ role: 'user', parts: [{ functionResponse: { name: 'write_file', response: {} } }] }] })).text);
    expect(second[0]).toMatchObject({ candidates: [{ content: { parts: [{ text: 'Finished.' }] } }], usageMetadata: { promptTokenCount: 120 } });
  });

  it('status and hang modes, a 404 for unknown routes, and every request recorded', async () => {
    server = await startFakeModel({ turns: [{ kind: 'status', status: 401 }] });
    const r = await post('/v1/messages', { tools: [{ name: 'Write' }], messages: [] });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect((await post('/v1/nothing', {})).status).toBe(404);
    await server.close();
    server = await startFakeModel({ turns: [{ kind: 'hang' }] });
    const ac = new AbortController();
    const pending = fetch(`${server.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ input: [] }), signal: ac.signal }).catch((e: unknown) => e);
    const until = Date.now() + 5_000;
    while (server.requests.length === 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/v1/responses', protocol: 'openai', reply: 'hang', status: null });
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
  });
});
