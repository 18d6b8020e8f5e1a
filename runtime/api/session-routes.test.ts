import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionSummarySchema, SessionViewSchema } from '../../contracts/index.js';
import { writeFileSync, unlinkSync } from 'node:fs';
import { git, makeRepo } from '../../tests/helpers/git-repo.js';
import { waitFor } from '../../tests/helpers/api.js';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';

const ADMIN = 'routes-admin-token-0123456789abcdef';

/** The API driven in-process through the Fetch handler: no socket between the test and the routes. */
describe('session routes, in-process', () => {
  let tmp: string;
  let server: RunningServer;
  const start = async () => {
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: path.join(tmp, 'none.json') }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
  };
  const api = async (method: string, url: string, body?: unknown) => {
    const response = await server.handle(new Request(`http://thalogos.local${url}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }));
    const text = await response.text();
    return { status: response.status, body: (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  };
  const head = async () => (await api('GET', '/api/audit/verify')).body.count as number;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-routes-'));
    await start();
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('refuses a Save with nothing to merge with 409 NOTHING_TO_SAVE, and changes nothing', async () => {
    const repo = makeRepo(path.join(tmp, 'empty-save'));
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'empty' })).body.id as string;
    const before = await head();
    const reply = await api('POST', `/api/sessions/${sid}/save`, {});
    expect([reply.status, reply.body.error.code, reply.body.error.retryable]).toEqual([409, 'NOTHING_TO_SAVE', false]);
    expect(await head()).toBe(before);
    expect((await api('GET', `/api/sessions/${sid}`)).body.status).toBe('idle');
  });

  it('keeps the code of a library error at the edge: a repository whose .git vanished is NOT_A_REPOSITORY, not 500', async () => {
    const repo = makeRepo(path.join(tmp, 'vanishing'));
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'vanishing' })).body.id as string;
    await rm(path.join(repo, '.git'), { recursive: true, force: true });
    const branches = await api('GET', `/api/sessions/${sid}/branches`);
    expect([branches.status, branches.body.error.code]).toEqual([422, 'NOT_A_REPOSITORY']);
  });

  it('quarantines a session whose log it cannot apply, serves the others, and lets an admin skip the entry', async () => {
    const damagedRepo = makeRepo(path.join(tmp, 'damaged'));
    const healthyRepo = makeRepo(path.join(tmp, 'healthy'));
    const damaged = (await api('POST', '/api/sessions', { repoPath: damagedRepo, title: 'damaged' })).body.id as string;
    const healthy = (await api('POST', '/api/sessions', { repoPath: healthyRepo, title: 'healthy' })).body.id as string;
    // An actor entry that does not match its contract (as the first wave's CONFLICT.* rows did).
    const bad = await server.context.log.appendOne({ kind: 'actor', actor: { kind: 'system', id: 'test' }, sessionId: damaged, type: 'TASK.ADD', data: { taskId: 'tbroken' } });
    await server.close();
    await start();

    const view = SessionViewSchema.parse((await api('GET', `/api/sessions/${damaged}`)).body);
    expect(view.status).toBe('damaged');
    expect(view.damage).toMatchObject({ seq: bad.seq, type: 'TASK.ADD' });
    const list = (await api('GET', '/api/sessions')).body.sessions.map((summary: unknown) => SessionSummarySchema.parse(summary));
    expect(list.find((summary: { id: string }) => summary.id === damaged)?.status).toBe('damaged');
    const refused = await api('POST', `/api/sessions/${damaged}/tasks`, { agent: 'command', prompt: 'true' });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'SESSION_DAMAGED']);
    // Every other session serves.
    const added = await api('POST', `/api/sessions/${healthy}/tasks`, { agent: 'command', prompt: 'true' });
    expect(added.status).toBe(202);
    expect((await api('GET', '/metrics')).body).toMatch(/thalogos_sessions\{state="damaged"\} 1/);

    const inspected = await api('GET', `/api/sessions/${damaged}/damage`);
    expect(inspected.body.entry).toMatchObject({ seq: bad.seq, type: 'TASK.ADD', data: { taskId: 'tbroken' } });
    const wrongSeq = await api('POST', `/api/sessions/${damaged}/damage/skip`, { seq: bad.seq + 1000, reason: 'x' });
    expect([wrongSeq.status, wrongSeq.body.error.code]).toEqual([409, 'INVALID_STATE']);
    const skipped = await api('POST', `/api/sessions/${damaged}/damage/skip`, { seq: bad.seq, reason: 'written by a test, never a real command' });
    expect(skipped.status, JSON.stringify(skipped.body)).toBe(200);
    expect(skipped.body.status).toBe('idle');
    expect((await api('POST', `/api/sessions/${damaged}/tasks`, { agent: 'command', prompt: 'true' })).status).toBe(202);
    const audit = (await api('GET', `/api/sessions/${damaged}/events?after=0&limit=1000`)).body.events.map((entry: { type: string }) => entry.type);
    expect(audit).toContain('SESSION.ENTRY_SKIPPED');
    // And the decision holds across a restart.
    await server.close();
    await start();
    expect((await api('GET', `/api/sessions/${damaged}`)).body.status).not.toBe('damaged');
    expect((await api('GET', '/api/audit/verify')).body.ok).toBe(true);
  }, 60_000);

  it('a Save that meets a locked main publishes nothing, and the next Save publishes once the lock is gone; the tag anchors the log', async () => {
    const repo = makeRepo(path.join(tmp, 'locked'));
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(repo, '.git'), title: 'locked' })).body.id as string;
    // Named by its .git directory, the repository is still the one main worktree.
    expect((await api('GET', `/api/sessions/${sid}`)).body.repoPath).toBe(repo);
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo hello > c.txt' });
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks[0]?.status === 'ready_for_review', { what: 'the task' });
    const lock = path.join(repo, '.git', 'refs', 'heads', 'main.lock');
    writeFileSync(lock, '');
    expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    const refused = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}`)).body;
      return body.status === 'awaiting_review' ? body : null;
    }, { what: 'the refused Save' });
    expect(refused.lastSave.result).toMatchObject({ status: 'error', error: { code: 'REF_LOCKED' } });
    // Only the session-start checkpoint: the refused Save tagged nothing.
    expect(git(repo, 'tag', '-l')).toBe(`session-start/${sid}`);
    expect((await api('GET', `/api/sessions/${sid}/save/recover`)).body.pending).toBeNull();

    unlinkSync(lock);
    expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    const published = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}`)).body;
      return body.status === 'active' && body.checkpoints.length === 1 ? body : null;
    }, { what: 'the Save after the lock went away' });
    const tag = published.checkpoints[0].tag as string;
    expect(git(repo, 'rev-parse', 'main')).toBe(git(repo, 'rev-parse', `${tag}^{commit}`));
    const anchor = /^Log-Head: (\d+) ([0-9a-f]+)$/m.exec(git(repo, 'tag', '-l', '--format=%(contents)', tag));
    expect(anchor, 'the tag message carries the log head').not.toBeNull();
    // The anchored head is the global log's; read that entry straight from the log.
    const entry = await server.context.log.entryAt(Number(anchor?.[1]));
    expect(entry?.hash).toBe(anchor?.[2]);
    const verify = (await api('GET', '/api/audit/verify')).body;
    expect(verify.ok, JSON.stringify(verify.findings)).toBe(true);
    expect(verify.anchorsChecked).toBeGreaterThanOrEqual(1);
    git(repo, 'fsck', '--strict');
  }, 60_000);

  it('records a session-start checkpoint at create, so the first Save can be rolled back through the route', async () => {
    const repo = makeRepo(path.join(tmp, 'first-save'));
    const before = git(repo, 'rev-parse', 'main');
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'first save' })).body.id as string;
    const listed = (await api('GET', `/api/sessions/${sid}/checkpoints`)).body.checkpoints as Array<{ tag: string; commit: string; sessionStart: string | null }>;
    expect(listed.map((c) => [c.commit, c.sessionStart])).toEqual([[before, sid]]);
    const startTag = listed[0]?.tag as string;
    expect(git(repo, 'rev-parse', `${startTag}^{commit}`)).toBe(before);
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo first > first.txt' });
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks[0]?.status === 'ready_for_review', { what: 'the task' });
    expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    await waitFor(async () => ((await api('GET', `/api/sessions/${sid}`)).body.checkpoints.length === 1 ? true : null), { what: 'the first Save' });
    expect(git(repo, 'ls-tree', '--name-only', 'main')).toContain('first.txt');
    const rolled = await api('POST', `/api/sessions/${sid}/rollback`, { checkpoint: startTag, mode: 'restore_commit' });
    expect(rolled.status).toBe(202);
    await waitFor(async () => (git(repo, 'rev-parse', 'main^{tree}') === git(repo, 'rev-parse', `${before}^{tree}`) ? true : null), { what: 'the rollback to the session start' });
    expect(git(repo, 'ls-tree', '--name-only', 'main')).not.toContain('first.txt');
  }, 60_000);

  it('a Save of one chosen task publishes it alone; the other ready task stays ready and merges on the next Save', async () => {
    const repo = makeRepo(path.join(tmp, 'chosen-save'));
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'chosen' })).body.id as string;
    const one = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo one > one.txt' })).body.id as string;
    const two = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo two > two.txt' })).body.id as string;
    const idle = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'true' })).body.id as string;
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'tasks ready' });

    // Refusals change nothing: unknown task, a task without changes, bad bodies.
    const before = await head();
    const unknown = await api('POST', `/api/sessions/${sid}/save`, { taskIds: ['t-none'] });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'TASK_NOT_FOUND']);
    const empty = await api('POST', `/api/sessions/${sid}/save`, { taskIds: [idle] });
    expect([empty.status, empty.body.error.code, empty.body.error.data]).toEqual([409, 'TASK_NOT_READY', { taskId: idle, status: 'ready_for_review' }]);
    for (const body of [{ taskIds: [] }, { taskIds: [one, one] }, { taskIds: ['../x'] }, { taskIds: one }]) {
      const bad = await api('POST', `/api/sessions/${sid}/save`, body);
      expect([bad.status, bad.body.error.code], JSON.stringify(body)).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(await head()).toBe(before);

    expect((await api('POST', `/api/sessions/${sid}/save`, { taskIds: [two] })).status).toBe(202);
    const first = await waitFor(async () => {
      const view = (await api('GET', `/api/sessions/${sid}`)).body;
      return view.lastSave ? view : null;
    }, { what: 'the chosen Save' });
    expect(first.lastSave.result).toMatchObject({ status: 'published', mergedTaskIds: [two] });
    expect(Object.fromEntries(first.tasks.map((t: { id: string; status: string }) => [t.id, t.status]))).toEqual({ [one]: 'ready_for_review', [two]: 'merged', [idle]: 'ready_for_review' });
    expect(git(repo, 'ls-tree', '--name-only', 'main').split('\n')).toEqual(expect.arrayContaining(['two.txt']));
    expect(git(repo, 'ls-tree', '--name-only', 'main')).not.toContain('one.txt');

    expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    await waitFor(async () => ((await api('GET', `/api/sessions/${sid}`)).body.checkpoints.length === 2 ? true : null), { what: 'the next Save' });
    expect(git(repo, 'ls-tree', '--name-only', 'main').split('\n')).toEqual(expect.arrayContaining(['one.txt', 'two.txt']));
    expect((await api('GET', `/api/sessions/${sid}/tasks/${one}`)).body.status).toBe('merged');
  }, 60_000);

  it('a session on develop publishes to develop and leaves main untouched; a missing base branch is refused', async () => {
    const repo = makeRepo(path.join(tmp, 'on-develop'));
    git(repo, 'branch', 'develop');
    const mainBefore = git(repo, 'rev-parse', 'main');
    const missing = await api('POST', '/api/sessions', { repoPath: repo, title: 'x', baseBranch: 'nope' });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'BRANCH_NOT_FOUND']);
    const ours = await api('POST', '/api/sessions', { repoPath: repo, title: 'x', baseBranch: 'session/s1/integration' });
    expect([ours.status, ours.body.error.code]).toEqual([400, 'INVALID_NAME']);
    const created = await api('POST', '/api/sessions', { repoPath: repo, title: 'develop', baseBranch: 'develop' });
    expect(created.status).toBe(201);
    expect(created.body.baseBranch).toBe('develop');
    const sid = created.body.id as string;
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo dev > dev.txt' });
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks[0]?.status === 'ready_for_review', { what: 'the task' });
    expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    const view = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}`)).body;
      return body.lastSave ? body : null;
    }, { what: 'the Save' });
    expect(view.lastSave.result.status).toBe('published');
    expect(git(repo, 'rev-parse', 'develop')).toBe(view.lastSave.result.commit);
    expect(git(repo, 'ls-tree', '--name-only', 'develop')).toContain('dev.txt');
    expect(git(repo, 'rev-parse', 'main')).toBe(mainBefore);
    // Without baseBranch: the branch the checkout is on.
    git(repo, 'checkout', '-q', 'develop');
    expect((await api('POST', '/api/sessions', { repoPath: repo, title: 'default' })).body.baseBranch).toBe('develop');
  }, 60_000);

  it('pages GET /api/sessions with a cursor that stays put while sessions are added; a bad cursor or limit is a typed 400 and changes nothing', async () => {
    const repo = makeRepo(path.join(tmp, 'paging'));
    const everything = async () => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { sessions: Array<{ id: string }>; nextCursor: string | null } } = await api('GET', `/api/sessions?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        expect(page.body.sessions.length).toBeLessThanOrEqual(3);
        ids.push(...page.body.sessions.map((summary) => summary.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      return ids;
    };
    const created: string[] = [];
    for (let i = 0; i < 5; i += 1) created.push((await api('POST', '/api/sessions', { repoPath: repo, title: `page ${i}` })).body.id as string);
    const before = await everything();
    expect(before.slice(-5)).toEqual(created);
    expect(new Set(before).size).toBe(before.length);

    // Half-way through the pages, sessions are created: the next pages neither skip nor repeat one,
    // and the new ones come last.
    const first = (await api('GET', '/api/sessions?limit=2')).body as { sessions: Array<{ id: string }>; nextCursor: string };
    expect(first.sessions.map((summary) => summary.id)).toEqual(before.slice(0, 2));
    const added: string[] = [];
    for (let i = 0; i < 3; i += 1) added.push((await api('POST', '/api/sessions', { repoPath: repo, title: `added ${i}` })).body.id as string);
    const rest: string[] = [];
    let cursor: string | null = first.nextCursor;
    while (cursor) {
      const page: { body: { sessions: Array<{ id: string }>; nextCursor: string | null } } = await api('GET', `/api/sessions?limit=4&cursor=${cursor}`);
      rest.push(...page.body.sessions.map((summary) => summary.id));
      cursor = page.body.nextCursor;
    }
    expect([...first.sessions.map((summary) => summary.id), ...rest]).toEqual([...before, ...added]);
    // The last page says so; a page as large as what is left has no next cursor either.
    expect((await api('GET', `/api/sessions?limit=500`)).body.nextCursor).toBeNull();

    const logHead = await head();
    for (const bad of ['not-a-cursor!', 'e30', Buffer.from('["x"]').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
      const reply = await api('GET', `/api/sessions?cursor=${encodeURIComponent(bad)}`);
      expect([reply.status, reply.body.error.code, reply.body.error.retryable], bad).toEqual([400, 'INVALID_CURSOR', false]);
    }
    for (const bad of ['limit=0', 'limit=501', 'limit=two', 'limit=1.5', 'page=2']) {
      const reply = await api('GET', `/api/sessions?${bad}`);
      expect([reply.status, reply.body.error.code], bad).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(await head()).toBe(logHead);
    expect(await everything()).toEqual([...before, ...added]);
  }, 60_000);
});
