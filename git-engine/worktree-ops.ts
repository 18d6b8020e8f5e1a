// The task-worktree operations behind GitEngine.createWorktree / commitWorktree / removeWorktree.
import git from 'isomorphic-git';
import { GitEngineError } from './errors.js';
import { OID_RE } from './object-hash.js';
import { deleteRef, mustReadBranch, readRef, writeRefAtomic } from './refs.js';
import type { Repo } from './repo.js';
import type { EngineContext } from './save-ops.js';
import { snapshotCommit, type Change } from './snapshot-commit.js';
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
  // The same branch must not be checked out in a second worktree (git refuses that too).
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

export async function removeTaskWorktree(repo: Repo, p: TaskRef & { deleteBranch?: boolean }): Promise<void> {
  const branch = taskBranch(p.sessionId, p.taskId);
  const wt = await mustFindTaskWorktree(repo, p);
  await removeLinkedWorktree(repo, wt);
  if (p.deleteBranch && (await readRef(repo, `refs/heads/${branch}`))) await deleteRef(repo, `refs/heads/${branch}`);
}
