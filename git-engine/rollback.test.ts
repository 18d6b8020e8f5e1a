import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

/** Two published checkpoints: #1 adds one.txt, #2 changes README and adds two.txt. */
async function twoCheckpoints() {
  const r = makeRepo({ 'README.md': 'v0\n' });
  roots.push(r.root);
  const publish = async (taskId: string, edit: (wt: string) => void) => {
    const wt = path.join(r.root, `wt-${taskId}`);
    await engine.createWorktree({ repoPath: r.repo, sessionId: 's1', taskId, worktreePath: wt });
    edit(wt);
    await engine.commitWorktree({ repoPath: r.repo, sessionId: 's1', taskId, worktreePath: wt, agent: 'codex', message: taskId });
    const res = await engine.save({ repoPath: r.repo, sessionId: 's1', saveId: taskId, taskIds: [taskId], integrationWorktreePath: path.join(r.root, 'integration') });
    if (res.status !== 'published') throw new Error(JSON.stringify(res));
    return res;
  };
  const cp1 = await publish('t1', (wt) => write(wt, 'one.txt', '1\n'));
  const cp2 = await publish('t2', (wt) => { write(wt, 'README.md', 'v2\n'); write(wt, 'two.txt', '2\n'); });
  return { ...r, cp1, cp2 };
}

describe('rollback', () => {
  it("restore_commit: a new commit on main with the checkpoint's tree; history kept; main worktree follows", async () => {
    const { repo, cp1, cp2 } = await twoCheckpoints();
    const res = await engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: cp1.tag, mode: 'restore_commit' });
    expect(res.mode).toBe('restore_commit');
    expect(res.branch).toBe('main');
    expect(git(repo, ['rev-parse', 'main'])).toBe(res.commit);
    expect(git(repo, ['rev-parse', `${res.commit}^`])).toBe(cp2.commit);
    expect(git(repo, ['rev-parse', `${res.commit}^{tree}`])).toBe(git(repo, ['rev-parse', `${cp1.tag}^{tree}`]));
    expect(git(repo, ['log', '-1', '--format=%(trailers:key=Restores,valueonly)', res.commit])).toBe(cp1.tag);
    expect(git(repo, ['log', '-1', '--format=%(trailers:key=Orchestrator-Version,valueonly)', res.commit])).toBe('0.1.0-test');
    expect(fs.readFileSync(path.join(repo, 'README.md'), 'utf8')).toBe('v0\n');
    expect(fs.existsSync(path.join(repo, 'two.txt'))).toBe(false);
    expect(git(repo, ['status', '--porcelain'])).toBe('');
    expect(fsckProblems(repo)).toEqual([]);
  });

  it('restore_commit refuses when the main worktree has local changes in the way', async () => {
    const { repo, cp1 } = await twoCheckpoints();
    write(repo, 'two.txt', 'edited locally\n');
    const before = refsSnapshot(repo);
    await expect(engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: cp1.tag, mode: 'restore_commit' })).rejects.toMatchObject({ code: 'MAIN_WORKTREE_DIRTY' });
    expect(refsSnapshot(repo)).toBe(before);
    expect(fs.readFileSync(path.join(repo, 'two.txt'), 'utf8')).toBe('edited locally\n');
  });

  it('branch: a rollback branch at the checkpoint with its own linked worktree', async () => {
    const { root, repo, cp1 } = await twoCheckpoints();
    const wt = path.join(root, 'rollback-wt');
    const mainBefore = git(repo, ['rev-parse', 'main']);
    const res = await engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: cp1.tag, mode: 'branch', worktreePath: wt });
    expect(res).toEqual({ mode: 'branch', commit: cp1.commit, branch: 'session/s1/rollback/2026-03-04-1', worktreePath: wt });
    expect(git(repo, ['rev-parse', 'session/s1/rollback/2026-03-04-1'])).toBe(cp1.commit);
    expect(git(repo, ['worktree', 'list', '--porcelain'])).toContain(`worktree ${wt}\nHEAD ${cp1.commit}\nbranch refs/heads/session/s1/rollback/2026-03-04-1`);
    expect(git(wt, ['status', '--porcelain'])).toBe('');
    expect(fs.readFileSync(path.join(wt, 'README.md'), 'utf8')).toBe('v0\n');
    expect(git(repo, ['rev-parse', 'main'])).toBe(mainBefore);
    expect(fsckProblems(repo)).toEqual([]);
  });

  it('rejects unknown or malformed checkpoints', async () => {
    const { repo } = await twoCheckpoints();
    await expect(engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: 'checkpoint/2020-01-01-1', mode: 'restore_commit' })).rejects.toMatchObject({ code: 'CHECKPOINT_NOT_FOUND' });
    await expect(engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: 'checkpoint/../../main', mode: 'restore_commit' })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: 'checkpoint/2026-03-04-1', mode: 'branch' })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    const before = refsSnapshot(repo);
    await expect(engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: 'checkpoint/2026-03-04-1', mode: 'branch', worktreePath: path.join(repo, '.git', 'wt') })).rejects.toMatchObject({ code: 'PATH_OUTSIDE_REPOSITORY' });
    await expect(engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: 'checkpoint/2026-03-04-1', mode: 'branch', worktreePath: 'rel/wt' })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    expect(refsSnapshot(repo)).toBe(before);
  });
});

describe('rollback crash safety', () => {
  const engineModule = fileURLToPath(new URL('./engine.ts', import.meta.url));
  const projectRoot = fileURLToPath(new URL('..', import.meta.url));

  it('a kill -9 between the main worktree update and the ref move is finished by the retry (no second restore commit)', async () => {
    const { repo, cp1, cp2 } = await twoCheckpoints();
    const script = `const { createGitEngine } = await import(${JSON.stringify(engineModule)});
      const e = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') });
      await e.rollback({ repoPath: ${JSON.stringify(repo)}, sessionId: 's1', checkpoint: ${JSON.stringify(cp1.tag)}, mode: 'restore_commit' });`;
    // A script file, not -e: the engine's workers inherit execArgv.
    const scriptFile = path.join(path.dirname(repo), 'crash-rollback.mjs');
    fs.writeFileSync(scriptFile, script);
    const r = spawnSync(process.execPath, ['--import', 'tsx', scriptFile], {
      cwd: projectRoot, env: { ...process.env, THALOGOS_GIT_ENGINE_FAULT: 'move-after-checkout' }, encoding: 'utf8', timeout: 60_000,
    });
    expect(r.signal, r.stderr.slice(-2000)).toBe('SIGKILL');
    // Files and index hold the restore, main does not: native git sees staged changes.
    expect(git(repo, ['rev-parse', 'main'])).toBe(cp2.commit);
    expect(fs.existsSync(path.join(repo, 'two.txt'))).toBe(false);
    expect(git(repo, ['status', '--porcelain'])).not.toBe('');
    const res = await engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: cp1.tag, mode: 'restore_commit' });
    expect(git(repo, ['rev-parse', 'main'])).toBe(res.commit);
    expect(git(repo, ['rev-parse', `${res.commit}^`])).toBe(cp2.commit);
    expect(git(repo, ['rev-parse', `${res.commit}^{tree}`])).toBe(git(repo, ['rev-parse', `${cp1.tag}^{tree}`]));
    expect(git(repo, ['status', '--porcelain'])).toBe('');
    expect(fs.existsSync(path.join(repo, '.git/refs/heads/main.lock'))).toBe(false);
    expect(fs.readdirSync(path.join(repo, '.git/thalogos')).filter((f) => f.startsWith('move-'))).toEqual([]);
    expect(fsckProblems(repo)).toEqual([]);
  }, 90_000);
});

