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
   * region or whole-file conflict with a choice takes that side (a region also both sides, or a
   * person's text) instead of being reported. `hunk` is a 0-based index into ConflictFile.hunks.
   * Everything else (clean regions, the policy) is merged exactly as without choices.
   */
  choices?: readonly ConflictChoice[];
  /**
   * The commit whose tree is the merge base, instead of the commits' own merge base: a
   * cherry-pick of `base..theirs` onto `ours` (re-applying work a restore took away).
   */
  base?: string;
}

export type MergeOutcome =
  | { clean: true; tree: string; autoResolved: AutoResolution[]; chosen?: ConflictChoice[] }
  | { clean: false; conflicts: ConflictFile[]; autoResolved: AutoResolution[]; chosen?: ConflictChoice[] };

// The report shapes are shared with the actors, the runtime and the console: defined once in contracts/.
export type { AutoResolution, ConflictChoice, ConflictFile, ConflictHunk, ConflictKind, ConflictReport, ConflictSide } from '../../contracts/index.js';
import type { AutoResolution, ConflictChoice, ConflictFile } from '../../contracts/index.js';
