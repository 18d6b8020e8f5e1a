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
    // The killed process is gone: its journal is reported, then settled by recoverSave.
    expect(await engine.pendingSave({ repoPath: repo, sessionId: 's1' })).toMatchObject({ phase: 'gating', action: 'roll_back', owner: { state: 'exited' }, running: false });
    expect(await engine.recoverSave({ repoPath: repo, sessionId: 's1' })).toEqual({ state: 'rolled_back' });
    expect(refsSnapshot(repo)).toBe(before);
    expect(await engine.recoverSave({ repoPath: repo, sessionId: 's1' })).toEqual({ state: 'none' });
    expect(fsckProblems(repo)).toEqual([]);
  });

  it('the next Save settles a killed Save on its own (no SAVE_IN_PROGRESS), before and after main moved', async () => {
    const { root, repo } = await prepared();
    const before = refsSnapshot(repo);
    expect(crashAt(repo, root, 'save-after-merge').signal).toBe('SIGKILL');
    const save = (saveId: string, taskIds: string[]) => engine.save({ repoPath: repo, sessionId: 's1', saveId, taskIds, integrationWorktreePath: path.join(root, 'integration') });
    expect(await save('x', ['t1'])).toMatchObject({ status: 'published', mergedTaskIds: ['t1'], tag: 'checkpoint/2026-03-04-1' });
    expect(refsSnapshot(repo)).not.toBe(before);
    // Killed after main moved: the next Save writes the rest of the killed one first.
    const wt = path.join(root, 'wt-t3');
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't3', worktreePath: wt });
    write(wt, 't3.txt', 't3\n');
    await engine.commitWorktree({ repoPath: repo, sessionId: 's1', taskId: 't3', worktreePath: wt, agent: 'codex', message: 't3' });
    expect(crashAt(repo, root, 'publish-after-ref-1').signal).toBe('SIGKILL');
    expect(git(repo, ['tag', '-l'])).toBe('checkpoint/2026-03-04-1');
    expect(await save('y', ['t1', 't2', 't3'])).toMatchObject({ status: 'published', mergedTaskIds: ['t3'], tag: 'checkpoint/2026-03-04-3' });
    expect(git(repo, ['tag', '-l']).split('\n')).toEqual(['checkpoint/2026-03-04-1', 'checkpoint/2026-03-04-2', 'checkpoint/2026-03-04-3']);
    expect(git(repo, ['log', '-1', '--format=%(trailers:key=Task,valueonly)', 'checkpoint/2026-03-04-2^{commit}'])).toBe('t2');
    expect(git(repo, ['status', '--porcelain'])).toBe('');
    expect(fs.existsSync(path.join(repo, '.git/thalogos/save-s1.json'))).toBe(false);
    expect(fsckProblems(repo)).toEqual([]);
  });

  // Killed the instant a ref's lock exists (before, the lock was still empty then and recovery
  // refused it as another writer's: REF_LOCKED for ever, found by the replay property test).
  for (const ref of ['refs/heads/main', 'refs/tags/checkpoint/2026-03-04-1']) {
    it(`a kill -9 right after taking the lock of ${ref} is recovered: the lock is recognised as the Save's own`, async () => {
      const { root, repo } = await prepared();
      expect(crashAt(repo, root, `ref-lock-taken:${ref}`).signal).toBe('SIGKILL');
      expect(fs.existsSync(path.join(repo, '.git', `${ref}.lock`))).toBe(true);
      const journal = JSON.parse(fs.readFileSync(path.join(repo, '.git/thalogos/save-s1.json'), 'utf8')) as { candidate: string };
      const rec = await engine.recoverSave({ repoPath: repo, sessionId: 's1' });
      if (rec.state !== 'completed') throw new Error(JSON.stringify(rec));
      expect(git(repo, ['rev-parse', 'main'])).toBe(journal.candidate);
      expect(git(repo, ['rev-parse', 'checkpoint/2026-03-04-1^{commit}'])).toBe(journal.candidate);
      expect(fs.existsSync(path.join(repo, '.git', `${ref}.lock`))).toBe(false);
      expect(fsckProblems(repo)).toEqual([]);
    });
  }

  // Publish order: main, integration, tag (a tag never names a commit that is not on main).
  for (const [fault, movedCount] of [['publish-after-journal', 0], ['move-after-checkout', 0], ['publish-after-ref-1', 1], ['publish-after-ref-2', 2]] as const) {
    it(`a kill -9 at ${fault} leaves each ref before or after, and recovery completes the publish`, async () => {
      const { root, repo } = await prepared();
      const mainBefore = git(repo, ['rev-parse', 'main']);
      const r = crashAt(repo, root, fault);
      expect(r.signal).toBe('SIGKILL');
      const journal = JSON.parse(fs.readFileSync(path.join(repo, '.git/thalogos/save-s1.json'), 'utf8')) as { candidate: string; tag: string; updates: Array<{ ref: string; old: string | null; new: string }> };
      expect(journal.updates.map((u) => u.ref)).toEqual(['refs/heads/main', 'refs/heads/session/s1/integration', `refs/tags/${journal.tag}`]);
      journal.updates.forEach((u, i) => {
        const now = refOf(repo, u.ref);
        expect(now).toBe(i < movedCount ? u.new : u.old);
      });
      expect(git(repo, ['rev-parse', 'main'])).toBe(movedCount > 0 ? journal.candidate : mainBefore); // main is written first
      if (movedCount === 0) expect(git(repo, ['tag', '-l'])).toBe('');
      if (fault === 'move-after-checkout') {
        // Files and index already hold the new tree, the ref does not: git sees staged changes.
        expect(fs.readFileSync(path.join(repo, 't2.txt'), 'utf8')).toBe('t2\n');
        expect(git(repo, ['status', '--porcelain'])).not.toBe('');
      } else {
        expect(git(repo, ['status', '--porcelain'])).toBe('');
      }
      expect(await engine.pendingSave({ repoPath: repo, sessionId: 's1' })).toMatchObject({ phase: 'publishing', action: 'complete', owner: { state: 'exited' } });
      const rec = await engine.recoverSave({ repoPath: repo, sessionId: 's1' });
      if (rec.state !== 'completed') throw new Error(JSON.stringify(rec));
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
