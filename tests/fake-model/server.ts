import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { anthropicMessages } from './anthropic-messages.js';
import { geminiGenerate } from './gemini-generate.js';
import { openAiResponses } from './openai-responses.js';
import { json, type FakeReply } from './reply.js';
import { FakeModelOptionsSchema, type FakeModelOptions } from './script.js';

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/messages?beta=true`. */
  url: string;
  protocol: 'openai' | 'anthropic' | 'gemini' | 'other';
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** What the server did with it. */
  reply: 'sent' | 'hang' | 'not_found';
  status: number | null;
}

export interface FakeModelServer {
  /** `http://127.0.0.1:<port>` (no trailing slash, no `/v1`). */
  url: string;
  port: number;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Requests that reached one of the three generation endpoints. */
  modelRequests(): RecordedRequest[];
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

/** A scripted model server on 127.0.0.1 (random port) speaking the three vendors' wire protocols. */
export async function startFakeModel(options: FakeModelOptions = {}): Promise<FakeModelServer> {
  const opts = FakeModelOptionsSchema.parse(options);
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let n = 0;

  const route = (method: string, path: string, body: unknown): { protocol: RecordedRequest['protocol']; reply: FakeReply | null } => {
    n += 1;
    if (method === 'POST' && path === '/v1/responses') return { protocol: 'openai', reply: openAiResponses(body, opts, n) };
    if (method === 'POST' && path === '/v1/messages') return { protocol: 'anthropic', reply: anthropicMessages(body, opts, n) };
    if (method === 'POST' && path === '/v1/messages/count_tokens') return { protocol: 'other', reply: json(200, { input_tokens: 10 }) };
    const g = /^\/v1(?:beta|alpha)?\/models\/[^/:]+:(streamGenerateContent|generateContent|countTokens)$/.exec(path);
    if (method === 'POST' && g) {
      if (g[1] === 'countTokens') return { protocol: 'other', reply: json(200, { totalTokens: 10 }) };
      return { protocol: 'gemini', reply: geminiGenerate(body, opts, g[1] === 'streamGenerateContent') };
    }
    if (method === 'GET' && /^\/v1(beta)?\/models\/?$/.test(path)) return { protocol: 'other', reply: json(200, { object: 'list', data: [], models: [] }) };
    return { protocol: 'other', reply: null };
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    let body: unknown = raw;
    try { body = raw.length > 0 ? JSON.parse(raw) : null; } catch { /* keep the text */ }
    const { protocol, reply } = route(req.method ?? 'GET', path, body);
    const rec: RecordedRequest = { method: req.method ?? 'GET', url, protocol, headers: { ...req.headers }, body, reply: 'sent', status: null };
    requests.push(rec);
    if (reply === null) {
      rec.reply = 'not_found';
      rec.status = 404;
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `fake-model: no route ${path}` } }));
      return;
    }
    if (reply.kind === 'hang') { rec.reply = 'hang'; return; }
    rec.status = reply.status;
    res.writeHead(reply.status, { 'content-type': reply.contentType, 'cache-control': 'no-cache' }).end(reply.body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    modelRequests: () => requests.filter((r) => r.protocol !== 'other'),
    close: async () => {
      // Hanging requests keep their sockets open on purpose; destroy them so close() returns.
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
