/**
 * The slice of isomorphic-git the merge needs, bound to one fs/gitdir/cache (one unit of work).
 * Only object reads and writes: nothing here can touch refs, the index or a work tree.
 */
import git from 'isomorphic-git';
import type * as NodeFs from 'node:fs';
import { MergeError } from './merge-error.js';

/** A tree entry; `mode` as git writes it in trees ('100644', '100755', '120000', '160000', '40000'). */
export interface Entry {
  mode: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

export interface ObjectStore {
  readTree(oid: string): Promise<Map<string, Entry>>;
  readBlob(oid: string): Promise<Uint8Array>;
  writeBlob(content: Uint8Array): Promise<string>;
  writeTree(entries: Map<string, Entry>): Promise<string>;
  commitTree(oid: string): Promise<string>;
  commitTime(oid: string): Promise<number>;
  mergeBases(a: string, b: string): Promise<string[]>;
}

/** git writes tree modes without the leading zero; isomorphic-git reports '040000'. */
export function normaliseMode(mode: string): string {
  return mode === '040000' ? '40000' : mode;
}

export function createObjectStore(fs: typeof NodeFs, gitdir: string, cache: object): ObjectStore {
  const trees = new Map<string, Map<string, Entry>>();
  const wrap = async <T>(oid: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'NotFoundError') throw new MergeError('OBJECT_NOT_FOUND', `object ${oid} not found`, { oid });
      if (code === 'ObjectTypeError') throw new MergeError('NOT_A_COMMIT', `object ${oid} is not a commit`, { oid });
      throw error;
    }
  };
  return {
    async readTree(oid) {
      const known = trees.get(oid);
      if (known) return known;
      const { tree } = await wrap(oid, () => git.readTree({ fs, gitdir, oid, cache }));
      const map = new Map<string, Entry>();
      for (const e of tree) map.set(e.path, { mode: normaliseMode(e.mode), oid: e.oid, type: e.type });
      trees.set(oid, map);
      return map;
    },
    async readBlob(oid) {
      const { blob } = await wrap(oid, () => git.readBlob({ fs, gitdir, oid, cache }));
      return blob;
    },
    async writeBlob(content) {
      return git.writeBlob({ fs, gitdir, blob: content });
    },
    async writeTree(entries) {
      const tree = [...entries].map(([path, e]) => ({
        path, oid: e.oid, type: e.type, mode: e.mode === '40000' ? '040000' : e.mode,
      }));
      return git.writeTree({ fs, gitdir, tree });
    },
    async commitTree(oid) {
      const { commit } = await wrap(oid, () => git.readCommit({ fs, gitdir, oid, cache }));
      return commit.tree;
    },
    async commitTime(oid) {
      const { commit } = await wrap(oid, () => git.readCommit({ fs, gitdir, oid, cache }));
      return commit.committer.timestamp;
    },
    async mergeBases(a, b) {
      return wrap(`${a}..${b}`, () => git.findMergeBase({ fs, gitdir, oids: [a, b], cache })) as Promise<string[]>;
    },
  };
}
