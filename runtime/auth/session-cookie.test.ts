import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';
import { apiClient } from '../../tests/helpers/api.js';
import { makeRepo } from '../../tests/helpers/git-repo.js';

const ADMIN = 'cookie-admin-token-0123456789abcdef';

describe('remember me on this device: the device cookie', () => {
  let tmp: string;
  let server: RunningServer;
  let admin: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-cookie-'));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0' }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
    admin = apiClient(server.url, ADMIN);
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  const call = (method: string, url: string, headers: Record<string, string> = {}, body?: unknown) =>
    fetch(server.url + url, { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });

  it('exchanges a token for an HttpOnly SameSite=Strict cookie; writes need the CSRF header; revoking the token or signing out ends it', async () => {
    const minted = (await admin('POST', '/api/tokens', { name: 'dev', role: 'operator' })).body as { token: string; id: string };
    expect((await call('POST', '/api/auth/session', {}, { token: 'thg_wrong' })).status).toBe(401);

    const signIn = await call('POST', '/api/auth/session', {}, { token: minted.token });
    expect(signIn.status).toBe(200);
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^thalogos_device=[A-Za-z0-9_-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const body = (await signIn.json()) as { user: { name: string; role: string }; csrfToken: string; syncTicket: string };
    expect(body.user).toMatchObject({ name: 'dev', role: 'operator' });
    expect(JSON.stringify(body)).not.toContain(minted.token);
    const cookie = setCookie.split(';')[0] as string;
    // Only hashes are stored.
    const stored = readFileSync(path.join(tmp, 'data', 'device-sessions.json'), 'utf8');
    expect(stored).not.toContain(cookie.split('=')[1]);
    expect(stored).not.toContain(body.syncTicket);

    expect((await call('GET', '/api/me', { cookie })).status).toBe(200);
    const again = (await (await call('GET', '/api/auth/session', { cookie })).json()) as { csrfToken: string; user: { name: string } };
    expect([again.csrfToken, again.user.name]).toEqual([body.csrfToken, 'dev']);

    const repo = makeRepo(path.join(tmp, 'repo'));
    const forged = await call('POST', '/api/sessions', { cookie }, { repoPath: repo, title: 'forged' });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { message: string } }).error.message).toContain('x-thalogos-csrf');
    const wrong = await call('POST', '/api/sessions', { cookie, 'x-thalogos-csrf': 'nope' }, { repoPath: repo, title: 'forged' });
    expect(wrong.status).toBe(403);
    expect((await admin('GET', '/api/sessions')).body.sessions).toEqual([]);
    expect((await call('POST', '/api/sessions', { cookie, 'x-thalogos-csrf': body.csrfToken }, { repoPath: repo, title: 'by cookie' })).status).toBe(201);

    // Sign-out without the CSRF header does not end the session; with it, it does.
    await call('DELETE', '/api/auth/session', { cookie });
    expect((await call('GET', '/api/me', { cookie })).status).toBe(200);
    const out = await call('DELETE', '/api/auth/session', { cookie, 'x-thalogos-csrf': body.csrfToken });
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await call('GET', '/api/me', { cookie })).status).toBe(401);
    expect((await call('GET', '/api/auth/session', { cookie })).status).toBe(401);

    // A device session made from a token ends when the token is revoked.
    const second = await call('POST', '/api/auth/session', {}, { token: minted.token });
    const secondCookie = (second.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect((await call('GET', '/api/me', { cookie: secondCookie })).status).toBe(200);
    expect((await admin('POST', `/api/tokens/${minted.id}/revoke`, {})).status).toBe(200);
    expect((await call('GET', '/api/me', { cookie: secondCookie })).status).toBe(401);
  });
});
