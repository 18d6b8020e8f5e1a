// Typed errors of the git engine. They cross the Piscina worker boundary as plain data
// (Piscina strips name/code/data from thrown errors), so every error serialises to
// `SerializedGitEngineError` and is rebuilt on the main thread with the same code.
import { MergeError, MERGE_ERROR_CODES } from './merge/merge-error.js';

export const GIT_ENGINE_ERROR_CODES = [
  'NOT_A_REPOSITORY',
  'NO_MAIN_BRANCH',
  'INVALID_NAME',
  'PATH_OUTSIDE_REPOSITORY',
  'SYMLINK_ESCAPE',
  'WORKTREE_EXISTS',
  'WORKTREE_NOT_FOUND',
  'BRANCH_NOT_FOUND',
  'CHECKPOINT_NOT_FOUND',
  'MAIN_MOVED',
  'MAIN_WORKTREE_DIRTY',
  'SAVE_IN_PROGRESS',
  // Cluster mode: the session's lease moved to another node during this Save (save.ts).
  'SESSION_FENCED',
  'GATE_CONFIG_INVALID',
  'SIGNING_FAILED',
  'WORKER_FAILED',
  // A ref named in a save journal holds a value that is neither the recorded old nor new one:
  // someone else moved it while the save was interrupted; recovery refuses to guess.
  'JOURNAL_CONFLICT',
  // A task branch moved while the engine was committing to it (compare-and-swap failed).
  'BRANCH_MOVED',
  // A branch the engine was asked to create exists already at another commit.
  'BRANCH_EXISTS',
  // The engine was closed; no more operations are accepted.
  'ENGINE_CLOSED',
  // resolveConflict: the task branch is no longer at the report's `theirs` (take a new report).
  'STALE_CONFLICT',
  // resolveConflict: a conflict region or whole-file conflict has no choice (data.missing).
  'UNRESOLVED_CONFLICT',
  // resolveConflict: a choice names no conflict of this merge, or is given twice.
  'INVALID_RESOLUTION',
  // resolveConflict: a hand-written hunk's text is missing, not a string, over 1 MiB or holds a
  // NUL byte, or text came with a side other than 'manual' (data.reason).
  'RESOLUTION_TEXT_INVALID',
  // resolveConflict: 'both' or 'manual' for a conflict without line hunks (binary, modify/delete,
  // mode, symlink, ...), which only takes 'ours' or 'theirs'.
  'RESOLUTION_SIDE_NOT_ALLOWED',
  // A task worktree has local changes that updating it would overwrite; nothing was moved.
  'WORKTREE_DIRTY',
  // reapplyTask: the task's changes no longer apply cleanly to the base branch (data.files): rework it.
  'REAPPLY_CONFLICT',
  // A ref's `.lock` file exists: another writer is at work, or one crashed (data.lockPath).
  'REF_LOCKED',
  // save() was given no task to merge: refused before anything is touched.
  'NOTHING_TO_SAVE',
  // Promotion: the environment is not in `.thalogos.json` on the base branch.
  'ENVIRONMENT_NOT_FOUND',
  // Promotion: the checkpoint is not on the base branch (first environment) or not held by the
  // previous environment; rollback: not an earlier checkpoint of the environment.
  'PROMOTION_NOT_ELIGIBLE',
  // Promotion: the checkpoint does not descend from what release/{env} holds (fast-forward only).
  'PROMOTION_NOT_FAST_FORWARD',
  // A dependent task's start point: merging a dependency's branch conflicts (data: dependency, paths).
  'START_POINT_CONFLICT',
  // The merge primitive's own codes (merge/merge-error.ts), kept as they are across the worker.
  ...MERGE_ERROR_CODES,
] as const;

export type GitEngineErrorCode = (typeof GIT_ENGINE_ERROR_CODES)[number];

export interface SerializedGitEngineError {
  name: 'GitEngineError';
  code: GitEngineErrorCode;
  message: string;
  data?: unknown;
}

export class GitEngineError extends Error {
  override readonly name = 'GitEngineError';
  readonly code: GitEngineErrorCode;
  readonly data?: unknown;

  constructor(code: GitEngineErrorCode, message: string, data?: unknown) {
    super(message);
    this.code = code;
    if (data !== undefined) this.data = data;
  }

  toJSON(): SerializedGitEngineError {
    const out: SerializedGitEngineError = { name: 'GitEngineError', code: this.code, message: this.message };
    if (this.data !== undefined) out.data = this.data;
    return out;
  }
}

export function isGitEngineErrorCode(value: unknown): value is GitEngineErrorCode {
  return typeof value === 'string' && (GIT_ENGINE_ERROR_CODES as readonly string[]).includes(value);
}

/** Turns anything thrown inside the worker into data that survives structured cloning. */
export function serializeError(err: unknown): SerializedGitEngineError {
  if (err instanceof GitEngineError) return err.toJSON();
  if (err instanceof MergeError) {
    return err.data === undefined
      ? { name: 'GitEngineError', code: err.code, message: err.message }
      : { name: 'GitEngineError', code: err.code, message: err.message, data: err.data };
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const data: Record<string, unknown> = {};
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') data.cause = code;
    if (err instanceof Error && err.stack) data.stack = err.stack.split('\n').slice(0, 8).join('\n');
  }
  return { name: 'GitEngineError', code: 'WORKER_FAILED', message, data };
}

export function deserializeError(s: SerializedGitEngineError): GitEngineError {
  const code = isGitEngineErrorCode(s.code) ? s.code : 'WORKER_FAILED';
  return new GitEngineError(code, s.message, s.data);
}
