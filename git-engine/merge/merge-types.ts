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

export interface AutoResolution {
  path: string;
  rule: 'whitespace_only' | 'adjacent_hunks' | 'identical_change' | string;
  detail: string;
}

export type ConflictKind =
  | 'content' | 'add_add' | 'modify_delete' | 'binary' | 'mode' | 'rename' | 'file_directory' | 'criss_cross';

export interface ConflictSide {
  oid: string | null;
  mode: string | null;
}

export interface ConflictHunk {
  /** 1-based line number in the base version where the conflicting region starts. */
  baseStart: number;
  base: string[];
  ours: string[];
  theirs: string[];
}

export interface ConflictFile {
  path: string;
  kind: ConflictKind;
  base: ConflictSide;
  ours: ConflictSide;
  theirs: ConflictSide;
  hunks: ConflictHunk[];
  summary: string;
}

export interface ConflictReport {
  sessionId: string;
  taskId: string;
  branch: string;
  ours: string;
  theirs: string;
  files: ConflictFile[];
  autoResolved: AutoResolution[];
  summary: { files: number; hunks: number };
}
