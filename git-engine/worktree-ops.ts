// The task-worktree operations behind GitEngine.createWorktree / commitWorktree / removeWorktree.
import fs from 'node:fs/promises';
import path from 'node:path';
import git from 'isomorphic-git';
import { isAncestor } from './ancestry.js';
import { GitEngineError, type GitEngineErrorCode } from './errors.js';
import { OID_RE } from './object-hash.js';
import { deleteRef, mustReadBranch, readRef, writeRefAtomic } from './refs.js';
import type { Repo } from './repo.js';
import type { EngineContext } from './save-ops.js';
import { snapshotCommit, uncommittedWork, type Change } from './snapshot-commit.js';
import { validateExtraTrailers, withTrailers } from './trailers.js';
import { taskBranch, validateBranchName, validateWorktreePath } from './validate-names.js';
import { ensureLinkedWorktree, findWorktreeByPath, listLinkedWorktrees, removeLinkedWorktree, worktreeHead, type LinkedWorktree } from './worktree.js';

export interface TaskRef { sessionId: string; taskId: string; worktreePath: string }

async function resolveBase(repo: Repo, base: string | undefined): Promise<string> {
  if (base === undefined) return mustReadBranch(repo, repo.mainBranch);
  if (!OID_RE.test(base)) return mustReadBranch(repo, validateBranchName(base));
  // A raw oid must name an existing commit before a branch may point at it.
  try {
    await git.readCommit({ fs: repo.objectFs, gitdir: repo.gitdir, oid: base, cache: repo.cache });
  } catch {
    throw new GitEngineError('BRANCH_NOT_FOUND', `base ${base} is not a commit in this repository`, { base });
  }
  return base;
}

export async function createTaskWorktree(repo: Repo, p: TaskRef & { base?: string }): Promise<{ worktreePath: string; branch: string; baseCommit: string }> {
  const branch = taskBranch(p.sessionId, p.taskId);
  const worktreePath = validateWorktreePath(p.worktreePath, repo.repoPath, repo.gitdir);
  const name = `${p.sessionId}.${p.taskId}`;
  // The same branch must not be checked out in a second worktree, the main one included (git
  // refuses that too: two worktrees on one branch overwrite each other's commits).
  if (repo.workdir && (await worktreeHead(repo.gitdir)).branch === branch) {
    throw new GitEngineError('WORKTREE_EXISTS', `${branch} is checked out at ${repo.workdir}`, { branch, path: repo.workdir });
  }
  for (const wt of await listLinkedWorktrees(repo)) {
    if (wt.name !== name && (await worktreeHead(wt.adminDir)).branch === branch) {
      throw new GitEngineError('WORKTREE_EXISTS', `${branch} is checked out at ${wt.worktreePath}`, { branch, path: wt.worktreePath });
    }
  }
  let head = await readRef(repo, `refs/heads/${branch}`);
  // An existing branch is a resume after a crash (or a repeated call): keep it, ignore `base`.
  if (!head) {
    head = await resolveBase(repo, p.base);
    await writeRefAtomic(repo, `refs/heads/${branch}`, head, 'thalogos: task branch created');
  }
  await ensureLinkedWorktree(repo, { name, worktreePath, branch, commit: head });
  return { worktreePath, branch, baseCommit: head };
}

async function mustFindTaskWorktree(repo: Repo, p: TaskRef): Promise<LinkedWorktree> {
  const worktreePath = validateWorktreePath(p.worktreePath, repo.repoPath, repo.gitdir);
  const wt = await findWorktreeByPath(repo, worktreePath);
  if (!wt || wt.name !== `${p.sessionId}.${p.taskId}`) {
    throw new GitEngineError('WORKTREE_NOT_FOUND', `no worktree of task ${p.taskId} at ${worktreePath}`, { worktreePath });
  }
  return wt;
}

export async function commitTaskWorktree(repo: Repo, ctx: EngineContext, p: TaskRef & { agent: string; message: string; extraTrailers?: Record<string, string> }):
  Promise<{ commit: string | null; head: string; changes: Change[] }> {
  const branch = taskBranch(p.sessionId, p.taskId);
  const extra = validateExtraTrailers(p.extraTrailers);
  if (typeof p.message !== 'string') throw new GitEngineError('INVALID_NAME', 'message must be a string');
  const message = withTrailers(p.message, { agent: p.agent, sessionId: p.sessionId, taskId: p.taskId, orchestratorVersion: ctx.orchestratorVersion }, extra);
  const wt = await mustFindTaskWorktree(repo, p);
  return snapshotCommit(repo, wt, branch, ctx, message);
}

/**
 * The code for a branch deletion refused because the branch is not merged into main. (errors.ts
 * has no BRANCH_NOT_MERGED yet; data.reason says which refusal it is.)
 */
const NOT_MERGED: GitEngineErrorCode = 'WORKTREE_DIRTY';

/**
 * Removes a task worktree (and with `deleteBranch` its branch), refusing like `git worktree
 * remove` / `git branch -d` unless `force`: uncommitted work in the worktree (anything
 * commitWorktree would record, embedded repositories, set-up submodules) is WORKTREE_DIRTY, and a
 * branch not merged into main is refused too. Nothing is removed when it refuses.
 */
export async function removeTaskWorktree(repo: Repo, p: TaskRef & { deleteBranch?: boolean; force?: boolean }): Promise<void> {
  const branch = taskBranch(p.sessionId, p.taskId);
  const wt = await mustFindTaskWorktree(repo, p);
  const force = p.force === true;
  // A creation interrupted before its checkout finished holds nothing of anyone's.
  const interrupted = (await fs.readFile(path.join(wt.adminDir, 'locked'), 'utf8').catch(() => null)) === 'initializing\n';
  if (!force && !interrupted) {
    const lost = await uncommittedWork(repo, wt);
    if (lost.length > 0) {
      throw new GitEngineError('WORKTREE_DIRTY', `${wt.worktreePath} has uncommitted work (commit it, or remove with force)`, { workdir: wt.worktreePath, reason: 'uncommitted_work', paths: lost.slice(0, 50) });
    }
  }
  const tip = p.deleteBranch ? await readRef(repo, `refs/heads/${branch}`) : null;
  if (tip && !force && !(await isMergedInto(repo, tip, await mustReadBranch(repo, repo.mainBranch)))) {
    throw new GitEngineError(NOT_MERGED, `${branch} is not merged into ${repo.mainBranch} (delete it with force)`, { reason: 'branch_not_merged', branch, commit: tip });
  }
  await removeLinkedWorktree(repo, wt);
  if (tip) await deleteRef(repo, `refs/heads/${branch}`);
}

async function isMergedInto(repo: Repo, commit: string, into: string): Promise<boolean> {
  return isAncestor(repo, commit, into);
}
