// Issue 17, ports for dev servers: a task gets a free port in THALOGOS_TASK_PORT (and PORT); what it
// serves there is reachable through the runtime by a preview link, under the session's access
// rules, and by nobody without one. Real runtime over HTTP, real sandboxed `python3 -m http.server`.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { apiClient, waitFor } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';

const ADMIN = 'previews-admin-token-0123456789abcdef';
// Prefers Debian's python3: a shim under a hidden home directory is not visible in the sandbox.
const SERVE = 'PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3; echo "port $THALOGOS_TASK_PORT same as $PORT"; exec "$PY" -m http.server "$THALOGOS_TASK_PORT" --bind 127.0.0.1';

describe('task previews through the runtime', () => {
  let tmp: string;
  let server: RunningServer;
  let admin: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-previews-'));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: path.join(tmp, 'none.json') }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
    admin = apiClient(server.url, ADMIN);
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  const mint = async (name: string, sessions: Array<{ id: string; role: string }>) =>
    (await admin('POST', '/api/tokens', { name, role: 'viewer', ...(sessions.length ? { sessions } : {}) })).body as { id: string; token: string };

  it('serves a task\'s dev server to a member\'s preview link, to nobody else, and stops when the task ends', async () => {
    const repo = makeRepo(path.join(tmp, 'site'), { 'index.html': '<h1>hello preview</h1>\n' });
    const sid = (await admin('POST', '/api/sessions', { repoPath: repo, title: 'site' })).body.id as string;
    const taskId = (await admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: SERVE })).body.id as string;
    const listed = await waitFor(async () => {
      const reply = await admin('GET', `/api/sessions/${sid}/previews`);
      const found = (reply.body.previews as Array<{ taskId: string; port: number; listening: boolean }>).find((p) => p.taskId === taskId && p.listening);
      return found ?? null;
    }, { what: 'the dev server to listen', timeoutMs: 30_000 });

    const viewer = await mint('vic', [{ id: sid, role: 'viewer' }]);
    const asViewer = apiClient(server.url, viewer.token);
    const link = await asViewer('POST', `/api/sessions/${sid}/tasks/${taskId}/preview`, {});
    expect(link.status).toBe(200);
    expect(link.body).toMatchObject({ port: listed.port, listening: true });
    const url = link.body.url as string;
    expect(url).toMatch(new RegExp(`^/preview/${sid}/${taskId}/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+/$`));

    // The link alone is the credential: no header, no cookie.
    const page = await fetch(`${server.url}${url}index.html`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('<h1>hello preview</h1>\n');
    expect(page.headers.get('content-security-policy')).toMatch(/^sandbox /);
    // Without the trailing slash: sent to it, so relative links resolve inside the preview.
    const bare = await fetch(`${server.url}${url.slice(0, -1)}`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([308, url]);

    // Nobody without a link, a forged or another task's link; a non-member cannot get one.
    expect((await fetch(`${server.url}/preview/${sid}/${taskId}/index.html`)).status).toBe(401);
    expect((await fetch(`${server.url}/preview/${sid}/${taskId}/`)).status).toBe(404);
    const [payload, mac] = url.split('/')[4]!.split('.') as [string, string];
    const forged = `${payload}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`;
    const refused = await fetch(`${server.url}/preview/${sid}/${taskId}/${forged}/index.html`);
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await fetch(`${server.url}/preview/${sid}/t-other/${payload}.${mac}/index.html`)).status).toBe(401);
    const outsider = await mint('olly', []);
    const outsiderLink = await apiClient(server.url, outsider.token)('POST', `/api/sessions/${sid}/tasks/${taskId}/preview`, {});
    expect([outsiderLink.status, outsiderLink.body.error.code]).toEqual([404, 'SESSION_NOT_FOUND']);
    // The task's server never sees the caller's credentials.
    const echoed = await fetch(`${server.url}${url}index.html`, { headers: { authorization: `Bearer ${ADMIN}`, cookie: 'a=b' } });
    expect(echoed.status).toBe(200);

    // Revoking the token ends its links at once.
    expect((await admin('POST', `/api/tokens/${viewer.id}/revoke`, {})).status).toBe(200);
    expect((await fetch(`${server.url}${url}index.html`)).status).toBe(401);

    // The task ends: its port is released, no link is issued any more.
    await admin('POST', `/api/sessions/${sid}/tasks/${taskId}/cancel`, {});
    await waitFor(async () => ((await admin('GET', `/api/sessions/${sid}/previews`)).body.previews.length === 0 ? true : null), { what: 'the port released' });
    const gone = await admin('POST', `/api/sessions/${sid}/tasks/${taskId}/preview`, {});
    expect([gone.status, gone.body.error.code]).toEqual([404, 'PREVIEW_NOT_AVAILABLE']);
    const events = (await admin("GET", `/api/sessions/${sid}/events?taskId=${taskId}`)).body.events as Array<{ type: string; data: { event?: { output?: string; text?: string } } }>;
    expect(JSON.stringify(events)).toContain(`port ${listed.port} same as ${listed.port}`);
  }, 90_000);
});
