import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { stateToJson } from '../sync/index.js';
import { apiClient, waitFor } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';
import { acknowledged, connect, synced, type TestClient } from './sync-harness.js';

const ADMIN = 'sync-admin-token-0123456789abcdef';

describe('the runtime serves live session documents over Hocuspocus on its own port', () => {
  let tmp: string;
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let repo: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-rsync-'));
    repo = makeRepo(path.join(tmp, 'repo'));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0' }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
    api = apiClient(server.url, ADMIN);
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  const wsUrl = () => `${server.url.replace('http', 'ws')}/sync`;
  const open = (name: string, token: string | null) => {
    const client = connect(wsUrl(), name, token);
    clients.push(client);
    return client;
  };

  it('projects tasks and agent output into the state document as they happen', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'live' })).body.id as string;
    const viewerToken = (await api('POST', '/api/tokens', { name: 'watcher', role: 'viewer', sessions: [{ id: sid, role: 'viewer' }] })).body.token as string;
    const watcher = open(`session/${sid}/state`, viewerToken);
    await synced(watcher);
    const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo streamed-line && echo hi > hi.txt' })).body;
    await waitFor(async () => {
      const state = stateToJson(watcher.doc) as { session: { tasks?: Array<{ id: string; status: string }> } };
      return state.session.tasks?.find((t) => t.id === task.id)?.status === 'ready_for_review';
    }, { what: 'the task to reach ready_for_review in the state document' });
    expect(JSON.stringify(stateToJson(watcher.doc).agents)).toContain('streamed-line');
  });

  it('reads the shared memory a reviewer writes, for the next agent run', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'memory' })).body.id as string;
    const reviewerToken = (await api('POST', '/api/tokens', { name: 'rae', role: 'reviewer', sessions: [{ id: sid, role: 'reviewer' }] })).body.token as string;
    const writer = open(`session/${sid}/shared`, reviewerToken);
    await synced(writer);
    writer.doc.getText('memory').insert(0, 'Use tabs, never spaces.');
    await acknowledged(writer);
    expect(await server.context.sync.readSharedMemory(sid)).toContain('Use tabs, never spaces.');
  });

  it('cuts off a revoked token at once, and its reconnect is refused', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'revoke' })).body.id as string;
    const created = (await api('POST', '/api/tokens', { name: 'leaving', role: 'reviewer', sessions: [{ id: sid, role: 'reviewer' }] })).body as { token: string; id: string };
    const writer = open(`session/${sid}/shared`, created.token);
    await synced(writer);
    expect((await api('POST', `/api/tokens/${created.id}/revoke`, {})).status).toBe(200);
    await waitFor(async () => writer.denied.length > 0, { what: 'the reconnect to be refused', timeoutMs: 20_000 });
    writer.doc.getText('memory').insert(0, 'written after revocation');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await server.context.sync.readSharedMemory(sid)).not.toContain('written after revocation');
  });

  it('refuses a connection with a bad token or to an unknown session', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'auth' })).body.id as string;
    const bad = open(`session/${sid}/state`, 'thg_wrong');
    const unknown = open('session/s-nope/state', ADMIN);
    await waitFor(async () => bad.denied.length > 0 && unknown.denied.length > 0, { what: 'both refusals' });
    expect(bad.provider.isSynced).toBe(false);
  });
});
