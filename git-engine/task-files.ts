// The ready-to-work part of a new task worktree that git itself does not give: `.thalogos.json`'s
// `copy` (local files copied in) and `setup` (commands the runtime runs in the sandbox afterwards).
import { copyLocalFiles, type CopyNote } from './copy-local-files.js';
import { GitEngineError } from './errors.js';
import { readGateConfig } from './gate-config.js';
import { OID_RE } from './object-hash.js';
import type { Repo } from './repo.js';
import { validateWorktreePath } from './validate-names.js';
import { findWorktreeByPath } from './worktree.js';

export interface TaskFilesResult {
  /** Setup commands to run in the worktree, in order, before its agent starts. */
  setup: string[];
  setupTimeoutMs: number;
  copied: string[];
  skipped: CopyNote[];
}

/**
 * Reads the configuration from `commit` (the task's start commit, not the person's working copy:
 * what runs is what was committed) and copies the `copy` files into the task's worktree.
 * GATE_CONFIG_INVALID when the file is malformed; nothing is copied then.
 */
export async function prepareTaskFiles(repo: Repo, p: { sessionId: string; taskId: string; worktreePath: string; commit: string }): Promise<TaskFilesResult> {
  if (typeof p.commit !== 'string' || !OID_RE.test(p.commit)) throw new GitEngineError('INVALID_NAME', 'commit must be a full object id', { field: 'commit' });
  const worktreePath = validateWorktreePath(p.worktreePath, repo.repoPath, repo.gitdir);
  const wt = await findWorktreeByPath(repo, worktreePath);
  if (!wt || wt.name !== `${p.sessionId}.${p.taskId}`) {
    throw new GitEngineError('WORKTREE_NOT_FOUND', `no worktree of task ${p.taskId} at ${worktreePath}`, { worktreePath });
  }
  const config = await readGateConfig(repo, p.commit);
  const { copied, skipped } = await copyLocalFiles(repo, wt, p.commit, config.copy);
  return { setup: config.setup, setupTimeoutMs: config.setupTimeoutMs, copied, skipped };
}
