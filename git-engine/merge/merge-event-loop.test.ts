/**
 * The event loop stays responsive while a Save merges into a 10,000-file repository: the merge
 * runs in the engine's Piscina pool (engine.save, no gates), and the main thread's event-loop
 * delay is sampled with perf_hooks.monitorEventLoopDelay meanwhile. For comparison the same
 * merges are then run inline on the main thread (reported, not asserted: no wall-clock asserts).
 * The merged tree is checked against native git (merge-tree, merge by merge).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createGitEngine } from '../index.js';
import { generateLargeRepo, git as nativeGit, inProcessMergeChain, nativeMergeChain } from './git-fixture.js';

let root: string;
beforeAll(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-eventloop-')); });
afterAll(() => { fs.rmSync(root, { recursive: true, force: true }); });

const P99_BOUND_MS = 200;

describe('event loop during a large merge', () => {
  it('engine.save merging 8 branches x 50 files into 10,000 files keeps p99 event-loop delay low', async () => {
    const g = generateLargeRepo(root, {
      files: 10_000, dirs: 100, branches: 8, perBranch: 50,
      branchName: (i) => `session/s1/task/t${i + 1}`, checkoutMain: false,
    });
    const taskIds = g.branches.map((_, i) => `t${i + 1}`);
    const engine = createGitEngine({ orchestratorVersion: 'test', minThreads: 1, maxThreads: 1 });
    let integrationCommit: string;
    let mergeMs = 0;
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    try {
      await engine.inspectRepository(g.repo); // warm the pool outside the measured window
      histogram.enable();
      const started = performance.now();
      const result = await engine.save({
        repoPath: g.repo, sessionId: 's1', saveId: 'save-1', taskIds,
        integrationWorktreePath: path.join(root, 'integration'),
        onProgress: (phase) => { if (phase === 'gating') mergeMs = performance.now() - started; },
      });
      histogram.disable();
      expect(result.status).toBe('published');
      if (result.status !== 'published') return;
      expect(result.mergedTaskIds).toEqual(taskIds);
      integrationCommit = result.integrationCommit;
    } finally {
      histogram.disable();
      await engine.close();
    }
    const p99 = histogram.percentile(99) / 1e6;
    const max = histogram.max / 1e6;

    // Oracle: the same merges, one by one, with native git merge-tree.
    const heads = g.branches.map((b) => b.head);
    const nativeTree = nativeMergeChain(g.repo, g.main, heads).tree;
    expect(nativeGit(g.repo, ['rev-parse', `${integrationCommit!}^{tree}`]).trim()).toBe(nativeTree);

    // The same merges inline on the main thread, for comparison only.
    const inline = monitorEventLoopDelay({ resolution: 10 });
    inline.enable();
    const inlineStarted = performance.now();
    const inlineResult = await inProcessMergeChain(path.join(g.repo, '.git'), g.main, heads);
    const inlineMs = performance.now() - inlineStarted;
    inline.disable();
    expect(inlineResult.tree).toBe(nativeTree);

    console.log(`[event-loop] pool: save merge phase ${mergeMs.toFixed(0)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms; `
      + `inline on main thread: ${inlineMs.toFixed(0)} ms, p99 ${(inline.percentile(99) / 1e6).toFixed(1)} ms, max ${(inline.max / 1e6).toFixed(1)} ms`);
    expect(p99).toBeLessThan(P99_BOUND_MS);
  }, 180_000);
});
