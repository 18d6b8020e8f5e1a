// Bringing a worktree (files + index) from its current state to a target tree, and detecting local
// changes that such an update would overwrite (the `git merge --ff-only` safety rule).
import path from 'node:path';
import { GitEngineError } from './errors.js';
import { entryFromStat, modeToNumber, modeToString, readIndex, statMatches, writeIndex, type IndexEntry } from './index-file.js';
import type { Repo } from './repo.js';
import { readBlob, type FlatEntry, type FlatTree } from './tree-util.js';
import { mapLimit } from './map-limit.js';
import { writeEntries, type WriteJob } from './checkout-lanes.js';
import { makeDirsFor } from './checkout-write.js';
import { snapshotObjectFs } from './object-read-fs.js';
import { PackCorruptError, PackReader } from './pack-reader.js';
import { isPopulatedDir, lstatOrNull, removeWorkFile, workEntry } from './workdir-files.js';

// Files in flight: libuv's pool has 4 threads; more requests queued keeps them busy between turns.
const CONCURRENCY = 64;
/** Files (or content bytes) read before a batch is written. */
const BATCH_FILES = 4096;
const BATCH_BYTES = 64 * 1024 * 1024;

export interface WorkdirTarget { workdir: string; indexFile: string }

const same = (a: FlatEntry | null | undefined, b: FlatEntry | null | undefined): boolean =>
  (!a && !b) || (!!a && !!b && a.mode === b.mode && a.oid === b.oid);

async function indexMap(file: string): Promise<Map<string, IndexEntry>> {
  const idx = await readIndex(file);
  const m = new Map<string, IndexEntry>();
  for (const e of idx?.entries ?? []) {
    // An unmerged path (stage > 0) never equals a tree entry: it counts as a local change.
    if (e.stage === 0 && !m.has(e.path)) m.set(e.path, e);
    else m.set(e.path, { ...e, oid: '', stage: e.stage });
  }
  return m;
}

const indexAsFlat = (e: IndexEntry | undefined): FlatEntry | null => (e && e.stage === 0 ? { mode: modeToString(e.mode), oid: e.oid } : null);

/**
 * Whether the worktree holds `want` at `abs`. A gitlink is a directory whose content git does not
 * look at without --recurse-submodules: as the old entry any directory (or nothing) matches; as a
 * new entry only nothing or an empty directory (a populated one is someone's repository).
 */
async function workdirMatches(abs: string, want: FlatEntry | null, idx: IndexEntry | undefined, asOld = true): Promise<boolean> {
  const st = await lstatOrNull(abs);
  if (!want) return st === null;
  if (want.mode === GITLINK) return !st || (st.isDirectory() && (asOld || !(await isPopulatedDir(abs))));
  if (!st) return false;
  if (idx && same(indexAsFlat(idx), want) && statMatches(idx, st)) return true;
  const w = await workEntry(abs);
  return same(w?.entry, want);
}

const GITLINK = '160000';

/**
 * Gitlink paths (in `tracked` or the index) holding a non-empty directory that `to` needs to be
 * something else than a gitlink or nothing: a file there, or tracked files inside. Updating them
 * would destroy a set-up submodule, so they count as local changes in the way.
 */
async function submodulesInTheWay(workdir: string, tracked: FlatTree | null, index: Map<string, IndexEntry>, to: FlatTree): Promise<string[]> {
  const gitlinks = new Set<string>();
  for (const [p, e] of tracked ?? []) if (e.mode === GITLINK) gitlinks.add(p);
  for (const [p, e] of index) if (e.mode === 0o160000) gitlinks.add(p);
  const out: string[] = [];
  for (const g of gitlinks) {
    const n = to.get(g);
    if (n?.mode === GITLINK) continue;
    const prefix = `${g}/`;
    if (!n && ![...to.keys()].some((p) => p.startsWith(prefix))) continue;
    if (await isPopulatedDir(path.join(workdir, g))) out.push(g);
  }
  return out.sort();
}

const underAny = (p: string, dirs: readonly string[]): boolean => dirs.some((d) => p === d || p.startsWith(`${d}/`));

/**
 * Paths where moving the worktree from `oldTree` to `newTree` would overwrite something local:
 * a staged or unstaged change, an untracked file in the way, or a set-up submodule whose path must
 * become something else. With `acceptNew`, a path that already holds the new content is fine
 * (recovery after an interrupted update).
 */
export async function localChangesInTheWay(target: WorkdirTarget, oldTree: FlatTree, newTree: FlatTree, acceptNew = false): Promise<string[]> {
  const index = await indexMap(target.indexFile);
  const changed = new Set<string>();
  for (const [p, e] of newTree) if (!same(oldTree.get(p), e)) changed.add(p);
  for (const p of oldTree.keys()) if (!newTree.has(p)) changed.add(p);
  const submodules = await submodulesInTheWay(target.workdir, oldTree, index, newTree);
  const dirty: string[] = [...submodules];
  for (const p of changed) {
    if (underAny(p, submodules)) continue;
    const oldE = oldTree.get(p) ?? null;
    const newE = newTree.get(p) ?? null;
    const idx = index.get(p);
    const idxFlat = indexAsFlat(idx);
    const indexOk = (idx === undefined ? !oldE : same(idxFlat, oldE)) || (acceptNew && (idx === undefined ? !newE : same(idxFlat, newE)));
    const abs = path.join(target.workdir, p);
    const workOk = indexOk && ((await workdirMatches(abs, oldE, idx)) || (acceptNew || !oldE ? await workdirMatches(abs, newE, undefined, false) : false));
    if (!indexOk || !workOk || (newE && !oldE && (await untrackedFileAbove(target.workdir, p, oldTree)))) dirty.push(p);
  }
  return dirty.sort();
}

/** A parent of `p` exists as a file or symlink git does not track: creating `p` would delete it. */
async function untrackedFileAbove(workdir: string, p: string, tracked: FlatTree): Promise<boolean> {
  const parts = p.split('/');
  for (let i = 1; i < parts.length; i++) {
    const parent = parts.slice(0, i).join('/');
    const st = await lstatOrNull(path.join(workdir, parent));
    if (!st) return false;
    if (!st.isDirectory()) return !tracked.has(parent);
  }
  return false;
}

/**
 * Blob contents for a bulk read: the pack reader (native inflate, verified oids) first; an object
 * it does not know (written after its listing) through isomorphic-git.
 */
async function blobReader(repo: Repo): Promise<(oid: string) => Promise<Uint8Array>> {
  const packs = await PackReader.open(repo.gitdir);
  const objectFs = snapshotObjectFs(repo.gitdir);
  return async (oid) => {
    const obj = await packs.read(oid);
    if (!obj) return readBlob(repo, oid, objectFs);
    if (obj.type !== 'blob') throw new PackCorruptError(`${oid} is a ${obj.type}, not a blob`, { oid });
    return obj.content;
  };
}

/**
 * Writes `to` into the worktree and rewrites its index. With `from` (the tree the worktree was on)
 * and without `force` this is git's two-way merge (`git merge --ff-only`, `read-tree -m -u`): a
 * path whose entry is the same in `from` and `to` keeps its index entries (every stage) and its
 * file untouched, staged changes and staged deletions included; only paths that differ between
 * `from` and `to` are written or removed (callers refuse first with `localChangesInTheWay`).
 * Without `from` (or with `force`), paths the index already records with the target content are
 * left alone unless `force` (then any file that differs is rewritten).
 */
export async function checkoutTree(repo: Repo, target: WorkdirTarget, to: FlatTree, force: boolean, from?: FlatTree): Promise<void> {
  const current = await indexMap(target.indexFile);
  // Non-forced callers refused already (localChangesInTheWay); a forced update must not destroy a
  // set-up submodule either.
  const submodules = await submodulesInTheWay(target.workdir, from ?? null, current, to);
  if (submodules.length > 0) {
    throw new GitEngineError('WORKTREE_DIRTY', `submodules in ${target.workdir} would be overwritten`, { workdir: target.workdir, paths: submodules });
  }
  const twoWay = !force && from !== undefined;
  const rawEntries = twoWay ? ((await readIndex(target.indexFile))?.entries ?? []) : [];
  const kept = new Map<string, IndexEntry>();
  /** Every stage of the paths the two-way merge leaves alone. */
  const untouched: IndexEntry[] = [];
  const unchanged = (p: string): boolean => twoWay && same(from?.get(p), to.get(p));
  for (const e of rawEntries) if (unchanged(e.path)) untouched.push(e);
  const toWrite: Array<[string, FlatEntry]> = [];
  await mapLimit([...to], CONCURRENCY, async ([p, e]) => {
    if (unchanged(p)) return;
    const cur = current.get(p);
    let keep = !!cur && same(indexAsFlat(cur), e);
    if (keep && force && cur) {
      const abs = path.join(target.workdir, p);
      const st = await lstatOrNull(abs);
      keep = !!st && (statMatches(cur, st) || same((await workEntry(abs))?.entry, e));
      if (keep && st && !statMatches(cur, st)) { kept.set(p, entryFromStat(p, e.oid, modeToNumber(e.mode), st)); return; }
    }
    if (keep && cur) kept.set(p, cur);
    else toWrite.push([p, e]);
  });
  for (const [p, cur] of current) {
    if (to.has(p) || unchanged(p)) continue;
    // Without force only paths the update itself deletes go; a file the user staged stays staged.
    if (!(force || !from || from.has(p))) kept.set(p, cur);
    // A set-up submodule stays, untracked, when its gitlink goes (git only tries rmdir).
    else if (cur.mode === 0o160000 && (await isPopulatedDir(path.join(target.workdir, p)))) continue;
    else await removeWorkFile(target.workdir, p);
  }
  // Directories first, level by level, then the files; blobs come from one object-listing snapshot.
  await makeDirsFor(target.workdir, toWrite.map(([p]) => p), CONCURRENCY);
  const readContent = await blobReader(repo);
  const written: IndexEntry[] = [];
  // In batches, so that only a bounded amount of content is held at once.
  for (let start = 0; start < toWrite.length;) {
    const jobs: WriteJob[] = [];
    let bytes = 0;
    for (; start < toWrite.length && jobs.length < BATCH_FILES && bytes < BATCH_BYTES; start++) {
      const [p, e] = toWrite[start] as [string, FlatEntry];
      const content = e.mode === '160000' ? null : await readContent(e.oid);
      bytes += content?.byteLength ?? 0;
      jobs.push({ rel: p, entry: e, content });
    }
    // Created with O_EXCL: whatever is in the way (rare) is removed and the create retried.
    const stats = await writeEntries(target.workdir, jobs);
    jobs.forEach((j, i) => written.push(entryFromStat(j.rel, j.entry.oid, modeToNumber(j.entry.mode), stats[i] ?? null)));
  }
  await writeIndex(target.indexFile, [...untouched, ...kept.values(), ...written]);
}
