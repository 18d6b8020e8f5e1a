// The user's checked-out main follows a Save like `git merge --ff-only` (git's two-way merge):
// paths the fast-forward does not change keep their index entries and files exactly, staged
// changes included. Native git, running the same fast-forward in a copy, is the oracle.
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

/** What native git shows of a worktree: status, the index (all stages) and the named files. */
function view(dir: string, files: string[]): Record<string, unknown> {
  const content = Object.fromEntries(files.map((f) => {
    const abs = path.join(dir, f);
    return [f, fs.existsSync(abs) ? fs.readFileSync(abs, 'utf8') : null];
  }));
  return { status: git(dir, ['status', '--porcelain']), index: git(dir, ['ls-files', '-s']), content };
}

describe('fast-forward of a checked-out main (two-way merge)', () => {
  it('keeps staged changes on paths the Save does not touch, as git merge --ff-only does', async () => {
    const { root, repo } = makeRepo({ 'README.md': 'hello\n', 'src/a.txt': 'a\n', 'src/b.txt': 'b\n', 'c.txt': 'c\n', 'd.txt': 'd\n' });
    roots.push(root);
    const wt = path.join(root, 'wt');
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    write(wt, 'one.txt', 'one\n');
    write(wt, 'd.txt', 'd from task\n');
    await engine.commitWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt, agent: 'codex', message: 'work' });

    // Staged and then further edited; a staged deletion whose file stays untracked; a staged
    // deletion; a staged new file; a staged mode change.
    write(repo, 'README.md', 'staged\n');
    git(repo, ['add', 'README.md']);
    write(repo, 'README.md', 'staged, then edited again\n');
    git(repo, ['rm', '-q', '--cached', 'src/b.txt']);
    git(repo, ['rm', '-q', 'c.txt']);
    write(repo, 'n.txt', 'new\n');
    git(repo, ['add', 'n.txt']);
    fs.chmodSync(path.join(repo, 'src/a.txt'), 0o755);
    git(repo, ['add', 'src/a.txt']);
    const oracle = path.join(root, 'oracle');
    fs.cpSync(repo, oracle, { recursive: true, verbatimSymlinks: true });

    const res = await engine.save({ repoPath: repo, sessionId: 's1', saveId: 'v1', taskIds: ['t1'], integrationWorktreePath: path.join(root, 'integration') });
    if (res.status !== 'published') throw new Error(JSON.stringify(res));
    git(oracle, ['fetch', '-q', repo, 'main']);
    git(oracle, ['merge', '-q', '--ff-only', 'FETCH_HEAD']);

    const files = ['README.md', 'src/a.txt', 'src/b.txt', 'c.txt', 'd.txt', 'n.txt', 'one.txt'];
    expect(view(repo, files)).toEqual(view(oracle, files));
    expect(git(repo, ['diff', '--cached', '--name-status'])).toBe('M\tREADME.md\nD\tc.txt\nA\tn.txt\nM\tsrc/a.txt\nD\tsrc/b.txt');
    expect(fsckProblems(repo)).toEqual([]);
  });
});
