// Reading and writing single worktree files the way git stores them: regular files (exec bit from
// the owner's x bit), symlinks (the link text is the blob) and gitlinks (an empty directory).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BigIntStats } from 'node:fs';
import { hashBlob } from './object-hash.js';
import type { FlatEntry } from './tree-util.js';

export function fileMode(st: BigIntStats): string | null {
  if (st.isSymbolicLink()) return '120000';
  if (st.isFile()) return (st.mode & 0o100n) !== 0n ? '100755' : '100644';
  return null;
}

export async function lstatOrNull(abs: string): Promise<BigIntStats | null> {
  try {
    return await fs.lstat(abs, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

export async function readWorkContent(abs: string, st: BigIntStats): Promise<Buffer> {
  return st.isSymbolicLink() ? Buffer.from(await fs.readlink(abs), 'utf8') : fs.readFile(abs);
}

/** The entry git would compute for a path in the worktree, or null when absent / not a file. */
export async function workEntry(abs: string): Promise<{ entry: FlatEntry; st: BigIntStats } | null> {
  const st = await lstatOrNull(abs);
  if (!st) return null;
  const mode = fileMode(st);
  if (!mode) return null;
  return { entry: { mode, oid: hashBlob(await readWorkContent(abs, st)) }, st };
}

/**
 * Makes sure `dir` (and its parents) inside `root` is a real directory, never following a symlink.
 * Returns true when `dir` itself was created (so it is empty).
 */
export async function ensureDir(root: string, dir: string): Promise<boolean> {
  const parts = dir.split('/');
  let cur = root;
  let created = false;
  for (const part of parts) {
    cur = path.join(cur, part);
    const st = await lstatOrNull(cur);
    if (st && !st.isDirectory()) await fs.rm(cur, { force: true });
    created = !st || !st.isDirectory();
    if (created) await fs.mkdir(cur);
  }
  return created;
}

/** Writes one file; its directory must exist already (see ensureDir). */
export async function writeWorkFile(root: string, rel: string, entry: FlatEntry, content: Uint8Array | null, mayExist = true): Promise<BigIntStats | null> {
  const abs = path.join(root, rel);
  // Replace rather than overwrite, so the new mode applies and a symlink is never followed.
  if (mayExist && (await lstatOrNull(abs))) await fs.rm(abs, { recursive: true, force: true });
  if (entry.mode === '160000') {
    await fs.mkdir(abs);
    return null; // git stores gitlinks with zeroed stat data
  }
  if (entry.mode === '120000') {
    await fs.symlink(Buffer.from(content ?? new Uint8Array()).toString('utf8'), abs);
  } else {
    // Created with 0777/0666 and the process umask applied, as git does.
    await fs.writeFile(abs, content ?? new Uint8Array(), { mode: entry.mode === '100755' ? 0o777 : 0o666 });
  }
  return fs.lstat(abs, { bigint: true });
}

/** Removes a file and then its parents while they are empty (stopping at the worktree root). */
export async function removeWorkFile(root: string, rel: string): Promise<void> {
  await fs.rm(path.join(root, rel), { recursive: true, force: true });
  let dir = path.dirname(rel);
  while (dir !== '.' && dir !== '') {
    try { await fs.rmdir(path.join(root, dir)); } catch { break; }
    dir = path.dirname(dir);
  }
}
