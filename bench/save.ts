/**
 * Benchmark (not a test): a full Save through the git engine versus native git, from the same
 * ORIGINAL main every run.
 *
 *   npx tsx bench/save.ts [--files 10000] [--branches 8] [--per-branch 50] [--runs 3]
 *
 * A generated repository of 10,000 files, 8 task branches each changing 50 files. Per run, in
 * this order and each from the original main (refs are put back between runs, untimed):
 *  1. engine.save (merges only: no gate config): merge every task branch into the integration
 *     candidate in the worker pool, publish (main, integration, tag);
 *  2. `git merge --no-ff` of every task branch in a checked-out linked worktree detached at the
 *     original main (the worktree is reset to it, untimed, before each run);
 *  3. `git merge-tree --write-tree` + `git commit-tree` chained (no work tree);
 *  4. mergeCommits chained in-process (one cache), for reference.
 * Printed: median and spread (min-max) of each, the ratios of the medians engine.save / git
 * merge x N and engine.save / merge-tree chain, whether all trees are identical, peak RSS, and
 * the main thread's event-loop delay and utilisation during the engine's Saves.
 * (Earlier versions cloned after engine.save had moved main, so their `git merge` calls only
 * said "Already up to date".)
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
const runs = positiveIntArg('runs', 3);
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-save-'));
const ENV = {
  ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@localhost',
};

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median, min: s[0] as number, max: s[s.length - 1] as number };
}

try {
  let t = performance.now();
  const g = generateLargeRepo(root, {
    files, dirs: 100, branches, perBranch,
    branchName: (i) => `session/bench/task/t${i + 1}`, checkoutMain: false,
  });
  const taskIds = g.branches.map((_, i) => `t${i + 1}`);
  const branchNames = g.branches.map((b) => b.name);
  const heads = g.branches.map((b) => b.head);
  console.log(`repository: ${files} files, ${branches} task branches x ${perBranch} changed files (generated in ${ms(performance.now() - t)})`);

  // The native baseline's work tree: checked out once at the original main (untimed).
  const native = path.join(root, 'native');
  t = performance.now();
  nativeGit(g.repo, ['worktree', 'add', '-q', '--detach', native, g.main]);
  console.log(`native baseline worktree checked out in ${ms(performance.now() - t)} (untimed)`);
  const mergeScript = `
set -e
start=$(date +%s%N)
for b in ${branchNames.join(' ')}; do
  git merge -q --no-ff -m "Merge $b" "$b"
done
end=$(date +%s%N)
echo "$(( (end - start) / 1000000 ))"
`;

  const engine = createGitEngine({ orchestratorVersion: 'bench', minThreads: 1, maxThreads: 2 });
  const rssBefore = process.resourceUsage().maxRSS;
  // One histogram per run: re-enabling one histogram counted the gaps between runs.
  const loopP99: number[] = [];
  const loopMax: number[] = [];
  const times = { engine: [] as number[], merge: [] as number[], mergeTree: [] as number[], inProcess: [] as number[], mergePhase: [] as number[] };
  let elu = 0;
  let allSame = true;
  const statuses = new Set<string>();
  try {
    await engine.inspectRepository(g.repo); // pool warm-up outside the measured window
    for (let run = 0; run < runs; run++) {
      // Back to the original main (untimed): main, no checkpoint tag, no integration branch.
      nativeGit(g.repo, ['update-ref', 'refs/heads/main', g.main]);
      for (const tag of nativeGit(g.repo, ['tag', '-l', 'checkpoint/*']).split('\n').filter(Boolean)) nativeGit(g.repo, ['tag', '-d', tag]);
      nativeGit(g.repo, ['update-ref', '-d', 'refs/heads/session/bench/integration']);
      nativeGit(native, ['reset', '-q', '--hard', g.main]);

      // 1. engine.save
      const phases: Record<string, number> = {};
      const histogram = monitorEventLoopDelay({ resolution: 10 });
      histogram.enable();
      const eluStart = performance.eventLoopUtilization();
      t = performance.now();
      const result = await engine.save({
        repoPath: g.repo, sessionId: 'bench', saveId: `bench-${run + 1}`, taskIds,
        integrationWorktreePath: path.join(root, 'integration'),
        onProgress: (phase) => { phases[phase] = performance.now() - t; },
      });
      times.engine.push(performance.now() - t);
      histogram.disable();
      loopP99.push(histogram.percentile(99) / 1e6);
      loopMax.push(histogram.max / 1e6);
      elu += performance.eventLoopUtilization(eluStart).utilization / runs;
      // The merge phase ends where gating (with a gate config) or publishing (without) begins.
      times.mergePhase.push((phases.gating ?? phases.publishing ?? NaN) - (phases.merging ?? 0));
      statuses.add(result.status);
      const engineTree = result.status === 'published' ? nativeGit(g.repo, ['rev-parse', `${result.integrationCommit}^{tree}`]).trim() : '(none)';

      // 2. git merge --no-ff x N in the checked-out worktree, from the original main
      const out = execFileSync('bash', ['-c', mergeScript], { cwd: native, env: ENV, encoding: 'utf8' });
      times.merge.push(Number(out.trim()));
      const mergeTreeOfWorktree = nativeGit(native, ['rev-parse', 'HEAD^{tree}']).trim();
      const mergeCount = nativeGit(native, ['rev-list', '--count', '--merges', `${g.main}..HEAD`]).trim();
      if (mergeCount !== String(branches)) throw new Error(`native baseline made ${mergeCount} merges, expected ${branches}`);

      // 3. merge-tree + commit-tree chain
      t = performance.now();
      const chain = nativeMergeChain(g.repo, g.main, heads);
      times.mergeTree.push(performance.now() - t);

      // 4. mergeCommits chained in-process
      t = performance.now();
      const inProcess = await inProcessMergeChain(path.join(g.repo, '.git'), g.main, heads);
      times.inProcess.push(performance.now() - t);

      const same = engineTree === mergeTreeOfWorktree && chain.tree === mergeTreeOfWorktree && inProcess.tree === mergeTreeOfWorktree;
      allSame &&= same;
      console.log(`run ${run + 1}: engine.save ${ms(times.engine[run] as number)}, git merge x${branches} ${ms(times.merge[run] as number)}, merge-tree chain ${ms(times.mergeTree[run] as number)}, in-process chain ${ms(times.inProcess[run] as number)}, trees identical: ${same}`);
    }
  } finally {
    await engine.close();
  }
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  const fmt = (xs: number[]): string => { const s = stats(xs); return `${ms(s.median)} (${s.min.toFixed(0)}-${s.max.toFixed(0)})`; };
  const row = (label: string, value: string): void => console.log(`  ${label.padEnd(62)} ${value}`);
  const e = stats(times.engine).median;
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`\nmachine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${new Date().toISOString()}, load average ${load}`);
  console.log(`medians over ${runs} runs (min-max), every run from the original main:`);
  row(`engine.save (status ${[...statuses].join('/')})`, fmt(times.engine));
  row('  of which the merge phase (worker)', fmt(times.mergePhase));
  row(`git merge --no-ff x ${branches} in a checked-out worktree`, fmt(times.merge));
  row('git merge-tree --write-tree + commit-tree chained', fmt(times.mergeTree));
  row('mergeCommits chained in-process (one cache)', fmt(times.inProcess));
  row('ratio engine.save / git merge x N', `${(e / stats(times.merge).median).toFixed(2)}x`);
  row('ratio engine.save / merge-tree chain', `${(e / stats(times.mergeTree).median).toFixed(2)}x`);
  row('ratio mergeCommits chain / merge-tree chain', `${(stats(times.inProcess).median / stats(times.mergeTree).median).toFixed(2)}x`);
  row('peak RSS of this process (main + pool threads)', `${peakRssMb.toFixed(0)} MB (before the engine: ${(rssBefore / 1024).toFixed(0)} MB)`);
  row('main-thread event-loop delay during engine.save: median p99 / max', `${stats(loopP99).median.toFixed(1)} ms / ${Math.max(...loopMax).toFixed(1)} ms`);
  row('main-thread event-loop utilisation during engine.save', `${(elu * 100).toFixed(1)}%`);
  row('trees identical (engine, git merge, merge-tree, in-process), every run', String(allSame));
  if (!allSame) process.exitCode = 1;
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
