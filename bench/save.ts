/**
 * Benchmark (not a test): a full Save through the git engine versus native `git merge`.
 *
 *   npx tsx bench/save.ts [--files 10000] [--branches 8] [--per-branch 50]
 *
 * A generated repository of 10,000 files, 8 task branches each changing 50 files. Measured in
 * the same run:
 *  1. engine.save (merges only: no gate config): merge every task branch into the integration
 *     candidate in the worker pool, publish (main, tag); the engine checks the integration
 *     worktree out only when gates are configured;
 *  2. a shell script doing the same merges with native `git merge` in a scratch clone (the clone
 *     and its checkout are timed too, as the engine's integration checkout is);
 *  3. merges alone: mergeCommits chained in-process vs `git merge-tree --write-tree` chained.
 * Printed: times, ratios, peak RSS of this process (main thread + pool threads), and the p99
 * event-loop delay of the main thread during the engine's Save.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createGitEngine } from '../git-engine/index.js';
import { generateLargeRepo, git as nativeGit, inProcessMergeChain, nativeMergeChain } from '../git-engine/merge/git-fixture.js';
import { positiveIntArg } from './args.js';


const files = positiveIntArg('files', 10_000);
const branches = positiveIntArg('branches', 8);
const perBranch = positiveIntArg('per-branch', 50);
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-save-'));

try {
  let t = performance.now();
  const g = generateLargeRepo(root, {
    files, dirs: 100, branches, perBranch,
    branchName: (i) => `session/bench/task/t${i + 1}`, checkoutMain: false,
  });
  const taskIds = g.branches.map((_, i) => `t${i + 1}`);
  console.log(`repository: ${files} files, ${branches} task branches x ${perBranch} changed files (generated in ${ms(performance.now() - t)})`);
  const rssBefore = process.resourceUsage().maxRSS;

  // 1. engine.save
  const engine = createGitEngine({ orchestratorVersion: 'bench', minThreads: 1, maxThreads: 2 });
  const phases: Record<string, number> = {};
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let engineMs: number;
  let engineElu = NaN;
  let saveStatus: string;
  let integrationCommit = '';
  try {
    await engine.inspectRepository(g.repo); // pool warm-up outside the measured window
    histogram.enable();
    const eluStart = performance.eventLoopUtilization();
    t = performance.now();
    const result = await engine.save({
      repoPath: g.repo, sessionId: 'bench', saveId: 'bench-1', taskIds,
      integrationWorktreePath: path.join(root, 'integration'),
      onProgress: (phase) => { phases[phase] = performance.now() - t; },
    });
    engineMs = performance.now() - t;
    histogram.disable();
    engineElu = performance.eventLoopUtilization(eluStart).utilization;
    saveStatus = result.status;
    if (result.status === 'published') integrationCommit = result.integrationCommit;
  } finally {
    histogram.disable();
    await engine.close();
  }
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  // 2. native git merge in a scratch clone (same merges, same order)
  const scratch = path.join(root, 'scratch');
  const script = `
set -e
start=$(date +%s%N)
git clone -q "$REPO" "$SCRATCH"
cd "$SCRATCH"
git checkout -q -b integration origin/main
merges=$(date +%s%N)
for b in ${taskIds.map((id) => `session/bench/task/${id}`).join(' ')}; do
  git merge -q --no-ff -m "Merge $b" "origin/$b"
done
end=$(date +%s%N)
echo "$(( (merges - start) / 1000000 )) $(( (end - merges) / 1000000 ))"
`;
  t = performance.now();
  const out = execFileSync('bash', ['-c', script], {
    env: { ...process.env, REPO: g.repo, SCRATCH: scratch, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@localhost' },
    encoding: 'utf8',
  });
  const nativeMs = performance.now() - t;
  const [cloneMs, nativeMergesMs] = out.trim().split(' ').map(Number) as [number, number];
  const nativeTree = nativeGit(scratch, ['rev-parse', 'HEAD^{tree}']).trim();
  const engineTree = integrationCommit ? nativeGit(g.repo, ['rev-parse', `${integrationCommit}^{tree}`]).trim() : '(none)';

  // 3. merges alone, in-process vs merge-tree
  const heads = g.branches.map((b) => b.head);
  t = performance.now();
  const inProcess = await inProcessMergeChain(path.join(g.repo, '.git'), g.main, heads);
  const inlineMs = performance.now() - t;
  t = performance.now();
  const native = nativeMergeChain(g.repo, g.main, heads);
  const mergeTreeMs = performance.now() - t;

  const row = (label: string, value: string): void => console.log(`  ${label.padEnd(58)} ${value}`);
  console.log(`\nmachine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  console.log('full Save:');
  row(`engine.save (status ${saveStatus})`, ms(engineMs));
  row('  merge phase (worker; integration checkout only with gates)', ms((phases.gating ?? NaN) - (phases.merging ?? 0)));
  row('  publishing (refs, tag)', ms(engineMs - (phases.publishing ?? NaN)));
  row('native script: clone + checkout + git merge x N', ms(nativeMs));
  row('  of which clone + checkout', ms(cloneMs));
  row('  of which git merge x N', ms(nativeMergesMs));
  row('ratio engine.save / native script', `${(engineMs / nativeMs).toFixed(2)}x`);
  row('ratio engine.save / native git merge x N alone', `${(engineMs / nativeMergesMs).toFixed(2)}x`);
  console.log('merges only (no work tree):');
  row('mergeCommits chained in-process (one cache)', ms(inlineMs));
  row('git merge-tree --write-tree + commit-tree chained', ms(mergeTreeMs));
  row('ratio mergeCommits / merge-tree', `${(inlineMs / mergeTreeMs).toFixed(2)}x`);
  row('ratio mergeCommits / git merge (scratch clone)', `${(inlineMs / nativeMergesMs).toFixed(2)}x`);
  console.log('resources during the engine run:');
  row('peak RSS of this process (main + pool threads)', `${peakRssMb.toFixed(0)} MB (before: ${(rssBefore / 1024).toFixed(0)} MB)`);
  row('main-thread event-loop delay p99 / max', `${(histogram.percentile(99) / 1e6).toFixed(1)} ms / ${(histogram.max / 1e6).toFixed(1)} ms`);
  row('main-thread event-loop utilisation', `${(engineElu * 100).toFixed(1)}%`);
  row('same tree as native git (engine, in-process, merge-tree)', String(engineTree === nativeTree && inProcess.tree === nativeTree && native.tree === nativeTree));
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
