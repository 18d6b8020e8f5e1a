// Moving a branch that may be checked out somewhere (main in the user's worktree): behave like
// `git merge --ff-only` there. Files and index are updated first, the ref last; local changes that
// the update would overwrite make it refuse with MAIN_WORKTREE_DIRTY before anything is touched.
import { GitEngineError, type GitEngineErrorCode } from './errors.js';
import { deleteMoveJournal, readMoveJournal, writeMoveJournal, type MoveJournal } from './save-journal.js';
import { faultPoint } from './fault-injection.js';
import { checkoutTree, localChangesInTheWay, type WorkdirTarget } from './checkout.js';
import { assertNoOperationInProgress } from './operation-state.js';
import { lockRef, readStoredRef } from './refs.js';
import type { Repo } from './repo.js';
import { flattenCommit } from './tree-util.js';
import { worktreesOnBranch } from './worktree.js';

export async function assertCanMoveBranch(repo: Repo, branch: string, from: string, to: string, acceptNew = false, dirtyCode: GitEngineErrorCode = 'MAIN_WORKTREE_DIRTY'): Promise<WorkdirTarget[]> {
  const targets = await worktreesOnBranch(repo, branch);
  if (targets.length === 0) return targets;
  // An unfinished merge/rebase there (or index features the writer drops) would be destroyed.
  for (const t of targets) await assertNoOperationInProgress(t, dirtyCode);
  const [oldTree, newTree] = [await flattenCommit(repo, from), await flattenCommit(repo, to)];
  for (const t of targets) {
    const dirty = await localChangesInTheWay(t, oldTree, newTree, acceptNew);
    if (dirty.length > 0) {
      throw new GitEngineError(dirtyCode, `local changes in ${t.workdir} would be overwritten`, { workdir: t.workdir, paths: dirty.slice(0, 50) });
    }
  }
  return targets;
}

export interface MoveOptions {
  /** Paths already holding the new content are accepted; a lock left by a killed run of this move is taken over. */
  recovering?: boolean;
  reason?: string;
  /** Refusal code for local changes or an unfinished git operation in a worktree on the branch. */
  dirtyCode?: GitEngineErrorCode;
  /** Journal the move (`move-<branch>.json`) so that a kill between files and ref is finished later. */
  journal?: Omit<MoveJournal, 'version' | 'branch' | 'old' | 'new' | 'reason'>;
}

/**
 * The ref's lock is held from the compare-and-swap through the worktree update to the rename, as
 * git does. With `journal`, the intent is written before any file changes.
 */
export async function moveBranch(repo: Repo, branch: string, from: string, to: string, recoveringOrOpts: boolean | MoveOptions = false, reasonArg = 'thalogos: fast-forward'): Promise<void> {
  const o: MoveOptions = typeof recoveringOrOpts === 'boolean' ? { recovering: recoveringOrOpts, reason: reasonArg } : recoveringOrOpts;
  const reason = o.reason ?? reasonArg;
  const lock = await lockRef(repo, `refs/heads/${branch}`, { expectedOld: from, newOid: to, reclaim: o.recovering === true });
  try {
    const targets = await assertCanMoveBranch(repo, branch, from, to, o.recovering === true, o.dirtyCode);
    if (o.journal) await writeMoveJournal(repo.gitdir, { version: 1, branch, old: from, new: to, reason, ...o.journal });
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
  if (o.journal) await deleteMoveJournal(repo.gitdir, branch);
}

/**
 * Finishes a journaled move a killed run left (files possibly updated, ref not moved): the
 * worktrees are brought to the new tree, accepting paths that hold it already, and the ref moves.
 * Returns the finished journal, or null when there was none.
 */
export async function finishPendingMove(repo: Repo, branch: string, dirtyCode: GitEngineErrorCode = 'MAIN_WORKTREE_DIRTY'): Promise<MoveJournal | null> {
  const j = await readMoveJournal(repo.gitdir, branch);
  if (!j) return null;
  const cur = await readStoredRef(repo, `refs/heads/${branch}`);
  if (cur === j.old) await moveBranch(repo, branch, j.old, j.new, { recovering: true, reason: j.reason, dirtyCode });
  else if (cur !== j.new) throw new GitEngineError('JOURNAL_CONFLICT', `${branch} is at ${cur}, expected ${j.old} or ${j.new}`, { branch, actual: cur, journal: j });
  await deleteMoveJournal(repo.gitdir, branch);
  return j;
}
