/**
 * mergeCommits: ref-free three-way merge of two commits on the object store.
 * Writes blobs and trees only; never refs, index or work tree.
 */
import { createObjectStore } from './object-store.js';
import { createContext } from './merge-context.js';
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
  const labels = input.labels ?? { ours: 'ours', theirs: 'theirs' };
  const store = createObjectStore(input.fs, input.gitdir, input.cache);
  const [oursTree, theirsTree] = await Promise.all([store.commitTree(input.ours), store.commitTree(input.theirs)]);
  const base = await baseTree(store, input.ours, input.theirs);
  const ctx = createContext(store, 0, labels);
  const tree = await mergeTrees(ctx, { base: base.tree, ours: oursTree, theirs: theirsTree });
  const autoResolved = ctx.autoResolved.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (tree === null) {
    const conflicts = ctx.conflicts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { clean: false, conflicts, autoResolved };
  }
  return { clean: true, tree, autoResolved };
}
