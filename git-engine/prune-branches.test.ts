import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, makeRepo, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test' }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

const branches = (repo: string): string[] => git(repo, ['branch', '--list', '--format=%(refname:short)']).split('\n').filter(Boolean).sort();
const worktrees = (repo: string): string[] =>
  git(repo, ['worktree', 'list', '--porcelain']).split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice('worktree '.length));

/** A task worktree with one commit of `file` (or none), like an agent's run followed by commitWorktree. */
async function task(repo: string, root: string, taskId: string, file?: string) {
  const worktreePath = path.join(root, 'wt', taskId);
  await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId, worktreePath });
  if (file) {
    write(worktreePath, file, `${taskId}\n`);
    await engine.commitWorktree({ repoPath: repo, sessionId: 's1', taskId, worktreePath, agent: 'command', message: `work of ${taskId}` });
  }
  return worktreePath;
}

describe('pruneTaskBranches', () => {
  it('prunes merged and work-free abandoned branches, keeps unmerged work and says why (native git as the oracle)', async () => {
    const { root, repo } = makeRepo();
    roots.push(root);
    const merged = await task(repo, root, 'merged', 'merged.txt');
    const cancelled = await task(repo, root, 'cancelled', 'cancelled.txt');
    await task(repo, root, 'failed');
    await task(repo, root, 'young');
    const save = await engine.save({ repoPath: repo, sessionId: 's1', saveId: 'v1', taskIds: ['merged'], integrationWorktreePath: path.join(root, 'wt', '_integration') });
    expect(save.status).toBe('published');
    // The runtime releases ended tasks' worktrees; the merged one's is left here on purpose: prune removes it.
    await engine.removeWorktree({ repoPath: repo, sessionId: 's1', taskId: 'cancelled', worktreePath: cancelled });
    const unmergedHead = git(repo, ['rev-parse', 'session/s1/task/cancelled']);

    const result = await engine.pruneTaskBranches({
      repoPath: repo, sessionId: 's1',
      tasks: [
        { taskId: 'merged', prune: true },
        { taskId: 'cancelled', prune: true },
        { taskId: 'failed', prune: true },
        { taskId: 'young', prune: false },
        { taskId: 'never-created', prune: true },
      ],
    });

    expect(result.pruned.map((b) => b.taskId).sort()).toEqual(['failed', 'merged']);
    expect(result.pruned.find((b) => b.taskId === 'merged')?.worktreeRemoved).toBe(merged);
    expect(result.kept).toEqual([
      { taskId: 'cancelled', branch: 'session/s1/task/cancelled', commit: unmergedHead, reason: 'unmerged_work' },
      { taskId: 'young', branch: 'session/s1/task/young', commit: git(repo, ['rev-parse', 'main~1']), reason: 'not_due' },
    ]);
    expect(branches(repo)).toEqual(['main', 'session/s1/integration', 'session/s1/task/cancelled', 'session/s1/task/young']);
    expect(worktrees(repo)).not.toContain(merged);
    expect(fs.existsSync(merged)).toBe(false);
    expect(fs.existsSync(path.join(repo, '.git/worktrees/s1.merged'))).toBe(false);
    // The unmerged commit is still there, and nothing is left dangling or broken.
    expect(git(repo, ['log', '--format=%s', '-1', 'session/s1/task/cancelled'])).toContain('work of cancelled');
    expect(git(repo, ['worktree', 'prune', '--dry-run', '-v'])).toBe('');
    expect(fsckProblems(repo)).toEqual([]);

    // The review diff of the pruned task: from its base to its last commit, which main still holds.
    const mergedCommit = result.pruned.find((b) => b.taskId === 'merged')?.commit as string;
    await expect(engine.taskDiff({ repoPath: repo, sessionId: 's1', taskId: 'merged' })).rejects.toMatchObject({ code: 'BRANCH_NOT_FOUND' });
    const diff = await engine.taskDiff({ repoPath: repo, sessionId: 's1', taskId: 'merged', base: git(repo, ['rev-parse', 'main~1']), headIfPruned: mergedCommit });
    expect([diff.head, diff.files.map((f) => f.path)]).toEqual([mergedCommit, ['merged.txt']]);
    await expect(engine.taskDiff({ repoPath: repo, sessionId: 's1', taskId: 'merged', headIfPruned: 'f'.repeat(40) })).rejects.toMatchObject({ code: 'BRANCH_NOT_FOUND' });
    await expect(engine.taskDiff({ repoPath: repo, sessionId: 's1', taskId: 'merged', headIfPruned: 'main' })).rejects.toMatchObject({ code: 'INVALID_NAME' });
  });

  it('a branch reachable only from a checkpoint tag counts as merged (main was rolled back past it)', async () => {
    const { root, repo } = makeRepo();
    roots.push(root);
    await task(repo, root, 't1', 'a.txt');
    const save = await engine.save({ repoPath: repo, sessionId: 's1', saveId: 'v1', taskIds: ['t1'], integrationWorktreePath: path.join(root, 'wt', '_integration') });
    expect(save.status).toBe('published');
    // Someone resets main behind the Save; the checkpoint tag still holds the task's commit.
    git(repo, ['reset', '-q', '--hard', 'main~1']);
    await engine.removeWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: path.join(root, 'wt', 't1') });
    const result = await engine.pruneTaskBranches({ repoPath: repo, sessionId: 's1', tasks: [{ taskId: 't1', prune: true }] });
    expect(result.pruned.map((b) => b.branch)).toEqual(['session/s1/task/t1']);
    expect(branches(repo)).not.toContain('session/s1/task/t1');
    expect(fsckProblems(repo)).toEqual([]);
  });

  it('never removes a worktree with uncommitted changes, and leaves a locked branch alone', async () => {
    const { root, repo } = makeRepo();
    roots.push(root);
    const dirty = await task(repo, root, 'dirty');
    write(dirty, 'notes.txt', 'not committed\n');
    await task(repo, root, 'locked');
    fs.rmSync(path.join(root, 'wt', 'locked'), { recursive: true });
    git(repo, ['worktree', 'prune']);
    fs.writeFileSync(path.join(repo, '.git/refs/heads/session/s1/task/locked.lock'), '');
    const result = await engine.pruneTaskBranches({ repoPath: repo, sessionId: 's1', tasks: [{ taskId: 'dirty', prune: true }, { taskId: 'locked', prune: true }] });
    expect(result.pruned).toEqual([]);
    expect(result.kept.map((k) => [k.taskId, k.reason])).toEqual([['dirty', 'uncommitted_changes'], ['locked', 'busy']]);
    expect(result.kept[0]?.paths).toEqual([path.join(dirty, 'notes.txt')]);
    expect(fs.readFileSync(path.join(dirty, 'notes.txt'), 'utf8')).toBe('not committed\n');
    expect(worktrees(repo)).toContain(dirty);
    expect(branches(repo)).toEqual(['main', 'session/s1/task/dirty', 'session/s1/task/locked']);
  });

  it('refuses a malformed request with INVALID_NAME before touching the repository', async () => {
    const { root, repo } = makeRepo();
    roots.push(root);
    await task(repo, root, 't1');
    const bad = [
      { repoPath: repo, sessionId: 's1', tasks: [{ taskId: '../x', prune: true }] },
      { repoPath: repo, sessionId: 's1', tasks: [{ taskId: 't1', prune: 'yes' }] },
      { repoPath: repo, sessionId: 's1', tasks: 't1' },
    ];
    for (const p of bad) {
      await expect(engine.pruneTaskBranches(p as unknown as Parameters<GitEngine['pruneTaskBranches']>[0])).rejects.toMatchObject({ code: 'INVALID_NAME' });
    }
    expect(branches(repo)).toEqual(['main', 'session/s1/task/t1']);
  });
});
