import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { pino } from 'pino';
import uWS from 'uWebSockets.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenStore } from '../auth/token-store.js';
import { mountHttp } from '../http/http-handler.js';
import { defineRoute, json } from '../http/route.js';
import { Router } from '../http/router.js';
import { PROJECT_ROOT } from '../version.js';
import { createConsoleHandler } from './console-handler.js';
import { toFetchRequest, writeFetchResponse } from '../http/uws/fetch-bridge.js';

const BUILD_DIR = path.join(PROJECT_ROOT, 'web', 'build');

interface Served {
  url: string;
  port: number;
  close(): void;
}

async function listen(app: uWS.TemplatedApp): Promise<Served> {
  const socket = await new Promise<uWS.us_listen_socket>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('cannot listen')))),
  );
  const port = uWS.us_socket_local_port(socket);
  return { url: `http://127.0.0.1:${port}`, port, close: () => uWS.us_listen_socket_close(socket) };
}

/** A raw HTTP/1.1 exchange, for paths fetch() would normalise (`..`) before sending. */
function rawGet(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('console handler on a real uWS app', () => {
  let tmp: string;
  let db: Level<string, unknown>;
  let served: Served;
  let missing: Served;

  beforeAll(async () => {
    // The real React Router build of web/ (built here when a fresh clone has none yet).
    if (!existsSync(path.join(BUILD_DIR, 'server', 'index.js'))) {
      execFileSync('npx', ['react-router', 'build', 'web'], { cwd: PROJECT_ROOT, stdio: 'ignore', timeout: 180_000 });
    }
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-console-'));
    db = new Level<string, unknown>(path.join(tmp, 'db'), { valueEncoding: 'json' });
    await db.open();
    const tokens = await TokenStore.open(db);
    const router = new Router().add(defineRoute({ method: 'GET', pattern: '/healthz', access: 'public', handle: () => json(200, { status: 'ok' }) }));

    const app = uWS.App();
    mountHttp(app, { router, tokens, logger: pino({ level: 'silent' }), fallback: await createConsoleHandler({ buildDir: BUILD_DIR }) });
    served = await listen(app);

    const bare = uWS.App();
    mountHttp(bare, { router, tokens, logger: pino({ level: 'silent' }), fallback: await createConsoleHandler({ buildDir: path.join(tmp, 'no-build') }) });
    missing = await listen(bare);
  }, 200_000);

  afterAll(async () => {
    served?.close();
    missing?.close();
    await db?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('renders pages through React Router and leaves API routes alone', async () => {
    const page = await fetch(`${served.url}/sign-in`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<title>Sign in · Thalogos</title>');
    expect(html).toContain('Access token');

    const unknown = await fetch(`${served.url}/no/such/page`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('Page not found');

    const api = await fetch(`${served.url}/api/nothing`);
    expect([api.status, ((await api.json()) as { error: { code: string } }).error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
  });

  it('serves hashed assets immutable with their content type, and HEAD without a body', async () => {
    const html = await (await fetch(`${served.url}/sign-in`)).text();
    const script = /\/assets\/entry\.client-[\w-]+\.js/.exec(html)?.[0];
    const style = /\/assets\/[\w-]+\.css/.exec(html)?.[0];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    const js = await fetch(served.url + script);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await js.arrayBuffer()).equals(await readFile(path.join(BUILD_DIR, 'client', script ?? '')))).toBe(true);
    const css = await fetch(served.url + style);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');

    const head = await fetch(served.url + script, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe((await readFile(path.join(BUILD_DIR, 'client', script ?? ''))).byteLength);
    expect(await head.text()).toBe('');

    const icon = await fetch(`${served.url}/favicon.svg`);
    expect([icon.status, icon.headers.get('content-type'), icon.headers.get('cache-control')]).toEqual([200, 'image/svg+xml', 'no-cache']);
  });

  it('never serves files outside the client build', async () => {
    for (const target of ['/assets/../../server/index.js', '/assets/%2e%2e/%2e%2e/server/index.js', '/..%2f..%2fpackage.json', '/%2e%2e/server/index.js', '/assets/%00x.js', '/assets/%E0%A4%A.js']) {
      const reply = await rawGet(served.port, target);
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(reply)?.[1]);
      expect(status, target).toBeGreaterThanOrEqual(400);
      expect(reply, target).not.toContain('createRequestHandler');
      expect(reply, target).not.toContain('"name": "thalogos"');
    }
  });

  it('hands request bodies to the router (a page without an action answers 405)', async () => {
    const reply = await fetch(`${served.url}/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=abc' });
    expect(reply.status).toBe(405);
  });

  it('answers 503 with what to run when the console is not built', async () => {
    const reply = await fetch(`${missing.url}/sessions`);
    expect(reply.status).toBe(503);
    expect(await reply.text()).toContain('npm run build');
    expect((await fetch(`${missing.url}/healthz`)).status).toBe(200);
  });
});

describe('fetch bridge', () => {
  let served: Served;
  let cancelled: () => void;
  const cancelledOnce = new Promise<void>((resolve) => (cancelled = resolve));
  const BIG = 24 * 1024 * 1024;

  beforeAll(async () => {
    const app = uWS.App();
    app.any('/*', (res, req) => {
      const request = { method: req.getMethod().toUpperCase(), url: req.getUrl(), query: req.getQuery() ?? '', headers: {} as Record<string, string> };
      req.forEach((key, value) => (request.headers[key] = value));
      let aborted = false;
      res.onAborted(() => (aborted = true));
      const isAborted = () => aborted;
      let response: Response;
      if (request.url === '/big') {
        // A streamed body much larger than the socket buffer: exercises the onWritable path.
        let sent = 0;
        response = new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              const size = Math.min(256 * 1024, BIG - sent);
              if (size === 0) return controller.close();
              const chunk = new Uint8Array(size);
              for (let i = 0; i < size; i += 1) chunk[i] = (sent + i) % 251;
              sent += size;
              controller.enqueue(chunk);
            },
          }),
          { headers: { 'content-type': 'application/octet-stream' } },
        );
      } else if (request.url === '/endless') {
        response = new Response(
          new ReadableStream<Uint8Array>({
            pull: (controller) => new Promise((resolve) => setTimeout(() => resolve(controller.enqueue(new Uint8Array(64 * 1024))), 5)),
            cancel: () => cancelled(),
          }),
        );
      } else {
        const headers = new Headers({ 'content-type': 'text/plain', 'x-echo-method': toFetchRequest(request, null).method });
        headers.append('set-cookie', 'a=1; Path=/');
        headers.append('set-cookie', 'b=2; Path=/; HttpOnly');
        response = new Response(`query=${new URL(toFetchRequest(request, null).url).searchParams.get('q')}`, { status: 201, headers });
      }
      void writeFetchResponse(res, response, { isAborted });
    });
    served = await listen(app);
  });

  afterAll(() => served?.close());

  it('writes status, every set-cookie header and the query through', async () => {
    const reply = await fetch(`${served.url}/x?q=hello%20there`);
    expect(reply.status).toBe(201);
    expect(reply.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    expect(reply.headers.get('x-echo-method')).toBe('GET');
    expect(await reply.text()).toBe('query=hello there');
  });

  it('streams a large body intact under backpressure', async () => {
    const reply = await fetch(`${served.url}/big`);
    const reader = reply.body!.getReader();
    let offset = 0;
    let mismatch = -1;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // A slow reader, so uWS has to buffer and signal onWritable.
      if (offset % (4 * 1024 * 1024) < value.byteLength) await new Promise((resolve) => setTimeout(resolve, 50));
      for (let i = 0; i < value.byteLength && mismatch < 0; i += 4099) if (value[i] !== (offset + i) % 251) mismatch = offset + i;
      offset += value.byteLength;
    }
    expect(mismatch).toBe(-1);
    expect(offset).toBe(BIG);
  });

  it('stops reading the body when the client goes away', async () => {
    const controller = new AbortController();
    const reply = await fetch(`${served.url}/endless`, { signal: controller.signal });
    const reader = reply.body!.getReader();
    await reader.read();
    controller.abort();
    await cancelledOnce; // the source was cancelled; a hang here fails the test by timeout
    const after = await fetch(`${served.url}/x?q=still-alive`);
    expect(await after.text()).toBe('query=still-alive');
  });
});
