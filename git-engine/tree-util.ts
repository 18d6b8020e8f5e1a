// Trees as flat maps `path -> { mode, oid }` (what checkout, snapshot and diff need), and back.
import git from 'isomorphic-git';
import type { Repo } from './repo.js';
import { validateRepoPath } from './validate-names.js';

export interface FlatEntry { mode: string; oid: string }
export type FlatTree = Map<string, FlatEntry>;

export async function commitTree(repo: Repo, commitOid: string): Promise<string> {
  const { commit } = await git.readCommit({ fs: repo.objectFs, gitdir: repo.gitdir, oid: commitOid, cache: repo.cache });
  return commit.tree;
}

export async function flattenTree(repo: Repo, treeOid: string): Promise<FlatTree> {
  const out: FlatTree = new Map();
  const walk = async (oid: string, prefix: string): Promise<void> => {
    const { tree } = await git.readTree({ fs: repo.objectFs, gitdir: repo.gitdir, oid, cache: repo.cache });
    for (const e of tree) {
      const p = prefix ? `${prefix}/${e.path}` : e.path;
      // A crafted tree must never make us write outside a worktree.
      validateRepoPath(p);
      if (e.type === 'tree') await walk(e.oid, p);
      else out.set(p, { mode: e.mode, oid: e.oid });
    }
  };
  await walk(treeOid, '');
  return out;
}

export async function flattenCommit(repo: Repo, commitOid: string): Promise<FlatTree> {
  return flattenTree(repo, await commitTree(repo, commitOid));
}

interface DirNode { files: Map<string, FlatEntry>; dirs: Map<string, DirNode> }

/** Writes the tree objects for a flat map (blobs must already exist) and returns the root tree oid. */
export async function writeFlatTree(repo: Repo, flat: FlatTree): Promise<string> {
  const root: DirNode = { files: new Map(), dirs: new Map() };
  for (const [p, entry] of flat) {
    const parts = p.split('/');
    let node = root;
    for (const dir of parts.slice(0, -1)) {
      let next = node.dirs.get(dir);
      if (!next) { next = { files: new Map(), dirs: new Map() }; node.dirs.set(dir, next); }
      node = next;
    }
    node.files.set(parts[parts.length - 1] as string, entry);
  }
  const write = async (node: DirNode): Promise<string> => {
    const entries: Array<{ mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }> = [];
    for (const [name, child] of node.dirs) entries.push({ mode: '040000', path: name, oid: await write(child), type: 'tree' });
    for (const [name, e] of node.files) entries.push({ mode: e.mode, path: name, oid: e.oid, type: e.mode === '160000' ? 'commit' : 'blob' });
    return git.writeTree({ fs: repo.fs, gitdir: repo.gitdir, tree: entries });
  };
  return write(root);
}

export async function readBlob(repo: Repo, oid: string): Promise<Uint8Array> {
  const { blob } = await git.readBlob({ fs: repo.objectFs, gitdir: repo.gitdir, oid, cache: repo.cache });
  return blob;
}
