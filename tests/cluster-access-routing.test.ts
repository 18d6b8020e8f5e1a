// Owner routing's cluster-wide listing and placement over real HTTP (runtime/cluster/owner-routing.ts):
// GET /api/sessions gathers every live owner's sessions (once each, even mid-handover) or answers a
// retryable 503 while a session has no live owner; POST /api/sessions goes to the repository's node.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARDED_HEADER, withOwnerRouting, type ListTargets } from '../runtime/cluster/owner-routing.js';
import type { FetchHandler } from '../runtime/http/fetch-handler.js';
import { freePort } from './helpers/server-process.js';

let other: Server;
let otherUrl = '';
const received: { method: string; url: string; body: string; forwardedBy: string | undefined }[] = [];

beforeAll(async () => {
  // Node "a": lists s2 and s3 (s3 is also still listed by "b", mid-handover), takes creations.
  other = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', body, forwardedBy: request.headers[FORWARDED_HEADER] as string | undefined });
      response.writeHead(request.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(request.method === 'POST' ? { id: 'created-on-a' } : { sessions: [{ id: 's3', createdAt: '2026-01-03' }, { id: 's2', createdAt: '2026-01-02' }] }));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve));
  otherUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await new Promise((resolve) => other.close(resolve));
});

const local: FetchHandler = async (request) =>
  new Response(JSON.stringify(request.method === 'POST' ? { id: 'created-on-b', got: await request.json() } : { sessions: [{ id: 's1', createdAt: '2026-01-01' }, { id: 's3', createdAt: '2026-01-03' }] }), {
    status: request.method === 'POST' ? 201 : 200,
    headers: { 'content-type': 'application/json' },
  });

function node(targets: ListTargets, placement: 'self' | 'a' | 'none' = 'self'): FetchHandler {
  return withOwnerRouting(local, {
    nodeId: 'b',
    ownerOf: async () => null,
    listTargets: async () => targets,
    placementOf: async () => (placement === 'self' ? { self: true } : placement === 'a' ? { self: false, id: 'a', url: otherUrl } : null),
  });
}

describe('owner routing: listing and placement', () => {
  it('lists every live owner\'s sessions once, oldest first', async () => {
    const response = await node({ others: [{ id: 'a', url: otherUrl }], orphaned: [] })(new Request('http://b/api/sessions', { headers: { authorization: 'Bearer t' } }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { sessions: { id: string }[] }).sessions.map((session) => session.id)).toEqual(['s1', 's2', 's3']);
    expect(received.at(-1)).toMatchObject({ method: 'GET', url: '/api/sessions', forwardedBy: 'b' });
  });

  it('answers a retryable 503 while a session has no live owner, and when an owner does not answer', async () => {
    const orphaned = await node({ others: [], orphaned: ['s9'] })(new Request('http://b/api/sessions'));
    expect(orphaned.status).toBe(503);
    expect(orphaned.headers.get('retry-after')).toBe('1');
    const dead = await node({ others: [{ id: 'c', url: `http://127.0.0.1:${await freePort()}` }], orphaned: [] })(new Request('http://b/api/sessions'));
    expect(dead.status).toBe(503);
    expect(await dead.json()).toMatchObject({ error: { code: 'OWNER_UNAVAILABLE', retryable: true } });
  });

  it('creates a session on the node holding its repository, here when it is ours or nobody\'s', async () => {
    const body = JSON.stringify({ title: 't', repoPath: '/r' });
    const forwarded = await node({ others: [], orphaned: [] }, 'a')(new Request('http://b/api/sessions', { method: 'POST', body, headers: { 'content-type': 'application/json' } }));
    expect(forwarded.status).toBe(201);
    expect(await forwarded.json()).toEqual({ id: 'created-on-a' });
    expect(received.at(-1)).toMatchObject({ method: 'POST', body, forwardedBy: 'b' });
    for (const placement of ['self', 'none'] as const) {
      const here = await node({ others: [], orphaned: [] }, placement)(new Request('http://b/api/sessions', { method: 'POST', body, headers: { 'content-type': 'application/json' } }));
      expect(here.status, placement).toBe(201);
      expect(await here.json(), placement).toEqual({ id: 'created-on-b', got: { title: 't', repoPath: '/r' } });
    }
  });
});
