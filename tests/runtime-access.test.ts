import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { apiClient, waitFor } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';

const ADMIN = 'access-admin-token-0123456789abcdef';

/** Per-session access on the real runtime: owners, members, roles on one session, audit entries. */
describe('per-session access', () => {
  let tmp: string;
  let server: RunningServer;
  let admin: ReturnType<typeof apiClient>;
  let repo: string;
  const config = () =>
    loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0' }, cwd: tmp });
  /** Mints a token as the admin; returns a client speaking with it and its id. */
  const person = async (name: string, role: string, sessions?: Array<{ id: string; role: string }>) => {
    const created = await admin('POST', '/api/tokens', { name, role, ...(sessions ? { sessions } : {}) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { api: apiClient(server.url, created.body.token as string), id: created.body.id as string, token: created.body.token as string };
  };
  const logHead = async () => (await admin('GET', '/api/audit/verify')).body.count as number;

  let owner: Awaited<ReturnType<typeof person>>;
  let outsider: Awaited<ReturnType<typeof person>>;
  let sid: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-access-'));
    repo = makeRepo(path.join(tmp, 'repo'));
    server = await startServer(config(), { logger: pino({ level: 'silent' }) });
    admin = apiClient(server.url, ADMIN);
    owner = await person('olga', 'operator');
    outsider = await person('otto', 'operator');
    const created = await owner.api('POST', '/api/sessions', { repoPath: repo, title: 'olga’s session' });
    expect(created.status).toBe(201);
    sid = created.body.id as string;
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('hides a session from a token that is not a member: 404 on every route, filtered lists', async () => {
    const before = await logHead();
    for (const [method, url, body] of [
      ['GET', `/api/sessions/${sid}`, undefined],
      ['GET', `/api/sessions/${sid}/events`, undefined],
      ['GET', `/api/sessions/${sid}/members`, undefined],
      ['POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'true' }],
      ['POST', `/api/sessions/${sid}/save`, {}],
      ['PUT', `/api/sessions/${sid}/members/${outsider.id}`, { role: 'operator' }],
      ['POST', `/api/sessions/${sid}/conflicts/delegate`, {}],
    ] as const) {
      const response = await outsider.api(method, url, body);
      // The same answer as for a session that does not exist: ids cannot be probed.
      expect([response.status, response.body.error?.code], `${method} ${url}`).toEqual([404, 'SESSION_NOT_FOUND']);
    }
    expect((await outsider.api('GET', '/api/sessions')).body.sessions).toEqual([]);
    expect((await owner.api('GET', '/api/sessions')).body.sessions.map((s: { id: string }) => s.id)).toEqual([sid]);
    expect((await admin('GET', '/api/sessions')).body.sessions.map((s: { id: string }) => s.id)).toContain(sid);
    expect(await logHead()).toBe(before);
  });

  it('makes the creator the owner, and lists members with their names', async () => {
    const members = await owner.api('GET', `/api/sessions/${sid}/members`);
    expect(members.status).toBe(200);
    expect(members.body).toEqual({ members: [{ tokenId: owner.id, name: 'olga', role: 'operator', owner: true }] });
  });

  it('grants membership at token creation and enforces the lower of token role and member role', async () => {
    const viewer = await person('vera', 'viewer', [{ id: sid, role: 'operator' }]);
    const capped = await person('rolf', 'operator', [{ id: sid, role: 'reviewer' }]);
    // A viewer token stays a viewer even as an operator member.
    expect((await viewer.api('GET', `/api/sessions/${sid}`)).status).toBe(200);
    const viewerAdd = await viewer.api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'true' });
    expect([viewerAdd.status, viewerAdd.body.error.code]).toEqual([403, 'FORBIDDEN']);
    // An operator token that is a reviewer member reviews but does not start work or manage members.
    const cappedAdd = await capped.api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'true' });
    expect([cappedAdd.status, cappedAdd.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(cappedAdd.body.error.message).toContain('reviewer on this session');
    expect((await capped.api('PUT', `/api/sessions/${sid}/members/${viewer.id}`, { role: 'viewer' })).status).toBe(403);
    // The owner (an operator there) can.
    const task = await owner.api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'true' });
    expect(task.status).toBe(202);
    const names = (await owner.api('GET', `/api/sessions/${sid}/members`)).body.members.map((m: { name: string; role: string }) => `${m.name}:${m.role}`);
    expect(names).toEqual(['olga:operator', 'vera:operator', 'rolf:reviewer']);
    // The task settles before the next test counts log entries (its events would land meanwhile).
    await waitFor(async () => ((await admin('GET', `/api/sessions/${sid}/tasks/${task.body.id}`)).body.status === 'ready_for_review' ? true : null), { what: 'the task to settle' });
  });

  it('adds, changes and removes members, each audited with the session id', async () => {
    const rita = await person('rita', 'reviewer');
    expect((await rita.api('GET', `/api/sessions/${sid}`)).status).toBe(404);
    const added = await owner.api('PUT', `/api/sessions/${sid}/members/${rita.id}`, { role: 'viewer' });
    expect([added.status, added.body]).toEqual([201, { tokenId: rita.id, name: 'rita', role: 'viewer', owner: false }]);
    expect((await rita.api('GET', `/api/sessions/${sid}`)).status).toBe(200);
    expect((await rita.api('GET', '/api/sessions')).body.sessions.map((s: { id: string }) => s.id)).toEqual([sid]);
    const same = await owner.api('PUT', `/api/sessions/${sid}/members/${rita.id}`, { role: 'viewer' });
    expect(same.status).toBe(200);
    const adminId = (await admin('GET', '/api/me')).body.tokenId as string;
    const changed = await admin('PUT', `/api/sessions/${sid}/members/${rita.id}`, { role: 'reviewer' });
    expect([changed.status, changed.body.role]).toEqual([200, 'reviewer']);
    const removed = await owner.api('DELETE', `/api/sessions/${sid}/members/${rita.id}`);
    expect(removed.status).toBe(200);
    expect((await rita.api('GET', `/api/sessions/${sid}`)).status).toBe(404);

    const events = (await admin('GET', `/api/sessions/${sid}/events`)).body.events as Array<{ type: string; sessionId: string; actor: { id: string }; data: Record<string, unknown> }>;
    const audit = events.filter((entry) => entry.type.startsWith('MEMBER.') && entry.data.tokenId === rita.id);
    expect(audit.map((entry) => [entry.type, entry.data.role, entry.actor.id])).toEqual([
      ['MEMBER.ADDED', 'viewer', owner.id],
      ['MEMBER.CHANGED', 'reviewer', adminId],
      ['MEMBER.REMOVED', 'reviewer', owner.id],
    ]);
    expect(audit[1]?.data.previousRole).toBe('viewer');
    expect(audit.every((entry) => entry.sessionId === sid)).toBe(true);
    const ownerEntry = events.find((entry) => entry.type === 'MEMBER.ADDED' && entry.data.owner === true);
    expect(ownerEntry?.data).toMatchObject({ tokenId: owner.id, role: 'operator' });
    expect((await admin('GET', '/api/audit/verify')).body.ok).toBe(true);
  });

  it('refuses bad member changes with typed errors and writes nothing', async () => {
    const before = await logHead();
    const tokensBefore = (await admin('GET', '/api/tokens')).body.tokens.length;
    const someone = (await admin('GET', '/api/tokens')).body.tokens.find((t: { name: string }) => t.name === 'otto').id as string;
    const adminId = (await admin('GET', '/api/me')).body.tokenId as string;
    const cases: Array<[string, Promise<{ status: number; body: any }>, number, string]> = [
      ['admin is not a member role', owner.api('PUT', `/api/sessions/${sid}/members/${someone}`, { role: 'admin' }), 400, 'VALIDATION_FAILED'],
      ['unknown field', owner.api('PUT', `/api/sessions/${sid}/members/${someone}`, { role: 'viewer', owner: true }), 400, 'VALIDATION_FAILED'],
      ['missing role', owner.api('PUT', `/api/sessions/${sid}/members/${someone}`, {}), 400, 'VALIDATION_FAILED'],
      ['unknown token', owner.api('PUT', `/api/sessions/${sid}/members/nope`, { role: 'viewer' }), 404, 'TOKEN_NOT_FOUND'],
      ['admin token as member', owner.api('PUT', `/api/sessions/${sid}/members/${adminId}`, { role: 'viewer' }), 400, 'VALIDATION_FAILED'],
      ['owner removed', admin('DELETE', `/api/sessions/${sid}/members/${owner.id}`), 409, 'INVALID_STATE'],
      ['owner demoted', admin('PUT', `/api/sessions/${sid}/members/${owner.id}`, { role: 'viewer' }), 409, 'INVALID_STATE'],
      ['not a member', owner.api('DELETE', `/api/sessions/${sid}/members/${someone}`), 404, 'MEMBER_NOT_FOUND'],
      ['unknown session', admin('PUT', `/api/sessions/s-nope/members/${someone}`, { role: 'viewer' }), 404, 'SESSION_NOT_FOUND'],
      ['token for an unknown session', admin('POST', '/api/tokens', { name: 'x', role: 'viewer', sessions: [{ id: 's-nope', role: 'viewer' }] }), 404, 'SESSION_NOT_FOUND'],
      ['admin token with sessions', admin('POST', '/api/tokens', { name: 'x', role: 'admin', sessions: [{ id: sid, role: 'viewer' }] }), 400, 'VALIDATION_FAILED'],
      ['a session twice', admin('POST', '/api/tokens', { name: 'x', role: 'viewer', sessions: [{ id: sid, role: 'viewer' }, { id: sid, role: 'reviewer' }] }), 400, 'VALIDATION_FAILED'],
      ['bad member role in a grant', admin('POST', '/api/tokens', { name: 'x', role: 'viewer', sessions: [{ id: sid, role: 'owner' }] }), 400, 'VALIDATION_FAILED'],
    ];
    for (const [name, pending, status, code] of cases) {
      const response = await pending;
      expect([response.status, response.body.error?.code], name).toEqual([status, code]);
    }
    expect(await logHead()).toBe(before);
    expect((await admin('GET', '/api/tokens')).body.tokens.length).toBe(tokensBefore);
  });

  it('keeps sessions without an owner (created before memberships) to admins, and restarts with memberships intact', async () => {
    const legacy = await server.context.sessions.create({ title: 'before memberships', repoPath: repo, defaults: server.context.defaults, by: { kind: 'user', id: 'old-token' } });
    expect((await owner.api('GET', `/api/sessions/${legacy.id}`)).status).toBe(404);
    expect((await admin('GET', `/api/sessions/${legacy.id}`)).status).toBe(200);
    const live = (await owner.api('GET', `/api/sessions/${sid}`)).body;
    await server.close();
    server = await startServer(config(), { logger: pino({ level: 'silent' }) });
    admin = apiClient(server.url, ADMIN);
    owner.api = apiClient(server.url, owner.token);
    // The session replays past its MEMBER.* audit entries, and the owner still sees it.
    const restored = await owner.api('GET', `/api/sessions/${sid}`);
    expect(restored.status).toBe(200);
    expect(restored.body.title).toBe(live.title);
    expect((await owner.api('GET', `/api/sessions/${sid}/members`)).body.members[0]).toMatchObject({ tokenId: owner.id, owner: true });
    expect((await apiClient(server.url, outsider.token)('GET', `/api/sessions/${sid}`)).status).toBe(404);
  });
});
