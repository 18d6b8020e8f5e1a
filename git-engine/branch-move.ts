// Moving a branch that may be checked out somewhere (main in the user's worktree): behave like
// `git merge --ff-only` there. Files and index are updated first, the ref last; local changes that
// the update would overwrite make it refuse with MAIN_WORKTREE_DIRTY before anything is touched.
import { GitEngineError } from './errors.js';
import { faultPoint } from './fault-injection.js';
import { checkoutTree, localChangesInTheWay, type WorkdirTarget } from './checkout.js';
import { assertNoOperationInProgress } from './operation-state.js';
import { lockRef } from './refs.js';
import type { Repo } from './repo.js';
import { flattenCommit } from './tree-util.js';
import { worktreesOnBranch } from './worktree.js';

export async function assertCanMoveBranch(repo: Repo, branch: string, from: string, to: string, acceptNew = false): Promise<WorkdirTarget[]> {
  const targets = await worktreesOnBranch(repo, branch);
  if (targets.length === 0) return targets;
  // An unfinished merge/rebase there (or index features the writer drops) would be destroyed.
  for (const t of targets) await assertNoOperationInProgress(t, 'MAIN_WORKTREE_DIRTY');
  const [oldTree, newTree] = [await flattenCommit(repo, from), await flattenCommit(repo, to)];
  for (const t of targets) {
    const dirty = await localChangesInTheWay(t, oldTree, newTree, acceptNew);
    if (dirty.length > 0) {
      throw new GitEngineError('MAIN_WORKTREE_DIRTY', `local changes in ${t.workdir} would be overwritten`, { workdir: t.workdir, paths: dirty.slice(0, 50) });
    }
  }
  return targets;
}

/**
 * Callers check `assertCanMoveBranch` first; `recovering` accepts paths already holding the new
 * content (and takes over the ref lock a killed run of the same move left behind). The ref's lock
 * is held from the compare-and-swap through the worktree update to the rename, as git does.
 */
export async function moveBranch(repo: Repo, branch: string, from: string, to: string, recovering = false, reason = 'thalogos: fast-forward'): Promise<void> {
  const lock = await lockRef(repo, `refs/heads/${branch}`, { expectedOld: from, newOid: to, reclaim: recovering });
  try {
    const targets = await assertCanMoveBranch(repo, branch, from, to, recovering);
    if (targets.length > 0) {
      const [oldTree, newTree] = [await flattenCommit(repo, from), await flattenCommit(repo, to)];
      for (const t of targets) await checkoutTree(repo, t, newTree, false, oldTree);
      faultPoint('move-after-checkout');
    }
  } catch (err) {
    await lock.release();
    throw err;
  }
  await lock.commit(to, reason);
}
