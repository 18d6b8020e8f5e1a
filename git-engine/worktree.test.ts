import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGitEngine, GitEngineError, type GitEngine } from './index.js';
import { openRepo } from './repo.js';
import { fsckProblems, git, gitStatus, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';
import { ensureLinkedWorktree, resetDetachedWorktree } from './worktree.js';

const realWriteFile = fsp.writeFile.bind(fsp);

const gitStatusCode = (cwd: string, args: string[]): number => gitStatus(cwd, args).code;

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

  it('refuses a task branch checked out in the main worktree or another worktree (as git worktree add)', async () => {
    const { root, repo } = setup();
    git(repo, ['branch', 'session/s1/task/t1']);
    git(repo, ['checkout', '-q', 'session/s1/task/t1']);
    const before = refsSnapshot(repo);
    // The oracle: native git refuses the same.
    expect(gitStatus(repo, ['worktree', 'add', path.join(root, 'native'), 'session/s1/task/t1']).code).not.toBe(0);
    await expect(engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: path.join(root, 'wt') }))
      .rejects.toMatchObject({ code: 'WORKTREE_EXISTS', data: { branch: 'session/s1/task/t1', path: repo } });
    expect(fs.existsSync(path.join(root, 'wt'))).toBe(false);
    expect(fs.existsSync(path.join(repo, '.git/worktrees'))).toBe(false);
    expect(refsSnapshot(repo)).toBe(before);
    // A linked worktree made by native git on the branch counts too.
    git(repo, ['checkout', '-q', 'main']);
    git(repo, ['worktree', 'add', '-q', path.join(root, 'native'), 'session/s1/task/t1']);
    await expect(engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: path.join(root, 'wt') }))
      .rejects.toMatchObject({ code: 'WORKTREE_EXISTS', data: { path: path.join(root, 'native') } });
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
  /** `force` is not in engine.ts's parameter type yet; the worker reads it from the call's data. */
  const remove = (p: { repoPath: string; sessionId: string; taskId: string; worktreePath: string; deleteBranch?: boolean; force?: boolean }) => engine.removeWorktree(p);

  it('removes the directory and prunes the admin entry cleanly', async () => {
    const { root, repo } = setup();
    const wt = path.join(root, 'wt');
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    // Ignored files do not count as work, as with `git worktree remove`.
    fs.appendFileSync(path.join(repo, '.git/info/exclude'), 'node_modules/\n');
    write(wt, 'node_modules/x/index.js', 'ignored\n');
    expect(git(wt, ['status', '--porcelain'])).toBe('');
    await engine.removeWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt, deleteBranch: true });
    expect(fs.existsSync(wt)).toBe(false);
    expect(git(repo, ['worktree', 'list', '--porcelain'])).not.toContain(wt);
    expect(git(repo, ['worktree', 'prune', '--dry-run', '--verbose'])).toBe('');
    expect(git(repo, ['branch', '--list', 'session/*'])).toBe('');
    expect(fsckProblems(repo)).toEqual([]);
    await expect(engine.removeWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt })).rejects.toMatchObject({ code: 'WORKTREE_NOT_FOUND' });
  });

  it('refuses to remove uncommitted work (WORKTREE_DIRTY, as git worktree remove) unless force', async () => {
    const { root, repo } = setup();
    const wt = path.join(root, 'wt');
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    write(wt, 'scratch.txt', 'untracked\n');
    write(wt, 'src/a.txt', 'edited\n');
    fs.rmSync(path.join(wt, 'README.md'));
    write(wt, 'vendor/lib/x.txt', 'in an embedded repository\n');
    git(path.join(wt, 'vendor/lib'), ['init', '-q']);
    // Native git sees the same work and refuses to remove the worktree.
    expect(gitStatus(wt, ['status', '--porcelain']).out.split('\n').filter(Boolean).sort()).toEqual([' D README.md', ' M src/a.txt', '?? scratch.txt', '?? vendor/']);
    const before = refsSnapshot(repo);
    const err = await remove({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WORKTREE_DIRTY', data: { workdir: wt, paths: ['README.md', 'scratch.txt', 'src/a.txt', 'vendor/lib'] } });
    expect(fs.readFileSync(path.join(wt, 'src/a.txt'), 'utf8')).toBe('edited\n');
    expect(fs.readFileSync(path.join(wt, 'vendor/lib/x.txt'), 'utf8')).toBe('in an embedded repository\n');
    expect(git(repo, ['worktree', 'list', '--porcelain'])).toContain(wt);
    expect(refsSnapshot(repo)).toBe(before);
    expect(gitStatusCode(repo, ['worktree', 'remove', wt])).not.toBe(0);

    await remove({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt, force: true });
    expect(fs.existsSync(wt)).toBe(false);
    expect(git(repo, ['worktree', 'prune', '--dry-run', '--verbose'])).toBe('');
  });

  it('deleteBranch refuses a branch not merged into main (as git branch -d) unless force', async () => {
    const { root, repo } = setup();
    const wt = path.join(root, 'wt');
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    write(wt, 'one.txt', 'one\n');
    const { head } = await engine.commitWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt, agent: 'codex', message: 'one' });
    // The oracle: git lists the branch as not merged into main.
    expect(git(repo, ['branch', '--no-merged', 'main', '--format=%(refname:short)'])).toBe('session/s1/task/t1');
    const before = refsSnapshot(repo);
    await expect(remove({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt, deleteBranch: true }))
      .rejects.toMatchObject({ data: { reason: 'branch_not_merged', branch: 'session/s1/task/t1', commit: head } });
    expect(refsSnapshot(repo)).toBe(before);
    expect(fs.existsSync(path.join(wt, 'one.txt'))).toBe(true);
    // Once main contains it, -d semantics let it go.
    git(repo, ['merge', '-q', '--ff-only', 'session/s1/task/t1']);
    expect(git(repo, ['branch', '--no-merged', 'main'])).toBe('');
    await remove({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt, deleteBranch: true });
    expect(git(repo, ['branch', '--list', 'session/*'])).toBe('');
    // force deletes an unmerged branch (git branch -D).
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't2', worktreePath: wt });
    write(wt, 'two.txt', 'two\n');
    await engine.commitWorktree({ repoPath: repo, sessionId: 's1', taskId: 't2', worktreePath: wt, agent: 'codex', message: 'two' });
    await remove({ repoPath: repo, sessionId: 's1', taskId: 't2', worktreePath: wt, deleteBranch: true, force: true });
    expect(git(repo, ['branch', '--list', 'session/*'])).toBe('');
    expect(fsckProblems(repo)).toEqual([]);
  });
});

describe('a worktree entry is never seen without its HEAD', () => {
  it('while a worktree is created or moved, every entry in .git/worktrees has its HEAD (git fsck met one without)', async () => {
    const { root, repo } = setup();
    const gitdir = path.join(repo, '.git');
    const head = git(repo, ['rev-parse', 'main']);
    const seen: string[] = [];
    // Checked at every file write the engine makes: what a `git fsck` running then would meet.
    const check = () => {
      const dir = path.join(gitdir, 'worktrees');
      if (!fs.existsSync(dir)) return;
      for (const name of fs.readdirSync(dir)) {
        const file = path.join(dir, name, 'HEAD');
        if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8').trim() === '') seen.push(name);
      }
    };
    const spy = vi.spyOn(fsp, 'writeFile').mockImplementation(async (...args: Parameters<typeof fsp.writeFile>) => {
      check();
      await realWriteFile(...args);
      check();
    });
    try {
      const repoHandle = await openRepo(repo);
      const wt = await ensureLinkedWorktree(repoHandle, { name: 's1.integration', worktreePath: path.join(root, 'wt-int'), branch: null, commit: head });
      await resetDetachedWorktree(repoHandle, wt, head);
      await ensureLinkedWorktree(repoHandle, { name: 's1.t9', worktreePath: path.join(root, 'wt-t9'), branch: 'main', commit: head });
    } finally {
      spy.mockRestore();
    }
    expect(seen).toEqual([]);
    expect(fsckProblems(repo)).toEqual([]);
    // Nothing staged is left behind.
    expect(fs.readdirSync(path.join(gitdir, 'thalogos')).filter((name) => name.startsWith('new-worktree-'))).toEqual([]);
  });
});

describe('a worktree made while another is removed', () => {
  it('makes .git/worktrees again when the other removal deleted it as empty (ENOENT on the rename, seen in CI)', async () => {
    const { root, repo } = setup();
    const worktrees = path.join(repo, '.git', 'worktrees');
    const head = git(repo, ['rev-parse', 'main']);
    let raced = false;
    const realRename = fsp.rename.bind(fsp);
    // What a concurrent removeLinkedWorktree does between our mkdir and our rename.
    const spy = vi.spyOn(fsp, 'rename').mockImplementation(async (from, to) => {
      if (!raced && String(to).startsWith(worktrees)) {
        raced = true;
        fs.rmdirSync(worktrees);
      }
      await realRename(from, to);
    });
    try {
      await ensureLinkedWorktree(await openRepo(repo), { name: 's1.t1', worktreePath: path.join(root, 'wt-race'), branch: null, commit: head });
    } finally {
      spy.mockRestore();
    }
    expect(raced).toBe(true);
    expect(git(repo, ['worktree', 'list', '--porcelain'])).toContain(`worktree ${path.join(root, 'wt-race')}`);
    expect(fsckProblems(repo)).toEqual([]);
  });
});
