// Reading and writing single worktree files the way git stores them: regular files (exec bit from
// the owner's x bit), symlinks (the link text is the blob) and gitlinks (a directory).
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
 * A non-empty directory: at a gitlink path that is a set-up submodule (its own .git, maybe with
 * uncommitted work), which git leaves alone without --recurse-submodules. Never removed or replaced.
 */
export async function isPopulatedDir(abs: string): Promise<boolean> {
  const st = await lstatOrNull(abs);
  if (!st?.isDirectory()) return false;
  const dir = await fs.opendir(abs);
  try {
    return (await dir.read()) !== null;
  } finally {
    await dir.close();
  }
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
