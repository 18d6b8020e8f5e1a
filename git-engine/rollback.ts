// Rollback without rewriting history: a restore commit on top of main whose tree is the
// checkpoint's (with a `Restores:` trailer), or a new branch + linked worktree at the checkpoint.
import { GitEngineError } from './errors.js';
import { finishPendingMove, moveBranch } from './branch-move.js';
import { checkpointCommit } from './checkpoints.js';
import { mustReadBranch, readRef, writeRefAtomic } from './refs.js';
import type { Repo } from './repo.js';
import type { EngineContext } from './save-ops.js';
import { commitTree } from './tree-util.js';
import { withTrailers } from './trailers.js';
import { validateBranchName, validateCheckpointName, validateWorktreePath } from './validate-names.js';
import { ensureLinkedWorktree } from './worktree.js';
import { writeCommit } from './write-objects.js';

export interface RollbackResult { mode: 'restore_commit' | 'branch'; commit: string; branch: string; worktreePath?: string }

export async function rollback(repo: Repo, ctx: EngineContext, p: { sessionId: string; checkpoint: string; mode: 'restore_commit' | 'branch'; worktreePath?: string }): Promise<RollbackResult> {
  const { tag, suffix } = validateCheckpointName(p.checkpoint);
  const target = await checkpointCommit(repo, tag);
  if (p.mode === 'restore_commit') {
    // A restore killed between main's files and main's ref is finished first; when it was this
    // very rollback, that is the answer (a retry does not stack a second restore commit).
    const pending = await finishPendingMove(repo, repo.mainBranch);
    if (pending?.restores === tag) return { mode: 'restore_commit', commit: pending.new, branch: repo.mainBranch };
    const head = await mustReadBranch(repo, repo.mainBranch);
    const message = withTrailers(
      `Restore ${tag}\n\nThe tree of ${repo.mainBranch} is set back to ${tag} (${target}); history is kept.`,
      { agent: ctx.agent, sessionId: p.sessionId, taskId: 'rollback', orchestratorVersion: ctx.orchestratorVersion },
      [['Restores', tag]],
    );
    const commit = await writeCommit(repo, ctx, { tree: await commitTree(repo, target), parents: [head], message });
    await moveBranch(repo, repo.mainBranch, head, commit, { reason: `thalogos: restore ${tag}`, journal: { restores: tag } });
    return { mode: 'restore_commit', commit, branch: repo.mainBranch };
  }
  if (!p.worktreePath) throw new GitEngineError('INVALID_NAME', "mode 'branch' needs a worktreePath");
  const worktreePath = validateWorktreePath(p.worktreePath, repo.repoPath, repo.gitdir);
  const branch = validateBranchName(`session/${p.sessionId}/rollback/${suffix}`);
  const existing = await readRef(repo, `refs/heads/${branch}`);
  if (existing && existing !== target) {
    throw new GitEngineError('BRANCH_EXISTS', `${branch} exists at another commit`, { branch, head: existing });
  }
  if (!existing) await writeRefAtomic(repo, `refs/heads/${branch}`, target, `thalogos: rollback branch from ${tag}`, { expectedOld: null });
  await ensureLinkedWorktree(repo, { name: `${p.sessionId}.rollback.${suffix}`, worktreePath, branch, commit: target });
  return { mode: 'branch', commit: target, branch, worktreePath };
}
