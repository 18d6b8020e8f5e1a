// One canonical repository per path: the `.git` directory, a subdirectory, a linked worktree and
// a symlink all name the repository's main worktree and common gitdir (native git as the oracle),
// so the dirty-checkout guard and the per-repository lock apply however the path is spelled.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { git, makeRepo, refsSnapshot, removeDir, tempDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

describe('canonical repository path', () => {
  it('the .git directory, a subdirectory, a linked worktree and a symlink resolve like git', async () => {
    const { root, repo } = makeRepo();
    roots.push(root);
    git(repo, ['worktree', 'add', '-q', '-b', 'side', path.join(root, 'linked')]);
    fs.symlinkSync(repo, path.join(root, 'link'));
    const gitdir = git(repo, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
    const top = git(repo, ['rev-parse', '--show-toplevel']);
    for (const spelled of [repo, path.join(repo, '.git'), path.join(repo, 'src'), path.join(repo, '.git', 'refs'), path.join(root, 'linked'), path.join(root, 'link'), `${repo}/`]) {
      // git agrees that each spelling is this repository.
      expect(git(spelled, ['rev-parse', '--path-format=absolute', '--git-common-dir'])).toBe(gitdir);
      const r = await engine.inspectRepository(spelled);
      expect(r).toMatchObject({ repoPath: top, gitdir, mainBranch: 'main', head: git(repo, ['rev-parse', 'main']) });
    }
  });

  it('a bare repository is its own gitdir; a non-repository and a missing path are NOT_A_REPOSITORY', async () => {
    const root = tempDir();
    roots.push(root);
    const bare = path.join(root, 'b.git');
    git(root, ['init', '-q', '--bare', '-b', 'main', bare]);
    const { root: r2, repo } = makeRepo();
    roots.push(r2);
    git(repo, ['push', '-q', bare, 'main']);
    expect(await engine.inspectRepository(bare)).toMatchObject({ repoPath: bare, gitdir: bare, mainBranch: 'main' });
    const plain = path.join(root, 'plain');
    fs.mkdirSync(plain);
    await expect(engine.inspectRepository(plain)).rejects.toMatchObject({ code: 'NOT_A_REPOSITORY' });
    await expect(engine.inspectRepository(path.join(root, 'missing'))).rejects.toMatchObject({ code: 'NOT_A_REPOSITORY' });
    // A `.git` that is not a repository stops the search (no walking past it to an outer repository).
    fs.mkdirSync(path.join(repo, 'inner', '.git'), { recursive: true });
    await expect(engine.inspectRepository(path.join(repo, 'inner'))).rejects.toMatchObject({ code: 'NOT_A_REPOSITORY' });
    await expect(engine.inspectRepository('relative/path')).rejects.toMatchObject({ code: 'INVALID_NAME' });
  });

  it('Save through <repo>/.git keeps the dirty-checkout guard: MAIN_WORKTREE_DIRTY, nothing moved', async () => {
    const { root, repo } = makeRepo({ 'README.md': 'hello\n', 'src/a.txt': 'a\n' });
    roots.push(root);
    const dotgit = path.join(repo, '.git');
    const wt = path.join(root, 'wt');
    await engine.createWorktree({ repoPath: dotgit, sessionId: 's1', taskId: 't1', worktreePath: wt });
    write(wt, 'src/a.txt', 'from the task\n');
    await engine.commitWorktree({ repoPath: dotgit, sessionId: 's1', taskId: 't1', worktreePath: wt, agent: 'codex', message: 't1' });
    write(repo, 'src/a.txt', 'local edit\n');
    const before = refsSnapshot(repo);
    const save = { repoPath: dotgit, sessionId: 's1', saveId: 'v1', taskIds: ['t1'], integrationWorktreePath: path.join(root, 'integration') };
    await expect(engine.save(save)).rejects.toMatchObject({ code: 'MAIN_WORKTREE_DIRTY', data: { paths: ['src/a.txt'] } });
    expect(refsSnapshot(repo)).toBe(before);
    expect(fs.readFileSync(path.join(repo, 'src/a.txt'), 'utf8')).toBe('local edit\n');
    // Through a subdirectory, once the edit is gone: published, and the checkout followed main.
    git(repo, ['checkout', '--', 'src/a.txt']);
    expect(await engine.save({ ...save, repoPath: path.join(repo, 'src'), saveId: 'v2' })).toMatchObject({ status: 'published' });
    expect(fs.readFileSync(path.join(repo, 'src/a.txt'), 'utf8')).toBe('from the task\n');
    expect(git(repo, ['status', '--porcelain'])).toBe('');
  });
});
