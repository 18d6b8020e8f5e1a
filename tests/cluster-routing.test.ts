// Owner routing over real HTTP: requests about a session are served by its owner, forwarded
// from any other node; a dead or missing owner gives a retryable 503 with Retry-After.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARDED_HEADER, SERVED_BY_HEADER, withOwnerRouting, type OwnerLookup } from '../runtime/cluster/owner-routing.js';
import type { FetchHandler } from '../runtime/http/fetch-handler.js';
import { freePort } from './helpers/server-process.js';

let owner: Server;
let ownerUrl = '';
const seen: { method: string; url: string; body: string; forwardedBy: string | undefined; auth: string | undefined }[] = [];
let stuck: Server;
let stuckUrl = '';

/** The owner node's API: a real HTTP server that echoes what it got. */
beforeAll(async () => {
  owner = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', body, forwardedBy: request.headers[FORWARDED_HEADER] as string | undefined, auth: request.headers.authorization });
      response.writeHead(202, { 'content-type': 'application/json', 'x-request-id': 'r1' });
      response.end(JSON.stringify({ servedBy: 'owner', got: body ? JSON.parse(body) : null }));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => owner.listen(port, '127.0.0.1', resolve));
  ownerUrl = `http://127.0.0.1:${port}`;
  // A node that accepts connections but never answers (paused).
  stuck = createServer(() => undefined);
  const stuckPort = await freePort();
  await new Promise<void>((resolve) => stuck.listen(stuckPort, '127.0.0.1', resolve));
  stuckUrl = `http://127.0.0.1:${stuckPort}`;
});

afterAll(async () => {
  stuck.closeAllConnections();
  await new Promise((resolve) => stuck.close(resolve));
  await new Promise((resolve) => owner.close(resolve));
});

const local: FetchHandler = async (request) => new Response(JSON.stringify({ servedBy: 'local', path: new URL(request.url).pathname }), { status: 200, headers: { 'content-type': 'application/json' } });

function node(owners: Record<string, Awaited<ReturnType<OwnerLookup>>>, timeoutMs = 2_000): FetchHandler {
  return withOwnerRouting(local, { nodeId: 'b', ownerOf: async (id) => owners[id] ?? null, timeoutMs });
}

describe('withOwnerRouting', () => {
  it('serves its own sessions and everything that is not a session locally', async () => {
    const handler = node({ s1: { self: true } });
    const own = await handler(new Request('http://b/api/sessions/s1/tasks', { method: 'POST', body: '{}' }));
    expect(await own.json()).toEqual({ servedBy: 'local', path: '/api/sessions/s1/tasks' });
    expect(own.headers.get(SERVED_BY_HEADER)).toBe('b');
    const list = await handler(new Request('http://b/api/sessions'));
    expect(await list.json()).toMatchObject({ servedBy: 'local' });
  });

  it('forwards a command to the owner with its body and token, and relays the answer', async () => {
    const handler = node({ s1: { self: false, id: 'a', url: ownerUrl } });
    const response = await handler(
      new Request('http://b/api/sessions/s1/tasks?x=1', { method: 'POST', body: JSON.stringify({ title: 't' }), headers: { authorization: 'Bearer tok', 'content-type': 'application/json' } }),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ servedBy: 'owner', got: { title: 't' } });
    expect(seen.at(-1)).toEqual({ method: 'POST', url: '/api/sessions/s1/tasks?x=1', body: JSON.stringify({ title: 't' }), forwardedBy: 'b', auth: 'Bearer tok' });
  });

  it('gives a retryable 503 with Retry-After when the owner is gone, stuck, unknown, or the request was already forwarded', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const handler = node({ dead: { self: false, id: 'a', url: dead }, stuck: { self: false, id: 'c', url: stuckUrl }, nourl: { self: false, id: 'd', url: null } }, 500);
    for (const id of ['dead', 'stuck', 'nourl', 'orphan']) {
      const response = await handler(new Request(`http://b/api/sessions/${id}/tasks`, { method: 'POST', body: '{}' }));
      expect(response.status, id).toBe(503);
      expect(response.headers.get('retry-after'), id).toBe('1');
      expect(await response.json(), id).toMatchObject({ error: { code: 'OWNER_UNAVAILABLE', retryable: true } });
    }
    const before = seen.length;
    const looped = await node({ s1: { self: false, id: 'a', url: ownerUrl } })(new Request('http://b/api/sessions/s1', { headers: { [FORWARDED_HEADER]: 'c' } }));
    expect(looped.status).toBe(503);
    expect(seen.length).toBe(before);
  });

  it('answers 503 (not 500) when ownership cannot be looked up', async () => {
    const handler = withOwnerRouting(local, { nodeId: 'b', ownerOf: async () => { throw new Error('ECONNREFUSED'); } });
    const response = await handler(new Request('http://b/api/sessions/s1'));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { code: 'OWNER_UNAVAILABLE' } });
  });

  it('a 404 from a session handed over while the request was served is a retryable 503; a 404 on a session still owned stays a 404', async () => {
    // The race CI met in a rolling restart: the lookup said "ours", then the drain released the
    // lease and evicted the session before the route read it from the registry.
    let owned = true;
    const evictedMidRequest: FetchHandler = async () => {
      owned = false;
      return new Response(JSON.stringify({ error: { code: 'SESSION_NOT_FOUND', message: 'no session s1', retryable: false } }), { status: 404, headers: { 'content-type': 'application/json' } });
    };
    const handler = withOwnerRouting(evictedMidRequest, { nodeId: 'b', ownerOf: async () => (owned ? { self: true } : null), stillOwned: () => owned });
    const moved = await handler(new Request('http://b/api/sessions/s1/tasks', { method: 'POST', body: '{}' }));
    expect(moved.status).toBe(503);
    expect(moved.headers.get('retry-after')).toBe('1');
    expect(await moved.json()).toMatchObject({ error: { code: 'OWNER_UNAVAILABLE', retryable: true } });
    // Still ours (a non-member, or a task that does not exist): the 404 is the answer.
    const notFound: FetchHandler = async () => new Response('{"error":{"code":"SESSION_NOT_FOUND"}}', { status: 404 });
    const stays = withOwnerRouting(notFound, { nodeId: 'b', ownerOf: async () => ({ self: true }), stillOwned: () => true });
    expect((await stays(new Request('http://b/api/sessions/s1'))).status).toBe(404);
  });
});
