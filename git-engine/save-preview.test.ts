// The Save preview and re-apply against real repositories, native git as the oracle: a preview
// moves no ref and leaves no journal, reports the first conflict as the Save would, and its tree is
// what the Save publishes; re-apply puts a reverted task's work back on a forward-moved branch,
// is idempotent, and refuses (writing no ref) when the work no longer applies.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

async function task(r: { root: string; repo: string }, taskId: string, files: Record<string, string>): Promise<{ base: string; head: string }> {
  const wt = path.join(r.root, `wt-${taskId}`);
  const ready = await engine.createWorktree({ repoPath: r.repo, sessionId: 's1', taskId, worktreePath: wt });
  for (const [file, content] of Object.entries(files)) write(wt, file, content);
  const done = await engine.commitWorktree({ repoPath: r.repo, sessionId: 's1', taskId, worktreePath: wt, agent: 'codex', message: taskId });
  return { base: ready.baseCommit, head: done.commit ?? '' };
}

describe('save preview', () => {
  it('moves nothing, reports the first conflict, and its tree is what the Save publishes', async () => {
    const r = makeRepo({ 'README.md': 'hello\n', 'shared.txt': 'one\n' });
    roots.push(r.root);
    await task(r, 't1', { 'a.txt': 'a\n' });
    await task(r, 't2', { 'shared.txt': 'two\n' });
    await task(r, 't3', { 'shared.txt': 'three\n' });
    const refs = refsSnapshot(r.repo);
    const conflicted = await engine.savePreview({ repoPath: r.repo, sessionId: 's1', taskIds: ['t1', 't2', 't3'] });
    expect(conflicted).toMatchObject({ status: 'conflict', mergedTaskIds: ['t1', 't2'], conflict: { taskId: 't3', files: [{ path: 'shared.txt' }] } });
    const clean = await engine.savePreview({ repoPath: r.repo, sessionId: 's1', taskIds: ['t1', 't2'] });
    expect(clean).toMatchObject({ status: 'clean', mergedTaskIds: ['t1', 't2'], base: git(r.repo, ['rev-parse', 'main']) });
    expect(clean.diff.files.map((file) => file.path)).toEqual(['a.txt', 'shared.txt']);
    expect(refsSnapshot(r.repo)).toBe(refs);
    expect(git(r.repo, ['status', '--porcelain'])).toBe('');
    const saved = await engine.save({ repoPath: r.repo, sessionId: 's1', saveId: 'sv1', taskIds: ['t1', 't2'], integrationWorktreePath: path.join(r.root, 'integration') });
    expect(saved.status).toBe('published');
    expect(git(r.repo, ['rev-parse', 'main^{tree}'])).toBe(clean.tree);
    expect(await engine.savePreview({ repoPath: r.repo, sessionId: 's1', taskIds: ['t1'] })).toMatchObject({ status: 'nothing_to_save', alreadyMerged: ['t1'] });
    expect(fsckProblems(r.repo)).toEqual([]);
  });
});

describe('reapplyTask', () => {
  it('re-applies a reverted task onto main as a forward move of its branch, idempotently; a change that no longer applies is refused', async () => {
    const r = makeRepo({ 'README.md': 'hello\n', 'shared.txt': 'one\n' });
    roots.push(r.root);
    const t1 = await task(r, 't1', { 'a.txt': 'a\n', 'shared.txt': 'one\nmore\n' });
    const saved = await engine.save({ repoPath: r.repo, sessionId: 's1', saveId: 'sv1', taskIds: ['t1'], integrationWorktreePath: path.join(r.root, 'integration') });
    expect(saved.status).toBe('published');
    // Take t1's work off main by hand (as a restore commit does): main's tree back to the start.
    git(r.repo, ['rm', '-q', 'a.txt']);
    write(r.repo, 'shared.txt', 'one\n');
    git(r.repo, ['commit', '-qam', 'restore']);
    const main = git(r.repo, ['rev-parse', 'main']);
    const done = await engine.reapplyTask({ repoPath: r.repo, sessionId: 's1', taskId: 't1', base: t1.base, head: t1.head });
    expect(done.onto).toBe(main);
    expect(git(r.repo, ['rev-parse', `session/s1/task/t1`])).toBe(done.commit);
    expect(git(r.repo, ['rev-parse', `${done.commit}^`])).toBe(main);
    expect(git(r.repo, ['show', `${done.commit}:shared.txt`])).toBe('one\nmore');
    expect(git(r.repo, ['rev-parse', 'main'])).toBe(main);
    // Asked again (its event was never logged): the same commit, nothing new.
    expect((await engine.reapplyTask({ repoPath: r.repo, sessionId: 's1', taskId: 't1', base: t1.base, head: t1.head })).commit).toBe(done.commit);

    // main changed the same line since: the work no longer applies, no ref moves.
    write(r.repo, 'shared.txt', 'one\nother\n');
    git(r.repo, ['commit', '-qam', 'conflicting']);
    git(r.repo, ['update-ref', 'refs/heads/session/s1/task/t1', t1.head]);
    const refs = refsSnapshot(r.repo);
    await expect(engine.reapplyTask({ repoPath: r.repo, sessionId: 's1', taskId: 't1', base: t1.base, head: t1.head })).rejects.toMatchObject({ code: 'REAPPLY_CONFLICT', data: { files: [{ path: 'shared.txt' }] } });
    expect(refsSnapshot(r.repo)).toBe(refs);
    expect(fsckProblems(r.repo)).toEqual([]);
  });
});
