// Blame for a failed gate, on real repositories: the failing gate is re-run along the Save's
// merges and the first task whose merge makes it fail is named (native git checks the commits).
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blameGateFailure, blameRuns } from './gate-blame.js';
import { createGitEngine, type GitEngine } from './index.js';
import { git, makeRepo, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => {
  engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') });
});
afterAll(async () => engine.close());
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

// The gate fails when any *.txt file at the top holds the word "broken".
const GATE = 'echo checking; if grep -l broken *.txt; then echo found broken >&2; exit 1; fi';

function setup(files: Record<string, string> = {}): { root: string; repo: string } {
  const r = makeRepo({ 'README.md': 'hello\n', 'base.txt': 'fine\n', '.thalogos.json': JSON.stringify({ gates: [GATE] }), ...files });
  roots.push(r.root);
  return r;
}

async function task(c: { root: string; repo: string }, taskId: string, file: string, text: string): Promise<void> {
  const wt = path.join(c.root, `wt-${taskId}`);
  await engine.createWorktree({ repoPath: c.repo, sessionId: 's1', taskId, worktreePath: wt });
  write(wt, file, text);
  await engine.commitWorktree({ repoPath: c.repo, sessionId: 's1', taskId, worktreePath: wt, agent: 'codex', message: `work of ${taskId}` });
}

const save = (c: { root: string; repo: string }, taskIds: string[], extra: Record<string, unknown> = {}) =>
  engine.save({ repoPath: c.repo, sessionId: 's1', saveId: 'save1', taskIds, integrationWorktreePath: path.join(c.root, 'integration'), gateTimeoutMs: 20_000, ...extra });

describe('which task broke a gate', () => {
  it('names the task whose merge made the gate fail, streaming every run as it goes', async () => {
    const c = setup();
    await task(c, 't1', 'one.txt', 'one\n');
    await task(c, 't2', 'two.txt', 'two\n');
    await task(c, 't3', 'three.txt', 'broken\n');
    await task(c, 't4', 'four.txt', 'four\n');
    const phases: string[] = [];
    const output: Array<[string, string, string]> = [];
    const res = await save(c, ['t1', 't2', 't3', 't4'], {
      onProgress: (phase: string) => phases.push(phase),
      onGateOutput: (run: string, stream: string, text: string) => output.push([run, stream, text]),
    });
    if (res.status !== 'gates_failed') throw new Error(JSON.stringify(res));
    expect(res.blame).toMatchObject({ status: 'task', taskId: 't3', gate: GATE });
    expect(res.blame?.runs).toBeLessThanOrEqual(blameRuns(4));
    // The blamed commit is the merge of t3's branch onto main plus t1 and t2.
    const blamed = res.blame as { commit: string };
    expect(git(c.repo, ['log', '-1', '--format=%s', blamed.commit])).toBe('Merge session/s1/task/t3 into session/s1/integration');
    expect(git(c.repo, ['rev-parse', `${blamed.commit}^2`])).toBe(git(c.repo, ['rev-parse', 'session/s1/task/t3']));
    expect(phases).toEqual(['merging', 'gating', 'blaming']);
    // The Save's own run streamed both streams; each re-run streamed under its own name.
    expect(output.filter(([run]) => run === 'gate-0').map(([, stream, text]) => `${stream}:${text}`).join('')).toMatch(/stdout:checking[\s\S]*stderr:found broken/);
    expect(new Set(output.map(([run]) => run))).toEqual(new Set(['gate-0', ...Array.from({ length: res.blame!.runs }, (_, i) => `blame-${i}`)]));
    expect(git(c.repo, ['rev-parse', 'main'])).toBe(git(c.repo, ['rev-parse', 'session/s1/task/t1~1']));
  });

  it('says main already failed the gate when it fails before any task is merged', async () => {
    const c = setup({ 'base.txt': 'broken\n' });
    await task(c, 't1', 'one.txt', 'one\n');
    await task(c, 't2', 'two.txt', 'two\n');
    const res = await save(c, ['t1', 't2']);
    if (res.status !== 'gates_failed') throw new Error(JSON.stringify(res));
    expect(res.blame).toMatchObject({ status: 'main', commit: git(c.repo, ['rev-parse', 'main']) });
  });

  it('blames the only task in one re-run (on main), and can be turned off', async () => {
    const c = setup();
    await task(c, 't1', 'one.txt', 'broken\n');
    const res = await save(c, ['t1']);
    if (res.status !== 'gates_failed') throw new Error(JSON.stringify(res));
    expect(res.blame).toMatchObject({ status: 'task', taskId: 't1', runs: 1 });
    const off = await save(c, ['t1'], { saveId: 'save2', gateBlameBudgetMs: 0 });
    if (off.status !== 'gates_failed') throw new Error(JSON.stringify(off));
    expect(off.blame).toMatchObject({ status: 'unknown', runs: 0 });
    await expect(save(c, ['t1'], { saveId: 'save3', gateBlameBudgetMs: -1 })).rejects.toMatchObject({ code: 'INVALID_NAME' });
  });

  it('does not bisect a gate that timed out, nor past its budget, and survives a re-run that cannot start', async () => {
    const failed = { command: 'npm test', exitCode: 1, timedOut: false, durationMs: 60_000, output: '' };
    const steps = [{ taskId: 'a', commit: 'c1' }, { taskId: 'b', commit: 'c2' }, { taskId: 'c', commit: 'c3' }];
    const never = async () => { throw new Error('must not run'); };
    expect(await blameGateFailure({ mainBefore: 'm', steps, failed: { ...failed, timedOut: true }, passesAt: never, budgetMs: 1e9 })).toMatchObject({ status: 'unknown', runs: 0 });
    expect(await blameGateFailure({ mainBefore: 'm', steps, failed, passesAt: never, budgetMs: 60_000 })).toMatchObject({ status: 'unknown', runs: 0 });
    expect(await blameGateFailure({ mainBefore: 'm', steps, failed, passesAt: never, budgetMs: 1e9 })).toMatchObject({ status: 'unknown', runs: 1, reason: expect.stringContaining('must not run') });
    // A real bisection over 3 merges: fails from c2 on.
    const tried: string[] = [];
    const blame = await blameGateFailure({ mainBefore: 'm', steps, failed, budgetMs: 1e9, passesAt: async (commit) => (tried.push(commit), commit === 'm' || commit === 'c1') });
    expect(blame).toEqual({ status: 'task', taskId: 'b', commit: 'c2', gate: 'npm test', runs: 2 });
    expect(tried.length).toBe(2);
  });
});
