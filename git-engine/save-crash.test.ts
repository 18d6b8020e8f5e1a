// kill -9 at each step of a Save's publish: refs are either before or after, never half-way, and
// recoverSave() tells which and finishes the job.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, gitStatus, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const projectRoot = fileURLToPath(new URL('..', import.meta.url));

async function prepared() {
  const r = makeRepo({ 'README.md': 'hello\n', '.thalogos.json': '{"gates":["true"]}' });
  roots.push(r.root);
  for (const t of ['t1', 't2']) {
    const wt = path.join(r.root, `wt-${t}`);
    await engine.createWorktree({ repoPath: r.repo, sessionId: 's1', taskId: t, worktreePath: wt });
    write(wt, `${t}.txt`, `${t}\n`);
    await engine.commitWorktree({ repoPath: r.repo, sessionId: 's1', taskId: t, worktreePath: wt, agent: 'codex', message: t });
  }
  return r;
}

function crashAt(repo: string, root: string, fault: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, repo, path.join(root, 'integration'), '["t1","t2"]'], {
    cwd: projectRoot, env: { ...process.env, THALOGOS_GIT_ENGINE_FAULT: fault }, encoding: 'utf8', timeout: 60_000,
  });
  return r;
}

const refOf = (repo: string, ref: string) => gitStatus(repo, ['rev-parse', '--verify', '-q', ref]).out.trim() || null;

describe('Save crash safety', () => {
  it('a crash after the merges (before publishing) is rolled back: no ref moved', async () => {
    const { root, repo } = await prepared();
    const before = refsSnapshot(repo);
    const r = crashAt(repo, root, 'save-after-merge');
    expect(r.signal).toBe('SIGKILL');
    expect(refsSnapshot(repo)).toBe(before);
    await expect(engine.save({ repoPath: repo, sessionId: 's1', saveId: 'x', taskIds: ['t1'], integrationWorktreePath: path.join(root, 'integration') }))
      .rejects.toMatchObject({ code: 'SAVE_IN_PROGRESS' });
    expect(await engine.recoverSave({ repoPath: repo, sessionId: 's1' })).toEqual({ state: 'rolled_back' });
    expect(refsSnapshot(repo)).toBe(before);
    expect(await engine.recoverSave({ repoPath: repo, sessionId: 's1' })).toEqual({ state: 'none' });
    expect(fsckProblems(repo)).toEqual([]);
  });

  for (const [fault, movedCount] of [['publish-after-journal', 0], ['publish-after-ref-1', 1], ['publish-after-ref-2', 2], ['move-after-checkout', 2]] as const) {
    it(`a kill -9 at ${fault} leaves each ref before or after, and recovery completes the publish`, async () => {
      const { root, repo } = await prepared();
      const mainBefore = git(repo, ['rev-parse', 'main']);
      const r = crashAt(repo, root, fault);
      expect(r.signal).toBe('SIGKILL');
      const journal = JSON.parse(fs.readFileSync(path.join(repo, '.git/thalogos/save-s1.json'), 'utf8')) as { candidate: string; tag: string; updates: Array<{ ref: string; old: string | null; new: string }> };
      expect(journal.updates.map((u) => u.ref)).toEqual(['refs/heads/session/s1/integration', `refs/tags/${journal.tag}`, 'refs/heads/main']);
      journal.updates.forEach((u, i) => {
        const now = refOf(repo, u.ref);
        expect(now).toBe(i < movedCount ? u.new : u.old);
      });
      expect(git(repo, ['rev-parse', 'main'])).toBe(mainBefore); // main is written last
      if (fault === 'move-after-checkout') {
        // Files and index already hold the new tree, the ref does not: git sees staged changes.
        expect(fs.readFileSync(path.join(repo, 't2.txt'), 'utf8')).toBe('t2\n');
        expect(git(repo, ['status', '--porcelain'])).not.toBe('');
      } else {
        expect(git(repo, ['status', '--porcelain'])).toBe('');
      }
      const rec = await engine.recoverSave({ repoPath: repo, sessionId: 's1' });
      expect(rec.state).toBe('completed');
      expect(rec.result).toMatchObject({ status: 'published', commit: journal.candidate, tag: 'checkpoint/2026-03-04-1', mergedTaskIds: ['t1', 't2'] });
      expect(git(repo, ['rev-parse', 'main'])).toBe(journal.candidate);
      expect(git(repo, ['rev-parse', 'checkpoint/2026-03-04-1^{commit}'])).toBe(journal.candidate);
      expect(git(repo, ['rev-parse', 'session/s1/integration'])).toBe(journal.candidate);
      expect(git(repo, ['status', '--porcelain'])).toBe('');
      expect(fs.readFileSync(path.join(repo, 't2.txt'), 'utf8')).toBe('t2\n');
      expect(fsckProblems(repo)).toEqual([]);
      expect(await engine.recoverSave({ repoPath: repo, sessionId: 's1' })).toEqual({ state: 'none' });
    });
  }
});
