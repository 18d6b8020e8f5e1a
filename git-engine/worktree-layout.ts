// isomorphic-git ignores `commondir` (its issue 735), so inside a linked worktree it reads the
// main worktree's HEAD and index. This fs wrapper gives it the linked layout: it is called with the
// common gitdir (`<repo>/.git`) and redirects the per-worktree files to `.git/worktrees/<name>/`.
import nodeFs from 'node:fs';
import path from 'node:path';

/** Files that git keeps per worktree (the rest of the gitdir is shared through `commondir`). */
export const PER_WORKTREE_FILES = ['HEAD', 'index', 'ORIG_HEAD', 'MERGE_HEAD', 'logs/HEAD'] as const;

type FsPromises = typeof nodeFs.promises;
export type FsClient = { promises: FsPromises };

/**
 * @param commonGitdir the repository's `.git` directory
 * @param adminDir `.git/worktrees/<name>` of the worktree to present; for ref-only work that must not
 *   see the main worktree's HEAD/index at all, pass a directory that does not exist.
 */
export function worktreeFs(commonGitdir: string, adminDir: string): FsClient {
  const redirects = new Map<string, string>();
  for (const f of PER_WORKTREE_FILES) redirects.set(path.join(commonGitdir, f), path.join(adminDir, f));
  const map = (p: unknown): unknown => {
    if (typeof p !== 'string') return p;
    return redirects.get(path.normalize(p)) ?? p;
  };
  const base = nodeFs.promises;
  const wrap = <K extends keyof FsPromises>(name: K): FsPromises[K] => {
    const fn = base[name] as unknown as (...a: unknown[]) => unknown;
    return ((first: unknown, ...rest: unknown[]) => fn.call(base, map(first), ...rest)) as unknown as FsPromises[K];
  };
  const promises = {
    readFile: wrap('readFile'),
    writeFile: wrap('writeFile'),
    unlink: wrap('unlink'),
    readdir: wrap('readdir'),
    mkdir: wrap('mkdir'),
    rmdir: wrap('rmdir'),
    rm: wrap('rm'),
    stat: wrap('stat'),
    lstat: wrap('lstat'),
    readlink: wrap('readlink'),
    symlink: wrap('symlink'),
    chmod: wrap('chmod'),
  } as unknown as FsPromises;
  // isomorphic-git only takes the promise API when `promises` is an enumerable own property.
  return { promises };
}

/** For ref-only operations on the common gitdir: HEAD and index resolve to nothing. */
export function refOnlyFs(commonGitdir: string): FsClient {
  return worktreeFs(commonGitdir, path.join(commonGitdir, 'thalogos', 'no-worktree'));
}
