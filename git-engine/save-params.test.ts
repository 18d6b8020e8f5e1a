// Save parameters: an empty Save is refused with NOTHING_TO_SAVE and changes nothing; `logHead`
// is written into the checkpoint tag as a `Log-Head:` trailer (read back by native git and by
// listCheckpoints), and a malformed one is INVALID_NAME with nothing changed.
// In cluster mode a Save carries the session lease epoch: it does not publish once the lease is
// lost, and only a holder of a higher epoch settles the journal it left.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { git, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

async function prepared(taskIds: string[]) {
  const r = makeRepo();
  roots.push(r.root);
  for (const t of taskIds) {
    const wt = path.join(r.root, `wt-${t}`);
    await engine.createWorktree({ repoPath: r.repo, sessionId: 's1', taskId: t, worktreePath: wt });
    write(wt, `${t}.txt`, `${t}\n`);
    await engine.commitWorktree({ repoPath: r.repo, sessionId: 's1', taskId: t, worktreePath: wt, agent: 'codex', message: t });
  }
  return r;
}

const args = (r: { root: string; repo: string }, taskIds: string[], extra: Record<string, unknown> = {}) =>
  ({ repoPath: r.repo, sessionId: 's1', saveId: 'v1', taskIds, integrationWorktreePath: path.join(r.root, 'integration'), ...extra });

describe('save parameters', () => {
  it('an empty Save is NOTHING_TO_SAVE and changes nothing', async () => {
    const r = await prepared(['t1']);
    const before = refsSnapshot(r.repo);
    await expect(engine.save(args(r, []))).rejects.toMatchObject({ code: 'NOTHING_TO_SAVE', data: { sessionId: 's1' } });
    expect(refsSnapshot(r.repo)).toBe(before);
    expect(await engine.pendingSave({ repoPath: r.repo, sessionId: 's1' })).toBeNull();
    expect((await engine.save(args(r, ['t1']))).status).toBe('published');
  });

  it('logHead becomes the tag trailer Log-Head: <seq> <hash>, and listCheckpoints parses it (null when absent)', async () => {
    const r = await prepared(['t1', 't2']);
    const hash = 'ab'.repeat(32);
    const res = await engine.save(args(r, ['t1'], { logHead: { seq: 42, hash } }));
    if (res.status !== 'published') throw new Error(JSON.stringify(res));
    expect(git(r.repo, ['tag', '-l', '--format=%(contents:body)', res.tag])).toContain(`Log-Head: 42 ${hash}`);
    expect(git(r.repo, ['for-each-ref', '--format=%(trailers:key=Log-Head,valueonly)', `refs/tags/${res.tag}`])).toBe(`42 ${hash}`);
    const res2 = await engine.save(args(r, ['t2'], { saveId: 'v2' }));
    if (res2.status !== 'published') throw new Error(JSON.stringify(res2));
    const cps = await engine.listCheckpoints(r.repo);
    expect(cps.map((c) => [c.tag, c.logHead])).toEqual([[res.tag, { seq: 42, hash }], [res2.tag, null]]);
  });

  it('a malformed logHead is INVALID_NAME and changes nothing', async () => {
    const r = await prepared(['t1']);
    const before = refsSnapshot(r.repo);
    for (const logHead of [{ seq: -1, hash: 'ab'.repeat(32) }, { seq: 1.5, hash: 'ab'.repeat(32) }, { seq: 1, hash: 'XYZ' }, { seq: 1, hash: `${'ab'.repeat(32)}\nInjected: x` }, null]) {
      await expect(engine.save(args(r, ['t1'], { logHead }))).rejects.toMatchObject({ code: 'INVALID_NAME', data: { field: 'logHead' } });
    }
    expect(refsSnapshot(r.repo)).toBe(before);
  });

  it('cluster lease epoch: a Save that lost its lease publishes nothing; a higher epoch settles its journal; a malformed epoch is INVALID_NAME', async () => {
    const r = await prepared(['t1']);
    const before = refsSnapshot(r.repo);
    await expect(engine.save(args(r, ['t1'], { leaseEpoch: -1 }))).rejects.toMatchObject({ code: 'INVALID_NAME', data: { field: 'leaseEpoch' } });
    await expect(engine.save(args(r, ['t1'], { leaseEpoch: 1, mayPublish: async () => false }))).rejects.toMatchObject({ code: 'SESSION_FENCED' });
    expect(refsSnapshot(r.repo)).toBe(before);
    // Another node (another engine, its writer still alive): only a higher epoch may settle it.
    const other = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:08Z') });
    try {
      expect(await other.pendingSave({ repoPath: r.repo, sessionId: 's1', leaseEpoch: 1 })).toMatchObject({ action: 'wait', owner: { state: 'alive' } });
      expect(await other.pendingSave({ repoPath: r.repo, sessionId: 's1', leaseEpoch: 2 })).toMatchObject({ action: 'roll_back', owner: { state: 'superseded' } });
      await expect(other.recoverSave({ repoPath: r.repo, sessionId: 's1', leaseEpoch: 1 })).rejects.toMatchObject({ code: 'SAVE_IN_PROGRESS' });
      expect((await other.save(args(r, ['t1'], { saveId: 'v2', leaseEpoch: 2 }))).status).toBe('published');
    } finally {
      await other.close();
    }
  });
});

