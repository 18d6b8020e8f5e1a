import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { codexSetup, type CliSetup } from './fake-model/cli-setup.js';
import { startFakeModel, type FakeModelServer } from './fake-model/server.js';
import { apiClient, waitFor } from './helpers/api.js';
import { git, makeRepo } from './helpers/git-repo.js';
import { acknowledged, connect, synced } from './sync-harness.js';

const ADMIN = 'conflict-admin-token-0123456789abcdef';

describe('a Save that stops on a conflict, resolved by people or handed to an agent', () => {
  let tmp: string;
  let server: RunningServer;
  let model: FakeModelServer;
  let codex: CliSetup;
  let api: ReturnType<typeof apiClient>;
  let repoCount = 0;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-conflicts-'));
    model = await startFakeModel({ turns: [{ kind: 'text', text: 'Merged and resolved.' }] });
    codex = await codexSetup(model.url);
    const configFile = path.join(tmp, 'config.json');
    await writeFile(configFile, JSON.stringify({ adapters: { order: ['codex', 'command'], adapters: { codex: { enabled: true, ...codex.config }, claude: { enabled: false }, gemini: { enabled: false } } } }));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: configFile }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
    api = apiClient(server.url, ADMIN);
  });
  afterAll(async () => {
    await server?.close();
    await model?.close();
    await codex?.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  /** Two command tasks that rewrite the same line differently, then a Save that stops on it. */
  async function conflictedSession(): Promise<{ sid: string; repo: string; second: string; report: any }> {
    repoCount += 1;
    const repo = makeRepo(path.join(tmp, `repo${repoCount}`));
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'conflict' })).body.id as string;
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: "printf 'line1\\nfrom-first\\nline3\\n' > a.txt" });
    const second = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: "printf 'line1\\nfrom-second\\nline3\\n' > a.txt" })).body.id as string;
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'both tasks ready' });
    await api('POST', `/api/sessions/${sid}/save`, {});
    const view = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}`)).body;
      return body.status === 'awaiting_review' ? body : null;
    }, { what: 'the Save to stop on the conflict' });
    expect(view.lastSave.result.status).toBe('conflict');
    return { sid, repo, second, report: view.lastSave.result.report };
  }

  it('refuses conflict commands when no conflict is open', async () => {
    const repo = makeRepo(path.join(tmp, 'calm'));
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'calm' })).body.id as string;
    const resolve = await api('POST', `/api/sessions/${sid}/conflicts/resolve`, { resolutions: [{ path: 'a.txt', hunk: 0, side: 'ours' }] });
    expect([resolve.status, resolve.body.error.code]).toEqual([409, 'INVALID_STATE']);
    const delegate = await api('POST', `/api/sessions/${sid}/conflicts/delegate`, {});
    expect([delegate.status, delegate.body.error.code]).toEqual([409, 'INVALID_STATE']);
  });

  it('resolves the conflict by picking a side per hunk, then the next Save publishes the choice', async () => {
    const { sid, repo, second, report } = await conflictedSession();
    expect(report.files.map((file: { path: string }) => file.path)).toEqual(['a.txt']);
    const headBefore = (await api('GET', `/api/sessions/${sid}/events?after=0&limit=1`)).body.head;
    const missing = await api('POST', `/api/sessions/${sid}/conflicts/resolve`, { resolutions: [{ path: 'b.txt', hunk: 0, side: 'theirs' }] });
    expect([missing.status, missing.body.error.code]).toEqual([400, 'INVALID_RESOLUTION']);
    // A refused resolution leaves nothing in the log (the first wave appended two entries).
    expect((await api('GET', `/api/sessions/${sid}/events?after=0&limit=1`)).body.head).toBe(headBefore);
    const wrongTask = await api('POST', `/api/sessions/${sid}/conflicts/resolve`, { taskId: 't-other', resolutions: [{ path: 'a.txt', hunk: 0, side: 'theirs' }] });
    expect([wrongTask.status, wrongTask.body.error.code]).toEqual([409, 'INVALID_STATE']);
    const viewerToken = (await api('POST', '/api/tokens', { name: 'vic', role: 'viewer', sessions: [{ id: sid, role: 'viewer' }] })).body.token as string;
    const byViewer = await apiClient(server.url, viewerToken)('POST', `/api/sessions/${sid}/conflicts/resolve`, { resolutions: [{ path: 'a.txt', hunk: 0, side: 'theirs' }] });
    expect(byViewer.status).toBe(403);

    const resolved = await api('POST', `/api/sessions/${sid}/conflicts/resolve`, { taskId: second, resolutions: [{ path: 'a.txt', hunk: 0, side: 'theirs' }] });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(git(repo, 'rev-parse', `session/${sid}/task/${second}`)).toBe(resolved.body.commit);
    expect(git(repo, 'log', '-1', '--format=%P', resolved.body.commit)).toBe(`${report.theirs} ${report.ours}`);
    const types = (await api('GET', `/api/sessions/${sid}/events?taskId=${second}`)).body.events.map((entry: { type: string }) => entry.type);
    expect(types).toContain('TASK.CONFLICT_RESOLVED');
    expect(types).not.toContain('CONFLICT.RESOLVE');
    const again = await api('POST', `/api/sessions/${sid}/conflicts/resolve`, { taskId: second, resolutions: [{ path: 'a.txt', hunk: 0, side: 'ours' }] });
    expect([again.status, again.body.error.code]).toEqual([409, 'STALE_CONFLICT']);

    await api('POST', `/api/sessions/${sid}/save`, {});
    const view = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}`)).body;
      return body.status === 'active' && body.checkpoints.length === 1 ? body : null;
    }, { what: 'the second Save to publish' });
    expect(git(repo, 'show', 'main:a.txt')).toBe('line1\nfrom-second\nline3');
    expect(git(repo, 'rev-parse', 'main')).toBe(git(repo, 'rev-parse', `${view.checkpoints[0].tag}^{commit}`));
    git(repo, 'fsck', '--strict');
  });

  it('hands the conflict to an agent: the task goes back to work in its worktree with the merge instructions', async () => {
    const { sid, second, report } = await conflictedSession();
    expect(report.taskId).toBe(second);
    const bad = await api('POST', `/api/sessions/${sid}/conflicts/delegate`, { agent: 'command' });
    expect([bad.status, bad.body.error.code]).toEqual([422, 'UNKNOWN_AGENT']);
    // A note a reviewer leaves in the session's shared memory travels with the agent's prompt.
    const notes = connect(`${server.url.replace('http', 'ws')}/sync`, `session/${sid}/shared`, ADMIN);
    try {
      await synced(notes);
      notes.doc.getText('memory').insert(0, 'Keep both greetings when merging.');
      await acknowledged(notes);
    } finally {
      notes.destroy();
    }
    const delegated = await api('POST', `/api/sessions/${sid}/conflicts/delegate`, { agent: 'codex' });
    expect(delegated.status, JSON.stringify(delegated.body)).toBe(202);
    const task = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}/tasks/${second}`)).body;
      return body.status === 'ready_for_review' && body.runs.length === 2 ? body : null;
    }, { what: 'the agent run to finish', timeoutMs: 60_000 });
    expect(task.runs[1]).toMatchObject({ agent: 'codex', outcome: 'succeeded' });
    const started = (await api('GET', `/api/sessions/${sid}/events?taskId=${second}`)).body.events
      .filter((entry: { type: string }) => entry.type === 'AGENT.STARTED').at(-1);
    expect(started.data.prompt).toContain(`git merge ${report.ours}`);
    // Codex announced its thread id mid-run; it is in the log before the run ended.
    const types = (await api('GET', `/api/sessions/${sid}/events?taskId=${second}`)).body.events.map((entry: { type: string; data: { resumeToken?: string } }) => entry);
    const resumable = types.find((entry: { type: string }) => entry.type === 'AGENT.RESUMABLE');
    expect(resumable?.data.resumeToken).toMatch(/\S/);
    expect(types.indexOf(resumable)).toBeLessThan(types.findLastIndex((entry: { type: string }) => entry.type === 'AGENT.EXITED'));
    expect(started.data.prompt).toContain('Keep both greetings when merging.');
    const sentToModel = JSON.stringify(model.modelRequests().at(-1)?.body);
    expect(sentToModel).toContain(report.ours);
    expect(sentToModel).toContain('Keep both greetings when merging.');
  }, 90_000);
});
