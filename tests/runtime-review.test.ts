// The review loop (issue 13) on a real runtime: the real Codex CLI against the scripted model
// server, a real uWS server, LevelDB, a real Hocuspocus client writing the line comment, and
// native git as the oracle for what moved (and what did not).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { ApiClient } from '../runtime/cli/api-client.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { codexSetup, type CliSetup } from './fake-model/cli-setup.js';
import { startFakeModel, type FakeModelServer } from './fake-model/server.js';
import { apiClient, waitFor } from './helpers/api.js';
import { git, makeRepo } from './helpers/git-repo.js';
import { compareLiveWithReplay } from './helpers/replay-oracle.js';
import type { RuntimeUnderTest } from './helpers/runtime-under-test.js';
import { acknowledged, connect, synced, type TestClient } from './sync-harness.js';

const ADMIN = 'review-admin-token-0123456789abcdef';
/** Only the follow-up prompt that carries the reviewer's line comment holds this. */
const MARK = 'MARK-SAY-HI-7731';

let tmp: string;
let server: RunningServer;
let model: FakeModelServer;
let setup: CliSetup;
let api: ReturnType<typeof apiClient>;
const clients: TestClient[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-review-'));
  model = await startFakeModel({
    turns: [{ kind: 'shell', command: "printf 'hello world\\n' > greet.txt" }, { kind: 'text', text: 'Wrote greet.txt with hello world.' }],
    followUps: [{ when: MARK, turns: [{ kind: 'shell', command: "printf 'hi\\n' > greet.txt" }, { kind: 'text', text: 'Now it says hi.' }] }],
  });
  setup = await codexSetup(model.url, 90_000);
  const configFile = path.join(tmp, 'config.json');
  await writeFile(configFile, JSON.stringify({ adapters: { order: ['codex', 'command'], adapters: { codex: { enabled: true, ...setup.config }, claude: { enabled: false }, gemini: { enabled: false } } } }));
  server = await startServer(
    loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: path.join(tmp, 'repos'), THALOGOS_PORT: '0', THALOGOS_CONFIG: configFile }, cwd: tmp }),
    { env: process.env, logger: pino({ level: 'silent' }) },
  );
  api = apiClient(server.url, ADMIN);
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  await server?.close();
  await model?.close();
  await setup?.cleanup();
  await rm(tmp, { recursive: true, force: true });
});

async function session(title: string, extra: Record<string, unknown> = {}): Promise<{ sid: string; repo: string; reviewer: string; viewer: string }> {
  const repo = makeRepo(path.join(tmp, 'repos', title));
  const created = await api('POST', '/api/sessions', { repoPath: repo, title, ...extra });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const sid = created.body.id as string;
  const token = async (name: string, role: string) => (await api('POST', '/api/tokens', { name, role, sessions: [{ id: sid, role }] })).body.token as string;
  return { sid, repo, reviewer: await token(`rita-${title}`, 'reviewer'), viewer: await token(`vic-${title}`, 'viewer') };
}

async function taskWhen(sid: string, taskId: string, check: (task: any) => boolean, what: string, timeoutMs = 100_000): Promise<any> {
  return waitFor(async () => {
    const task = (await api('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body;
    return check(task) ? task : null;
  }, { what, timeoutMs, intervalMs: 200 });
}

async function addCommandTask(sid: string, prompt: string): Promise<string> {
  const added = await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt });
  expect(added.status, JSON.stringify(added.body)).toBe(202);
  const id = added.body.id as string;
  await taskWhen(sid, id, (t) => t.status === 'ready_for_review', `${prompt} ready`, 30_000);
  return id;
}

async function eventCount(sid: string): Promise<number> {
  return ((await api('GET', `/api/sessions/${sid}/events?limit=10000`)).body.events as unknown[]).length;
}

async function saveAndWait(sid: string, body: Record<string, unknown> = {}): Promise<any> {
  const before = ((await api('GET', `/api/sessions/${sid}`)).body.timeline as unknown[]).length;
  const saved = await api('POST', `/api/sessions/${sid}/save`, body);
  expect(saved.status, JSON.stringify(saved.body)).toBe(202);
  return waitFor(async () => {
    const view = (await api('GET', `/api/sessions/${sid}`)).body;
    return view.pendingSave === null && view.timeline.length > before && view.lastSave?.saveId === saved.body.saveId ? view : null;
  }, { what: 'the Save to finish', timeoutMs: 60_000 });
}

/** Every ref, every worktree and what each checkout holds: what a preview must leave exactly as it was. */
function gitState(repo: string): string {
  const worktrees = git(repo, 'worktree', 'list', '--porcelain');
  const paths = worktrees.split('\n').filter((line) => line.startsWith('worktree ')).map((line) => line.slice('worktree '.length));
  return [git(repo, 'for-each-ref', '--format=%(refname) %(objectname)'), worktrees, ...paths.map((dir) => `${dir}\n${git(dir, 'status', '--porcelain', '--untracked-files=all')}`)].join('\n---\n');
}

describe('review loop on a real runtime', () => {
  it('a reviewer requests changes with a line comment: the same Codex conversation continues on the same branch and a new commit joins the task', async () => {
    const { sid, repo, reviewer, viewer } = await session('changes');
    const added = await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'codex', prompt: 'Write greet.txt saying hello world.' });
    expect(added.status, JSON.stringify(added.body)).toBe(202);
    const taskId = added.body.id as string;
    const first = await taskWhen(sid, taskId, (t) => t.status === 'ready_for_review' || t.status === 'failed', 'the codex task to finish');
    expect(first.status, JSON.stringify(first.error)).toBe('ready_for_review');
    expect(git(repo, 'show', `${first.branch}:greet.txt`)).toBe('hello world');

    // The reviewer comments on line 1 of greet.txt in the shared document, as the console does.
    const client = connect(`${server.url.replace('http', 'ws')}/sync`, `session/${sid}/shared`, reviewer);
    clients.push(client);
    await synced(client);
    client.doc.transact(() => {
      const notes = new Y.Array<unknown>();
      notes.push([{ id: 'note-1', userId: 'claimed', name: 'claimed', text: `${MARK}: say just hi`, at: new Date().toISOString() }]);
      client.doc.getMap('comments').set(`${taskId}:greet.txt:1`, notes);
    });
    await acknowledged(client);

    // A viewer cannot decide: typed 403, nothing logged.
    const logged = await eventCount(sid);
    const refused = await api('POST', `/api/sessions/${sid}/tasks/${taskId}/request-changes`, { message: 'no' }, { token: viewer });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await eventCount(sid)).toBe(logged);

    const requestsBefore = model.modelRequests().length;
    const asked = await api('POST', `/api/sessions/${sid}/tasks/${taskId}/request-changes`, { message: 'Keep it short.' }, { token: reviewer });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    const second = await taskWhen(sid, taskId, (t) => t.status === 'ready_for_review' && t.runs.length === 2 && t.runs[1].outcome !== null, 'the review round to finish');
    expect(second.runs[1]).toMatchObject({ agent: 'codex', outcome: 'succeeded', resume: { runId: first.runs[0].runId } });
    const thread = second.runs[1].resume.resumeToken as string;
    expect(thread).toMatch(/\S/);

    // The model server saw the resumed conversation: the earlier turn, the comment, the session id.
    const later = model.modelRequests().slice(requestsBefore).map((request) => JSON.stringify({ headers: request.headers, body: request.body }));
    const withComment = later.find((text) => text.includes(MARK));
    expect(withComment, 'a request carries the line comment').toBeDefined();
    expect(withComment).toContain('greet.txt:1');
    expect(withComment).toContain('Keep it short.');
    expect(withComment).toContain('Wrote greet.txt with hello world.');
    expect(withComment).toContain(thread);

    // The new commit is on the same branch, after the first one (native git).
    expect(second.branch).toBe(first.branch);
    expect(second.commit).not.toBe(first.commit);
    expect(git(repo, 'rev-parse', second.branch)).toBe(second.commit);
    expect(git(repo, 'rev-parse', `${second.commit}^`)).toBe(first.commit);
    expect(git(repo, 'show', `${second.branch}:greet.txt`)).toBe('hi');
    expect(second.review.rounds).toEqual([expect.objectContaining({
      round: 1, message: 'Keep it short.', resumed: true, commitBefore: first.commit, commitAfter: second.commit,
      comments: [expect.objectContaining({ path: 'greet.txt', line: 1, by: `rita-changes` })],
    })]);
    const view = (await api('GET', `/api/sessions/${sid}`)).body;
    expect(view.timeline).toContainEqual(expect.objectContaining({ kind: 'task_review', taskId, decision: 'changes_requested', round: 1, comments: 1 }));

    // Approve, then the view as replayed from the log equals the live one.
    expect((await api('POST', `/api/sessions/${sid}/tasks/${taskId}/approve`, {}, { token: reviewer })).status).toBe(202);
    const rt = { api, client: new ApiClient(server.url, ADMIN) } as unknown as RuntimeUnderTest;
    expect((await compareLiveWithReplay(rt, sid)).differences).toBeNull();
  }, 240_000);

  it('with requireApproval, Save merges only approved tasks; the preview moves nothing and its tree is what Save publishes', async () => {
    const { sid, repo, reviewer, viewer } = await session('approval', { requireApproval: true });
    const one = await addCommandTask(sid, 'echo one > one.txt');
    const two = await addCommandTask(sid, 'echo two > two.txt');
    const logged = await eventCount(sid);
    expect(await api('POST', `/api/sessions/${sid}/save`, {})).toMatchObject({ status: 409, body: { error: { code: 'NOTHING_APPROVED' } } });
    expect(await api('POST', `/api/sessions/${sid}/tasks/${one}/approve`, {}, { token: viewer })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await eventCount(sid)).toBe(logged);
    expect((await api('POST', `/api/sessions/${sid}/tasks/${one}/approve`, {}, { token: reviewer })).body.review.approved).toMatchObject({ by: 'rita-approval' });
    expect(await api('POST', `/api/sessions/${sid}/save`, { taskIds: [two] })).toMatchObject({ status: 409, body: { error: { code: 'TASK_NOT_APPROVED' } } });

    const before = gitState(repo);
    const preview = await api('GET', `/api/sessions/${sid}/save-preview`, undefined, { token: viewer });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({ status: 'clean', taskIds: [one], leftOut: [two], mergedTaskIds: [one], conflict: null, base: git(repo, 'rev-parse', 'main') });
    expect(preview.body.diff.files.map((file: { path: string }) => file.path)).toEqual(['one.txt']);
    expect(gitState(repo)).toBe(before);

    const saved = await saveAndWait(sid);
    expect(saved.lastSave).toMatchObject({ taskIds: [one], leftOut: [two], result: { status: 'published', mergedTaskIds: [one] } });
    expect(git(repo, 'rev-parse', 'main^{tree}')).toBe(preview.body.tree);
    expect(git(repo, 'show', 'main:one.txt')).toBe('one');
    expect(() => git(repo, 'show', 'main:two.txt')).toThrow();
    expect(saved.tasks.find((t: { id: string }) => t.id === two).status).toBe('ready_for_review');

    // The setting is an operator's, and an event on the timeline.
    expect(await api('PUT', `/api/sessions/${sid}/settings`, { requireApproval: false }, { token: reviewer })).toMatchObject({ status: 403 });
    const changed = await api('PUT', `/api/sessions/${sid}/settings`, { requireApproval: false });
    expect(changed.status).toBe(200);
    expect(changed.body.requireApproval).toBe(false);
    expect(changed.body.timeline.at(-1)).toMatchObject({ kind: 'session_settings', requireApproval: false });
    expect((await api('GET', `/api/sessions/${sid}/save-preview`)).body.taskIds).toEqual([two]);
  }, 120_000);

  it('with requireApproval, a required CI status is asked only of the approved tasks the Save merges', async () => {
    const repo = makeRepo(path.join(tmp, 'repos', 'ci-approval'), { '.thalogos.json': JSON.stringify({ ci: { requiredStatuses: ['ci/test'] } }) });
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'ci-approval', requireApproval: true })).body.id as string;
    const one = await addCommandTask(sid, 'echo one > one.txt');
    await addCommandTask(sid, 'echo two > two.txt');
    expect((await api('POST', `/api/sessions/${sid}/tasks/${one}/approve`, {})).status).toBe(202);
    const commit = (await api('GET', `/api/sessions/${sid}/tasks/${one}`)).body.commit as string;
    expect((await api('POST', `/api/sessions/${sid}/statuses`, { commit, context: 'ci/test', state: 'success' })).status).toBe(201);
    // The unapproved task has no status, and it is not part of this Save: the Save goes ahead.
    const saved = await saveAndWait(sid);
    expect(saved.lastSave.result).toMatchObject({ status: 'published', mergedTaskIds: [one] });
  }, 60_000);

  it('a rollback marks the tasks whose work left main; re-apply brings it back on the next Save; rework reruns the prompt as a new task', async () => {
    const { sid, repo } = await session('rollback');
    const one = await addCommandTask(sid, 'echo one > one.txt');
    const cp1 = (await saveAndWait(sid)).lastSave.result.tag as string;
    const two = await addCommandTask(sid, 'echo two > two.txt');
    await saveAndWait(sid);
    expect(git(repo, 'show', 'main:two.txt')).toBe('two');

    const rolled = await api('POST', `/api/sessions/${sid}/rollback`, { checkpoint: cp1, mode: 'restore_commit' });
    expect(rolled.status, JSON.stringify(rolled.body)).toBe(202);
    const after = await waitFor(async () => {
      const view = (await api('GET', `/api/sessions/${sid}`)).body;
      return view.pendingRollback === null ? view : null;
    }, { what: 'the rollback to finish' });
    expect(() => git(repo, 'show', 'main:two.txt')).toThrow();
    expect(after.tasks.map((t: { id: string; reverted: unknown }) => [t.id, t.reverted !== null])).toEqual([[one, false], [two, true]]);
    expect(after.timeline.at(-1)).toMatchObject({ kind: 'tasks_reverted', checkpoint: cp1, taskIds: [two] });
    // Only reverted tasks can be re-applied.
    expect(await api('POST', `/api/sessions/${sid}/tasks/${one}/reapply`, {})).toMatchObject({ status: 409, body: { error: { code: 'INVALID_STATE' } } });

    const reapplied = await api('POST', `/api/sessions/${sid}/tasks/${two}/reapply`, {});
    expect(reapplied.status, JSON.stringify(reapplied.body)).toBe(202);
    expect(reapplied.body.reverted.reapply).toMatchObject({ commit: git(repo, 'rev-parse', `session/${sid}/task/${two}`) });
    expect(git(repo, 'rev-parse', `session/${sid}/task/${two}^`)).toBe(git(repo, 'rev-parse', 'main'));
    const preview = (await api('GET', `/api/sessions/${sid}/save-preview`)).body;
    expect(preview).toMatchObject({ status: 'clean', taskIds: [two] });
    const saved = await saveAndWait(sid);
    expect(saved.lastSave.result).toMatchObject({ status: 'published', mergedTaskIds: [two] });
    expect(git(repo, 'show', 'main:two.txt')).toBe('two');
    expect(git(repo, 'rev-parse', 'main^{tree}')).toBe(preview.tree);
    expect(saved.tasks.find((t: { id: string }) => t.id === two).reverted).toBeNull();
    expect(saved.timeline).toContainEqual(expect.objectContaining({ kind: 'task_reapply', taskId: two, action: 'reapplied' }));

    // Back to the session's start: both are off main; rework runs the first task's prompt again.
    const start = `session-start/${sid}`;
    expect((await api('POST', `/api/sessions/${sid}/rollback`, { checkpoint: start, mode: 'restore_commit' })).status).toBe(202);
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.pendingRollback === null, { what: 'the second rollback' });
    const reworked = await api('POST', `/api/sessions/${sid}/tasks/${one}/rework`, {});
    expect(reworked.status, JSON.stringify(reworked.body)).toBe(202);
    expect(reworked.body).toMatchObject({ prompt: 'echo one > one.txt', reworkOf: one });
    const fresh = await taskWhen(sid, reworked.body.id, (t) => t.status === 'ready_for_review', 'the rework to finish', 30_000);
    expect(fresh.baseCommit).toBe(git(repo, 'rev-parse', 'main'));
    expect(await api('POST', `/api/sessions/${sid}/tasks/${one}/rework`, {})).toMatchObject({ status: 409 });
    const rt = { api, client: new ApiClient(server.url, ADMIN) } as unknown as RuntimeUnderTest;
    expect((await compareLiveWithReplay(rt, sid)).differences).toBeNull();
  }, 120_000);
});
