// A dependent task's start point: the base branch with the branches of the tasks it depends on
// merged in, in order, with the Save's merge primitive and policy. Objects only: no ref, index or
// worktree is touched here; the caller creates the task's worktree on the returned commit.
import fs from 'node:fs';
import { isAncestor } from './ancestry.js';
import { GitEngineError } from './errors.js';
import { mergeCommits } from './merge/index.js';
import { mustReadBranch } from './refs.js';
import type { Repo } from './repo.js';
import type { EngineContext } from './save-ops.js';
import { withTrailers } from './trailers.js';
import { taskBranch } from './validate-names.js';
import { writeCommit } from './write-objects.js';

export interface StartPointParams { sessionId: string; taskId: string; dependencies: string[] }

/**
 * Base head, then each dependency's branch merged in (skipped when already contained). A conflict
 * is START_POINT_CONFLICT with the dependency and the conflicting paths; nothing is written that
 * a ref points at.
 */
export async function mergeStartPoint(repo: Repo, ctx: EngineContext, p: StartPointParams): Promise<{ commit: string; merged: string[] }> {
  let candidate = await mustReadBranch(repo, repo.mainBranch);
  const merged: string[] = [];
  for (const dep of p.dependencies) {
    const branch = taskBranch(p.sessionId, dep);
    const theirs = await mustReadBranch(repo, branch);
    if (await isAncestor(repo, theirs, candidate)) continue;
    // The first dependency ahead of the base is taken as it is: no merge commit is needed.
    if (await isAncestor(repo, candidate, theirs)) {
      candidate = theirs;
      merged.push(dep);
      continue;
    }
    const outcome = await mergeCommits({ fs, gitdir: repo.gitdir, cache: repo.cache, ours: candidate, theirs, labels: { ours: `start of ${p.taskId}`, theirs: branch } });
    if (!outcome.clean) {
      const paths = outcome.conflicts.map((f) => f.path);
      throw new GitEngineError('START_POINT_CONFLICT', `task ${p.taskId} cannot start: merging its dependency ${dep} (${branch}) into its start point conflicts in ${paths.join(', ')}`, {
        taskId: p.taskId, dependency: dep, branch, paths, merged,
      });
    }
    const message = withTrailers(`Start ${p.taskId} from ${branch}`, { agent: ctx.agent, sessionId: p.sessionId, taskId: p.taskId, orchestratorVersion: ctx.orchestratorVersion }, [['Depends-On', dep]]);
    candidate = await writeCommit(repo, ctx, { tree: outcome.tree, parents: [candidate, theirs], message });
    merged.push(dep);
  }
  return { commit: candidate, merged };
}
