// Issue 16, restart: the server listens first and checks its agent CLIs in the background. While
// a CLI's handshake runs, the agent says `checking`, /healthz answers, the API serves sessions,
// and a task for that agent waits for the check instead of failing; a restart with many sessions
// still resumes the work a kill -9 interrupted.
import { chmodSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiClient, waitFor } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';

const ADMIN = 'startup-admin-token-0123456789abcdef';

describe('start-up: listen first, agents checked in the background', () => {
  let tmp: string;
  let server: ServerProcess | null = null;

  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-startup-'));
    makeRepo(path.join(tmp, 'repo'));
  });
  afterEach(async () => {
    await server?.kill9();
    server = null;
    await rm(tmp, { recursive: true, force: true });
  });

  it('answers /healthz and the API while a CLI is still checked; a task for it waits for the check, then is accepted', async () => {
    // A codex whose `--version` answers only once the test opens the gate: the check is as slow as we say.
    const gate = path.join(tmp, 'gate');
    const codex = path.join(tmp, 'slow-codex');
    writeFileSync(codex, `#!/bin/sh\nif [ "$1" = "--version" ]; then while [ ! -f '${gate}' ]; do sleep 0.05; done; echo "codex-cli 0.169.0"; exit 0; fi\nexit 1\n`);
    chmodSync(codex, 0o755);
    const config = path.join(tmp, 'config.json');
    const off = { enabled: false };
    writeFileSync(config, JSON.stringify({ adapters: { adapters: { codex: { bin: codex, env: { OPENAI_API_KEY: 'sk-startup-test' } }, claude: off, gemini: off } } }));
    server = await startServerProcess({ THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_CONFIG: config }, await freePort(), { ready: false });
    const api = apiClient(server.url, ADMIN);

    const agents = async () => Object.fromEntries(((await api('GET', '/api/agents')).body.agents as Array<{ id: string; status: string }>).map((agent) => [agent.id, agent.status]));
    expect((await agents()).codex).toBe('checking');
    expect((await api('GET', '/healthz', undefined, { token: null })).body).toMatchObject({ status: 'ok', ready: false, agents: 'checking' });

    // The API serves sessions meanwhile (it does not wait for the CLIs).
    const created = await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: 'while checking' });
    expect(created.status).toBe(201);
    const sid = created.body.id as string;
    expect((await api('GET', '/api/sessions')).body.sessions.map((s: { id: string }) => s.id)).toEqual([sid]);

    // A task for the agent being checked is held, not refused as unavailable...
    let settled = false;
    const pending = api('POST', `/api/sessions/${sid}/tasks`, { agent: 'codex', prompt: 'write a file' }).finally(() => (settled = true));
    // ...and /healthz answers while that request is in flight (a few round trips: time for the
    // request to reach the server and, were it not held, to be answered).
    for (let i = 0; i < 5; i += 1) expect((await api('GET', '/healthz', undefined, { token: null })).status).toBe(200);
    expect(settled).toBe(false);
    expect((await api('GET', `/api/sessions/${sid}`)).body.tasks).toEqual([]);
    expect((await agents()).codex).toBe('checking');

    writeFileSync(gate, '');
    const task = await pending;
    expect(task.status, JSON.stringify(task.body)).toBe(202);
    expect(task.body.agent).toBe('codex');
    expect((await agents()).codex).toBe('available');
    await waitFor(async () => (await api('GET', '/healthz', undefined, { token: null })).body.ready === true, { what: '/healthz to say ready' });
    expect((await api('GET', '/healthz', undefined, { token: null })).body).toMatchObject({ ready: true, sessions: 'restored', agents: 'checked' });
  }, 120_000);

  it('a restart with many sessions lists them all and resumes the task a kill -9 interrupted', async () => {
    const env = { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp };
    const port = await freePort();
    server = await startServerProcess(env, port);
    const api = apiClient(server.url, ADMIN);
    const ids: string[] = [];
    for (let i = 0; i < 24; i += 1) ids.push((await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: `quiet ${i}` })).body.id as string);
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: 'interrupted' })).body.id as string;
    ids.push(sid);
    const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'if [ -f .second-run ]; then echo done > done.txt; else touch .second-run; sleep 60; fi' })).body;
    await waitFor(async () => ((await api('GET', `/api/sessions/${sid}/events?taskId=${task.id}`)).body.events as Array<{ type: string }>).some((entry) => entry.type === 'AGENT.STARTED'), { what: 'the agent to start' });
    await server.kill9();

    server = await startServerProcess(env, port);
    const after = apiClient(server.url, ADMIN);
    // Every session is back, page by page.
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { sessions: Array<{ id: string }>; nextCursor: string | null } } = await after('GET', `/api/sessions?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      listed.push(...page.body.sessions.map((s) => s.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(listed).toEqual(ids);
    const view = await waitFor(async () => {
      const body = (await after('GET', `/api/sessions/${sid}`)).body;
      return body.tasks[0].status === 'ready_for_review' ? body : null;
    }, { what: 'the re-queued task to finish', timeoutMs: 60_000 });
    const types = ((await after('GET', `/api/sessions/${sid}/events?taskId=${task.id}`)).body.events as Array<{ type: string }>).map((entry) => entry.type);
    expect(types).toContain('TASK.INTERRUPT');
    expect(types).toContain('TASK.REQUEUE');
    expect(types.filter((type) => type === 'AGENT.STARTED')).toHaveLength(2);
    expect(view.tasks[0].commit).toMatch(/^[0-9a-f]{40}$/);
  }, 180_000);
});
