// commitWorktree: snapshot a linked worktree (new, modified, deleted, exec-bit and symlink changes,
// .gitignore respected) into a commit on its task branch on top of the worktree's current HEAD,
// then rewrite the worktree's index so native `git status` is clean.
import fs from 'node:fs/promises';
import path from 'node:path';
import git from 'isomorphic-git';
import type { BigIntStats } from 'node:fs';
import { readCopiedList } from './copy-local-files.js';
import { GitEngineError } from './errors.js';
import { entryFromStat, modeToNumber, modeToString, readIndex, statMatches, writeIndex, type IndexEntry } from './index-file.js';
import { IgnoreStack } from './ignore-rules.js';
import { hashBlob } from './object-hash.js';
import { lockRef, mustReadBranch, readRef } from './refs.js';
import type { Repo } from './repo.js';
import { flattenCommit, writeFlatTree, type FlatTree } from './tree-util.js';
import { isGitAliasComponent, isInside } from './validate-names.js';
import { fileMode, readWorkContent } from './workdir-files.js';
import { worktreeHead, type LinkedWorktree } from './worktree.js';
import { objectWriteFs, syncObjects, writeCommit, type ObjectContext } from './write-objects.js';

export type ChangeKind = 'added' | 'modified' | 'deleted' | 'mode' | 'symlink';
export interface Change { path: string; kind: ChangeKind }

interface Scanned {
  flat: FlatTree;
  stats: Map<string, BigIntStats>;
  /** Directories with their own .git the snapshot cannot record: embedded repositories and set-up submodules. */
  nested: string[];
}

function trackedDirs(head: FlatTree): Set<string> {
  const dirs = new Set<string>();
  for (const p of head.keys()) {
    let d = path.posix.dirname(p);
    while (d !== '.') { dirs.add(d); d = path.posix.dirname(d); }
  }
  return dirs;
}

/**
 * A name git's verify_path refuses (`.GIT`, `.git.`, `git~1`, a `.gitmodules` symlink, ...): it
 * would be, or become on a case-insensitive / NTFS / HFS+ checkout, the .git directory.
 */
function refuseGitAlias(rel: string, name: string, symlink: boolean): void {
  if (isGitAliasComponent(name, symlink)) {
    throw new GitEngineError('INVALID_NAME', `${rel} is a name git refuses (it aliases .git)`, { path: rel, reason: 'git_alias' });
  }
}

/** Bytes outside printable ASCII as \\xNN, for naming a path that is not valid UTF-8. */
function escapeBytes(raw: Buffer): string {
  return [...raw].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

/** A directory entry's name, refused when it is not valid UTF-8 (git stores names as bytes; the engine's trees and index as UTF-8). */
function utf8Name(dir: string, raw: Buffer): string {
  const name = raw.toString('utf8');
  if (!Buffer.from(name, 'utf8').equals(raw)) {
    const rel = dir ? `${dir}/${escapeBytes(raw)}` : escapeBytes(raw);
    throw new GitEngineError('INVALID_NAME', `${rel}: file name is not valid UTF-8`, { path: rel, reason: 'not_utf8' });
  }
  return name;
}

/** Walks the worktree without following symlinks; hashes only files whose stat data changed. */
async function scanWorktree(repo: Repo, wt: LinkedWorktree, head: FlatTree, index: { entries: IndexEntry[]; mtimeNs: bigint } | null, writeBlobs = true): Promise<Scanned> {
  const root = wt.worktreePath;
  const byPath = new Map(index?.entries.filter((e) => e.stage === 0).map((e) => [e.path, e]) ?? []);
  const dirsWithTracked = trackedDirs(head);
  const flat: FlatTree = new Map();
  const stats = new Map<string, BigIntStats>();
  const nested: string[] = [];
  // Local files copied in for the task (`.env`, ...): never part of its commits, even once modified.
  const copied = await readCopiedList(wt);
  const walk = async (dir: string, rules: IgnoreStack): Promise<void> => {
    const names = (await fs.readdir(path.join(root, dir), { encoding: 'buffer' })).map((raw) => utf8Name(dir, raw)).sort();
    for (const name of names) {
      const rel = dir ? `${dir}/${name}` : name;
      if (name === '.git') continue;
      const abs = path.join(root, rel);
      const st = await fs.lstat(abs, { bigint: true });
      if (st.isDirectory()) {
        const headEntry = head.get(rel);
        const nestedRepo = await fs.lstat(path.join(abs, '.git')).then(() => true, () => false);
        if (nestedRepo) nested.push(rel);
        if (nestedRepo && headEntry?.mode !== '160000' && dirsWithTracked.has(rel)) {
          // Skipping it like an untracked embedded repository would record every tracked file in it as deleted.
          throw new GitEngineError('INVALID_NAME', `${rel} holds tracked files but is now a git repository of its own (it has a .git)`, { path: rel, reason: 'tracked_directory_is_a_repository' });
        }
        if (headEntry?.mode === '160000') { flat.set(rel, headEntry); continue; } // submodule: keep as recorded
        if (nestedRepo) continue; // an embedded repository is not snapshotted
        if (rules.isIgnored(rel, true) && !dirsWithTracked.has(rel)) continue;
        refuseGitAlias(rel, name, false);
        await walk(rel, await rules.enter(root, rel));
        continue;
      }
      const mode = fileMode(st);
      if (!mode) continue; // sockets, fifos, devices
      if (copied.has(rel)) continue;
      if (!head.has(rel) && rules.isIgnored(rel, false)) continue;
      refuseGitAlias(rel, name, mode === '120000');
      if (mode === '120000') {
        const target = await fs.readlink(abs);
        const resolved = path.resolve(path.dirname(abs), target);
        if (resolved !== root && !isInside(resolved, root)) {
          throw new GitEngineError('SYMLINK_ESCAPE', `${rel} points outside the worktree`, { path: rel, target });
        }
      }
      const idx = byPath.get(rel);
      let oid: string;
      // Trust the index's stat cache only for entries older than the index file itself (racy git).
      const idxMtimeNs = idx ? BigInt(idx.mtimeSec) * 1_000_000_000n + BigInt(idx.mtimeNsec) : 0n;
      if (idx && index && modeToString(idx.mode) === mode && statMatches(idx, st) && idxMtimeNs < index.mtimeNs) {
        oid = idx.oid;
      } else {
        const content = await readWorkContent(abs, st);
        oid = hashBlob(content);
        if (writeBlobs && head.get(rel)?.oid !== oid) {
          await git.writeBlob({ fs: objectWriteFs(repo), gitdir: repo.gitdir, blob: content });
        }
      }
      flat.set(rel, { mode, oid });
      stats.set(rel, st);
    }
  };
  await walk('', await IgnoreStack.forRoot(repo.gitdir, root));
  return { flat, stats, nested };
}

export function diffFlat(before: FlatTree, after: FlatTree): Change[] {
  const changes: Change[] = [];
  for (const [p, e] of after) {
    const b = before.get(p);
    if (!b) changes.push({ path: p, kind: 'added' });
    else if (b.mode !== e.mode && (b.mode === '120000' || e.mode === '120000')) changes.push({ path: p, kind: 'symlink' });
    else if (b.oid !== e.oid) changes.push({ path: p, kind: e.mode === '120000' ? 'symlink' : 'modified' });
    else if (b.mode !== e.mode) changes.push({ path: p, kind: 'mode' });
  }
  for (const p of before.keys()) if (!after.has(p)) changes.push({ path: p, kind: 'deleted' });
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export async function snapshotCommit(repo: Repo, wt: LinkedWorktree, branch: string, ctx: ObjectContext, message: string):
  Promise<{ commit: string | null; head: string; changes: Change[] }> {
  const wtHead = await worktreeHead(wt.adminDir);
  if (wtHead.branch !== branch) {
    throw new GitEngineError('WORKTREE_NOT_FOUND', `worktree HEAD is not on ${branch}`, { expected: branch, actual: wtHead.branch ?? wtHead.oid });
  }
  const head = await mustReadBranch(repo, branch);
  const headTree = await flattenCommit(repo, head);
  const indexFile = path.join(wt.adminDir, 'index');
  // The new blobs, trees and the commit are fsynced together, and together with the ref's lock
  // file, before the rename that makes the ref name them: one round of fsyncs where there were
  // four in a row (each object, then the ref), which was most of a task commit's time on a busy disk.
  const outer = repo.deferredSyncs;
  repo.deferredSyncs = [];
  let scanned: Scanned;
  let changes: Change[];
  let commit: string | null = null;
  try {
    scanned = await scanWorktree(repo, wt, headTree, await readIndex(indexFile));
    changes = diffFlat(headTree, scanned.flat);
    if (changes.length > 0) {
      const tree = await writeFlatTree(repo, scanned.flat);
      commit = await writeCommit(repo, ctx, { tree, parents: [head], message });
      // Compare-and-swap: the agent may not move the branch between our read and our write.
      if ((await mustReadBranch(repo, branch)) !== head) {
        throw new GitEngineError('BRANCH_MOVED', `${branch} moved during the commit`, { branch });
      }
      const lock = await lockRef(repo, `refs/heads/${branch}`, { expectedOld: head, newOid: commit });
      await lock.commit(commit, 'thalogos: task commit', syncObjects(repo));
    } else {
      await syncObjects(repo);
    }
  } finally {
    repo.deferredSyncs = outer;
  }
  const entries = [...scanned.flat].map(([p, e]) => entryFromStat(p, e.oid, modeToNumber(e.mode), e.mode === '160000' ? null : scanned.stats.get(p) ?? null));
  await writeIndex(indexFile, entries);
  return { commit, head: commit ?? head, changes };
}

/**
 * What removing the worktree would lose (paths, sorted): every change commitWorktree would record
 * against the worktree's HEAD, and directories with their own .git (embedded repositories and
 * set-up submodules, which a snapshot cannot record). Ignored files do not count, as with
 * `git worktree remove`. Reads only; writes no object.
 */
export async function uncommittedWork(repo: Repo, wt: LinkedWorktree): Promise<string[]> {
  const wtHead = await worktreeHead(wt.adminDir);
  const head = wtHead.branch ? await readRef(repo, `refs/heads/${wtHead.branch}`) : wtHead.oid;
  const headTree: FlatTree = head ? await flattenCommit(repo, head) : new Map();
  const scanned = await scanWorktree(repo, wt, headTree, await readIndex(path.join(wt.adminDir, 'index')), false);
  const paths = new Set([...diffFlat(headTree, scanned.flat).map((c) => c.path), ...scanned.nested]);
  return [...paths].sort();
}
