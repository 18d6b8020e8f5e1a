// A set-up submodule in the user's main worktree (a directory with its own .git at a gitlink
// path, with uncommitted work in it) survives a Save that bumps or removes the gitlink, as with
// `git merge --ff-only` without --recurse-submodules (native git in a copy is the oracle). A Save
// that needs the path to become a file or a directory of tracked files is refused instead.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, gitStatus, refsSnapshot, removeDir, tempDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test' }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

interface Fixture { root: string; repo: string; a: string; b: string }

/** main has README.md and a submodule `sub` at commit A of `subsrc` (which also has B). */
function fixture(): Fixture {
  const root = tempDir();
  roots.push(root);
  const src = path.join(root, 'subsrc');
  fs.mkdirSync(src);
  git(src, ['init', '-q', '-b', 'main']);
  write(src, 's.txt', 'A\n');
  git(src, ['add', '.']);
  git(src, ['commit', '-qm', 'A']);
  write(src, 's.txt', 'B\n');
  git(src, ['commit', '-qam', 'B']);
  const a = git(src, ['rev-parse', 'HEAD~1']);
  const b = git(src, ['rev-parse', 'HEAD']);
  const repo = path.join(root, 'repo');
  fs.mkdirSync(repo);
  git(repo, ['init', '-q', '-b', 'main']);
  write(repo, 'README.md', 'hello\n');
  git(repo, ['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', src, 'sub']);
  git(path.join(repo, 'sub'), ['checkout', '-q', a]);
  // Uncommitted work inside the submodule, created before the superproject's index records the
  // gitlink, so the directory's stat data still matches the index entry (as it usually does).
  write(repo, 'sub/work.txt', 'uncommitted work\n');
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-qm', 'initial']);
  git(repo, ['status', '--porcelain']);
  write(repo, 'sub/s.txt', 'local edit\n');
  return { root, repo, a, b };
}

/** A task branch on top of main whose tree is main's after `edit` (index commands, native git). */
function taskBranch(f: Fixture, taskId: string, edit: string[][]): void {
  const env = { GIT_INDEX_FILE: path.join(f.root, `index-${taskId}`) };
  git(f.repo, ['read-tree', 'main'], env);
  for (const args of edit) git(f.repo, args, env);
  const tree = git(f.repo, ['write-tree'], env);
  const commit = git(f.repo, ['commit-tree', '-p', 'main', '-m', `task ${taskId}`, tree]);
  git(f.repo, ['branch', `session/s1/task/${taskId}`, commit]);
}

const save = (f: Fixture, taskId: string) =>
  engine.save({ repoPath: f.repo, sessionId: 's1', saveId: taskId, taskIds: [taskId], integrationWorktreePath: path.join(f.root, 'integration') });

function view(dir: string): Record<string, unknown> {
  const sub = path.join(dir, 'sub');
  return {
    status: git(dir, ['status', '--porcelain', '--ignore-submodules=none']),
    index: git(dir, ['ls-files', '-s']),
    subStatus: git(sub, ['status', '--porcelain']),
    subHead: git(sub, ['rev-parse', 'HEAD']),
    work: fs.readFileSync(path.join(sub, 'work.txt'), 'utf8'),
    edited: fs.readFileSync(path.join(sub, 's.txt'), 'utf8'),
  };
}

/** Runs the Save's fast-forward with native git in a copy made before the Save. */
function oracleCopy(f: Fixture): () => string {
  const copy = path.join(f.root, 'oracle');
  fs.cpSync(f.repo, copy, { recursive: true, verbatimSymlinks: true });
  return () => {
    git(copy, ['fetch', '-q', f.repo, 'main']);
    git(copy, ['merge', '-q', '--ff-only', 'FETCH_HEAD']);
    return copy;
  };
}

describe('set-up submodules in the main worktree', () => {
  it('a bumped gitlink updates the index and leaves the submodule and its work alone', async () => {
    const f = fixture();
    taskBranch(f, 't1', [['update-index', '--cacheinfo', `160000,${f.b},sub`]]);
    const oracle = oracleCopy(f);
    const res = await save(f, 't1');
    expect(res.status).toBe('published');
    const expected = view(oracle());
    expect(view(f.repo)).toEqual(expected);
    expect(expected).toMatchObject({ subHead: f.a, work: 'uncommitted work\n', edited: 'local edit\n' });
    expect(git(f.repo, ['ls-files', '-s', 'sub'])).toBe(`160000 ${f.b} 0\tsub`);
    expect(fsckProblems(f.repo)).toEqual([]);
  });

  it('a removed gitlink leaves the submodule directory in place, untracked', async () => {
    const f = fixture();
    taskBranch(f, 't1', [['rm', '-q', '--cached', 'sub', '.gitmodules']]);
    const oracle = oracleCopy(f);
    expect((await save(f, 't1')).status).toBe('published');
    const expected = view(oracle());
    expect(view(f.repo)).toEqual(expected);
    expect(expected).toMatchObject({ subHead: f.a, work: 'uncommitted work\n' });
    expect(fsckProblems(f.repo)).toEqual([]);
  });

  it('refuses when the gitlink path must become a file or a directory of tracked files', async () => {
    for (const [taskId, target] of [['tofile', 'sub'], ['totree', 'sub/x']] as const) {
      const f = fixture();
      const blob = git(f.repo, ['hash-object', '-w', 'README.md']);
      taskBranch(f, taskId, [['rm', '-q', '--cached', 'sub'], ['update-index', '--add', '--cacheinfo', `100644,${blob},${target}`]]);
      const before = view(f.repo);
      const refs = refsSnapshot(f.repo).split('\n').filter((l) => !l.includes('/integration ')).join('\n');
      await expect(save(f, taskId)).rejects.toMatchObject({ code: 'MAIN_WORKTREE_DIRTY', data: { paths: ['sub'] } });
      expect(view(f.repo)).toEqual(before);
      expect(refsSnapshot(f.repo).split('\n').filter((l) => !l.includes('/integration ')).join('\n')).toBe(refs);
      expect(gitStatus(f.repo, ['fsck', '--no-progress']).code).toBe(0);
    }
  });
});
