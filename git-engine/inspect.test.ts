import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { git, makeRepo, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test' }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

describe('inspection', () => {
  it('lists session branches with ahead/behind against main (native rev-list as oracle)', async () => {
    const { root, repo } = makeRepo();
    roots.push(root);
    for (const t of ['t1', 't2']) {
      const wt = path.join(root, t);
      await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: t, worktreePath: wt });
      if (t === 't1') {
        write(wt, 'x.txt', 'x\n');
        await engine.commitWorktree({ repoPath: repo, sessionId: 's1', taskId: t, worktreePath: wt, agent: 'a', message: 'x' });
        write(wt, 'y.txt', 'y\n');
        await engine.commitWorktree({ repoPath: repo, sessionId: 's1', taskId: t, worktreePath: wt, agent: 'a', message: 'y' });
      }
    }
    write(repo, 'main.txt', 'm\n');
    git(repo, ['add', 'main.txt']);
    git(repo, ['commit', '-q', '-m', 'main moves']);
    const list = await engine.listSessionBranches(repo, 's1');
    expect(list.map((b) => b.branch)).toEqual(['session/s1/task/t1', 'session/s1/task/t2']);
    for (const b of list) {
      const [behind, ahead] = git(repo, ['rev-list', '--left-right', '--count', `main...${b.branch}`]).split(/\s+/).map(Number);
      expect([b.ahead, b.behind]).toEqual([ahead, behind]);
      expect(b.head).toBe(git(repo, ['rev-parse', b.branch]));
    }
    expect(list[0]).toMatchObject({ ahead: 2, behind: 1 });
    expect(await engine.listSessionBranches(repo, 'other')).toEqual([]);
  });

  it('diffs a task against its merge base with main: unified, per file, stats', async () => {
    const { root, repo } = makeRepo({ 'README.md': 'hello\n', 'src/a.txt': '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n', 'old.txt': 'old\n', 'bin.dat': 'x' });
    roots.push(root);
    const wt = path.join(root, 'wt');
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    write(wt, 'src/a.txt', '1\n2\nthree\n4\n5\n6\n7\n8\n9\nten\neleven');
    write(wt, 'new.txt', 'n1\nn2\n');
    (await import('node:fs')).rmSync(path.join(wt, 'old.txt'));
    (await import('node:fs')).writeFileSync(path.join(wt, 'bin.dat'), Buffer.from([0, 1, 2, 3]));
    await engine.commitWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt, agent: 'a', message: 'm' });
    // main moving on must not show up in the task's diff (merge base, not main's tip)
    write(repo, 'main-only.txt', 'm\n');
    git(repo, ['add', 'main-only.txt']);
    git(repo, ['commit', '-q', '-m', 'main moves']);
    const d = await engine.taskDiff({ repoPath: repo, sessionId: 's1', taskId: 't1' });
    expect(d.files.map((f) => [f.path, f.status])).toEqual([['bin.dat', 'modified'], ['new.txt', 'added'], ['old.txt', 'deleted'], ['src/a.txt', 'modified']]);
    // Stats agree with native git's numstat.
    const numstat = git(repo, ['diff', '--numstat', `main...session/s1/task/t1`]).split('\n').map((l) => l.split('\t'));
    for (const [add, del, p] of numstat) {
      const f = d.files.find((x) => x.path === p);
      expect(f, p).toBeDefined();
      if (add === '-') expect(f?.binary).toBe(true);
      else expect([f?.additions, f?.deletions]).toEqual([Number(add), Number(del)]);
    }
    expect(d.stats).toEqual({ files: 4, additions: 5, deletions: 3 });
    // The unified patch applies with native git to the merge base and gives the task's tree.
    const a = d.files.find((f) => f.path === 'src/a.txt');
    expect(a?.patch).toContain('@@ -1,10 +1,11 @@');
    expect(a?.patch).toContain('-3\n+three\n');
    expect(a?.patch).toContain('+eleven\n\\ No newline at end of file\n');
    const textOnly = d.files.filter((f) => !f.binary).map((f) => f.patch).join('');
    const check = path.join(root, 'check');
    git(repo, ['worktree', 'add', '-q', '--detach', check, d.base]);
    (await import('node:fs')).writeFileSync(path.join(root, 'p.diff'), textOnly);
    git(check, ['apply', '--index', path.join(root, 'p.diff')]);
    for (const p of ['src/a.txt', 'new.txt']) expect(git(check, ['hash-object', p])).toBe(git(repo, ['rev-parse', `session/s1/task/t1:${p}`]));
    expect(d.unified).toContain('diff --git a/new.txt b/new.txt\nnew file mode 100644');
  });
});
