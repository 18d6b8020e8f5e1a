// A session on a base branch other than main: task branches start from it, Save fast-forwards it,
// the session-start checkpoint and rollback use it, and main is never touched (native git checks).
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, makeRepo, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => {
  engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') });
});
afterAll(async () => engine.close());
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

/** main with README; develop one commit ahead (develop.txt); the checkout stays on main. */
function setup(): { root: string; repo: string } {
  const r = makeRepo();
  roots.push(r.root);
  git(r.repo, ['checkout', '-q', '-b', 'develop']);
  write(r.repo, 'develop.txt', 'on develop\n');
  git(r.repo, ['add', '-A']);
  git(r.repo, ['commit', '-q', '-m', 'develop work']);
  git(r.repo, ['checkout', '-q', 'main']);
  return r;
}

describe('a session on a base branch', () => {
  it('starts tasks from it, publishes to it, rolls it back, and leaves main alone', async () => {
    const c = setup();
    const onDevelop = { repoPath: c.repo, baseBranch: 'develop' };
    const mainBefore = git(c.repo, ['rev-parse', 'main']);
    const developBefore = git(c.repo, ['rev-parse', 'develop']);
    expect(await engine.inspectRepository(c.repo, 'develop')).toMatchObject({ mainBranch: 'develop', head: developBefore, headBranch: 'main' });

    const start = await engine.recordSessionStart({ ...onDevelop, sessionId: 's1' });
    expect(start.commit).toBe(developBefore);

    const wt = path.join(c.root, 'wt-t1');
    const created = await engine.createWorktree({ ...onDevelop, sessionId: 's1', taskId: 't1', worktreePath: wt });
    expect(created.baseCommit).toBe(developBefore);
    expect(git(wt, ['show', 'HEAD:develop.txt'])).toBe('on develop');
    write(wt, 'feature.txt', 'feature\n');
    await engine.commitWorktree({ ...onDevelop, sessionId: 's1', taskId: 't1', worktreePath: wt, agent: 'codex', message: 'feature' });
    const diff = await engine.taskDiff({ ...onDevelop, sessionId: 's1', taskId: 't1' });
    expect(diff.files.map((f) => f.path)).toEqual(['feature.txt']);

    const saved = await engine.save({ ...onDevelop, sessionId: 's1', saveId: 'save1', taskIds: ['t1'], integrationWorktreePath: path.join(c.root, 'integration') });
    if (saved.status !== 'published') throw new Error(JSON.stringify(saved));
    expect(git(c.repo, ['rev-parse', 'develop'])).toBe(saved.commit);
    expect(git(c.repo, ['merge-base', '--is-ancestor', developBefore, 'develop'])).toBe('');
    expect(git(c.repo, ['rev-parse', `${saved.tag}^{commit}`])).toBe(saved.commit);
    expect(git(c.repo, ['rev-parse', 'main'])).toBe(mainBefore);
    expect(git(c.repo, ['ls-tree', '--name-only', 'main'])).not.toContain('feature.txt');
    // The user's checkout (on main) is untouched: no files of develop appear in it.
    expect(git(c.repo, ['status', '--porcelain'])).toBe('');

    const branches = await engine.listSessionBranches(c.repo, 's1', 'develop');
    expect(branches.find((b) => b.branch === 'session/s1/task/t1')).toMatchObject({ ahead: 0 });

    const rolled = await engine.rollback({ ...onDevelop, sessionId: 's1', checkpoint: start.tag, mode: 'restore_commit' });
    expect(rolled.commit).toBeDefined();
    expect(git(c.repo, ['rev-parse', 'develop^{tree}'])).toBe(git(c.repo, ['rev-parse', `${developBefore}^{tree}`]));
    expect(git(c.repo, ['rev-parse', 'main'])).toBe(mainBefore);
    expect(fsckProblems(c.repo)).toEqual([]);
  });

  it('refuses a base branch that does not exist, is malformed, or is one of its own', async () => {
    const c = setup();
    await expect(engine.inspectRepository(c.repo, 'nope')).rejects.toMatchObject({ code: 'BRANCH_NOT_FOUND' });
    await expect(engine.inspectRepository(c.repo, 'bad..name')).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(engine.inspectRepository(c.repo, 'session/s1/integration')).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(engine.createWorktree({ repoPath: c.repo, baseBranch: 'nope', sessionId: 's1', taskId: 't1', worktreePath: path.join(c.root, 'wt') })).rejects.toMatchObject({ code: 'BRANCH_NOT_FOUND' });
    expect(git(c.repo, ['branch', '--list', 'session/*'])).toBe('');
  });
});
