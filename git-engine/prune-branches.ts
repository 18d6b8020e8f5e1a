// Pruning of a session's task branches (`session/<id>/task/<taskId>`) and their linked worktrees,
// like `git branch -d` + `git worktree remove`, but with a stricter notion of "merged": a branch is
// only deleted when its head is reachable from main or from a checkpoint tag, so no commit of
// anyone's becomes unreachable. The caller (the runtime's retention policy) says which tasks are
// due; this module decides which of those are safe and reports every branch it left, with why.
import { isAncestor } from './ancestry.js';
import { checkpointCommit } from './checkpoints.js';
import type { GitEngineError } from './errors.js';
import { deleteRef, listRefsUnder, mustReadBranch, readRef } from './refs.js';
import type { Repo } from './repo.js';
import { uncommittedWork } from './snapshot-commit.js';
import { taskBranch } from './validate-names.js';
import { listLinkedWorktrees, removeLinkedWorktree, worktreeHead, type LinkedWorktree } from './worktree.js';

export interface PruneTaskCandidate {
  taskId: string;
  /** Whether the retention policy says the branch is due; unmerged branches are kept either way. */
  prune: boolean;
}

export interface PrunedBranch { taskId: string; branch: string; commit: string; worktreeRemoved: string | null }

/**
 * Why a branch stays: `unmerged_work` (its head is reachable from neither main nor a checkpoint
 * tag), `not_due` (the retention policy keeps it for now), `uncommitted_changes` (its worktree
 * holds work no commit has: `paths`), `checked_out` (the main worktree is on it), `busy` (its ref
 * is locked by another writer or moved while being pruned).
 */
export type KeepReason = 'unmerged_work' | 'not_due' | 'uncommitted_changes' | 'checked_out' | 'busy';
export interface KeptBranch { taskId: string; branch: string; commit: string; reason: KeepReason; paths?: string[] }

export interface PruneResult { pruned: PrunedBranch[]; kept: KeptBranch[] }

/** Commits of every checkpoint tag (peeled); a tag that does not name a commit protects nothing. */
async function checkpointCommits(repo: Repo): Promise<string[]> {
  const out = new Set<string>();
  for (const ref of await listRefsUnder(repo, 'refs/tags/checkpoint')) {
    const commit = await checkpointCommit(repo, ref.slice('refs/tags/'.length)).catch(() => null);
    if (commit) out.add(commit);
  }
  return [...out];
}

/**
 * Whether `head` is reachable from main or a checkpoint tag. A checkpoint main still reaches adds
 * nothing to main, so only the others (main was reset or rolled back behind them) are walked, and
 * they are looked up once, on the first branch main does not reach.
 */
function preservedCheck(repo: Repo, main: string): (head: string) => Promise<boolean> {
  let offMain: Promise<string[]> | null = null;
  const checkpointsOffMain = async () => {
    const out: string[] = [];
    for (const c of await checkpointCommits(repo)) if (!(await isAncestor(repo, c, main))) out.push(c);
    return out;
  };
  return async (head) => {
    if (await isAncestor(repo, head, main)) return true;
    offMain ??= checkpointsOffMain();
    for (const c of await offMain) if (await isAncestor(repo, head, c)) return true;
    return false;
  };
}

/**
 * Prunes the due, fully merged task branches of `sessionId` among `tasks`. Branches that do not
 * exist (already pruned, never created) are not reported. One task failing to prune (a lock, a
 * dirty worktree) never stops the others.
 */
export async function pruneTaskBranches(repo: Repo, p: { sessionId: string; tasks: PruneTaskCandidate[] }): Promise<PruneResult> {
  const isPreserved = preservedCheck(repo, await mustReadBranch(repo, repo.mainBranch));
  const mainHead = repo.workdir ? (await worktreeHead(repo.gitdir)).branch : null;
  const linked = await listLinkedWorktrees(repo);
  const result: PruneResult = { pruned: [], kept: [] };
  for (const task of p.tasks) {
    const branch = taskBranch(p.sessionId, task.taskId);
    const head = await readRef(repo, `refs/heads/${branch}`);
    if (!head) continue;
    const keep = (reason: KeepReason, paths?: string[]) => result.kept.push({ taskId: task.taskId, branch, commit: head, reason, ...(paths ? { paths } : {}) });
    if (!(await isPreserved(head))) { keep('unmerged_work'); continue; }
    if (!task.prune) { keep('not_due'); continue; }
    if (mainHead === branch) { keep('checked_out'); continue; }
    // Every linked worktree on the branch (normally only the task's own) must be clean.
    const onBranch: LinkedWorktree[] = [];
    for (const wt of linked) if ((await worktreeHead(wt.adminDir)).branch === branch) onBranch.push(wt);
    const dirty: string[] = [];
    for (const wt of onBranch) dirty.push(...(await uncommittedWork(repo, wt)).map((f) => `${wt.worktreePath}/${f}`));
    if (dirty.length > 0) { keep('uncommitted_changes', dirty.slice(0, 50)); continue; }
    // The clean worktrees go first, as `git worktree remove` would: a crash or a refused ref
    // deletion afterwards leaves the branch without a checkout (its normal state after a task
    // ends), never a worktree whose branch is gone.
    for (const wt of onBranch) await removeLinkedWorktree(repo, wt);
    try {
      // Compare-and-swap: a branch that moved since it was judged merged is not deleted.
      await deleteRef(repo, `refs/heads/${branch}`, head);
    } catch (error) {
      const code = (error as GitEngineError).code;
      if (code === 'REF_LOCKED' || code === 'BRANCH_MOVED') { keep('busy'); continue; }
      throw error;
    }
    result.pruned.push({ taskId: task.taskId, branch, commit: head, worktreeRemoved: onBranch[0]?.worktreePath ?? null });
  }
  return result;
}
