// The Save journal: `<gitdir>/thalogos/save-<sessionId>.json`, replaced atomically (write + fsync +
// rename). It records the intended ref updates before any is written, so after a kill -9
// recoverSave() can tell "nothing published" from "publish half done" and finish the latter.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { GitEngineError } from './errors.js';

const oid = z.string().regex(/^[0-9a-f]{40}$/);

const RefUpdateSchema = z.object({ ref: z.string().startsWith('refs/'), old: oid.nullable(), new: oid });
export type RefUpdate = z.infer<typeof RefUpdateSchema>;

/**
 * Who wrote the journal: the host, the process and the engine instance. A journal whose writer is
 * gone (another process that exited on this host, or this very engine outside a Save) is stale
 * and is recovered by the next Save; one whose writer is alive elsewhere is a Save in progress.
 */
const OwnerSchema = z.object({
  host: z.string(),
  pid: z.number().int(),
  engine: z.string(),
  /**
   * Cluster mode: the epoch of the session lease its writer held. A node holding a higher epoch
   * took the session over (the writer died or was paused past its lease): the journal is stale
   * to it, whatever the pid says, and the old writer may no longer publish it.
   */
  epoch: z.number().int().nonnegative().optional(),
});
export type JournalOwner = z.infer<typeof OwnerSchema>;

export const JournalSchema = z.object({
  version: z.literal(1),
  sessionId: z.string(),
  saveId: z.string(),
  /** 'gating': merges written as objects only, no ref moved. 'publishing': refs being moved in order. */
  phase: z.enum(['gating', 'publishing']),
  mainBranch: z.string(),
  mainBefore: oid,
  candidate: oid,
  tag: z.string(),
  updates: z.array(RefUpdateSchema),
  /** The published result, returned again by recoverSave once the remaining refs are written. */
  result: z.unknown().optional(),
  /** Absent in journals written before owners were recorded: treated as stale. */
  owner: OwnerSchema.optional(),
});
export type SaveJournal = z.infer<typeof JournalSchema>;

/** Writes `text` to a fresh temp file beside `file` and fsyncs it; the caller renames or links it. */
async function writeSyncedTemp(file: string, text: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomUUID()}.tmp`;
  const h = await fs.open(tmp, 'w');
  try {
    await h.writeFile(text);
    await h.sync();
  } finally {
    await h.close();
  }
  return tmp;
}

export function journalPath(gitdir: string, sessionId: string): string {
  return path.join(gitdir, 'thalogos', `save-${sessionId}.json`);
}

export async function readJournal(gitdir: string, sessionId: string): Promise<SaveJournal | null> {
  let text: string;
  try {
    text = await fs.readFile(journalPath(gitdir, sessionId), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = JournalSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new GitEngineError('JOURNAL_CONFLICT', 'save journal is unreadable', { sessionId, issues: parsed.error.issues.slice(0, 5) });
  return parsed.data;
}

/**
 * Writes the journal atomically. With `exclusive`, fails with SAVE_IN_PROGRESS when one exists
 * already (a hard link cannot replace a file), so two processes cannot both start a Save.
 */
export async function writeJournal(gitdir: string, journal: SaveJournal, exclusive = false): Promise<void> {
  const file = journalPath(gitdir, journal.sessionId);
  const tmp = await writeSyncedTemp(file, JSON.stringify(journal, null, 2));
  if (!exclusive) {
    await fs.rename(tmp, file);
    return;
  }
  try {
    await fs.link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new GitEngineError('SAVE_IN_PROGRESS', 'another Save of this session is running or unfinished', { sessionId: journal.sessionId });
    }
    throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Tag names reserved by publishing journals of any session (their tag may not be written yet). */
export async function reservedCheckpointTags(gitdir: string): Promise<string[]> {
  const dir = path.join(gitdir, 'thalogos');
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names) {
    if (!/^save-.+\.json$/.test(name)) continue;
    try {
      const parsed = JournalSchema.safeParse(JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')));
      if (parsed.success && parsed.data.phase === 'publishing' && parsed.data.tag) out.push(parsed.data.tag);
    } catch { /* gone or unreadable: it reserves nothing */ }
  }
  return out;
}

export async function deleteJournal(gitdir: string, sessionId: string): Promise<void> {
  await fs.rm(journalPath(gitdir, sessionId), { force: true });
}

/**
 * The journal of one branch move that updates worktrees before the ref (rollback's restore
 * commit on main, resolveConflict on a task branch): `<gitdir>/thalogos/move-<ref>.json`, written
 * before the first file changes, deleted after the ref moved. A run killed in between leaves it,
 * and the next operation on that branch finishes the move (see branch-move.ts).
 */
export const MoveJournalSchema = z.object({
  version: z.literal(1),
  branch: z.string().min(1),
  old: oid,
  new: oid,
  reason: z.string(),
  /** For a restore commit: the checkpoint it restores, so a retry of the same rollback returns it. */
  restores: z.string().optional(),
});
export type MoveJournal = z.infer<typeof MoveJournalSchema>;

export function moveJournalPath(gitdir: string, branch: string): string {
  return path.join(gitdir, 'thalogos', `move-${encodeURIComponent(branch)}.json`);
}

export async function readMoveJournal(gitdir: string, branch: string): Promise<MoveJournal | null> {
  let text: string;
  try {
    text = await fs.readFile(moveJournalPath(gitdir, branch), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let parsed;
  try { parsed = MoveJournalSchema.safeParse(JSON.parse(text)); } catch { parsed = null; }
  if (!parsed?.success || parsed.data.branch !== branch) throw new GitEngineError('JOURNAL_CONFLICT', 'move journal is unreadable', { branch });
  return parsed.data;
}

export async function writeMoveJournal(gitdir: string, j: MoveJournal): Promise<void> {
  const file = moveJournalPath(gitdir, j.branch);
  await fs.rename(await writeSyncedTemp(file, JSON.stringify(j, null, 2)), file);
}

export async function deleteMoveJournal(gitdir: string, branch: string): Promise<void> {
  await fs.rm(moveJournalPath(gitdir, branch), { force: true });
}
