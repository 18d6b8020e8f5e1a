// Ref writes, deletes and listings against real repositories; native git is the oracle.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

async function repoWithTask(files: Record<string, string> = { 'README.md': 'hello\n' }, sessionId = 's1', taskId = 't1') {
  const r = makeRepo(files);
  roots.push(r.root);
  await addTask(r, sessionId, taskId);
  return r;
}

async function addTask(r: { root: string; repo: string }, sessionId: string, taskId: string): Promise<string> {
  const wt = path.join(r.root, `wt-${sessionId}-${taskId}`);
  await engine.createWorktree({ repoPath: r.repo, sessionId, taskId, worktreePath: wt });
  write(wt, `${taskId}.txt`, `${taskId}\n`);
  await engine.commitWorktree({ repoPath: r.repo, sessionId, taskId, worktreePath: wt, agent: 'codex', message: taskId });
  return wt;
}

describe('ref locks', () => {
  it('a stale <ref>.lock gives REF_LOCKED naming the lock; nothing moves', async () => {
    const { root, repo } = await repoWithTask();
    const res = await engine.save({ repoPath: repo, sessionId: 's1', saveId: 'a', taskIds: ['t1'], integrationWorktreePath: path.join(root, 'integration') });
    if (res.status !== 'published') throw new Error(JSON.stringify(res));
    const lockPath = path.join(repo, '.git/refs/heads/main.lock');
    fs.writeFileSync(lockPath, '');
    const refs = refsSnapshot(repo);
    await expect(engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: res.tag, mode: 'restore_commit' }))
      .rejects.toMatchObject({ code: 'REF_LOCKED', data: { lockPath } });
    expect(refsSnapshot(repo)).toBe(refs);
    // Native git sees the same lock; once the operator removes it, the rollback goes through.
    fs.rmSync(lockPath);
    await engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: res.tag, mode: 'restore_commit' });
    expect(git(repo, ['status', '--porcelain'])).toBe('');
  });

  it('a ref write that fails after taking the lock removes the lock again', async () => {
    const r = makeRepo({ 'README.md': 'hello\n', '.thalogos.json': '{"gates":["false"]}' });
    roots.push(r.root);
    await addTask(r, 's1', 't1');
    // A branch below the integration branch's name: `refs/heads/session/s1/integration` is a
    // directory, so the rename of the integration ref's lock fails (like ENOSPC/EIO would).
    git(r.repo, ['branch', 'session/s1/integration/x', 'main']);
    await expect(engine.save({ repoPath: r.repo, sessionId: 's1', saveId: 'a', taskIds: ['t1'], integrationWorktreePath: path.join(r.root, 'integration') }))
      .rejects.toBeDefined();
    expect(fs.existsSync(path.join(r.repo, '.git/refs/heads/session/s1/integration.lock'))).toBe(false);
    expect(fsckProblems(r.repo)).toEqual([]);
  });
});
