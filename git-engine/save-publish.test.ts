// Save publishes or leaves nothing: a refused publish (main locked by another git process) moves
// no ref and leaves no journal, a pending journal is reported read-only and finished on demand, and
// the session can always Save again once the obstacle is gone. Native git is the oracle.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

async function prepared(taskIds: string[], sessionId = 's1', repoArg?: { root: string; repo: string }) {
  const r = repoArg ?? makeRepo({ 'README.md': 'hello\n', '.thalogos.json': '{"gates":["true"]}' });
  if (!repoArg) roots.push(r.root);
  for (const t of taskIds) {
    const wt = path.join(r.root, `wt-${sessionId}-${t}`);
    await engine.createWorktree({ repoPath: r.repo, sessionId, taskId: t, worktreePath: wt });
    write(wt, `${sessionId}-${t}.txt`, `${t}\n`);
    await engine.commitWorktree({ repoPath: r.repo, sessionId, taskId: t, worktreePath: wt, agent: 'codex', message: t });
  }
  return r;
}

const saveArgs = (r: { root: string; repo: string }, taskIds: string[], saveId = 'save1', sessionId = 's1', repoPath = r.repo) =>
  ({ repoPath, sessionId, saveId, taskIds, integrationWorktreePath: path.join(r.root, `integration-${sessionId}`), gateTimeoutMs: 20_000 });

const journalFile = (repo: string, sessionId = 's1') => path.join(repo, '.git', 'thalogos', `save-${sessionId}.json`);

describe('Save publishes or leaves nothing', () => {
  it('main locked by another git process: REF_LOCKED, no ref moved, no journal; the next Save publishes once the lock is gone', async () => {
    const r = await prepared(['t1']);
    const before = refsSnapshot(r.repo);
    const lock = path.join(r.repo, '.git', 'refs', 'heads', 'main.lock');
    fs.writeFileSync(lock, '');
    await expect(engine.save(saveArgs(r, ['t1']))).rejects.toMatchObject({ code: 'REF_LOCKED', data: { lockPath: lock } });
    // Nothing published: no checkpoint tag, integration branch not created, main unchanged.
    expect(refsSnapshot(r.repo)).toBe(before);
    expect(git(r.repo, ['tag', '-l'])).toBe('');
    expect(fs.existsSync(journalFile(r.repo))).toBe(false);
    expect(await engine.pendingSave({ repoPath: r.repo, sessionId: 's1' })).toBeNull();
    // Still locked: refused again, still nothing (never SAVE_IN_PROGRESS).
    await expect(engine.save(saveArgs(r, ['t1'], 'save2'))).rejects.toMatchObject({ code: 'REF_LOCKED' });
    expect(refsSnapshot(r.repo)).toBe(before);
    fs.rmSync(lock);
    const res = await engine.save(saveArgs(r, ['t1'], 'save3'));
    if (res.status !== 'published') throw new Error(JSON.stringify(res));
    expect(git(r.repo, ['rev-parse', 'main'])).toBe(res.commit);
    expect(git(r.repo, ['rev-parse', `${res.tag}^{commit}`])).toBe(res.commit);
    expect(git(r.repo, ['status', '--porcelain'])).toBe('');
    expect(fsckProblems(r.repo)).toEqual([]);
  });

  it('a tag lock after main moved: main is published, the journal reports the rest, recoverSave writes the tag', async () => {
    const r = await prepared(['t1', 't2']);
    // The tag's name is predictable (first checkpoint of the day); lock it.
    const tagLock = path.join(r.repo, '.git', 'refs', 'tags', 'checkpoint', '2026-03-04-1.lock');
    fs.mkdirSync(path.dirname(tagLock), { recursive: true });
    fs.writeFileSync(tagLock, '');
    await expect(engine.save(saveArgs(r, ['t1']))).rejects.toMatchObject({ code: 'REF_LOCKED' });
    const main = git(r.repo, ['rev-parse', 'main']);
    expect(git(r.repo, ['log', '-1', '--format=%(trailers:key=Task,valueonly)', 'main'])).toBe('t1');
    expect(git(r.repo, ['tag', '-l'])).toBe('');
    const before = refsSnapshot(r.repo);
    const pending = await engine.pendingSave({ repoPath: r.repo, sessionId: 's1' });
    expect(pending).toMatchObject({
      sessionId: 's1', saveId: 'save1', phase: 'publishing', candidate: main, tag: 'checkpoint/2026-03-04-1', running: false, action: 'complete',
      updates: [
        { ref: 'refs/heads/main', new: main, current: main },
        { ref: 'refs/heads/session/s1/integration', new: main, current: main },
        { ref: 'refs/tags/checkpoint/2026-03-04-1', old: null, current: null },
      ],
    });
    // Reporting changes nothing.
    expect(refsSnapshot(r.repo)).toBe(before);
    expect(fs.existsSync(journalFile(r.repo))).toBe(true);
    // Still locked: recovery is refused with the obstacle, the journal stays.
    await expect(engine.recoverSave({ repoPath: r.repo, sessionId: 's1' })).rejects.toMatchObject({ code: 'REF_LOCKED' });
    fs.rmSync(tagLock);
    const rec = await engine.recoverSave({ repoPath: r.repo, sessionId: 's1' });
    expect(rec).toMatchObject({ state: 'completed', result: { status: 'published', commit: main, tag: 'checkpoint/2026-03-04-1' } });
    expect(git(r.repo, ['rev-parse', 'checkpoint/2026-03-04-1^{commit}'])).toBe(main);
    expect(await engine.pendingSave({ repoPath: r.repo, sessionId: 's1' })).toBeNull();
    const res = await engine.save(saveArgs(r, ['t1', 't2'], 'save2'));
    expect(res).toMatchObject({ status: 'published', tag: 'checkpoint/2026-03-04-2', mergedTaskIds: ['t2'] });
    expect(fsckProblems(r.repo)).toEqual([]);
  });

  it('the next Save finishes an interrupted publish on its own (no SAVE_IN_PROGRESS)', async () => {
    const r = await prepared(['t1', 't2']);
    const tagLock = path.join(r.repo, '.git', 'refs', 'tags', 'checkpoint', '2026-03-04-1.lock');
    fs.mkdirSync(path.dirname(tagLock), { recursive: true });
    fs.writeFileSync(tagLock, '');
    await expect(engine.save(saveArgs(r, ['t1']))).rejects.toMatchObject({ code: 'REF_LOCKED' });
    fs.rmSync(tagLock);
    const res = await engine.save(saveArgs(r, ['t1', 't2'], 'save2'));
    expect(res).toMatchObject({ status: 'published', tag: 'checkpoint/2026-03-04-2', mergedTaskIds: ['t2'] });
    // The first Save's checkpoint was written by the recovery, on main's first-parent line.
    const first = git(r.repo, ['rev-parse', 'checkpoint/2026-03-04-1^{commit}']);
    expect(git(r.repo, ['merge-base', '--is-ancestor', first, 'main'])).toBe('');
    expect(git(r.repo, ['log', '-1', '--format=%(trailers:key=Task,valueonly)', first])).toBe('t1');
    expect(fs.existsSync(journalFile(r.repo))).toBe(false);
    expect(fsckProblems(r.repo)).toEqual([]);
  });

  it('two sessions on one repository named /r and /r/.git both publish; the checked-out main follows', async () => {
    const r = await prepared(['t1']);
    await prepared(['t1'], 's2', r);
    const [a, b] = await Promise.all([
      engine.save(saveArgs(r, ['t1'], 'save1', 's1')),
      engine.save(saveArgs(r, ['t1'], 'save1', 's2', path.join(r.repo, '.git'))),
    ]);
    expect(a.status).toBe('published');
    expect(b.status).toBe('published');
    const tags = git(r.repo, ['tag', '-l']).split('\n');
    expect(tags).toEqual(['checkpoint/2026-03-04-1', 'checkpoint/2026-03-04-2']);
    for (const t of tags) expect(git(r.repo, ['merge-base', '--is-ancestor', `${t}^{commit}`, 'main'])).toBe('');
    // Both tasks' files reached the user's checkout, which is clean (the /r/.git Save updated it too).
    expect(fs.readFileSync(path.join(r.repo, 's1-t1.txt'), 'utf8')).toBe('t1\n');
    expect(fs.readFileSync(path.join(r.repo, 's2-t1.txt'), 'utf8')).toBe('t1\n');
    expect(git(r.repo, ['status', '--porcelain'])).toBe('');
    expect(fs.readdirSync(path.join(r.repo, '.git', 'thalogos')).filter((f) => f.startsWith('save-'))).toEqual([]);
    expect(fsckProblems(r.repo)).toEqual([]);
  });
});
