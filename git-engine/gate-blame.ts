// Which change made a gate fail. The Save's candidate is a chain: main, then one merge commit per
// task in merge order. The failing gate is re-run along that chain (bisection, like `git bisect`)
// to find the first point where it fails: that task's merge broke it, or main already failed.
import type { GateBlame, GateResult } from './save-types.js';

export interface BlameInput {
  mainBefore: string;
  /** The candidate after each task's merge, in order; the last one is where the gate failed. */
  steps: Array<{ taskId: string; commit: string }>;
  failed: GateResult;
  /** Whether the failing gate passes at a commit (checks it out and runs the gate there). */
  passesAt(commit: string): Promise<boolean>;
  /** Longest the re-runs may take together, estimated from the failed run. */
  budgetMs: number;
}

/** Bisection needs at most this many re-runs to tell n merges (and main) apart. */
export function blameRuns(steps: number): number {
  return Math.ceil(Math.log2(steps + 1));
}

export async function blameGateFailure(input: BlameInput): Promise<GateBlame> {
  const gate = input.failed.command;
  if (input.failed.timedOut) return { status: 'unknown', gate, reason: 'the gate timed out; re-running it to bisect would take as long again per step', runs: 0 };
  if (input.budgetMs <= 0) return { status: 'unknown', gate, reason: 'blame is turned off (gateBlameBudgetMs is 0)', runs: 0 };
  if (input.steps.length === 0) return { status: 'unknown', gate, reason: 'no task was merged', runs: 0 };
  const needed = blameRuns(input.steps.length);
  if (needed * input.failed.durationMs > input.budgetMs) {
    return { status: 'unknown', gate, reason: `bisecting needs ${needed} more runs of about ${Math.round(input.failed.durationMs / 1000)} s each, over the ${Math.round(input.budgetMs / 1000)} s budget`, runs: 0 };
  }
  // Points 0..n: 0 is main before the Save, i is main plus the first i tasks. Point n fails.
  const points = [input.mainBefore, ...input.steps.map((s) => s.commit)];
  let lo = 0;
  let hi = points.length - 1;
  let runs = 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    runs += 1;
    let passed: boolean;
    try {
      passed = await input.passesAt(points[mid] as string);
    } catch (error) {
      // Blame is advice on top of the Save's result: failing to find it must not fail the Save.
      return { status: 'unknown', gate, reason: `could not re-run the gate: ${(error as Error).message}`.slice(0, 500), runs };
    }
    if (passed) lo = mid + 1;
    else hi = mid;
  }
  if (hi === 0) return { status: 'main', commit: input.mainBefore, gate, runs };
  const step = input.steps[hi - 1] as { taskId: string; commit: string };
  return { status: 'task', taskId: step.taskId, commit: step.commit, gate, runs };
}
