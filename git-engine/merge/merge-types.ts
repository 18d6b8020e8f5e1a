/**
 * Types of the merge primitive (the agreed git-engine contract, see README.md).
 */
import type * as NodeFs from 'node:fs';

export interface MergeCommitsInput {
  /** node:fs (or a compatible implementation); isomorphic-git reads and writes objects through it. */
  fs: typeof NodeFs;
  /** The common gitdir (the main `.git`), never a linked worktree's private gitdir. */
  gitdir: string;
  /** isomorphic-git cache object: one per unit of work (reading blobs is ~100x slower without). */
  cache: object;
  ours: string;
  theirs: string;
  labels?: { ours: string; theirs: string };
  /**
   * A person's choices for the conflicts of this very merge (conflict resolution): a conflict
   * region or whole-file conflict with a choice takes that side instead of being reported.
   * Everything else (clean regions, the policy) is merged exactly as without choices.
   */
  choices?: readonly ConflictChoice[];
}

/** One choice: `hunk` is a 0-based index into `ConflictFile.hunks`; without it, the whole file's side. */
export interface ConflictChoice {
  path: string;
  hunk?: number;
  side: 'ours' | 'theirs';
}

export type MergeOutcome =
  | { clean: true; tree: string; autoResolved: AutoResolution[]; chosen?: ConflictChoice[] }
  | { clean: false; conflicts: ConflictFile[]; autoResolved: AutoResolution[]; chosen?: ConflictChoice[] };

// The report shapes are shared with the actors, the runtime and the console: defined once in contracts/.
export type { AutoResolution, ConflictFile, ConflictHunk, ConflictKind, ConflictReport, ConflictSide } from '../../contracts/index.js';
import type { AutoResolution, ConflictFile } from '../../contracts/index.js';
