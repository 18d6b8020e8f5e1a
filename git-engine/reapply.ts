// Re-applying a task's work after a rollback took it off the base branch: the task's changes
// (`base..head`, the commit it started from to its last commit) merged onto the base branch as it
// is now, committed as a child of the base branch's head on the task's branch. The task branch
// only moves forward (its old head is already in the base branch's history), and the next Save
// merges it like any task. A conflict refuses with REAPPLY_CONFLICT and writes no ref.
import fs from 'node:fs';
import git from 'isomorphic-git';
import { isAncestor } from './ancestry.js';
import { GitEngineError } from './errors.js';
import { mergeCommits } from './merge/index.js';
import { mustReadBranch, readRef, writeRefAtomic } from './refs.js';
import type { Repo } from './repo.js';
import type { EngineContext } from './save-ops.js';
import { withTrailers } from './trailers.js';
import { taskBranch } from './validate-names.js';
import { writeCommit } from './write-objects.js';

export interface ReapplyResult { commit: string; branch: string; onto: string }

export async function reapplyTask(repo: Repo, ctx: EngineContext, p: { sessionId: string; taskId: string; base: string; head: string }): Promise<ReapplyResult> {
  const branch = taskBranch(p.sessionId, p.taskId);
  const onto = await mustReadBranch(repo, repo.mainBranch);
  const outcome = await mergeCommits({ fs, gitdir: repo.gitdir, cache: repo.cache, ours: onto, theirs: p.head, base: p.base, labels: { ours: repo.mainBranch, theirs: branch } });
  if (!outcome.clean) {
    throw new GitEngineError('REAPPLY_CONFLICT', `the work of task ${p.taskId} no longer applies cleanly to ${repo.mainBranch}; rework it instead`, {
      taskId: p.taskId, files: outcome.conflicts.map((file) => ({ path: file.path, kind: file.kind })),
    });
  }
  const message = withTrailers(
    `Re-apply task ${p.taskId}\n\nIts changes (${p.base.slice(0, 12)}..${p.head.slice(0, 12)}) merged again onto ${repo.mainBranch} after a rollback.`,
    { agent: ctx.agent, sessionId: p.sessionId, taskId: p.taskId, orchestratorVersion: ctx.orchestratorVersion },
    [['Reapplies', p.head]],
  );
  const ref = `refs/heads/${branch}`;
  const old = await readRef(repo, ref);
  // A re-apply written before (its event never logged: refused, or a crash) is taken as it is.
  if (old !== null && (await isSameReapply(repo, old, onto, outcome.tree))) return { commit: old, branch, onto };
  const commit = await writeCommit(repo, ctx, { tree: outcome.tree, parents: [onto], message });
  // Forward only: a branch holding work the base branch lacks is not ours to move.
  if (old !== null && !(await isAncestor(repo, old, onto))) {
    throw new GitEngineError('BRANCH_MOVED', `${branch} holds commits ${repo.mainBranch} does not have`, { branch, head: old });
  }
  await writeRefAtomic(repo, ref, commit, `thalogos: re-apply task ${p.taskId}`, { expectedOld: old });
  return { commit, branch, onto };
}

async function isSameReapply(repo: Repo, oid: string, onto: string, tree: string): Promise<boolean> {
  const { commit } = await git.readCommit({ fs, gitdir: repo.gitdir, oid, cache: repo.cache });
  return commit.tree === tree && commit.parent.length === 1 && commit.parent[0] === onto && /^Reapplies: /m.test(commit.message);
}
