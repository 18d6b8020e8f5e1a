/**
 * The base tree of a merge. One merge base: its tree. Several (criss-cross history): like git's
 * ort, merge the bases pairwise, oldest first, into a virtual base whose conflicts are left in
 * place with conflict markers (labels "Temporary merge branch 1/2", markers 2 longer per level).
 * None: the empty tree.
 */
import type { ObjectStore } from './object-store.js';
import { createContext } from './merge-context.js';
import { mergeTrees } from './tree-merge.js';

export const VIRTUAL_LABELS = { ours: 'Temporary merge branch 1', theirs: 'Temporary merge branch 2' } as const;

export async function baseTree(store: ObjectStore, a: string, b: string, depth = 0): Promise<{ tree: string | null; bases: string[] }> {
  const bases = await store.mergeBases(a, b);
  if (bases.length === 0) return { tree: null, bases };
  if (bases.length === 1) return { tree: await store.commitTree(bases[0] as string), bases };
  const timed = await Promise.all(bases.map(async (oid) => ({ oid, time: await store.commitTime(oid) })));
  timed.sort((x, y) => x.time - y.time || (x.oid < y.oid ? -1 : 1));
  const first = timed[0] as { oid: string };
  let merged: string | null = await store.commitTree(first.oid);
  for (const next of timed.slice(1)) {
    // git computes the next inner base from the virtual commit's parents; using the first real
    // base is the same for two bases (the common case) and an approximation beyond.
    const inner = await baseTree(store, first.oid, next.oid, depth + 1);
    const ctx = createContext(store, depth + 1, VIRTUAL_LABELS);
    merged = await mergeTrees(ctx, { base: inner.tree, ours: merged, theirs: await store.commitTree(next.oid) });
  }
  return { tree: merged, bases };
}
