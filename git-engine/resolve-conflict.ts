// Conflict resolution (worker side of GitEngine.resolveConflict). A person chose for every conflict
// of a Save's report (a side, both sides, or their own text for a hunk); the merge of the report's `ours` (the integration candidate) and
// `theirs` (the task head) is run again with those choices applied inside the merge machinery, and
// the result is committed as a merge on the task branch with parents [theirs, ours]. `ours` is
// then an ancestor of the task branch, so the next Save merges the task without a conflict.
import fs from 'node:fs';
import { GitEngineError } from './errors.js';
import git from 'isomorphic-git';
import { finishPendingMove, moveBranch } from './branch-move.js';
import { localChangesInTheWay } from './checkout.js';
import { mergeCommits, type ConflictChoice, type ConflictFile } from './merge/index.js';
import { assertNoOperationInProgress } from './operation-state.js';
import { mustReadBranch } from './refs.js';
import type { Repo } from './repo.js';
import type { ResolveConflictArgs, ResolveConflictResult } from './resolve-conflict-params.js';
import type { EngineContext } from './save-ops.js';
import { withTrailers } from './trailers.js';
import { flattenCommit, flattenTree } from './tree-util.js';
import { integrationBranch, taskBranch } from './validate-names.js';
import { worktreesOnBranch } from './worktree.js';
import { writeCommit } from './write-objects.js';


/** Who resolved when the caller names nobody: a person, through the console. */
export const DEFAULT_RESOLVER = 'person';

export async function resolveConflict(repo: Repo, ctx: EngineContext, p: ResolveConflictArgs): Promise<ResolveConflictResult> {
  const branch = taskBranch(p.sessionId, p.taskId);
  // A resolution killed between the task worktree's files and the branch ref is finished first;
  // when it was this very resolution, its commit is the answer.
  const pending = await finishPendingMove(repo, branch, 'WORKTREE_DIRTY');
  if (pending && pending.old === p.theirs) {
    const { commit } = await git.readCommit({ fs: repo.objectFs, gitdir: repo.gitdir, oid: pending.new, cache: repo.cache });
    if (commit.parent.length === 2 && commit.parent[0] === p.theirs && commit.parent[1] === p.ours) {
      return { commit: pending.new, branch, files: [...new Set(p.resolutions.map((r) => r.path))].sort() };
    }
  }
  await assertBranchAt(repo, branch, p.theirs);
  const input = {
    fs, gitdir: repo.gitdir, cache: repo.cache, ours: p.ours, theirs: p.theirs,
    // The labels Save uses, so summaries read the same as in the report.
    labels: { ours: integrationBranch(p.sessionId), theirs: branch },
  };
  const reported = await mergeCommits(input);
  if (reported.clean) {
    throw new GitEngineError('INVALID_RESOLUTION', 'the merge of ours and theirs has no conflicts to resolve', { reason: 'no_conflict' });
  }
  checkChoices(reported.conflicts, p.resolutions);
  const resolved = await mergeCommits({ ...input, choices: p.resolutions });
  if (!resolved.clean) {
    // Only when a choice uncovers a conflict the report could not show (e.g. both sides added a
    // file with different modes AND conflicting lines): the person has to see the new report.
    throw new GitEngineError('UNRESOLVED_CONFLICT', 'the chosen sides leave conflicts', { missing: resolved.conflicts.map(missingOf) });
  }
  if ((resolved.chosen ?? []).length !== p.resolutions.length) {
    throw new GitEngineError('INVALID_RESOLUTION', 'a choice was not used by the merge', { reason: 'unused', applied: resolved.chosen?.length ?? 0 });
  }

  // The task's worktree (wherever it was created) follows the branch, like `git merge` there would
  // update it: refused before anything is written if local changes are in the way (checked again
  // under the branch's lock by moveBranch).
  const targets = await worktreesOnBranch(repo, branch);
  const newTree = targets.length > 0 ? await flattenTree(repo, resolved.tree) : null;
  const oldTree = targets.length > 0 ? await flattenCommit(repo, p.theirs) : null;
  if (newTree && oldTree) {
    for (const t of targets) {
      await assertNoOperationInProgress(t, 'WORKTREE_DIRTY');
      const dirty = await localChangesInTheWay(t, oldTree, newTree);
      if (dirty.length > 0) {
        throw new GitEngineError('WORKTREE_DIRTY', `local changes in ${t.workdir} would be overwritten`, { workdir: t.workdir, paths: dirty.slice(0, 50) });
      }
    }
  }
  const message = withTrailers(
    `Resolve conflicts with the integration of session ${p.sessionId}`,
    { agent: p.resolvedBy ?? DEFAULT_RESOLVER, sessionId: p.sessionId, taskId: p.taskId, orchestratorVersion: ctx.orchestratorVersion },
    [['Resolved-Hunks', String(p.resolutions.length)]],
  );
  const commit = await writeCommit(repo, ctx, { tree: resolved.tree, parents: [p.theirs, p.ours], message });
  // Compare-and-swap under the branch's lock, journaled, worktree first, ref last.
  await moveBranch(repo, branch, p.theirs, commit, { reason: `thalogos: resolve conflicts with session ${p.sessionId}`, dirtyCode: 'WORKTREE_DIRTY', journal: {} });
  return { commit, branch, files: [...new Set(p.resolutions.map((r) => r.path))].sort() };
}

async function assertBranchAt(repo: Repo, branch: string, theirs: string): Promise<void> {
  const head = await mustReadBranch(repo, branch);
  if (head !== theirs) {
    throw new GitEngineError('STALE_CONFLICT', `${branch} moved since the conflict report (now ${head})`, { branch, expected: theirs, actual: head });
  }
}

const isSymlinkConflict = (f: ConflictFile): boolean => f.ours.mode === '120000' || f.theirs.mode === '120000';

/**
 * Every choice must name a conflict of this merge (a hunk index for a conflict with hunks, the
 * whole file otherwise; a symlink's single hunk may be chosen either way), at most once, and only
 * a hunk of lines takes both or manual; and every conflict needs its choices. INVALID_RESOLUTION
 * and RESOLUTION_SIDE_NOT_ALLOWED are checked before UNRESOLVED_CONFLICT.
 */
export function checkChoices(conflicts: readonly ConflictFile[], choices: readonly ConflictChoice[]): void {
  const byPath = new Map<string, ConflictFile[]>();
  for (const f of conflicts) byPath.set(f.path, [...(byPath.get(f.path) ?? []), f]);
  const taken = new Set<string>();
  for (const c of choices) {
    const files = byPath.get(c.path);
    const where = { path: c.path, ...(c.hunk === undefined ? {} : { hunk: c.hunk }) };
    if (!files) throw new GitEngineError('INVALID_RESOLUTION', `${c.path} is not a conflict of this merge`, { ...where, reason: 'not_a_conflict' });
    const hunks = Math.max(...files.map((f) => f.hunks.length));
    const wholeOk = files.some((f) => f.hunks.length === 0 || (f.hunks.length === 1 && isSymlinkConflict(f)));
    if (c.hunk === undefined ? !wholeOk : c.hunk >= hunks) {
      const reason = c.hunk === undefined ? 'hunk_required' : hunks === 0 ? 'whole_file_only' : 'no_such_hunk';
      throw new GitEngineError('INVALID_RESOLUTION', `${c.path}: ${reason.replace(/_/g, ' ')}`, { ...where, reason, hunks });
    }
    // A symlink's hunk 0 and its whole file are one and the same choice: a side, never lines.
    const whole = c.hunk === undefined || (hunks === 1 && wholeOk);
    if (whole && (c.side === 'both' || c.side === 'manual')) {
      throw new GitEngineError('RESOLUTION_SIDE_NOT_ALLOWED', `${c.path}: this conflict takes ours or theirs, not ${c.side}`, { ...where, side: c.side });
    }
    const key = whole ? `${c.path}\0*` : `${c.path}\0${c.hunk}`;
    if (taken.has(key)) throw new GitEngineError('INVALID_RESOLUTION', `${c.path}: chosen twice`, { ...where, reason: 'duplicate' });
    taken.add(key);
  }
  const missing: Array<ReturnType<typeof missingOf>> = [];
  for (const [path, files] of byPath) {
    for (const f of files) {
      if (f.hunks.length === 0 || (f.hunks.length === 1 && isSymlinkConflict(f))) {
        if (!taken.has(`${path}\0*`)) missing.push(missingOf(f));
        continue;
      }
      const open = f.hunks.map((_, i) => i).filter((i) => !taken.has(`${path}\0${i}`));
      if (open.length > 0) missing.push({ ...missingOf(f), hunks: open });
    }
  }
  if (missing.length > 0) {
    throw new GitEngineError('UNRESOLVED_CONFLICT', `${missing.length} conflict${missing.length === 1 ? '' : 's'} without a choice`, { missing });
  }
}

function missingOf(f: ConflictFile): { path: string; kind: string; hunks?: number[] } {
  return f.hunks.length > 0 ? { path: f.path, kind: f.kind, hunks: f.hunks.map((_, i) => i) } : { path: f.path, kind: f.kind };
}
