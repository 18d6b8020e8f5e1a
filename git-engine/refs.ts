// Ref reads and writes on the common gitdir. Writes go through `<ref>.lock` + rename, so each ref
// moves atomically (a kill -9 leaves the old or the new value, never a torn file), like git itself.
import fs from 'node:fs/promises';
import path from 'node:path';
import git from 'isomorphic-git';
import { GitEngineError } from './errors.js';
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

export async function writeRefAtomic(repo: Repo, ref: string, oid: string, reason = 'thalogos'): Promise<void> {
  if (!OID_RE.test(oid) || !ref.startsWith('refs/')) throw new Error(`bad ref write ${ref} -> ${oid}`);
  const old = repo.reflog ? await readRef(repo, ref) : null;
  const file = path.join(repo.gitdir, ref);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const lock = `${file}.lock`;
  let handle;
  try {
    handle = await fs.open(lock, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new GitEngineError('REF_LOCKED', `${ref} is locked by another writer (${lock} exists)`, { ref, lockPath: lock });
    }
    throw err;
  }
  try {
    try {
      await handle.writeFile(`${oid}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(lock, file);
  } catch (err) {
    // A failed write (ENOSPC, EIO, ...) must not leave the lock behind: every later write of this
    // ref would be refused.
    await fs.rm(lock, { force: true }).catch(() => undefined);
    throw err;
  }
  await appendReflog(repo, ref, old, oid, reason);
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

export async function deleteRef(repo: Repo, ref: string): Promise<void> {
  await git.deleteRef({ fs: repo.fs, gitdir: repo.gitdir, ref });
}

/** Full ref names under a prefix such as `refs/heads/session/abc` (loose and packed). */
export async function listRefsUnder(repo: Repo, prefix: string): Promise<string[]> {
  const names = await git.listRefs({ fs: repo.fs, gitdir: repo.gitdir, filepath: prefix });
  return names.filter((n) => !n.endsWith('.lock')).map((n) => `${prefix}/${n}`);
}
