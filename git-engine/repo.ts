// Opening a repository inside the worker: locate the common gitdir, the main branch and create the
// one `cache` object that every isomorphic-git call of this unit of work shares (without it,
// reading many objects is ~100x slower: isomorphic-git issue 1841).
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { GitEngineError } from './errors.js';
import { locateRepository } from './locate-repo.js';
import { refOnlyFs, type FsClient } from './worktree-layout.js';

export interface Repo {
  /** Canonical (locate-repo.ts): the main worktree, or the gitdir when bare; a real path. */
  repoPath: string;
  /** The common gitdir (`<repo>/.git`, or the repository itself when bare). */
  gitdir: string;
  /** The main worktree's directory, or null for a bare repository. */
  workdir: string | null;
  mainBranch: string;
  cache: object;
  /** fs for ref work and commits: the main worktree's HEAD and index are hidden from isomorphic-git. */
  fs: FsClient;
  /** Plain node:fs for pure object reads (no HEAD/index involved; ~40% faster than the wrapper). */
  objectFs: typeof fs;
  /**
   * When set, engine object writes skip their own fsync and list the files here; the operation
   * syncs them together (write-objects.ts syncObjects) before a ref or journal can name them.
   */
  deferredSyncs?: string[];
  /** Who and when for reflog lines of the refs this operation moves (null: write no reflog). */
  reflog: { name: string; email: string; nowMs: number } | null;
}

/**
 * `baseBranch`: the branch a session works from and publishes to (its "main"); without it, main or
 * master as below. It must exist (BRANCH_NOT_FOUND) and may not be one of Thalogos's own branches.
 */
export async function openRepo(repoPath: unknown, baseBranch?: string): Promise<Repo> {
  if (typeof repoPath !== 'string' || !path.isAbsolute(repoPath) || repoPath.split(/[\\/]/).includes('..')) {
    throw new GitEngineError('INVALID_NAME', 'repoPath must be an absolute path without ..', { value: String(repoPath).slice(0, 200) });
  }
  // Canonical: the `.git` directory, a subdirectory or a linked worktree name the same repository.
  const { repoPath: root, gitdir, workdir } = await locateRepository(repoPath);
  const rfs = refOnlyFs(gitdir);
  const cache = {};
  let mainBranch: string | null = null;
  if (baseBranch !== undefined) {
    try {
      await git.resolveRef({ fs: rfs, gitdir, ref: `refs/heads/${baseBranch}` });
    } catch {
      throw new GitEngineError('BRANCH_NOT_FOUND', `the base branch ${baseBranch} does not exist in ${root}`, { branch: baseBranch, repoPath: root });
    }
    return { repoPath: root, gitdir, workdir, mainBranch: baseBranch, cache, fs: rfs, objectFs: fs, reflog: null };
  }
  // The branch HEAD points to wins when it is main or master (a stale `main` next to a checked-out
  // `master` is not the published line); otherwise main, then master.
  const headBranch = await headBranchOf({ gitdir });
  const order = headBranch === 'main' || headBranch === 'master' ? [headBranch, headBranch === 'main' ? 'master' : 'main'] : ['main', 'master'];
  for (const candidate of order) {
    try {
      await git.resolveRef({ fs: rfs, gitdir, ref: `refs/heads/${candidate}` });
      mainBranch = candidate;
      break;
    } catch { /* try the next */ }
  }
  if (!mainBranch) throw new GitEngineError('NO_MAIN_BRANCH', 'neither refs/heads/main nor refs/heads/master exists', { repoPath: root });
  return { repoPath: root, gitdir, workdir, mainBranch, cache, fs: rfs, objectFs: fs, reflog: null };
}

/** The branch the main worktree's HEAD names, or null when HEAD is detached (or unreadable). */
export async function headBranchOf(repo: Pick<Repo, 'gitdir'>): Promise<string | null> {
  const head = (await fs.promises.readFile(path.join(repo.gitdir, 'HEAD'), 'utf8').catch(() => '')).trim();
  return head.startsWith('ref: refs/heads/') ? head.slice('ref: refs/heads/'.length) : null;
}
