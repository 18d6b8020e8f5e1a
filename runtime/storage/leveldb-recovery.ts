import { copyFile, link, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Level } from 'level';
import type { Db } from './db.js';

/**
 * What LevelDB does not tell its caller. classic-level opens LevelDB without `paranoid_checks`
 * (and offers no option for it), so a damaged write-ahead-log record is skipped on open, the
 * rest of its 32 KiB block with it, and the open succeeds. LevelDB does write those drops to its
 * info log (`<db>/LOG`, started afresh at each open), and then deletes the old write-ahead log
 * once it is recovered into a table. The helpers here keep that evidence.
 */

/** Thrown when LevelDB itself refuses to open because of corruption (a damaged MANIFEST, a table). */
export class LevelOpenCorruptionError extends Error {
  override readonly name = 'LevelOpenCorruptionError';
  readonly code = 'LEVEL_CORRUPTION';
}

/**
 * Hard-links the write-ahead logs (`*.log`) into `keepDir` before LevelDB opens and deletes them:
 * if the start finds damage, the log as it was on disk is still there to inspect. A link costs
 * nothing; the directory is emptied again once the start is clean.
 */
export async function preserveWriteAheadLogs(dbDir: string, keepDir: string): Promise<string[]> {
  await rm(keepDir, { recursive: true, force: true });
  let names: string[];
  try {
    names = (await readdir(dbDir)).filter((name) => name.endsWith('.log'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  if (names.length === 0) return [];
  await mkdir(keepDir, { recursive: true });
  for (const name of names) {
    try {
      await link(path.join(dbDir, name), path.join(keepDir, name));
    } catch {
      await copyFile(path.join(dbDir, name), path.join(keepDir, name));
    }
  }
  return names;
}

/**
 * Moves the preserved logs aside under a dated name so a later start does not overwrite them;
 * null when there were none (an empty or new database).
 */
export async function keepPreservedLogs(keepDir: string, now: Date): Promise<string | null> {
  const kept = `${keepDir}-damaged-${now.toISOString().replace(/[:.]/g, '-')}`;
  try {
    await rename(keepDir, kept);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return kept;
}

export async function discardPreservedLogs(keepDir: string): Promise<void> {
  await rm(keepDir, { recursive: true, force: true });
}

/** LevelDB's own report of what it dropped while recovering its write-ahead log during this open. */
export async function droppedOnOpen(dbDir: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path.join(dbDir, 'LOG'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => /dropping \d+ bytes|corruption/i.test(line))
    .map((line) => line.replace(/^\S+ \S+ /, '').trim());
}

/** Opens the runtime's LevelDB; corruption that stops LevelDB itself becomes a typed error. */
export async function openLevel(dbDir: string): Promise<Db> {
  const db = new Level<string, unknown>(dbDir, { valueEncoding: 'json' });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    // Corruption, or a file LevelDB's own MANIFEST/CURRENT names missing from its directory: both
    // are damage RepairDB can address. A lock held by another process or a permission error is not.
    const missingFile = cause?.code === 'LEVEL_IO_ERROR' && /No such file or directory/.test(cause.message ?? '');
    if (cause?.code === 'LEVEL_CORRUPTION' || missingFile) throw new LevelOpenCorruptionError(cause?.message ?? 'LevelDB reports corruption');
    throw error;
  }
  return db;
}

/**
 * LevelDB's RepairDB (classic-level's static `repair`; `level` re-exports ClassicLevel on Node but
 * its types omit it): rebuilds the MANIFEST from the tables and write-ahead logs it can read.
 */
export async function repairLevel(dbDir: string): Promise<void> {
  const repair = (Level as unknown as { repair?: (location: string) => Promise<void> }).repair;
  if (typeof repair !== 'function') throw new Error('this LevelDB binding has no repair function');
  await repair.call(Level, dbDir);
}
