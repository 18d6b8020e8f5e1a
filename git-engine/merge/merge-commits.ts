/**
 * mergeCommits: ref-free three-way merge of two commits on the object store.
 * Writes blobs and trees only; never refs, index or work tree.
 */
import { createObjectStore } from './object-store.js';
import { createContext } from './merge-context.js';
import { createChoiceTable } from './merge-choices.js';
import { MergeError } from './merge-error.js';
import { mergeTrees } from './tree-merge.js';
import { baseTree } from './virtual-base.js';
import type { MergeCommitsInput, MergeOutcome } from './merge-types.js';

const OID = /^[0-9a-f]{40}$/;

export async function mergeCommits(input: MergeCommitsInput): Promise<MergeOutcome> {
  for (const key of ['ours', 'theirs'] as const) {
    if (typeof input[key] !== 'string' || !OID.test(input[key])) {
      throw new MergeError('INVALID_OID', `${key} must be a 40-hex commit id`, { [key]: String(input[key]) });
    }
  }
  if (typeof input.gitdir !== 'string' || input.gitdir === '' || typeof input.cache !== 'object' || input.cache === null) {
    throw new MergeError('INVALID_INPUT', 'gitdir must be a path and cache an object');
  }
  const labels = input.labels ?? { ours: 'ours', theirs: 'theirs' };
  if (typeof labels.ours !== 'string' || typeof labels.theirs !== 'string') {
    throw new MergeError('INVALID_INPUT', 'labels must be strings');
  }
  const choices = createChoiceTable(input.choices);
  const store = createObjectStore(input.fs, input.gitdir, input.cache);
  const [oursTree, theirsTree] = await Promise.all([store.commitTree(input.ours), store.commitTree(input.theirs)]);
  if (input.base !== undefined && (typeof input.base !== 'string' || !OID.test(input.base))) {
    throw new MergeError('INVALID_OID', 'base must be a 40-hex commit id', { base: String(input.base) });
  }
  const base = input.base !== undefined ? { tree: await store.commitTree(input.base) } : await baseTree(store, input.ours, input.theirs);
  const ctx = createContext(store, 0, labels, choices);
  const tree = await mergeTrees(ctx, { base: base.tree, ours: oursTree, theirs: theirsTree });
  // Paths are merged concurrently: sort so that reports do not depend on I/O timing.
  const autoResolved = ctx.autoResolved.sort((a, b) => compare(a.path, b.path));
  if (tree === null) {
    const conflicts = ctx.conflicts.sort((a, b) => compare(a.path, b.path) || compare(a.kind, b.kind));
    return { clean: false, conflicts, autoResolved, ...(choices ? { chosen: choices.applied() } : {}) };
  }
  return { clean: true, tree, autoResolved, ...(choices ? { chosen: choices.applied() } : {}) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
