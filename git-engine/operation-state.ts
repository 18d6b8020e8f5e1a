// Refusing to update a worktree that is in the middle of something the engine's index writer
// cannot carry over: an unfinished merge/rebase/cherry-pick/revert (unmerged entries, MERGE_HEAD
// and friends would be collapsed or left dangling), or an index using features the version-2
// writer drops (split index `link`, sparse index `sdir`, skip-worktree and intent-to-add flags).
// Native git refuses `merge --ff-only` in most of these states too; here nothing may move.
import fs from 'node:fs/promises';
import path from 'node:path';
import { GitEngineError, type GitEngineErrorCode } from './errors.js';
import type { WorkdirTarget } from './checkout.js';

export type UnsafeState =
  | 'unmerged_entries' | 'merge_in_progress' | 'cherry_pick_in_progress' | 'revert_in_progress'
  | 'rebase_in_progress' | 'split_index' | 'sparse_index' | 'skip_worktree' | 'intent_to_add';

const MARKERS: Array<[string, UnsafeState]> = [
  ['MERGE_HEAD', 'merge_in_progress'], ['CHERRY_PICK_HEAD', 'cherry_pick_in_progress'], ['REVERT_HEAD', 'revert_in_progress'],
  ['rebase-merge', 'rebase_in_progress'], ['rebase-apply', 'rebase_in_progress'],
];

const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

/** What the index file says: unmerged entries, flags and extensions (versions 2-4). */
export function indexStates(buf: Buffer): Set<UnsafeState> {
  const out = new Set<UnsafeState>();
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') return out;
  const version = buf.readUInt32BE(4);
  const count = buf.readUInt32BE(8);
  let off = 12;
  for (let i = 0; i < count && off + 62 <= buf.length; i++) {
    const start = off;
    const flags = buf.readUInt16BE(start + 60);
    if ((flags >> 12) & 3) out.add('unmerged_entries');
    let nameStart = start + 62;
    if (version >= 3 && flags & 0x4000) {
      const ext = buf.readUInt16BE(nameStart);
      if (ext & 0x4000) out.add('skip_worktree');
      if (ext & 0x2000) out.add('intent_to_add');
      nameStart += 2;
    }
    if (version === 4) {
      let p = nameStart;
      while ((buf[p++] as number) & 0x80) { /* skip git's offset varint */ }
      off = buf.indexOf(0, p) + 1;
    } else {
      const nul = buf.indexOf(0, nameStart);
      off = start + ((nameStart - start + (nul - nameStart) + 8) & ~7);
    }
    if (off <= start) break;
  }
  // Extensions: 4-byte signature + 4-byte size, up to the trailing SHA-1.
  while (off + 8 <= buf.length - 20) {
    const sig = buf.toString('latin1', off, off + 4);
    if (sig === 'link') out.add('split_index');
    if (sig === 'sdir') out.add('sparse_index');
    off += 8 + buf.readUInt32BE(off + 4);
  }
  return out;
}

/** Every reason updating this worktree would lose state; the admin dir is the index's directory. */
export async function unsafeStates(target: WorkdirTarget): Promise<UnsafeState[]> {
  const admin = path.dirname(target.indexFile);
  const out = new Set<UnsafeState>();
  for (const [name, state] of MARKERS) if (await exists(path.join(admin, name))) out.add(state);
  const buf = await fs.readFile(target.indexFile).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (buf) for (const s of indexStates(buf)) out.add(s);
  return [...out];
}

export async function assertNoOperationInProgress(target: WorkdirTarget, code: GitEngineErrorCode): Promise<void> {
  const reasons = await unsafeStates(target);
  if (reasons.length > 0) {
    throw new GitEngineError(code, `${target.workdir} has ${reasons.join(', ').replace(/_/g, ' ')}: finish or abort it first`, { workdir: target.workdir, reason: reasons[0], reasons });
  }
}
