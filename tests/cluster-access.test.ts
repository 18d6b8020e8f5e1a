// Cluster mode, the API across nodes: tokens and memberships shared through Redis (a token minted
// on one node works on every node, a revoke or a removal is refused everywhere at once), session
// creations placed on the node holding the repository, reads and listings from any node, and a
// retryable 503 with Retry-After while a dead owner's lease runs out. Real redis-server, real
// `thalogos serve` processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { runCli } from './helpers/cli-process.js';
import { TestCluster } from './helpers/cluster-nodes.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.create({ leaseMs: 6_000 });
  // One after the other: the first creates the shared admin token, the others find it.
  await cluster.start('a');
  await cluster.start('b');
}, 180_000);

afterAll(async () => {
  await cluster?.dispose();
}, 60_000);

async function raw(url: string, token: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
}

describe('cluster: shared tokens and memberships', () => {
  let operator = '';
  let operatorId = '';
  let viewer = '';
  let viewerId = '';
  let sessionId = '';

  it('a token minted on node A authenticates on node B', async () => {
    const minted = await cluster.api('a')('POST', '/api/tokens', { name: 'op', role: 'operator' });
    expect(minted.status).toBe(201);
    operator = minted.body.token;
    operatorId = minted.body.id;
    const me = await cluster.api('b', operator)('GET', '/api/me');
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body).toMatchObject({ name: 'op', role: 'operator' });
    const listed = await cluster.api('b')('GET', '/api/tokens');
    expect(listed.body.tokens.map((token: { id: string }) => token.id)).toContain(operatorId);
  });

  it('a session created through B on a repository A holds is placed on A, and B reads and lists it', async () => {
    const repo = cluster.newRepo('placed');
    // A takes the repository with a first session.
    const first = await raw(`${cluster.url('a')}/api/sessions`, operator, { method: 'POST', body: JSON.stringify({ title: 'first', repoPath: repo }) });
    expect(first.status, await first.clone().text()).toBe(201);
    expect(first.headers.get('x-thalogos-node')).toBe('a');
    // The second, sent to B, must run beside it on A.
    const second = await raw(`${cluster.url('b')}/api/sessions`, operator, { method: 'POST', body: JSON.stringify({ title: 'second', repoPath: repo }) });
    const body = (await second.json()) as { id: string; title: string };
    expect(second.status, JSON.stringify(body)).toBe(201);
    expect(second.headers.get('x-thalogos-node')).toBe('a');
    sessionId = body.id;
    const view = await cluster.api('b')('GET', '/api/cluster');
    expect(view.status).toBe(200);
    const owners = Object.fromEntries(view.body.sessions.map((row: { id: string; owner: string }) => [row.id, row.owner]));
    expect(owners[sessionId]).toBe('a');

    const read = await raw(`${cluster.url('b')}/api/sessions/${sessionId}`, operator);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { title: string }).title).toBe('second');
    expect(read.headers.get('x-thalogos-node')).toBe('a');
    for (const node of ['a', 'b']) {
      const list = await cluster.api(node, operator)('GET', '/api/sessions');
      expect(list.status, node).toBe(200);
      expect(list.body.sessions.map((row: { title: string }) => row.title).sort(), node).toEqual(['first', 'second']);
    }
    // A session the caller is not a member of stays invisible on every node.
    const stranger = await cluster.api('a')('POST', '/api/tokens', { name: 'stranger', role: 'operator' });
    for (const node of ['a', 'b']) {
      const list = await cluster.api(node, stranger.body.token)('GET', '/api/sessions');
      expect(list.body.sessions, node).toEqual([]);
      expect((await cluster.api(node, stranger.body.token)('GET', `/api/sessions/${sessionId}`)).status, node).toBe(404);
    }
  });

  it('a member added on A sees the session from B; removed on A, B refuses at once', async () => {
    const minted = await cluster.api('b')('POST', '/api/tokens', { name: 'watcher', role: 'viewer' });
    viewer = minted.body.token;
    viewerId = minted.body.id;
    expect((await cluster.api('b', viewer)('GET', `/api/sessions/${sessionId}`)).status).toBe(404);
    // At once, although A may not have heard of the token B minted yet.
    const added = await cluster.api('a', operator)('PUT', `/api/sessions/${sessionId}/members/${viewerId}`, { role: 'viewer' });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ tokenId: viewerId, role: 'viewer' });
    expect((await cluster.api('b', viewer)('GET', `/api/sessions/${sessionId}`)).status).toBe(200);
    expect((await cluster.api('b', viewer)('GET', '/api/sessions')).body.sessions.map((row: { id: string }) => row.id)).toEqual([sessionId]);
    const removed = await cluster.api('a', operator)('DELETE', `/api/sessions/${sessionId}/members/${viewerId}`);
    expect(removed.status).toBe(200);
    // No wait: the very next request on B must already be refused.
    expect((await cluster.api('b', viewer)('GET', `/api/sessions/${sessionId}`)).status).toBe(404);
  });

  it('a token minted on B with a grant on a session A runs is minted by A, and works on B', async () => {
    const minted = await raw(`${cluster.url('b')}/api/tokens`, 'cluster-admin-token-0123456789abcdef', { method: 'POST', body: JSON.stringify({ name: 'granted', role: 'reviewer', sessions: [{ id: sessionId, role: 'reviewer' }] }) });
    const body = (await minted.json()) as { token: string; sessions: unknown };
    expect(minted.status, JSON.stringify(body)).toBe(201);
    expect(minted.headers.get('x-thalogos-node')).toBe('a');
    expect(body.sessions).toEqual([{ id: sessionId, role: 'reviewer' }]);
    expect((await cluster.api('b', body.token)('GET', `/api/sessions/${sessionId}`)).status).toBe(200);
    const unknown = await cluster.api('b')('POST', '/api/tokens', { name: 'nowhere', role: 'viewer', sessions: [{ id: 's_unknown', role: 'viewer' }] });
    expect(unknown.status).toBe(404);
  });

  it('a token revoked on A is refused on B by the very next request', async () => {
    expect((await cluster.api('b', operator)('GET', '/api/me')).status).toBe(200);
    const revoked = await cluster.api('a')('POST', `/api/tokens/${operatorId}/revoke`, {});
    expect(revoked.status).toBe(200);
    const me = await cluster.api('b', operator)('GET', '/api/me');
    expect(me.status).toBe(401);
    expect((await cluster.api('b', operator)('GET', `/api/sessions/${sessionId}`)).status).toBe(401);
    // The cached view of B (listings, cookie sign-ins) follows too, by pub/sub.
    await waitFor(async () => {
      const listed = await cluster.api('b')('GET', '/api/tokens');
      return listed.body.tokens.find((token: { id: string }) => token.id === operatorId)?.revokedAt ?? null;
    }, { timeoutMs: 5_000, what: 'B to see the revoke in its token list' });
  });

  it('a device cookie made on B signs in on A, also through a forwarded request; signed out on A, B refuses it', async () => {
    const signIn = await fetch(`${cluster.url('b')}/api/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'cluster-admin-token-0123456789abcdef' }) });
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const { csrfToken, syncTicket } = (await signIn.json()) as { csrfToken: string; syncTicket: string };
    expect(syncTicket).toBeTruthy();
    // B forwards the session read to its owner A, which never saw this cookie.
    const forwarded = await fetch(`${cluster.url('b')}/api/sessions/${sessionId}`, { headers: { cookie } });
    expect(forwarded.status, await forwarded.clone().text()).toBe(200);
    expect(forwarded.headers.get('x-thalogos-node')).toBe('a');
    expect((await fetch(`${cluster.url('a')}/api/me`, { headers: { cookie } })).status).toBe(200);
    const signOut = await fetch(`${cluster.url('a')}/api/auth/session`, { method: 'DELETE', headers: { cookie, 'x-thalogos-csrf': csrfToken } });
    expect(signOut.status).toBe(200);
    expect((await fetch(`${cluster.url('b')}/api/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('thalogos token create --cluster mints a token into Redis while the nodes run: both accept it, both list it, the chain verifies', async () => {
    const env = { THALOGOS_REDIS_URL: `redis://127.0.0.1:${cluster.redis.port}` };
    const created = await runCli(['token', 'create', '--cluster', '--name', 'rescued', '--role', 'admin', '--json'], env);
    expect(created.code, created.err).toBe(0);
    const minted = JSON.parse(created.out) as { token: string; id: string; role: string; createdBy: string };
    expect(minted).toMatchObject({ role: 'admin', createdBy: 'cli-cluster' });
    for (const id of ['a', 'b']) {
      const me = await cluster.api(id, minted.token)('GET', '/api/me');
      expect(me.status, JSON.stringify(me.body)).toBe(200);
      expect(me.body).toMatchObject({ name: 'rescued', role: 'admin' });
    }
    await waitFor(async () => {
      const listed = await cluster.api('b')('GET', '/api/tokens');
      return listed.body.tokens.some((token: { id: string }) => token.id === minted.id);
    }, { what: 'node B to list the token', timeoutMs: 15_000 });
    const audit = await cluster.api('a')('GET', '/api/audit/verify');
    expect(audit.body, JSON.stringify(audit.body)).toMatchObject({ ok: true });
    // Without the cluster's settings, with a bad one, or with --data-dir too: refused, nothing written.
    const none = await runCli(['token', 'create', '--cluster', '--name', 'x', '--role', 'admin'], {});
    expect([none.code, none.err]).toEqual([1, expect.stringContaining('NO_CLUSTER')]);
    const unreachable = await runCli(['token', 'create', '--cluster', '--name', 'x', '--role', 'admin'], { THALOGOS_REDIS_URL: 'redis://127.0.0.1:1' });
    expect([unreachable.code, unreachable.err.trim()]).toEqual([1, "thalogos: NO_CLUSTER: cannot reach the cluster's Redis: connect ECONNREFUSED 127.0.0.1:1"]);
    const bad = await runCli(['token', 'create', '--cluster', '--name', 'x', '--role', 'admin'], { THALOGOS_REDIS_URL: 'http://nope' });
    expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('CONFIG_INVALID')]);
    const both = await runCli(['token', 'create', '--cluster', '--data-dir', '/tmp', '--name', 'x', '--role', 'admin'], env);
    expect(both.code).toBe(2);
    const badRole = await runCli(['token', 'create', '--cluster', '--name', 'x', '--role', 'root'], env);
    expect(badRole.code).toBe(2);
    const after = await cluster.api('a')('GET', '/api/tokens');
    expect(after.body.tokens.filter((token: { name: string }) => token.name === 'x')).toEqual([]);
  });

  it('an unknown session is a 404 from any node, not a 503 to retry', async () => {
    const answer = await cluster.api('b')('GET', '/api/sessions/s_doesnotexist');
    expect(answer.status).toBe(404);
  });

  it('while a dead owner\'s lease runs out, B answers 503 with Retry-After, then serves the session itself', async () => {
    await cluster.kill9('a');
    const during = await raw(`${cluster.url('b')}/api/sessions/${sessionId}`, 'cluster-admin-token-0123456789abcdef');
    expect(during.status).toBe(503);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await during.json()).toMatchObject({ error: { code: 'OWNER_UNAVAILABLE', retryable: true } });
    const list = await cluster.api('b')('GET', '/api/sessions');
    expect([200, 503]).toContain(list.status);
    const served = await waitFor(async () => {
      const answer = await raw(`${cluster.url('b')}/api/sessions/${sessionId}`, 'cluster-admin-token-0123456789abcdef');
      return answer.status === 200 ? answer : null;
    }, { timeoutMs: 30_000, what: 'B to take the session over' });
    expect(served.headers.get('x-thalogos-node')).toBe('b');
    const after = await cluster.api('b')('GET', '/api/sessions');
    expect(after.status).toBe(200);
    expect(after.body.sessions).toHaveLength(2);
  }, 60_000);
});
