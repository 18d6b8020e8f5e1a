// Recovery of a Save journal left behind (kill -9, a refused ref write after main moved, an
// engine that stopped): report it without touching anything (pendingSave), or finish it
// (recoverSave, and the next Save of the session on its own when the journal's writer is gone).
//
// Publishing moves main first, then the integration branch, then the checkpoint tag. So a journal
// whose main is at `new` is finished forward (the Save is published; the rest follows), and one
// whose main never moved is tried forward once and, if main's move is refused (a foreign
// `main.lock`, local edits in the way, main moved elsewhere), rolled back: nothing of it was
// published, and whatever the journal moved besides main is put back.
import os from 'node:os';
import { GitEngineError, type GitEngineErrorCode } from './errors.js';
import { moveBranch } from './branch-move.js';
import { deleteRef, readRef, writeRefAtomic } from './refs.js';
import type { Repo } from './repo.js';
import { deleteJournal, journalPath, readJournal, type JournalOwner, type SaveJournal } from './save-journal.js';
import type { SaveResult } from './save-types.js';
import { faultPoint } from './fault-injection.js';
import fs from 'node:fs/promises';

export type OwnerState = 'this_engine' | 'exited' | 'alive' | 'unknown' | 'superseded';

export interface PendingSave {
  sessionId: string;
  saveId: string;
  /** 'gating': merges written as objects only, no ref moved. 'publishing': refs being moved. */
  phase: 'gating' | 'publishing';
  mainBranch: string;
  mainBefore: string;
  candidate: string;
  tag: string | null;
  /** The journaled ref updates in order, with each ref's value now. */
  updates: Array<{ ref: string; old: string | null; new: string; current: string | null }>;
  /** The writer (null: a journal from before owners were recorded, treated as exited). */
  owner: { host: string; pid: number; state: OwnerState } | null;
  /** This engine is running a Save of the session right now (set on the main thread). */
  running: boolean;
  /**
   * What recoverSave would do now: 'complete' (main moved, or may still move: finish forward),
   * 'roll_back' (nothing published: drop the journal and put back what it moved), 'wait' (its
   * writer is alive: a Save in progress; recoverSave refuses unless `force`).
   */
  action: 'complete' | 'roll_back' | 'wait';
  /** The result the Save returns once published (publishing phase only). */
  result: SaveResult | null;
}

export type RecoverSaveResult =
  | { state: 'none' }
  | { state: 'completed'; result: SaveResult }
  | { state: 'rolled_back'; reason?: { code: string; message: string } };

/** Refusals of main's move that happen before any file or ref changed. */
const REFUSALS: ReadonlySet<GitEngineErrorCode> = new Set(['REF_LOCKED', 'MAIN_MOVED', 'MAIN_WORKTREE_DIRTY']);

export function isPublishRefusal(err: unknown): err is GitEngineError {
  return err instanceof GitEngineError && REFUSALS.has(err.code);
}

export function journalOwner(engineId: string | undefined, leaseEpoch?: number): JournalOwner {
  return { host: os.hostname(), pid: process.pid, engine: engineId ?? '', ...(leaseEpoch === undefined ? {} : { epoch: leaseEpoch }) };
}

function ownerState(owner: JournalOwner | undefined, engineId: string | undefined, leaseEpoch?: number): OwnerState {
  if (!owner) return 'exited';
  // Cluster mode: the session lease decides, not the pid (the writer may be on another host, or
  // alive but fenced). A higher epoch than the writer's means the writer lost the session.
  if (leaseEpoch !== undefined && owner.epoch !== undefined && owner.epoch < leaseEpoch) return 'superseded';
  if (engineId && owner.engine === engineId) return 'this_engine';
  if (owner.host !== os.hostname()) return 'unknown';
  if (owner.pid === process.pid) return 'alive'; // another engine instance of this process
  try {
    process.kill(owner.pid, 0);
    return 'alive';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'exited';
  }
}

/**
 * This engine's own journal is stale whenever it is asked (its Saves of a repository are serialised
 * by the engine's mutex, held by every caller of this function); a foreign one when its process
 * exited on this host.
 */
function isStale(state: OwnerState): boolean {
  return state === 'this_engine' || state === 'exited' || state === 'superseded';
}

export async function describePending(repo: Repo, sessionId: string, engineId: string | undefined, leaseEpoch?: number): Promise<PendingSave | null> {
  const j = await readJournal(repo.gitdir, sessionId);
  if (!j) return null;
  const updates = [];
  for (const u of j.updates) updates.push({ ...u, current: await readRef(repo, u.ref) });
  const state = ownerState(j.owner, engineId, leaseEpoch);
  const main = updates.find((u) => u.ref === `refs/heads/${j.mainBranch}`);
  let action: PendingSave['action'];
  if (!isStale(state)) action = 'wait';
  else if (j.phase === 'gating' || !main) action = 'roll_back';
  else action = main.current === main.new || main.current === main.old ? 'complete' : 'roll_back';
  return {
    sessionId: j.sessionId, saveId: j.saveId, phase: j.phase, mainBranch: j.mainBranch, mainBefore: j.mainBefore,
    candidate: j.candidate, tag: j.tag || null, updates,
    owner: j.owner ? { host: j.owner.host, pid: j.owner.pid, state } : null,
    running: false, action, result: (j.result as SaveResult | undefined) ?? null,
  };
}

/** Puts back every non-main ref the journal moved (compare-and-swap: only from its `new`). */
async function rollBack(repo: Repo, j: SaveJournal, reason?: GitEngineError): Promise<RecoverSaveResult> {
  const mainRef = `refs/heads/${j.mainBranch}`;
  for (const u of [...j.updates].reverse()) {
    if (u.ref === mainRef || (await readRef(repo, u.ref)) !== u.new) continue;
    if (u.old === null) await deleteRef(repo, u.ref);
    else await writeRefAtomic(repo, u.ref, u.old, `thalogos: save ${j.saveId} (rolled back)`, { expectedOld: u.new });
  }
  await deleteJournal(repo.gitdir, j.sessionId);
  return reason ? { state: 'rolled_back', reason: { code: reason.code, message: reason.message } } : { state: 'rolled_back' };
}

/** Writes the journaled non-main updates in order; refs already at `new` are skipped. */
export async function applyRest(repo: Repo, j: SaveJournal, recovering: boolean): Promise<void> {
  const mainRef = `refs/heads/${j.mainBranch}`;
  let i = 1;
  for (const u of j.updates) {
    if (u.ref === mainRef) continue;
    i += 1;
    const cur = await readRef(repo, u.ref);
    if (cur === u.new) continue;
    if (cur !== u.old) throw new GitEngineError('JOURNAL_CONFLICT', `${u.ref} is at ${cur}, expected ${u.old} or ${u.new}`, { ref: u.ref, actual: cur });
    await writeRefAtomic(repo, u.ref, u.new, `thalogos: save ${j.saveId}`, { expectedOld: u.old, reclaim: recovering });
    faultPoint(`publish-after-ref-${i}`);
  }
}

/** Finishes or rolls back a journal (the caller checked that its writer is gone). */
async function settle(repo: Repo, j: SaveJournal): Promise<RecoverSaveResult> {
  if (j.phase === 'gating') return rollBack(repo, j);
  const mainRef = `refs/heads/${j.mainBranch}`;
  const main = j.updates.find((u) => u.ref === mainRef);
  if (!main || !main.old) throw new GitEngineError('JOURNAL_CONFLICT', 'the save journal has no update of the main branch', { sessionId: j.sessionId });
  const cur = await readRef(repo, mainRef);
  if (cur !== main.new) {
    if (cur !== main.old) return rollBack(repo, j, new GitEngineError('MAIN_MOVED', `${j.mainBranch} moved since the Save was interrupted`, { expected: main.old, actual: cur }));
    try {
      await moveBranch(repo, j.mainBranch, main.old, main.new, true, `thalogos: save ${j.saveId} (fast-forward)`);
    } catch (err) {
      if (isPublishRefusal(err)) return rollBack(repo, j, err);
      throw err;
    }
  }
  await applyRest(repo, j, true);
  await deleteJournal(repo.gitdir, j.sessionId);
  return { state: 'completed', result: j.result as SaveResult };
}

/**
 * recoverSave: finishes or rolls back the session's journal. A journal whose writer is alive
 * (a Save in progress in another process) is refused with SAVE_IN_PROGRESS unless `force`; with
 * `force`, an unreadable journal is dropped too (nothing can be known of its refs).
 */
export async function recoverSave(repo: Repo, engineId: string | undefined, p: { sessionId: string; force?: boolean; leaseEpoch?: number }): Promise<RecoverSaveResult> {
  let j: SaveJournal | null;
  try {
    j = await readJournal(repo.gitdir, p.sessionId);
  } catch (err) {
    if (!p.force || !(err instanceof GitEngineError && err.code === 'JOURNAL_CONFLICT')) throw err;
    await fs.rm(journalPath(repo.gitdir, p.sessionId), { force: true });
    return { state: 'rolled_back', reason: { code: err.code, message: err.message } };
  }
  if (!j) return { state: 'none' };
  const state = ownerState(j.owner, engineId, p.leaseEpoch);
  if (!isStale(state) && !p.force) {
    throw new GitEngineError('SAVE_IN_PROGRESS', 'a Save of this session is running in another process', { sessionId: p.sessionId, owner: j.owner, ownerState: state });
  }
  return settle(repo, j);
}

/** Before a Save: a stale journal of the session is settled; a live one refuses the Save. */
export async function settleStaleJournal(repo: Repo, engineId: string | undefined, sessionId: string, leaseEpoch?: number): Promise<RecoverSaveResult> {
  return recoverSave(repo, engineId, { sessionId, ...(leaseEpoch === undefined ? {} : { leaseEpoch }) });
}
