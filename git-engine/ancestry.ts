// Ancestry questions answered like git (merge/merge-base.ts: generation numbers from the
// commit-graph when present, native object reads), instead of isomorphic-git's isDescendent and
// findMergeBase, which read every commit of the history through JavaScript inflate.
import { createObjectStore } from './merge/object-store.js';
import type { Repo } from './repo.js';

/** `git merge-base --all a b`, newest first. */
export async function mergeBasesOf(repo: Repo, a: string, b: string): Promise<string[]> {
  return createObjectStore(repo.objectFs, repo.gitdir, repo.cache).mergeBases(a, b);
}

/** `git merge-base --is-ancestor ancestor of`. */
export async function isAncestor(repo: Repo, ancestor: string, of: string): Promise<boolean> {
  if (ancestor === of) return true;
  return (await mergeBasesOf(repo, ancestor, of)).includes(ancestor);
}
