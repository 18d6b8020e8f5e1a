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

export async function writeRefAtomic(repo: Repo, ref: string, oid: string): Promise<void> {
  if (!OID_RE.test(oid) || !ref.startsWith('refs/')) throw new Error(`bad ref write ${ref} -> ${oid}`);
  const file = path.join(repo.gitdir, ref);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const lock = `${file}.lock`;
  let handle;
  try {
    handle = await fs.open(lock, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new GitEngineError('SAVE_IN_PROGRESS', `${ref} is locked by another writer (${lock} exists)`, { ref });
    }
    throw err;
  }
  try {
    await handle.writeFile(`${oid}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(lock, file);
}

export async function deleteRef(repo: Repo, ref: string): Promise<void> {
  await git.deleteRef({ fs: repo.fs, gitdir: repo.gitdir, ref });
}

/** Full ref names under a prefix such as `refs/heads/session/abc` (loose and packed). */
export async function listRefsUnder(repo: Repo, prefix: string): Promise<string[]> {
  const names = await git.listRefs({ fs: repo.fs, gitdir: repo.gitdir, filepath: prefix });
  return names.filter((n) => !n.endsWith('.lock')).map((n) => `${prefix}/${n}`);
}
