// Writing a tree's files into a worktree with as few syscalls as git itself (open, write, fstat,
// close): the kernel's inode allocation dominates a checkout, so everything else per file is
// overhead. Files are created with O_EXCL (an existing file, symlink or directory in the way is
// removed and the create retried, so a symlink is never followed, and nothing is lstat'ed first),
// and their stat data comes from fstat on the open descriptor (what git does for its index).
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import path from 'node:path';
import type { BigIntStats } from 'node:fs';
import { mapLimit } from './map-limit.js';
import type { FlatEntry } from './tree-util.js';

const isEexist = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'EEXIST';

/** Every directory that must exist for `files` (ancestors included), grouped by depth, shallow first. */
function dirsByDepth(files: readonly string[]): string[][] {
  const all = new Set<string>();
  for (const f of files) {
    for (let d = path.posix.dirname(f); d !== '.' && !all.has(d); d = path.posix.dirname(d)) all.add(d);
  }
  const levels: string[][] = [];
  for (const d of all) {
    const depth = d.split('/').length - 1;
    (levels[depth] ??= []).push(d);
  }
  return levels.filter((l) => l !== undefined);
}

/**
 * Makes every directory the files need a real directory (a file or symlink in the way is
 * replaced; a symlink is never followed). An existing directory is only lstat'ed when mkdir
 * reports it exists, so a fresh checkout costs one mkdir per directory.
 */
export async function makeDirsFor(root: string, files: readonly string[], limit: number): Promise<void> {
  for (const level of dirsByDepth(files)) {
    // Parents first: a level starts only after the one above it is complete.
    await mapLimit(level, limit, async (d) => {
      const abs = path.join(root, d);
      try {
        await fs.mkdir(abs);
        return;
      } catch (err) {
        if (!isEexist(err)) throw err;
      }
      if ((await fs.lstat(abs)).isDirectory()) return;
      await fs.rm(abs, { force: true });
      await fs.mkdir(abs);
    });
  }
}

/** The stat fields a git index entry records (what crosses from the helper lane). */
export type StatData = Pick<BigIntStats, 'ctimeNs' | 'mtimeNs' | 'dev' | 'ino' | 'uid' | 'gid' | 'size'>;

/** Runs `create`; when something is in the way (EEXIST), removes it and runs `create` once more. */
function replacingSync<T>(abs: string, create: () => T): T {
  try {
    return create();
  } catch (err) {
    if (!isEexist(err)) throw err;
    fsSync.rmSync(abs, { recursive: true, force: true });
    return create();
  }
}

/**
 * Writes one tree entry at `rel` (its directory exists) and returns the stat data for the index
 * (null for a gitlink: git stores those with zeroed stat data). Modes as git: 0666/0777 minus the
 * umask; a symlink's blob is its target. Synchronous, for worker threads only (never the event
 * loop): an async fs call costs ~20-40 us of the calling thread to hand to libuv's pool and back,
 * four per file, more than the syscalls themselves when the kernel is quick (see checkout-lanes.ts).
 */
export function writeTreeEntrySync(root: string, rel: string, entry: FlatEntry, content: Uint8Array | null): BigIntStats | null {
  const abs = path.join(root, rel);
  if (entry.mode === '160000') {
    try {
      fsSync.mkdirSync(abs);
    } catch (err) {
      if (!isEexist(err)) throw err;
      // An existing directory is the submodule (set up or not): git leaves it alone.
      if (fsSync.lstatSync(abs).isDirectory()) return null;
      fsSync.rmSync(abs, { force: true });
      fsSync.mkdirSync(abs);
    }
    return null;
  }
  if (entry.mode === '120000') {
    const target = Buffer.from(content ?? new Uint8Array()).toString('utf8');
    replacingSync(abs, () => fsSync.symlinkSync(target, abs));
    return fsSync.lstatSync(abs, { bigint: true });
  }
  const fd = replacingSync(abs, () => fsSync.openSync(abs, 'wx', entry.mode === '100755' ? 0o777 : 0o666));
  try {
    const data = content ?? new Uint8Array();
    for (let off = 0; off < data.byteLength;) off += fsSync.writeSync(fd, data, off, data.byteLength - off);
    // fstat after the last write and before close: the times git's index must record.
    return fsSync.fstatSync(fd, { bigint: true });
  } finally {
    fsSync.closeSync(fd);
  }
}
