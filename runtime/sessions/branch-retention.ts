// How long the task branches of ended tasks stay in the user's repository (config file
// `git.pruneTaskBranches`). The policy only says when a branch is *due*; the git engine deletes a
// due branch only when its head is reachable from main or a checkpoint tag, so a branch holding
// work nobody merged is never pruned automatically, whatever the policy says.
import { z } from 'zod';
import type { TaskView } from '../../contracts/index.js';

export const MAX_RETENTION_DAYS = 3650;
const days = z.number().int().min(0).max(MAX_RETENTION_DAYS);
const DAYS_HINT = `a whole number of days from 0 to ${MAX_RETENTION_DAYS}`;

export const BranchRetentionSchema = z.strictObject({
  /** Branches of merged tasks: right after the Save that merged them (the default), never, or after N days. */
  merged: z.union([z.literal('after-save'), z.literal('never'), days], { error: `must be 'after-save', 'never' or ${DAYS_HINT}` }).default('after-save'),
  /** Branches of failed, cancelled and rejected tasks: after N days (default 7), or never. */
  abandoned: z.union([z.literal('never'), days], { error: `must be 'never' or ${DAYS_HINT}` }).default(7),
});
export type BranchRetention = z.infer<typeof BranchRetentionSchema>;
export const DEFAULT_BRANCH_RETENTION: BranchRetention = { merged: 'after-save', abandoned: 7 };

const ABANDONED: ReadonlySet<string> = new Set(['failed', 'cancelled', 'rejected']);
const DAY_MS = 24 * 60 * 60 * 1000;

export interface PruneCandidate {
  taskId: string;
  status: 'merged' | 'failed' | 'cancelled' | 'rejected';
  /** Due now under the policy. */
  prune: boolean;
  /** When the policy makes it due (ISO), or null when it never does. */
  dueAt: string | null;
}

/** When a task ended: merged, closed (cancel, reject), or its last run's end (failed). */
function endedAt(task: TaskView): string {
  if (task.merged) return task.merged.at;
  if (task.closed) return task.closed.at;
  const ends = task.runs.map((run) => run.endedAt).filter((at): at is string => at !== null).sort();
  return ends.at(-1) ?? task.createdAt;
}

/** The ended tasks of a session with whether their branch is due for pruning at `now`. */
export function pruneCandidates(policy: BranchRetention, tasks: readonly TaskView[], now: Date): PruneCandidate[] {
  const out: PruneCandidate[] = [];
  for (const task of tasks) {
    if (task.status !== 'merged' && !ABANDONED.has(task.status)) continue;
    const rule = task.status === 'merged' ? policy.merged : policy.abandoned;
    const status = task.status as PruneCandidate['status'];
    if (rule === 'never') { out.push({ taskId: task.id, status, prune: false, dueAt: null }); continue; }
    const afterMs = rule === 'after-save' ? 0 : rule * DAY_MS;
    const due = Date.parse(endedAt(task)) + afterMs;
    // An unreadable end time is never treated as old: the branch stays.
    if (!Number.isFinite(due)) { out.push({ taskId: task.id, status, prune: false, dueAt: null }); continue; }
    out.push({ taskId: task.id, status, prune: now.getTime() >= due, dueAt: new Date(due).toISOString() });
  }
  return out;
}
