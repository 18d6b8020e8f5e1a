// Issue 14 item 14: task branches of ended tasks are pruned after a published Save by the
// configured retention (git.pruneTaskBranches), never one holding unmerged work. A real uWS server,
// LevelDB, the command agent and a real repository; native git is the oracle.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BranchesPrunedDataSchema } from '../contracts/index.js';
import { ApiClient } from '../runtime/cli/api-client.js';
import { replaySession } from '../runtime/cli/replay.js';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { apiClient, waitFor } from './helpers/api.js';
import { git, makeRepo } from './helpers/git-repo.js';

const ADMIN = 'test-admin-token-0123456789abcdef';

const configFor = (tmp: string, name: string) => loadConfig({
  env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, name), THALOGOS_REPO_ROOTS: path.join(tmp, 'repos'), THALOGOS_PORT: '0' },
  cwd: tmp,
});

describe('task branch pruning after Save (real server, command agent, native git as the oracle)', () => {
  let tmp: string;
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let repo: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-prune-'));
    repo = makeRepo(path.join(tmp, 'repos', 'r1'));
    const config = configFor(tmp, 'data');
    await mkdir(config.dataDir, { recursive: true });
    // Abandoned branches due at once: the unmerged one must still be kept.
    await writeFile(config.configFile, JSON.stringify({ sessions: { maxRetries: 0 }, git: { pruneTaskBranches: { merged: 'after-save', abandoned: 0 } } }));
    server = await startServer(config, { logger: pino({ level: 'silent' }) });
    api = apiClient(server.url, ADMIN);
  });

  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  const taskBranches = (sid: string): string[] =>
    git(repo, 'branch', '--list', `session/${sid}/task/*`, '--format=%(refname:short)').split('\n').filter(Boolean).sort();

  it('deletes merged and work-free failed branches with their worktrees, keeps the cancelled one with unmerged work, and records why', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'prune' })).body.id as string;
    const add = async (prompt: string) => (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt })).body.id as string;
    const merged = await add('echo new > c.txt');
    const failed = await add("echo 'no luck' >&2; exit 3");
    const cancelled = await add('echo partial > partial.txt; sleep 60');
    const taskOf = async (id: string) => (await api('GET', `/api/sessions/${sid}/tasks/${id}`)).body;
    const running = await waitFor(async () => {
      const view = await taskOf(cancelled);
      return view.status === 'running' && view.worktreePath && existsSync(path.join(view.worktreePath, 'partial.txt')) ? view : null;
    }, { what: 'the task to be cancelled to write its file' });
    expect((await api('POST', `/api/sessions/${sid}/tasks/${cancelled}/cancel`, {})).status).toBe(202);
    await waitFor(async () => !existsSync(running.worktreePath), { what: 'the cancelled worktree to be released', timeoutMs: 20_000 });
    await waitFor(async () => (await taskOf(merged)).status === 'ready_for_review' && (await taskOf(failed)).status === 'failed', { what: 'one task ready, one failed' });
    expect(taskBranches(sid)).toEqual([`session/${sid}/task/${cancelled}`, `session/${sid}/task/${failed}`, `session/${sid}/task/${merged}`].sort());
    const mergedWorktree = (await taskOf(merged)).worktreePath as string;
    expect(existsSync(mergedWorktree)).toBe(true);

    expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    const record = await waitFor(async () => {
      const events = (await api('GET', `/api/sessions/${sid}/events?after=0&limit=10000`)).body.events as Array<{ kind?: string; type: string; data: unknown }>;
      return events.find((entry) => entry.type === 'GIT.BRANCHES_PRUNED') ?? null;
    }, { what: 'the pruning record' });

    // The user's repository, read with git itself.
    expect(git(repo, 'show', 'main:c.txt')).toBe('new');
    expect(taskBranches(sid)).toEqual([`session/${sid}/task/${cancelled}`]);
    expect(git(repo, 'log', '-1', '--format=%s', `session/${sid}/task/${cancelled}`)).toBe('Keep the uncommitted work of a cancelled task');
    // Its commit is on neither main nor a checkpoint: `git merge-base --is-ancestor` exits 1.
    expect(() => git(repo, 'merge-base', '--is-ancestor', `session/${sid}/task/${cancelled}`, 'main')).toThrow();
    expect(git(repo, 'worktree', 'list')).not.toContain(mergedWorktree);
    expect(existsSync(mergedWorktree)).toBe(false);
    git(repo, 'fsck', '--strict');

    // The audit record says what went and what stayed, and why.
    expect(record.kind).toBe('audit');
    const data = BranchesPrunedDataSchema.parse(record.data);
    expect(data.pruned.map((b) => [b.taskId, b.status]).sort()).toEqual([[failed, 'failed'], [merged, 'merged']].sort());
    expect(data.kept).toEqual([{
      taskId: cancelled, status: 'cancelled', branch: `session/${sid}/task/${cancelled}`,
      commit: git(repo, 'rev-parse', `session/${sid}/task/${cancelled}`), reason: 'unmerged_work',
    }]);

    // The merged task's review diff outlives its branch; replay still equals the live view.
    const diff = await api('GET', `/api/sessions/${sid}/tasks/${merged}/diff`);
    expect(diff.status).toBe(200);
    expect(diff.body.files.map((file: { path: string }) => file.path)).toEqual(['c.txt']);
    const live = (await api('GET', `/api/sessions/${sid}`)).body;
    const replayed = await replaySession(new ApiClient(server.url, ADMIN), sid, null);
    expect(replayed.state).toEqual(live);
    expect((await api('GET', '/api/audit/verify')).body.ok).toBe(true);
  });

  it('refuses to start with a bad retention in the config file: a typed CONFIG_INVALID naming the field', async () => {
    const config = configFor(tmp, 'bad');
    await mkdir(config.dataDir, { recursive: true });
    for (const retention of [{ merged: 'sometimes' }, { abandoned: -1 }, { abandoned: 1.5 }, { abandoned: 'after-save' }, { keep: true }]) {
      await writeFile(config.configFile, JSON.stringify({ git: { pruneTaskBranches: retention } }));
      const error = await startServer(config, { logger: pino({ level: 'silent' }) }).then(
        async (started) => { await started.close(); return null; },
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(error?.code, JSON.stringify(retention)).toBe('CONFIG_INVALID');
      expect(error?.message).toMatch(/git\.pruneTaskBranches/);
    }
  });
});
