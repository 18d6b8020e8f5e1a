// Ref writes, deletes and listings against real repositories; native git is the oracle.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { deleteRef, lockRef, writeRefAtomic } from './refs.js';
import { openRepo } from './repo.js';
import { fsckProblems, git, gitStatus, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';

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

describe('a ref moved together with the fsync of what it will name', () => {
  it('waits for durableWith before the rename: when that sync fails the ref stays, the lock goes, the error comes through', async () => {
    const r = await repoWithTask();
    const repo = await openRepo(r.repo);
    const ref = 'refs/heads/session/s1/task/t1';
    const before = git(r.repo, ['rev-parse', 'session/s1/task/t1']);
    const main = git(r.repo, ['rev-parse', 'main']);
    const lock = await lockRef(repo, ref, { expectedOld: before, newOid: main });
    await expect(lock.commit(main, 'test', Promise.reject(Object.assign(new Error('EIO: fsync failed'), { code: 'EIO' })))).rejects.toThrow('EIO');
    expect(git(r.repo, ['rev-parse', 'session/s1/task/t1'])).toBe(before);
    expect(fs.existsSync(path.join(r.repo, '.git', `${ref}.lock`))).toBe(false);
    // And when it succeeds, the ref moves only after it settled.
    let synced = false;
    const again = await lockRef(repo, ref, { expectedOld: before, newOid: main });
    await again.commit(main, 'test', new Promise<void>((resolve) => setTimeout(() => { synced = true; resolve(); }, 50)));
    expect(synced).toBe(true);
    expect(git(r.repo, ['rev-parse', 'session/s1/task/t1'])).toBe(main);
    expect(fsckProblems(r.repo)).toEqual([]);
  });
});

describe('compare-and-swap ref writes', () => {
  it('writeRefAtomic with expectedOld refuses a moved ref (loose or packed): MAIN_MOVED for main, BRANCH_MOVED otherwise', async () => {
    const r = await repoWithTask();
    const main = git(r.repo, ['rev-parse', 'main']);
    const task = git(r.repo, ['rev-parse', 'session/s1/task/t1']);
    for (const packed of [false, true]) {
      if (packed) git(r.repo, ['pack-refs', '--all']);
      const repo = await openRepo(r.repo);
      const refs = refsSnapshot(r.repo);
      await expect(writeRefAtomic(repo, 'refs/heads/main', task, 'x', { expectedOld: task })).rejects.toMatchObject({ code: 'MAIN_MOVED', data: { actual: main } });
      await expect(writeRefAtomic(repo, 'refs/heads/session/s1/task/t1', main, 'x', { expectedOld: main })).rejects.toMatchObject({ code: 'BRANCH_MOVED' });
      await expect(writeRefAtomic(repo, 'refs/heads/session/s1/task/t1', main, 'x', { expectedOld: null })).rejects.toMatchObject({ code: 'BRANCH_MOVED' });
      expect(refsSnapshot(r.repo)).toBe(refs);
      expect(fs.existsSync(path.join(r.repo, '.git/refs/heads/main.lock'))).toBe(false);
    }
    const repo = await openRepo(r.repo);
    await writeRefAtomic(repo, 'refs/heads/main', task, 'x', { expectedOld: main });
    expect(git(r.repo, ['rev-parse', 'main'])).toBe(task);
    await writeRefAtomic(repo, 'refs/heads/fresh', task, 'x', { expectedOld: null });
    expect(git(r.repo, ['rev-parse', 'fresh'])).toBe(task);
    expect(fsckProblems(r.repo)).toEqual([]);
  });

  it('while the engine holds a ref lock, native git cannot move the ref', async () => {
    const r = await repoWithTask();
    const main = git(r.repo, ['rev-parse', 'main']);
    const task = git(r.repo, ['rev-parse', 'session/s1/task/t1']);
    const repo = await openRepo(r.repo);
    const lock = await lockRef(repo, 'refs/heads/main', { expectedOld: main, newOid: task });
    expect(gitStatusCode(r.repo, ['update-ref', 'refs/heads/main', task])).not.toBe(0);
    await lock.commit(task, 'x');
    expect(git(r.repo, ['rev-parse', 'main'])).toBe(task);
  });

  it('the engine serialises Saves of one repository however its path is spelled (/repo and /repo/)', async () => {
    const r = makeRepo({ 'README.md': 'hello\n' });
    roots.push(r.root);
    const busy = path.join(r.root, 'busy');
    // A gate that fails if another gate of this repository runs at the same time.
    write(r.repo, '.thalogos.json', JSON.stringify({ gates: [`test ! -e ${busy} && touch ${busy} && sleep 1 && rm ${busy}`] }));
    git(r.repo, ['add', '.thalogos.json']);
    git(r.repo, ['commit', '-q', '-m', 'gates']);
    await addTask(r, 's1', 't1');
    await addTask(r, 's2', 't1');
    const [a, b] = await Promise.all([
      engine.save({ repoPath: r.repo, sessionId: 's1', saveId: 'a', taskIds: ['t1'], integrationWorktreePath: path.join(r.root, 'int-s1') }),
      engine.save({ repoPath: `${r.repo}/`, sessionId: 's2', saveId: 'b', taskIds: ['t1'], integrationWorktreePath: path.join(r.root, 'int-s2') }),
    ]);
    expect([a.status, b.status]).toEqual(['published', 'published']);
    expect(git(r.repo, ['status', '--porcelain'])).toBe('');
    expect(fsckProblems(r.repo)).toEqual([]);
  }, 30_000);
});

function gitStatusCode(cwd: string, args: string[]): number {
  return gitStatus(cwd, args).code;
}

describe('deleting a packed branch', () => {
  it('deleteRef removes a packed branch from packed-refs and its reflog, like git branch -D', async () => {
    const r = await repoWithTask();
    git(r.repo, ['pack-refs', '--all']);
    git(r.repo, ['tag', '-a', '-m', 'annotated', 'keep-me', 'main']);
    git(r.repo, ['pack-refs', '--all']);
    expect(fs.existsSync(path.join(r.repo, '.git/logs/refs/heads/session/s1/task/t1'))).toBe(true);
    const others = refsSnapshot(r.repo).split('\n').filter((l) => !l.includes('session/s1/task/t1')).join('\n');
    git(r.repo, ['worktree', 'remove', '--force', path.join(r.root, 'wt-s1-t1')]);
    await deleteRef(await openRepo(r.repo), 'refs/heads/session/s1/task/t1');
    expect(gitStatus(r.repo, ['rev-parse', '--verify', '-q', 'refs/heads/session/s1/task/t1']).code).not.toBe(0);
    expect(refsSnapshot(r.repo)).toBe(others);
    expect(git(r.repo, ['rev-parse', 'keep-me^{commit}'])).toBe(git(r.repo, ['rev-parse', 'main']));
    expect(fs.existsSync(path.join(r.repo, '.git/logs/refs/heads/session/s1/task/t1'))).toBe(false);
    expect(fs.existsSync(path.join(r.repo, '.git/packed-refs.lock'))).toBe(false);
    expect(fsckProblems(r.repo)).toEqual([]);
  });

  it('a held packed-refs.lock refuses the delete with REF_LOCKED; packed-refs is untouched', async () => {
    const r = await repoWithTask();
    git(r.repo, ['pack-refs', '--all']);
    const lockPath = path.join(r.repo, '.git/packed-refs.lock');
    fs.writeFileSync(lockPath, '');
    const packed = fs.readFileSync(path.join(r.repo, '.git/packed-refs'), 'utf8');
    await expect(deleteRef(await openRepo(r.repo), 'refs/heads/session/s1/task/t1'))
      .rejects.toMatchObject({ code: 'REF_LOCKED', data: { lockPath } });
    expect(fs.readFileSync(path.join(r.repo, '.git/packed-refs'), 'utf8')).toBe(packed);
    expect(fs.existsSync(lockPath)).toBe(true);
    fs.rmSync(lockPath);
    expect(git(r.repo, ['rev-parse', '--verify', 'refs/heads/session/s1/task/t1'])).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('listing refs under a prefix', () => {
  it("after git pack-refs, session s1's branches do not include session s10's", async () => {
    const r = await repoWithTask({ 'README.md': 'hello\n' }, 's1', 't1');
    await addTask(r, 's10', 't1');
    await addTask(r, 's1', 't2');
    const expected = ['session/s1/task/t1', 'session/s1/task/t2'];
    expect((await engine.listSessionBranches(r.repo, 's1')).map((b) => b.branch)).toEqual(expected);
    git(r.repo, ['pack-refs', '--all']);
    expect(fs.existsSync(path.join(r.repo, '.git/refs/heads/session/s1/task/t1'))).toBe(false);
    // One loose again on top of packed ones: both are listed once.
    git(r.repo, ['update-ref', 'refs/heads/session/s1/task/t2', 'main']);
    const listed = await engine.listSessionBranches(r.repo, 's1');
    expect(listed.map((b) => b.branch)).toEqual(expected);
    expect(listed.map((b) => b.branch)).toEqual(git(r.repo, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/session/s1/']).split('\n'));
    expect(listed.find((b) => b.branch.endsWith('t2'))?.head).toBe(git(r.repo, ['rev-parse', 'main']));
  });
});
