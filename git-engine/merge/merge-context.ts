/**
 * State of one tree merge: where conflicts and resolutions are collected, and which rules apply.
 * `depth` 0 is the real merge (policy on, conflicts reported); depth > 0 builds a virtual merge
 * base for criss-cross histories like git's ort: git rules only, conflicts rendered in place.
 */
import type { Entry, ObjectStore } from './object-store.js';
import type { AutoResolution, ConflictFile } from './merge-types.js';
import type { ChoiceTable, ChosenSide } from './merge-choices.js';

export interface Pending {
  path: string;
  base: Entry | undefined;
  ours: Entry | undefined;
  theirs: Entry | undefined;
}

export interface MergeContext {
  store: ObjectStore;
  depth: number;
  labels: { ours: string; theirs: string };
  conflicts: ConflictFile[];
  autoResolved: AutoResolution[];
  /** Deleted on one side, changed on the other: a conflict unless the deleting side renamed it. */
  modifyDelete: Pending[];
  /** Deleted on both sides: fine, unless a side renamed it (rename/delete, rename/rename). */
  bothDeleted: Pending[];
  /** Added on both sides with different content: merged after renames are known. */
  addAdd: Pending[];
  /** Directories of the base gone on one side while the other side changed inside them. */
  goneDirs: Array<{ path: string; gone: 'ours' | 'theirs' }>;
  /** A person's choices (conflict resolution); null for an ordinary merge. */
  choices: ChoiceTable | null;
}

export function createContext(store: ObjectStore, depth: number, labels: { ours: string; theirs: string }, choices: ChoiceTable | null = null): MergeContext {
  return { store, depth, labels, conflicts: [], autoResolved: [], modifyDelete: [], bothDeleted: [], addAdd: [], goneDirs: [], choices };
}

/** The side a person chose for the whole file at `path` (real merge only). */
export function wholeChoice(ctx: MergeContext, path: string): ChosenSide | undefined {
  return ctx.depth === 0 ? ctx.choices?.whole(path) : undefined;
}

export function sameEntry(a: Entry | undefined, b: Entry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.oid === b.oid && a.mode === b.mode;
}
