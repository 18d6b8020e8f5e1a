import { existsSync } from 'node:fs';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { ApiClient } from '../runtime/cli/api-client.js';
import { replaySession } from '../runtime/cli/replay.js';
import { apiClient, waitFor } from './helpers/api.js';
import { git, makeRepo } from './helpers/git-repo.js';

const ADMIN = 'test-admin-token-0123456789abcdef';

describe('runtime API on a real uWS server, LevelDB and git repositories', () => {
  let tmp: string;
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let repo: string;
  let viewerToken: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-api-'));
    repo = makeRepo(path.join(tmp, 'repos', 'r1'), { '.thalogos.json': '{"gates":["sleep 2","test -f c.txt"]}\n' });
    await mkdir(path.join(tmp, 'outside'), { recursive: true });
    const config = loadConfig({
      env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: path.join(tmp, 'repos'), THALOGOS_PORT: '0' },
      cwd: tmp,
    });
    server = await startServer(config, { logger: pino({ level: 'silent' }) });
    api = apiClient(server.url, ADMIN);
    const viewer = await api('POST', '/api/tokens', { name: 'vera', role: 'viewer' });
    expect(viewer.status).toBe(201);
    viewerToken = viewer.body.token;
  });

  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  const logHead = async () => (await api('GET', '/api/audit/verify')).body.count as number;

  it('answers /healthz without a token and nothing else', async () => {
    expect((await api('GET', '/healthz', undefined, { token: null })).status).toBe(200);
    for (const [method, url] of [['GET', '/api/sessions'], ['GET', '/metrics'], ['POST', '/api/sessions'], ['GET', '/api/agents']] as const) {
      const response = await api(method, url, method === 'POST' ? {} : undefined, { token: null });
      expect(response.status, `${method} ${url}`).toBe(401);
      expect(response.body.error.code).toBe('UNAUTHENTICATED');
    }
    const wrong = await api('GET', '/api/sessions', undefined, { token: 'thg_not-a-real-token' });
    expect(wrong.status).toBe(401);
  });

  it('refuses bad bodies with stable codes and logs nothing', async () => {
    const before = await logHead();
    const cases: Array<[string, Parameters<typeof api>[3], number, string]> = [
      ['malformed JSON', { rawBody: '{bad' }, 400, 'BAD_JSON'],
      ['unknown field', { rawBody: JSON.stringify({ repoPath: repo, title: 't', extra: 1 }) }, 400, 'VALIDATION_FAILED'],
      ['wrong type', { rawBody: JSON.stringify({ repoPath: 42, title: 't' }) }, 400, 'VALIDATION_FAILED'],
      ['missing field', { rawBody: JSON.stringify({ title: 't' }) }, 400, 'VALIDATION_FAILED'],
      ['not JSON media type', { rawBody: 'repoPath=x', contentType: 'application/x-www-form-urlencoded' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['oversized body', { rawBody: JSON.stringify({ repoPath: repo, title: 'x'.repeat(2 * 1024 * 1024) }) }, 413, 'PAYLOAD_TOO_LARGE'],
      ['relative repoPath', { rawBody: JSON.stringify({ repoPath: 'repos/r1', title: 't' }) }, 400, 'VALIDATION_FAILED'],
      ['repo outside the roots', { rawBody: JSON.stringify({ repoPath: path.join(tmp, 'outside'), title: 't' }) }, 403, 'REPO_NOT_ALLOWED'],
      ['escape with ..', { rawBody: JSON.stringify({ repoPath: path.join(tmp, 'repos', '..', 'outside'), title: 't' }) }, 403, 'REPO_NOT_ALLOWED'],
      ['missing repo', { rawBody: JSON.stringify({ repoPath: path.join(tmp, 'repos', 'nope'), title: 't' }) }, 422, 'NOT_A_REPOSITORY'],
    ];
    await mkdir(path.join(tmp, 'repos', 'plain-dir'), { recursive: true });
    cases.push(['not a git repository', { rawBody: JSON.stringify({ repoPath: path.join(tmp, 'repos', 'plain-dir'), title: 't' }) }, 422, 'NOT_A_REPOSITORY']);
    for (const [name, init, status, code] of cases) {
      const response = await api('POST', '/api/sessions', undefined, init);
      expect(response.status, name).toBe(status);
      expect(response.body?.error?.code, name).toBe(code);
    }
    expect(await logHead()).toBe(before);
  });

  it('lets a viewer read but not change anything', async () => {
    const viewer = apiClient(server.url, viewerToken);
    expect((await viewer('GET', '/api/sessions')).status).toBe(200);
    expect((await viewer('GET', '/metrics')).status).toBe(200);
    const before = await logHead();
    const create = await viewer('POST', '/api/sessions', { repoPath: repo, title: 'nope' });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('FORBIDDEN');
    expect((await viewer('POST', '/api/tokens', { name: 'x', role: 'admin' })).status).toBe(403);
    expect(await logHead()).toBe(before);
  });

  it('answers 404 with stable codes for unknown sessions, tasks and routes', async () => {
    const session = await api('POST', '/api/sessions', { repoPath: repo, title: 'lookup' });
    expect(session.status).toBe(201);
    const before = await logHead();
    expect((await api('GET', '/api/sessions/s-missing')).body.error.code).toBe('SESSION_NOT_FOUND');
    expect((await api('POST', '/api/sessions/s-missing/tasks', { prompt: 'x' })).body.error.code).toBe('SESSION_NOT_FOUND');
    const task = await api('POST', `/api/sessions/${session.body.id}/tasks/t-missing/cancel`, {});
    expect([task.status, task.body.error.code]).toEqual([404, 'TASK_NOT_FOUND']);
    expect((await api('GET', '/api/nothing')).status).toBe(404);
    expect((await api('DELETE', '/api/sessions')).status).toBe(405);
    const badAgent = await api('POST', `/api/sessions/${session.body.id}/tasks`, { prompt: 'x', agent: 'nobody' });
    expect([badAgent.status, badAgent.body.error.code]).toEqual([422, 'UNKNOWN_AGENT']);
    const badCheckpoint = await api('POST', `/api/sessions/${session.body.id}/rollback`, { checkpoint: '../../etc' });
    expect(badCheckpoint.body.error.code).toBe('VALIDATION_FAILED');
    expect(await logHead()).toBe(before);
  });

  it('runs command tasks, refuses a second Save while one runs, publishes a checkpoint and replays to the live state', async () => {
    const created = await api('POST', '/api/sessions', { repoPath: repo, title: 'save flow' });
    const sid = created.body.id as string;
    const t1 = await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo new > c.txt' });
    const t2 = await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: "printf 'line0\\n' | cat - a.txt > t && mv t a.txt" });
    expect([t1.status, t2.status]).toEqual([202, 202]);
    await waitFor(async () => {
      const view = (await api('GET', `/api/sessions/${sid}`)).body;
      return view.tasks.filter((task: { status: string }) => task.status === 'ready_for_review').length === 2;
    }, { what: 'two tasks ready for review' });

    const save = await api('POST', `/api/sessions/${sid}/save`, {});
    expect(save.status).toBe(202);
    const second = await api('POST', `/api/sessions/${sid}/save`, {});
    const addWhileSaving = await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'true' });
    const view = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}`)).body;
      return body.status === 'active' && body.checkpoints.length === 1 ? body : null;
    }, { what: 'a published checkpoint' });
    // The first gate sleeps 2 s, so both arrive while the first Save is still running.
    expect([second.status, second.body.error?.code]).toEqual([409, 'SAVE_IN_PROGRESS']);
    expect([addWhileSaving.status, addWhileSaving.body.error?.code]).toEqual([409, 'SESSION_BUSY']);

    const tag = view.checkpoints[0].tag as string;
    expect(tag).toMatch(/^checkpoint\/\d{4}-\d{2}-\d{2}-\d+$/);
    expect(git(repo, 'rev-parse', 'main')).toBe(git(repo, 'rev-parse', `${tag}^{commit}`));
    expect(git(repo, 'show', 'main:c.txt')).toBe('new');
    expect(git(repo, 'show', 'main:a.txt').split('\n')[0]).toBe('line0');
    git(repo, 'fsck', '--strict');
    expect(view.tasks.filter((task: { status: string }) => task.status === 'merged').length).toBe(2);
    // The review diff of a merged task still shows what the task changed.
    const merged = view.tasks.find((task: { prompt: string }) => task.prompt === 'echo new > c.txt');
    const diff = (await api('GET', `/api/sessions/${sid}/tasks/${merged.id}/diff`)).body;
    expect(diff.files.map((file: { path: string }) => file.path)).toEqual(['c.txt']);
    expect(diff.stats).toMatchObject({ files: 1, additions: 1, deletions: 0 });

    const replayed = await replaySession(new ApiClient(server.url, ADMIN), sid, null);
    const live = (await api('GET', `/api/sessions/${sid}`)).body;
    expect(replayed.state).toEqual(live);
    const verify = await api('GET', '/api/audit/verify');
    expect(verify.body.ok).toBe(true);
  });

  it('rejects a task under review once; cancel and reject of a closed task are refused', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'reject' })).body.id as string;
    const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo maybe > maybe.txt' })).body;
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}/tasks/${task.id}`)).body.status === 'ready_for_review', { what: 'task ready' });
    const viewer = apiClient(server.url, viewerToken);
    // Not a member yet: the session does not exist for this token; as a member, the role decides.
    expect((await viewer('POST', `/api/sessions/${sid}/tasks/${task.id}/reject`, {})).status).toBe(404);
    const viewerId = (await viewer('GET', '/api/me')).body.tokenId as string;
    expect((await api('PUT', `/api/sessions/${sid}/members/${viewerId}`, { role: 'operator' })).status).toBe(201);
    expect((await viewer('POST', `/api/sessions/${sid}/tasks/${task.id}/reject`, {})).status).toBe(403);
    const rejected = await api('POST', `/api/sessions/${sid}/tasks/${task.id}/reject`, {});
    expect([rejected.status, rejected.body.status]).toEqual([202, 'rejected']);
    const before = await logHead();
    for (const verb of ['reject', 'cancel']) {
      const again = await api('POST', `/api/sessions/${sid}/tasks/${task.id}/${verb}`, {});
      expect([again.status, again.body.error.code], verb).toEqual([409, 'INVALID_STATE']);
    }
    expect(await logHead()).toBe(before);
  });

  it('keeps the uncommitted work of a cancelled task on its branch before removing the worktree', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'cancel keeps work' })).body.id as string;
    const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo partial > partial.txt; sleep 60' })).body;
    const running = await waitFor(async () => {
      const view = (await api('GET', `/api/sessions/${sid}/tasks/${task.id}`)).body;
      return view.status === 'running' && view.runs[0]?.startedAt ? view : null;
    }, { what: 'the task to run' });
    await waitFor(async () => existsSync(path.join(running.worktreePath, 'partial.txt')), { what: 'the partial file' });
    expect((await api('POST', `/api/sessions/${sid}/tasks/${task.id}/cancel`, {})).status).toBe(202);
    await waitFor(async () => !existsSync(running.worktreePath), { what: 'the worktree to be removed', timeoutMs: 20_000 });
    const branch = `session/${sid}/task/${task.id}`;
    expect(git(repo, 'show', `${branch}:partial.txt`)).toBe('partial');
    expect(git(repo, 'log', '-1', '--format=%s', branch)).toBe('Keep the uncommitted work of a cancelled task');
    expect(git(repo, 'worktree', 'list')).not.toContain(task.id);
  });

  it('serves Prometheus metrics with sessions, tasks, runs and log appends', async () => {
    const metrics = await api('GET', '/metrics');
    expect(metrics.status).toBe(200);
    for (const name of ['thalogos_sessions', 'thalogos_tasks', 'thalogos_agent_runs_total', 'thalogos_event_log_appends_total', 'thalogos_nodejs_eventloop_lag_seconds']) {
      expect(metrics.body).toContain(name);
    }
  });

  it('audit verify detects nothing wrong after many writes', async () => {
    const result = await api('GET', '/api/audit/verify');
    expect(result.body).toMatchObject({ ok: true, brokenAt: null });
  });

  it('lists sessions and events with filters and validates the query', async () => {
    const list = await api('GET', '/api/sessions');
    expect(list.body.sessions.length).toBeGreaterThanOrEqual(2);
    const sid = list.body.sessions[0].id;
    const events = await api('GET', `/api/sessions/${sid}/events?after=0&limit=1`);
    expect(events.body.events).toHaveLength(1);
    expect(events.body.events[0].type).toBe('SESSION.CREATED');
    const bad = await api('GET', `/api/sessions/${sid}/events?after=-1`);
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
