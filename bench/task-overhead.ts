// What a `command` task costs over the work it does: POST to TASK.COMMITTED in the event log
// (worktree checkout, sandboxed run, commit, every entry durable), against the same command run
// natively in a worktree followed by `git add -A` and `git commit`, in the same run.
//
//   npx tsx bench/task-overhead.ts [--runs 15] [--prompt 'true']
//
// With a prompt that changes nothing (`true`, the default) neither side makes a commit: `git
// commit` answers "nothing to commit" (exit 1, tolerated) after the same status work. Runs
// alternate ours/native so drift hits both alike; the first of each is a warm-up, not counted.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { positiveIntArg } from './args.js';
import { fmtStats, git, startTaskHarness, stats } from './task-harness.js';

const run = promisify(execFile);
const runs = positiveIntArg('runs', 15);
const promptIndex = process.argv.indexOf('--prompt');
const prompt = promptIndex >= 0 ? (process.argv[promptIndex + 1] ?? 'true') : 'true';
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };

const harness = await startTaskHarness('thalogos-bench-task-');
const nativeWt = path.join(harness.tmp, 'native-wt');
git(harness.repo, 'worktree', 'add', '-q', '-b', 'native', nativeWt);

async function ours(): Promise<number> {
  const t0 = performance.now();
  const taskId = await harness.postTask(prompt);
  const committed = await harness.whenLogged(taskId, 'TASK.COMMITTED');
  if (process.argv.includes('--trace')) console.log(`    ${harness.timeline(taskId, t0).join(', ')}`);
  return committed.at - t0;
}

async function native(): Promise<number> {
  const t0 = performance.now();
  await run('sh', ['-c', prompt], { cwd: nativeWt });
  await run('git', ['add', '-A'], { cwd: nativeWt, env: gitEnv });
  await run('git', ['commit', '-q', '-m', 'native'], { cwd: nativeWt, env: gitEnv }).catch((error: { code?: number }) => {
    if (error.code !== 1) throw error; // 1: nothing to commit
  });
  return performance.now() - t0;
}

const oursMs: number[] = [];
const nativeMs: number[] = [];
for (let i = 0; i <= runs; i++) {
  const a = await ours();
  const b = await native();
  if (i === 0) continue;
  oursMs.push(a);
  nativeMs.push(b);
  console.log(`  run ${i}: ours ${a.toFixed(1)} ms, native ${b.toFixed(1)} ms`);
}
await harness.close();
const o = stats(oursMs);
const n = stats(nativeMs);
console.log(`command task \`${prompt}\`, ${runs} runs (median, min-max)`);
console.log(`  POST -> TASK.COMMITTED          ${fmtStats(o)}`);
console.log(`  sh -c + git add -A + git commit ${fmtStats(n)}`);
console.log(`  difference of the medians       +${(o.median - n.median).toFixed(1)} ms (target <= +50 ms), ratio ${(o.median / n.median).toFixed(2)}x`);
