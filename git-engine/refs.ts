// Ref reads and writes on the common gitdir. Writes go through `<ref>.lock` + rename, so each ref
// moves atomically (a kill -9 leaves the old or the new value, never a torn file), like git itself.
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import git from 'isomorphic-git';
import { GitEngineError } from './errors.js';
import { faultPoint } from './fault-injection.js';
import { OID_RE } from './object-hash.js';
import type { Repo } from './repo.js';

export async function readRef(repo: Repo, ref: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs: repo.fs, gitdir: repo.gitdir, ref });
  } catch (err) {
    if ((err as { code?: string }).code === 'NotFoundError') return null;
    throw err;
  }
}

export async function mustReadBranch(repo: Repo, branch: string): Promise<string> {
  const oid = await readRef(repo, `refs/heads/${branch}`);
  if (!oid) throw new GitEngineError('BRANCH_NOT_FOUND', `branch ${branch} does not exist`, { branch });
  return oid;
}

/** The value of a ref as stored: the loose file, else packed-refs (no symbolic refs, no peeling). */
export async function readStoredRef(repo: Repo, ref: string): Promise<string | null> {
  try {
    const text = (await fs.readFile(path.join(repo.gitdir, ref), 'utf8')).trim();
    if (OID_RE.test(text)) return text;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTDIR') throw err;
  }
  const packed = await fs.readFile(path.join(repo.gitdir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    if (line.length > 41 && line.slice(41) === ref && OID_RE.test(line.slice(0, 40))) return line.slice(0, 40);
  }
  return null;
}

export interface RefLockOptions {
  /** Compare-and-swap: the value the ref must hold (null: must not exist). Undefined: no check. */
  expectedOld?: string | null;
  /** Written into the lock at once (git writes the new value there too). */
  newOid?: string;
  /**
   * Recovery of our own interrupted write: a lock that already holds exactly `newOid` was left by
   * a killed run of the same journaled update; it is taken over instead of refused.
   */
  reclaim?: boolean;
}

export interface RefLock {
  /** The ref's value read under the lock. */
  readonly old: string | null;
  /**
   * Writes `oid` (fsync) and renames the lock over the ref; the lock is gone afterwards. With
   * `durableWith` (e.g. the fsync of the objects the ref will name), the rename also waits for it,
   * so both are synced in one round instead of one after the other.
   */
  commit(oid: string, reason?: string, durableWith?: Promise<void>): Promise<void>;
  /** Drops the lock without moving the ref. */
  release(): Promise<void>;
}

/**
 * Creates `lock` exclusively, holding `content` from the moment it exists: written aside and
 * hard-linked into place (link fails with EEXIST like an exclusive open). A writer killed right
 * after taking the lock leaves a lock that names the value it was writing, which recovery
 * recognises as its own (`reclaim`); an empty one could be anybody's and wedged the ref for good.
 */
async function createLock(repo: Repo, lock: string, content: string | undefined): Promise<FileHandle> {
  if (content === undefined) return fs.open(lock, 'wx');
  const aside = path.join(repo.gitdir, 'thalogos', `lock-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  await fs.mkdir(path.dirname(aside), { recursive: true });
  await fs.writeFile(aside, `${content}\n`);
  try {
    await fs.link(aside, lock);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    // A file system without hard links: exclusive open, then the content (git's own way).
    const handle = await fs.open(lock, 'wx');
    await handle.writeFile(`${content}\n`);
    return handle;
  } finally {
    await fs.rm(aside, { force: true });
  }
  return fs.open(lock, 'r+');
}

/**
 * Takes `<ref>.lock` exclusively and re-reads the ref under it, like git's ref transactions. A
 * caller that updates a worktree before the ref holds the lock across that update.
 */
export async function lockRef(repo: Repo, ref: string, opts: RefLockOptions = {}): Promise<RefLock> {
  if (!ref.startsWith('refs/') || ref.split('/').includes('..') || (opts.newOid !== undefined && !OID_RE.test(opts.newOid))) {
    throw new Error(`bad ref lock ${ref}`);
  }
  const file = path.join(repo.gitdir, ref);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const lock = `${file}.lock`;
  let handle: FileHandle | undefined;
  try {
    handle = await createLock(repo, lock, opts.newOid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const held = opts.reclaim && opts.newOid ? await fs.readFile(lock, 'utf8').catch(() => null) : null;
    if (held !== null && held.trim() === opts.newOid) {
      await fs.rm(lock, { force: true });
      handle = await createLock(repo, lock, opts.newOid);
    } else {
      throw new GitEngineError('REF_LOCKED', `${ref} is locked by another writer (${lock} exists)`, { ref, lockPath: lock });
    }
  }
  faultPoint(`ref-lock-taken:${ref}`);
  const h = handle;
  let open = true;
  const drop = async () => {
    if (open) { open = false; await h.close().catch(() => undefined); }
    await fs.rm(lock, { force: true }).catch(() => undefined);
  };
  let old: string | null;
  try {
    old = await readStoredRef(repo, ref);
    if (opts.expectedOld !== undefined && old !== opts.expectedOld) {
      const isMain = ref === `refs/heads/${repo.mainBranch}`;
      throw new GitEngineError(isMain ? 'MAIN_MOVED' : 'BRANCH_MOVED', `${ref} is at ${old ?? 'nothing'}, expected ${opts.expectedOld ?? 'nothing'}`, { ref, expected: opts.expectedOld, actual: old });
    }
  } catch (err) {
    await drop();
    throw err;
  }
  return {
    old,
    async commit(oid, reason = 'thalogos', durableWith) {
      if (!OID_RE.test(oid)) { await durableWith?.catch(() => undefined); await drop(); throw new Error(`bad ref write ${ref} -> ${oid}`); }
      try {
        if (oid !== opts.newOid) { await h.truncate(0); await h.write(`${oid}\n`, 0); }
        // Both settle before anything is dropped or renamed: never a rename over unsynced objects.
        const [own, alongside] = await Promise.allSettled([h.sync(), durableWith ?? Promise.resolve()]);
        if (own.status === 'rejected') throw own.reason;
        if (alongside.status === 'rejected') throw alongside.reason;
        open = false;
        await h.close();
        await fs.rename(lock, file);
      } catch (err) {
        // A failed write (ENOSPC, EIO, ...) must not leave the lock behind: every later write of
        // this ref would be refused.
        await drop();
        throw err;
      }
      await appendReflog(repo, ref, old, oid, reason);
    },
    release: drop,
  };
}

export async function writeRefAtomic(repo: Repo, ref: string, oid: string, reason = 'thalogos', opts: Omit<RefLockOptions, 'newOid'> = {}): Promise<void> {
  if (!OID_RE.test(oid) || !ref.startsWith('refs/')) throw new Error(`bad ref write ${ref} -> ${oid}`);
  const lock = await lockRef(repo, ref, { ...opts, newOid: oid });
  await lock.commit(oid, reason);
}

/**
 * Appends a reflog line like git does for branches in a non-bare repository
 * (core.logAllRefUpdates), so `git reflog <branch>` shows the engine's moves. When the branch is
 * the main worktree's HEAD, HEAD's reflog gets the line too. Best effort: the ref is already moved.
 */
async function appendReflog(repo: Repo, ref: string, old: string | null, oid: string, reason: string): Promise<void> {
  if (!repo.reflog || !repo.workdir || !ref.startsWith('refs/heads/')) return;
  const { name, email, nowMs } = repo.reflog;
  const line = `${old ?? '0'.repeat(40)} ${oid} ${name} <${email}> ${Math.floor(nowMs / 1000)} +0000\t${reason.replace(/[\r\n\t]/g, ' ')}\n`;
  const files = [path.join(repo.gitdir, 'logs', ref)];
  const head = await fs.readFile(path.join(repo.gitdir, 'HEAD'), 'utf8').catch(() => '');
  if (head.trim() === `ref: ${ref}`) files.push(path.join(repo.gitdir, 'logs', 'HEAD'));
  for (const f of files) {
    try {
      await fs.mkdir(path.dirname(f), { recursive: true });
      await fs.appendFile(f, line);
    } catch { /* a missing reflog line must not fail an operation whose ref already moved */ }
  }
}

/**
 * Deletes a branch or tag like `git branch -D`: under `<ref>.lock`, packed-refs is rewritten
 * through `packed-refs.lock` (exclusive, fsync, rename) when it holds the ref, then the loose file
 * and the ref's reflog are removed. With `expectedOld` it is a compare-and-swap: a ref holding
 * anything else is left alone (BRANCH_MOVED / MAIN_MOVED), like `git update-ref -d <ref> <old>`.
 */
export async function deleteRef(repo: Repo, ref: string, expectedOld?: string): Promise<void> {
  const lock = await lockRef(repo, ref, expectedOld !== undefined ? { expectedOld } : {});
  try {
    await removePacked(repo, ref);
    await fs.rm(path.join(repo.gitdir, ref), { force: true });
    await fs.rm(path.join(repo.gitdir, 'logs', ref), { force: true });
  } finally {
    await lock.release();
  }
}

async function removePacked(repo: Repo, ref: string): Promise<void> {
  const file = path.join(repo.gitdir, 'packed-refs');
  const lines = (await fs.readFile(file, 'utf8').catch(() => '')).split('\n');
  const at = lines.findIndex((l) => l.slice(41) === ref && OID_RE.test(l.slice(0, 40)));
  if (at < 0) return;
  const lock = `${file}.lock`;
  let h: FileHandle;
  try {
    h = await fs.open(lock, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new GitEngineError('REF_LOCKED', `packed-refs is locked (${lock} exists)`, { ref, lockPath: lock });
    throw err;
  }
  try {
    // Re-read under the lock: another writer may have repacked in between.
    const current = (await fs.readFile(file, 'utf8').catch(() => '')).split('\n');
    const out: string[] = [];
    for (let i = 0; i < current.length; i++) {
      const l = current[i] as string;
      if (l.slice(41) === ref && OID_RE.test(l.slice(0, 40))) {
        if ((current[i + 1] ?? '').startsWith('^')) i += 1; // its peeled line goes too
        continue;
      }
      out.push(l);
    }
    await h.writeFile(out.join('\n'));
    await h.sync();
    await h.close();
    await fs.rename(lock, file);
  } catch (err) {
    await h.close().catch(() => undefined);
    await fs.rm(lock, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Full ref names under a prefix such as `refs/heads/session/abc` (loose and packed), sorted. Only
 * names inside `<prefix>/` count: session `s1` must not list `s10`'s branches (isomorphic-git's
 * listRefs matches packed names by string prefix).
 */
export async function listRefsUnder(repo: Repo, prefix: string): Promise<string[]> {
  const dir = `${prefix.replace(/\/+$/, '')}/`;
  const names = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(repo.gitdir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const name = `${rel}${e.name}`;
      if (e.isDirectory()) await walk(`${name}/`);
      else if (e.isFile() && !e.name.endsWith('.lock')) names.add(name);
    }
  };
  await walk(dir);
  const packed = await fs.readFile(path.join(repo.gitdir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const name = line.slice(41);
    if (OID_RE.test(line.slice(0, 40)) && name.startsWith(dir)) names.add(name);
  }
  return [...names].sort();
}
