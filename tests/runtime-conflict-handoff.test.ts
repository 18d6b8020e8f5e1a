import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionViewSchema } from '../contracts/index.js';
import { loadConfig } from '../runtime/config/config.js';
import { ApiClient } from '../runtime/cli/api-client.js';
import { replaySession } from '../runtime/cli/replay.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { apiClient, waitFor } from './helpers/api.js';
import { git, makeRepo } from './helpers/git-repo.js';

const ADMIN = 'handoff-admin-token-0123456789abcdef';

/**
 * The first hour's lost conflict resolution (issue 14, item 1): a conflict handed to an agent when
 * no language-model agent is signed in, then resolved by a person. The pick must reach main, the
 * task must keep its goal, and the session must survive a restart with replay equal to live.
 */
describe('a conflict hand-off that fails, then a person resolves it', () => {
  let tmp: string;
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  const start = async () => {
    server = await startServer(
      loadConfig({
        env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: path.join(tmp, 'config.json') },
        cwd: tmp,
      }),
      { logger: pino({ level: 'silent' }) },
    );
    api = apiClient(server.url, ADMIN);
  };

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-handoff-'));
    // Codex is configured but cannot run here: the same as a user with no agent signed in.
    await writeFile(path.join(tmp, 'config.json'), JSON.stringify({
      adapters: { order: ['codex', 'command'], adapters: { codex: { enabled: true, bin: path.join(tmp, 'no-such-codex') }, claude: { enabled: false }, gemini: { enabled: false } } },
    }));
    await start();
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('keeps the goal, keeps the work, and publishes the person\'s pick; a restart replays to the same state', async () => {
    const repo = makeRepo(path.join(tmp, 'repo'));
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'handoff' })).body.id as string;
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: "printf 'line1\\nfrom-first\\nline3\\n' > a.txt" });
    const goal = "printf 'line1\\nfrom-second\\nline3\\n' > a.txt";
    const second = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: goal })).body.id as string;
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'both tasks ready' });
    await api('POST', `/api/sessions/${sid}/save`, {});
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.status === 'awaiting_review', { what: 'the conflict' });
    const commitBefore = (await api('GET', `/api/sessions/${sid}/tasks/${second}`)).body.commit as string;

    const delegated = await api('POST', `/api/sessions/${sid}/conflicts/delegate`, {});
    expect(delegated.status, JSON.stringify(delegated.body)).toBe(202);
    const afterHandoff = await waitFor(async () => {
      const task = (await api('GET', `/api/sessions/${sid}/tasks/${second}`)).body;
      return task.runs.length === 2 && task.runs[1].outcome !== null && task.status === 'ready_for_review' ? task : null;
    }, { what: 'the hand-off to end', timeoutMs: 60_000 });
    // The failed hand-off leaves the task's own work in review, with the reason, and its goal as stated.
    expect(afterHandoff.error).toMatchObject({ code: 'REWORK_FAILED' });
    expect(afterHandoff.commit).toBe(commitBefore);
    expect(afterHandoff.prompt).toBe(goal);
    expect(afterHandoff.rework.prompt).toContain('git merge');

    const resolved = await api('POST', `/api/sessions/${sid}/conflicts/resolve`, { taskId: second, resolutions: [{ path: 'a.txt', hunk: 0, side: 'theirs' }] });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    const saved = await api('POST', `/api/sessions/${sid}/save`, {});
    expect(saved.status, JSON.stringify(saved.body)).toBe(202);
    const published = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}`)).body;
      return body.status === 'active' && body.checkpoints.length === 1 ? body : null;
    }, { what: 'the Save after the resolution to publish' });
    expect(published.checkpoints[0].mergedTaskIds).toContain(second);
    expect(git(repo, 'show', 'main:a.txt')).toBe('line1\nfrom-second\nline3');
    git(repo, 'fsck', '--strict');

    // The first wave could not start again after a resolved conflict; replay must equal live.
    await server.close();
    await start();
    const live = SessionViewSchema.parse((await api('GET', `/api/sessions/${sid}`)).body);
    expect(live.status).toBe('active');
    const replayed = await replaySession(new ApiClient(server.url, ADMIN), sid, null);
    expect(replayed.state).toEqual(live);
    expect((await api('GET', '/api/audit/verify')).body.ok).toBe(true);
  }, 120_000);
});
