// A Save, a rollback or a conflict resolution must not touch a worktree in the middle of a
// merge/rebase/cherry-pick/revert, or whose index uses features the engine's writer drops.
// Native git makes each state; native git then checks that it is still intact.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { git, gitStatus, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

async function repoWithTask() {
  const r = makeRepo({ 'README.md': 'hello\n', 'src/a.txt': 'a\n' });
  roots.push(r.root);
  const wt = path.join(r.root, 'wt-t1');
  await engine.createWorktree({ repoPath: r.repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
  write(wt, 't1.txt', 't1\n');
  await engine.commitWorktree({ repoPath: r.repo, sessionId: 's1', taskId: 't1', worktreePath: wt, agent: 'codex', message: 't1' });
  return { ...r, wt };
}

/** A conflicting branch merged into main's worktree with native git: stage 1-3 entries + MERGE_HEAD. */
function conflictedMerge(repo: string): void {
  git(repo, ['checkout', '-q', '-b', 'other']);
  write(repo, 'README.md', 'other\n');
  git(repo, ['commit', '-q', '-am', 'other']);
  git(repo, ['checkout', '-q', 'main']);
  write(repo, 'README.md', 'mine\n');
  git(repo, ['commit', '-q', '-am', 'mine']);
  expect(gitStatus(repo, ['merge', 'other']).code).not.toBe(0);
}

const STATES: Array<[string, (repo: string) => void, string]> = [
  ['a conflicted merge', conflictedMerge, 'unmerged_entries'],
  ['a clean merge stopped with --no-commit', (repo) => {
    git(repo, ['checkout', '-q', '-b', 'other']);
    write(repo, 'other.txt', 'o\n');
    git(repo, ['add', 'other.txt']);
    git(repo, ['commit', '-q', '-m', 'other']);
    git(repo, ['checkout', '-q', 'main']);
    write(repo, 'src/a.txt', 'a2\n');
    git(repo, ['commit', '-q', '-am', 'mine']);
    git(repo, ['merge', '--no-commit', '--no-ff', 'other']);
  }, 'merge_in_progress'],
  ['a skip-worktree entry', (repo) => git(repo, ['update-index', '--skip-worktree', 'README.md']), 'skip_worktree'],
  ['an intent-to-add entry', (repo) => { write(repo, 'new.txt', 'n\n'); git(repo, ['add', '-N', 'new.txt']); }, 'intent_to_add'],
  ['a split index', (repo) => git(repo, ['update-index', '--split-index']), 'split_index'],
  ['a rebase stopped on a conflict', (repo) => {
    git(repo, ['checkout', '-q', '-b', 'other']);
    write(repo, 'README.md', 'other\n');
    git(repo, ['commit', '-q', '-am', 'other']);
    git(repo, ['checkout', '-q', 'main']);
    write(repo, 'README.md', 'mine\n');
    git(repo, ['commit', '-q', '-am', 'mine']);
    git(repo, ['checkout', '-q', 'other']);
    expect(gitStatus(repo, ['rebase', 'main']).code).not.toBe(0);
    // A rebase detaches HEAD; put main's worktree back on main the way a person finishing on main would see it.
    fs.writeFileSync(path.join(repo, '.git/HEAD'), 'ref: refs/heads/main\n');
  }, 'rebase_in_progress'],
];

describe('unfinished operations in the main worktree', () => {
  for (const [name, make, reason] of STATES) {
    it(`Save refuses with MAIN_WORKTREE_DIRTY during ${name}; nothing moves`, async () => {
      const { root, repo } = await repoWithTask();
      make(repo);
      const refs = refsSnapshot(repo);
      const index = fs.readFileSync(path.join(repo, '.git/index'));
      const status = git(repo, ['status', '--porcelain']);
      await expect(engine.save({ repoPath: repo, sessionId: 's1', saveId: 'x', taskIds: ['t1'], integrationWorktreePath: path.join(root, 'integration') }))
        .rejects.toMatchObject({ code: 'MAIN_WORKTREE_DIRTY', data: { reasons: expect.arrayContaining([reason]) } });
      expect(refsSnapshot(repo)).toBe(refs);
      expect(fs.readFileSync(path.join(repo, '.git/index')).equals(index)).toBe(true);
      expect(git(repo, ['status', '--porcelain'])).toBe(status);
      expect(fs.existsSync(path.join(repo, 't1.txt'))).toBe(false);
      expect(fs.existsSync(path.join(repo, '.git/thalogos/save-s1.json'))).toBe(false);
    });
  }

  it('rollback restore_commit refuses during a conflicted merge: stage entries and MERGE_HEAD stay', async () => {
    const { root, repo } = await repoWithTask();
    const res = await engine.save({ repoPath: repo, sessionId: 's1', saveId: 'x', taskIds: ['t1'], integrationWorktreePath: path.join(root, 'integration') });
    if (res.status !== 'published') throw new Error(JSON.stringify(res));
    conflictedMerge(repo);
    const unmerged = git(repo, ['ls-files', '-u']);
    expect(unmerged).not.toBe('');
    const refs = refsSnapshot(repo);
    await expect(engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: res.tag, mode: 'restore_commit' }))
      .rejects.toMatchObject({ code: 'MAIN_WORKTREE_DIRTY', data: { reasons: expect.arrayContaining(['unmerged_entries', 'merge_in_progress']) } });
    expect(refsSnapshot(repo)).toBe(refs);
    expect(git(repo, ['ls-files', '-u'])).toBe(unmerged);
    expect(fs.existsSync(path.join(repo, '.git/MERGE_HEAD'))).toBe(true);
  });
});
