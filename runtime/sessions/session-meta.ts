/** The row that lists a session without loading its actor; written atomically with SESSION.CREATED. */
export type { SessionMeta } from '../../contracts/index.js';
export { SESSION_CREATED } from '../../contracts/index.js';

/**
 * Where a session's git work happens: its repository and its base branch (absent for sessions from
 * before base branches, which keep main/master). Spread into every git-engine call for the session.
 */
export function repoTarget(meta: { repoPath: string; baseBranch?: string | undefined }): { repoPath: string; baseBranch?: string } {
  return meta.baseBranch ? { repoPath: meta.repoPath, baseBranch: meta.baseBranch } : { repoPath: meta.repoPath };
}
