// An `fs` for isomorphic-git's object reads that answers "is this object loose?" from directory
// listings taken once, instead of a failed open() per object, and lists `objects/pack` once
// instead of for every packed object. isomorphic-git tries the loose file before the packs and
// re-lists the pack directory on every read, so a checkout of 10,000 packed blobs cost ~50,000
// syscalls on top of the file writes. The listings are a snapshot: a reader that misses must retry
// with plain node:fs (see `readObjectWithRetry`), which covers objects written or repacked since.
import nodeFs from 'node:fs';
import path from 'node:path';
import type { FsClient } from './worktree-layout.js';

type FsPromises = typeof nodeFs.promises;

const LOOSE_RE = /^([0-9a-f]{2})[\\/]([0-9a-f]{38})$/;

function enoent(p: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`ENOENT: no such file or directory, open '${p}'`);
  err.code = 'ENOENT';
  return err;
}

async function listOrEmpty(dir: string): Promise<Set<string>> {
  try {
    return new Set(await nodeFs.promises.readdir(dir));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return new Set();
    throw err;
  }
}

/** A read-mostly fs over `gitdir` whose loose-object and pack listings are taken once. */
export function snapshotObjectFs(gitdir: string): FsClient {
  const objectsDir = path.join(gitdir, 'objects');
  const packDir = path.join(objectsDir, 'pack');
  let fanout: Promise<Set<string>> | null = null;
  const loose = new Map<string, Promise<Set<string>>>();
  let packs: Promise<string[]> | null = null;
  const base = nodeFs.promises;

  const isLoose = async (hi: string, lo: string): Promise<boolean> => {
    fanout ??= listOrEmpty(objectsDir);
    if (!(await fanout).has(hi)) return false;
    let names = loose.get(hi);
    if (!names) { names = listOrEmpty(path.join(objectsDir, hi)); loose.set(hi, names); }
    return (await names).has(lo);
  };

  const promises = {
    ...base,
    readFile: (async (file: unknown, opts?: unknown) => {
      if (typeof file === 'string' && file.startsWith(objectsDir)) {
        const m = LOOSE_RE.exec(path.relative(objectsDir, file));
        if (m && !(await isLoose(m[1] as string, m[2] as string))) throw enoent(file);
      }
      return base.readFile(file as string, opts as undefined);
    }) as FsPromises['readFile'],
    readdir: (async (dir: unknown, opts?: unknown) => {
      if (opts === undefined && typeof dir === 'string' && path.normalize(dir) === packDir) {
        packs ??= base.readdir(packDir).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return [] as string[];
          packs = null;
          throw err;
        });
        return [...(await packs)];
      }
      return base.readdir(dir as string, opts as undefined);
    }) as FsPromises['readdir'],
  } as FsPromises;
  // isomorphic-git only takes the promise API when `promises` is an enumerable own property.
  return { promises };
}

/**
 * Runs a read against the snapshot fs and, when the object is not found there, once more against
 * plain node:fs (the object may be newer than the snapshot, or have been repacked meanwhile).
 */
export async function readObjectWithRetry<T>(snapshot: FsClient, read: (fs: FsClient | typeof nodeFs) => Promise<T>): Promise<T> {
  try {
    return await read(snapshot);
  } catch (err) {
    if ((err as { code?: string }).code !== 'NotFoundError') throw err;
    return read(nodeFs);
  }
}
