import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, GitEngineError, type GitEngine } from './index.js';
import { fsckProblems, git, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test' }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

function setup() {
  const r = makeRepo({ 'README.md': 'hello\n', 'src/a.txt': 'a\nb\nc\n', 'bin/run.sh': '#!/bin/sh\necho hi\n' });
  fs.chmodSync(path.join(r.repo, 'bin/run.sh'), 0o755);
  git(r.repo, ['add', '-A']);
  git(r.repo, ['commit', '-q', '-m', 'exec bit']);
  fs.symlinkSync('src/a.txt', path.join(r.repo, 'link'));
  git(r.repo, ['add', '-A']);
  git(r.repo, ['commit', '-q', '-m', 'symlink']);
  roots.push(r.root);
  return r;
}

describe('createWorktree', () => {
  it('creates a standard linked worktree that native git understands', async () => {
    const { root, repo } = setup();
    const wt = path.join(root, 'wt-1');
    const res = await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    expect(res.branch).toBe('session/s1/task/t1');
    expect(res.baseCommit).toBe(git(repo, ['rev-parse', 'main']));
    expect(git(repo, ['worktree', 'list', '--porcelain'])).toContain(`worktree ${wt}\nHEAD ${res.baseCommit}\nbranch refs/heads/session/s1/task/t1`);
    expect(fs.readFileSync(path.join(wt, '.git'), 'utf8')).toBe(`gitdir: ${path.join(repo, '.git/worktrees/s1.t1')}\n`);
    for (const f of ['HEAD', 'index', 'commondir', 'gitdir']) expect(fs.existsSync(path.join(repo, '.git/worktrees/s1.t1', f))).toBe(true);
    expect(git(wt, ['status', '--porcelain'])).toBe('');
    expect(git(wt, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('session/s1/task/t1');
    expect(fs.statSync(path.join(wt, 'bin/run.sh')).mode & 0o111).not.toBe(0);
    expect(fs.readlinkSync(path.join(wt, 'link'))).toBe('src/a.txt');
    // The agent's own tools work in it.
    write(wt, 'src/a.txt', 'a\nB\nc\n');
    expect(git(wt, ['diff'])).toContain('-b\n+B');
    expect(git(wt, ['status', '--porcelain'])).toBe('M src/a.txt');
    expect(fsckProblems(repo)).toEqual([]);
  });

  it('is idempotent (resume after a crash) and completes an interrupted creation', async () => {
    const { root, repo } = setup();
    const wt = path.join(root, 'wt');
    const a = await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    const b = await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    expect(b).toEqual(a);
    // Simulate a crash mid-creation: the admin dir is still locked and files are missing.
    fs.writeFileSync(path.join(repo, '.git/worktrees/s1.t1/locked'), 'initializing\n');
    fs.rmSync(path.join(wt, 'src'), { recursive: true });
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    expect(fs.existsSync(path.join(repo, '.git/worktrees/s1.t1/locked'))).toBe(false);
    expect(git(wt, ['status', '--porcelain'])).toBe('');
    // The same path for another task, or a non-empty directory, is refused.
    await expect(engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't2', worktreePath: wt })).rejects.toMatchObject({ code: 'WORKTREE_EXISTS' });
    const full = path.join(root, 'full');
    write(full, 'x', 'x');
    await expect(engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't3', worktreePath: full })).rejects.toMatchObject({ code: 'WORKTREE_EXISTS' });
  });

  it('creates the branch at a given base', async () => {
    const { root, repo } = setup();
    const first = git(repo, ['rev-list', '--max-parents=0', 'main']);
    git(repo, ['branch', 'older', first]);
    const res = await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't9', worktreePath: path.join(root, 'w9'), base: 'older' });
    expect(res.baseCommit).toBe(first);
    expect(git(path.join(root, 'w9'), ['status', '--porcelain'])).toBe('');
    expect(fs.statSync(path.join(root, 'w9/bin/run.sh')).mode & 0o111).toBe(0);
    expect(fs.existsSync(path.join(root, 'w9/link'))).toBe(false);
    const before = refsSnapshot(repo);
    await expect(engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't8', worktreePath: path.join(root, 'w8'), base: 'f'.repeat(40) })).rejects.toMatchObject({ code: 'BRANCH_NOT_FOUND' });
    await expect(engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't8', worktreePath: path.join(root, 'w8'), base: 'no-such-branch' })).rejects.toMatchObject({ code: 'BRANCH_NOT_FOUND' });
    expect(refsSnapshot(repo)).toBe(before);
    expect(fsckProblems(repo)).toEqual([]);
  });

  it('rejects bad names with INVALID_NAME and changes nothing', async () => {
    const { root, repo } = setup();
    const before = refsSnapshot(repo);
    const bad: Array<Record<string, string>> = [
      { sessionId: '../x', taskId: 't', worktreePath: path.join(root, 'a') },
      { sessionId: 's', taskId: 'a..b', worktreePath: path.join(root, 'a') },
      { sessionId: 's', taskId: 'x.lock', worktreePath: path.join(root, 'a') },
      { sessionId: 's', taskId: 'has space', worktreePath: path.join(root, 'a') },
      { sessionId: 's', taskId: 't', worktreePath: 'relative/path' },
      { sessionId: 's', taskId: 't', worktreePath: `${root}/x/../y` },
      { sessionId: 's', taskId: 't', worktreePath: repo },
      { sessionId: 's', taskId: 't', worktreePath: path.join(repo, '.git', 'wt') },
      { sessionId: 's', taskId: 't', worktreePath: path.join(root, 'a'), base: 'bad..name' },
    ];
    for (const p of bad) {
      const err = await engine.createWorktree({ repoPath: repo, ...p } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitEngineError);
      expect(['INVALID_NAME', 'PATH_OUTSIDE_REPOSITORY']).toContain((err as GitEngineError).code);
    }
    expect(refsSnapshot(repo)).toBe(before);
    expect(fs.existsSync(path.join(repo, '.git/worktrees'))).toBe(false);
    expect(fs.readdirSync(root).sort()).toEqual(['repo']);
  });

  it('reports NOT_A_REPOSITORY and NO_MAIN_BRANCH', async () => {
    const { root, repo } = setup();
    await expect(engine.inspectRepository(root)).rejects.toMatchObject({ code: 'NOT_A_REPOSITORY' });
    git(repo, ['branch', '-m', 'main', 'trunk']);
    await expect(engine.inspectRepository(repo)).rejects.toMatchObject({ code: 'NO_MAIN_BRANCH' });
  });
});

describe('removeWorktree', () => {
  it('removes the directory and prunes the admin entry cleanly', async () => {
    const { root, repo } = setup();
    const wt = path.join(root, 'wt');
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    write(wt, 'scratch.txt', 'untracked\n');
    await engine.removeWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt, deleteBranch: true });
    expect(fs.existsSync(wt)).toBe(false);
    expect(git(repo, ['worktree', 'list', '--porcelain'])).not.toContain(wt);
    expect(git(repo, ['worktree', 'prune', '--dry-run', '--verbose'])).toBe('');
    expect(git(repo, ['branch', '--list', 'session/*'])).toBe('');
    expect(fsckProblems(repo)).toEqual([]);
    await expect(engine.removeWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt })).rejects.toMatchObject({ code: 'WORKTREE_NOT_FOUND' });
  });
});
