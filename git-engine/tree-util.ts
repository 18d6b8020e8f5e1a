// Trees as flat maps `path -> { mode, oid }` (what checkout, snapshot and diff need), and back.
import git from 'isomorphic-git';
import type { Repo } from './repo.js';
import { readObjectWithRetry, snapshotObjectFs } from './object-read-fs.js';
import { validateRepoPath } from './validate-names.js';
import type { FsClient } from './worktree-layout.js';
import { objectWriteFs } from './write-objects.js';

export interface FlatEntry { mode: string; oid: string }
export type FlatTree = Map<string, FlatEntry>;

export async function commitTree(repo: Repo, commitOid: string): Promise<string> {
  const { commit } = await git.readCommit({ fs: repo.objectFs, gitdir: repo.gitdir, oid: commitOid, cache: repo.cache });
  return commit.tree;
}

/** Subtree reads in flight during a walk (enough to keep libuv's pool busy on a cold pack). */
const TREE_READS_IN_FLIGHT = 32;

/**
 * The blobs (and gitlinks) of a tree as a flat map in git's tree order (a depth-first walk).
 * Subtrees are read concurrently, through one object-listing snapshot (see object-read-fs.ts), and
 * stitched back in order.
 */
export async function flattenTree(repo: Repo, treeOid: string, objectFs: FsClient = snapshotObjectFs(repo.gitdir)): Promise<FlatTree> {
  const limit = limiter(TREE_READS_IN_FLIGHT);
  const read = (oid: string) => limit(() => readObjectWithRetry(objectFs, (fs) => git.readTree({ fs, gitdir: repo.gitdir, oid, cache: repo.cache })));
  type Item = [string, FlatEntry] | Promise<Item[]>;
  const walk = async (oid: string, prefix: string): Promise<Item[]> => {
    const { tree } = await read(oid);
    return tree.map((e): Item => {
      const p = prefix ? `${prefix}/${e.path}` : e.path;
      // A crafted tree must never make us write outside a worktree.
      validateRepoPath(p, e.mode);
      if (e.type !== 'tree') return [p, { mode: e.mode, oid: e.oid }];
      const sub = walk(e.oid, p);
      // Awaited later, in order; until then a failure must not count as unhandled.
      sub.catch(() => undefined);
      return sub;
    });
  };
  const out: FlatTree = new Map();
  const add = async (items: Item[]): Promise<void> => {
    for (const it of items) {
      if (Array.isArray(it)) out.set(it[0], it[1]);
      else await add(await it);
    }
  };
  await add(await walk(treeOid, ''));
  return out;
}

/** A concurrency gate: at most `n` of the functions passed to it run at once. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
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
    return git.writeTree({ fs: objectWriteFs(repo), gitdir: repo.gitdir, tree: entries });
  };
  return write(root);
}

/** A blob's content; pass one `snapshotObjectFs` when reading many (see object-read-fs.ts). */
export async function readBlob(repo: Repo, oid: string, objectFs?: FsClient): Promise<Uint8Array> {
  const read = (fs: FsClient | typeof repo.objectFs) => git.readBlob({ fs, gitdir: repo.gitdir, oid, cache: repo.cache });
  const { blob } = objectFs ? await readObjectWithRetry(objectFs, read) : await read(repo.objectFs);
  return blob;
}
