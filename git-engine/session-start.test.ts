import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, makeRepo, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

describe('session-start checkpoint', () => {
  it('tags main at session start, so the first Save can be rolled back to it', async () => {
    const { root, repo } = makeRepo({ 'README.md': 'v0\n' });
    roots.push(root);
    const before = git(repo, ['rev-parse', 'main']);
    const start = await engine.recordSessionStart({ repoPath: repo, sessionId: 's1' });
    expect(start).toEqual({ tag: 'session-start/s1', commit: before });
    // Native git sees an annotated tag on main's commit with the Session-Start trailer.
    expect(git(repo, ['cat-file', '-t', `refs/tags/${start.tag}`])).toBe('tag');
    expect(git(repo, ['rev-parse', `${start.tag}^{commit}`])).toBe(before);
    expect(git(repo, ['tag', '-l', '--format=%(contents)', start.tag])).toContain('Session-Start: s1');
    // Idempotent: a retry returns the same checkpoint and tags nothing new.
    expect(await engine.recordSessionStart({ repoPath: repo, sessionId: 's1' })).toEqual(start);
    expect(git(repo, ['tag', '-l'])).toBe(start.tag);
    // Saves' checkpoints stay among themselves: the start is not a `checkpoint/*` tag.
    expect(git(repo, ['tag', '-l', 'checkpoint/*'])).toBe('');

    const wt = path.join(root, 'wt-t1');
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    write(wt, 'one.txt', '1\n');
    await engine.commitWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt, agent: 'codex', message: 't1' });
    const saved = await engine.save({ repoPath: repo, sessionId: 's1', saveId: 'sv1', taskIds: ['t1'], integrationWorktreePath: path.join(root, 'integration') });
    expect(saved).toMatchObject({ status: 'published', tag: 'checkpoint/2026-03-04-1' });

    const list = await engine.listCheckpoints(repo);
    expect(list.map((c) => [c.tag, c.sessionStart])).toEqual([['session-start/s1', 's1'], ['checkpoint/2026-03-04-1', null]]);

    const res = await engine.rollback({ repoPath: repo, sessionId: 's1', checkpoint: start.tag, mode: 'restore_commit' });
    expect(git(repo, ['rev-parse', `${res.commit}^{tree}`])).toBe(git(repo, ['rev-parse', `${before}^{tree}`]));
    expect(git(repo, ['ls-tree', '--name-only', 'main'])).toBe('README.md');
    expect(fsckProblems(repo)).toEqual([]);
  });

  it('refuses a bad session id with INVALID_NAME and tags nothing', async () => {
    const { root, repo } = makeRepo({ 'README.md': 'v0\n' });
    roots.push(root);
    await expect(engine.recordSessionStart({ repoPath: repo, sessionId: '../x' })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    expect(git(repo, ['tag', '-l'])).toBe('');
  });
});
