// Writing objects (never refs: callers move refs last, atomically): commits, annotated tags, and
// the fs every engine object write goes through. isomorphic-git writes a loose object straight to
// its final path and skips the write when that file exists, so a file left truncated or empty by a
// killed writer would never be repaired and later commits would reference it. Through
// `objectWriteFs` a loose object is written to a temp file in its fan-out directory, fsync'ed and
// renamed into place, and an existing object file counts as present only if it inflates to
// content whose SHA-1 is its name (otherwise it is rewritten, atomically).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import type { Repo } from './repo.js';
import type { FsClient } from './worktree-layout.js';
import { renderCommit } from './commit-object.js';
import { frameObject, isSoundLooseObject, type LooseObjectType } from './loose-object.js';
import { signPayload, type SigningKey } from './signing.js';

export interface Identity { name: string; email: string }

export interface ObjectContext {
  committer: Identity;
  nowMs: number;
  signingKey?: SigningKey | undefined;
}

export async function writeCommit(repo: Repo, ctx: ObjectContext, p: { tree: string; parents: string[]; message: string }): Promise<string> {
  const who = { name: ctx.committer.name, email: ctx.committer.email, timestamp: Math.floor(ctx.nowMs / 1000), timezoneOffset: 0 };
  const text = await renderCommit({ tree: p.tree, parents: p.parents, author: who, committer: who, message: p.message }, ctx.signingKey);
  return writeLooseObject(repo, 'commit', Buffer.from(text, 'utf8'));
}

/**
 * Writes one object as a loose file (deflated `type size\0content`, temp file + rename, fsynced or
 * listed in repo.deferredSyncs). Content-addressed: an existing file is replaced by identical
 * bytes, which also repairs one a killed writer left truncated.
 */
export async function writeLooseObject(repo: Repo, type: LooseObjectType, content: Uint8Array): Promise<string> {
  const { raw, oid } = frameObject(type, content);
  const file = path.join(repo.gitdir, 'objects', oid.slice(0, 2), oid.slice(2));
  // Objects written here are small (commits, tags): deflating inline beats a thread-pool hop.
  await writeLooseObjectAtomic(file, deflateSync(raw), repo.deferredSyncs);
  return oid;
}

export async function writeAnnotatedTag(repo: Repo, ctx: ObjectContext, p: { name: string; target: string; message: string }): Promise<string> {
  const ts = Math.floor(ctx.nowMs / 1000);
  const body = p.message.replace(/\r\n/g, '\n').trim();
  // git verifies a tag's signature over everything before "-----BEGIN PGP SIGNATURE-----".
  let text = `object ${p.target}\ntype commit\ntag ${p.name}\ntagger ${ctx.committer.name} <${ctx.committer.email}> ${ts} +0000\n\n${body}\n`;
  if (ctx.signingKey) text += await signPayload(ctx.signingKey, text);
  return writeLooseObject(repo, 'tag', Buffer.from(text, 'utf8'));
}

const LOOSE_OBJECT = /^([0-9a-f]{2})[/\\]([0-9a-f]{38})$/;

/**
 * Writes `data` (a deflated loose object) to `file`: temp file beside it, fsync, rename. With
 * `deferred`, the fsync is left out and the file is listed there instead; the caller syncs the
 * list (syncObjects) before any ref can point at those objects.
 */
export async function writeLooseObjectAtomic(file: string, data: Uint8Array, deferred?: string[]): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  // git's own temp-object prefix: `git gc` / `git prune` clean up stale ones.
  const tmp = path.join(dir, `tmp_obj_${randomBytes(6).toString('hex')}`);
  const fh = await fs.open(tmp, 'wx', 0o444);
  try {
    try {
      await fh.writeFile(data);
      if (!deferred) await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
    deferred?.push(file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** True when the loose object file inflates completely to content whose SHA-1 is `oid`. */
export async function looseObjectIsSound(file: string, oid: string): Promise<boolean> {
  try {
    return isSoundLooseObject(await fs.readFile(file), oid);
  } catch {
    return false;
  }
}

/**
 * fsyncs the objects whose sync was deferred (Repo.deferredSyncs), all at once: the file system
 * can then commit them together instead of one journal commit per object. Empties the list.
 */
export async function syncObjects(repo: Repo): Promise<void> {
  const files = [...new Set(repo.deferredSyncs?.splice(0) ?? [])];
  await Promise.all(files.map(async (file) => {
    const fh = await fs.open(file, 'r');
    try { await fh.sync(); } finally { await fh.close(); }
  }));
}

const writeFsCache = new WeakMap<Repo, FsClient>();

/**
 * `repo.fs` with loose-object writes made atomic and unsound existing objects reported absent
 * (isomorphic-git checks existence with stat before writing), so they are written again.
 */
export function objectWriteFs(repo: Repo): FsClient {
  const known = writeFsCache.get(repo);
  if (known) return known;
  const base = repo.fs.promises;
  const objectsDir = path.join(repo.gitdir, 'objects');
  const looseOid = (file: unknown): string | null => {
    if (typeof file !== 'string') return null;
    const m = LOOSE_OBJECT.exec(path.relative(objectsDir, file));
    return m ? `${m[1]}${m[2]}` : null;
  };
  const absent = (file: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`ENOENT: unsound loose object, '${file}'`), { code: 'ENOENT', errno: -2, path: file });
  const statLike = (name: 'stat' | 'lstat') => {
    const fn = base[name] as unknown as (...a: unknown[]) => Promise<unknown>;
    return async (file: unknown, ...rest: unknown[]): Promise<unknown> => {
      const oid = looseOid(file);
      if (oid && !(await looseObjectIsSound(file as string, oid))) throw absent(file as string);
      return fn.call(base, file, ...rest);
    };
  };
  const writeFile = base.writeFile as unknown as (...a: unknown[]) => Promise<void>;
  const promises = {
    ...base,
    stat: statLike('stat'),
    lstat: statLike('lstat'),
    writeFile: async (file: unknown, data: unknown, ...rest: unknown[]): Promise<void> => {
      if (looseOid(file) && data instanceof Uint8Array) return writeLooseObjectAtomic(file as string, data, repo.deferredSyncs);
      return writeFile.call(base, file, data, ...rest);
    },
  } as unknown as FsClient['promises'];
  const out: FsClient = { promises };
  writeFsCache.set(repo, out);
  return out;
}
