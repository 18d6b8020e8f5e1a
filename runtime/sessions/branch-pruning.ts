// After a published Save: deletes the session's task branches the retention policy makes due
// (branch-retention.ts) through the git engine, which keeps any branch with unmerged work or a
// dirty worktree, and records what was pruned and kept as a GIT.BRANCHES_PRUNED audit record.
import type { Logger } from 'pino';
import { BRANCHES_PRUNED, BranchesPrunedDataSchema, type BranchesPrunedData } from '../../contracts/index.js';
import type { GitEngine } from '../../git-engine/index.js';
import { SYSTEM_ACTOR } from '../log/log-entry.js';
import { pruneCandidates, type BranchRetention } from './branch-retention.js';
import type { SessionHost } from './session-host.js';
import { repoTarget } from './session-meta.js';

export interface BranchPruningDeps {
  engine: GitEngine;
  policy: BranchRetention;
  now: () => Date;
  logger: Logger;
}

/** Returns the recorded data, or null when the session had no ended task with a branch. */
export async function pruneAfterSave(host: SessionHost, deps: BranchPruningDeps, saveId: string): Promise<BranchesPrunedData | null> {
  const candidates = pruneCandidates(deps.policy, host.view().tasks, deps.now());
  if (candidates.length === 0) return null;
  const byTask = new Map(candidates.map((c) => [c.taskId, c]));
  const result = await deps.engine.pruneTaskBranches({
    ...repoTarget(host.meta),
    sessionId: host.id,
    tasks: candidates.map((c) => ({ taskId: c.taskId, prune: c.prune })),
  });
  const statusOf = (taskId: string) => byTask.get(taskId)?.status ?? 'failed';
  const data: BranchesPrunedData = BranchesPrunedDataSchema.parse({
    saveId,
    pruned: result.pruned.map((b) => ({ taskId: b.taskId, status: statusOf(b.taskId), branch: b.branch, commit: b.commit, worktreeRemoved: b.worktreeRemoved })),
    kept: result.kept.map((b) => ({
      taskId: b.taskId, status: statusOf(b.taskId), branch: b.branch, commit: b.commit, reason: b.reason,
      ...(b.reason === 'not_due' ? { dueAt: byTask.get(b.taskId)?.dueAt ?? null } : {}),
      ...(b.paths ? { paths: b.paths } : {}),
    })),
  });
  if (data.pruned.length === 0 && data.kept.length === 0) return null;
  await host.audit(BRANCHES_PRUNED, data, SYSTEM_ACTOR);
  deps.logger.info({ sessionId: host.id, saveId, pruned: data.pruned.map((b) => b.branch), kept: data.kept.map((b) => `${b.branch} (${b.reason})`) }, 'pruned task branches after Save');
  return data;
}
