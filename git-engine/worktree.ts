// Linked worktrees in git's standard layout:
//   <gitdir>/worktrees/<name>/{HEAD,index,commondir,gitdir}  and  <worktree>/.git = "gitdir: ..."
// so native `git worktree list/status/diff` see a normal worktree. Admin names are
// `<sessionId>.<taskId>` (ids never contain '.', so names cannot collide across kinds).
import fs from 'node:fs/promises';
import path from 'node:path';
import { GitEngineError } from './errors.js';
import { checkoutTree } from './checkout.js';
import { OID_RE } from './object-hash.js';
import type { Repo } from './repo.js';
import { flattenCommit } from './tree-util.js';
import { lstatOrNull } from './workdir-files.js';
import { worktreeFs, type FsClient } from './worktree-layout.js';

export interface LinkedWorktree { name: string; adminDir: string; worktreePath: string }

export function adminDirOf(repo: Repo, name: string): string {
  return path.join(repo.gitdir, 'worktrees', name);
}

async function readText(file: string): Promise<string | null> {
  try { return await fs.readFile(file, 'utf8'); } catch { return null; }
}

export async function listLinkedWorktrees(repo: Repo): Promise<LinkedWorktree[]> {
  let names: string[] = [];
  try { names = await fs.readdir(path.join(repo.gitdir, 'worktrees')); } catch { return []; }
  const out: LinkedWorktree[] = [];
  for (const name of names) {
    const adminDir = adminDirOf(repo, name);
    const gitfile = (await readText(path.join(adminDir, 'gitdir')))?.trim();
    if (gitfile) out.push({ name, adminDir, worktreePath: path.dirname(gitfile) });
  }
  return out;
}

export async function findWorktreeByPath(repo: Repo, worktreePath: string): Promise<LinkedWorktree | null> {
  return (await listLinkedWorktrees(repo)).find((w) => w.worktreePath === worktreePath) ?? null;
}

/** The `fs` isomorphic-git needs to see this worktree's HEAD and index (see worktree-layout.ts). */
export function fsFor(repo: Repo, wt: LinkedWorktree): FsClient {
  return worktreeFs(repo.gitdir, wt.adminDir);
}

/** HEAD of a worktree: `{ branch }` when symbolic, `{ oid }` when detached. */
export async function worktreeHead(adminOrGitdir: string): Promise<{ branch: string | null; oid: string | null }> {
  const head = (await readText(path.join(adminOrGitdir, 'HEAD')))?.trim() ?? '';
  if (head.startsWith('ref: refs/heads/')) return { branch: head.slice('ref: refs/heads/'.length), oid: null };
  return { branch: null, oid: OID_RE.test(head) ? head : null };
}

/** Every checked-out place of a branch: the main worktree and linked ones (for ff-only updates). */
export async function worktreesOnBranch(repo: Repo, branch: string): Promise<Array<{ workdir: string; indexFile: string }>> {
  const out: Array<{ workdir: string; indexFile: string }> = [];
  if (repo.workdir && (await worktreeHead(repo.gitdir)).branch === branch) {
    out.push({ workdir: repo.workdir, indexFile: path.join(repo.gitdir, 'index') });
  }
  for (const wt of await listLinkedWorktrees(repo)) {
    if ((await worktreeHead(wt.adminDir)).branch === branch) out.push({ workdir: wt.worktreePath, indexFile: path.join(wt.adminDir, 'index') });
  }
  return out;
}

/**
 * Creates (or, after a crash, completes) a linked worktree at `worktreePath` whose HEAD is
 * `branch` (symbolic) or the detached `commit`. The admin dir carries a `locked` file while it is
 * being populated, exactly like `git worktree add`, and an interrupted creation is redone.
 */
export async function ensureLinkedWorktree(repo: Repo, p: { name: string; worktreePath: string; branch: string | null; commit: string }): Promise<LinkedWorktree> {
  const adminDir = adminDirOf(repo, p.name);
  const wt: LinkedWorktree = { name: p.name, adminDir, worktreePath: p.worktreePath };
  const headLine = p.branch ? `ref: refs/heads/${p.branch}\n` : `${p.commit}\n`;
  const existingGitdir = (await readText(path.join(adminDir, 'gitdir')))?.trim();
  if (existingGitdir !== undefined && existingGitdir !== path.join(p.worktreePath, '.git')) {
    throw new GitEngineError('WORKTREE_EXISTS', `worktree ${p.name} already exists at another path`, { name: p.name, path: path.dirname(existingGitdir) });
  }
  const other = await findWorktreeByPath(repo, p.worktreePath);
  if (other && other.name !== p.name) {
    throw new GitEngineError('WORKTREE_EXISTS', `${p.worktreePath} is already the worktree ${other.name}`, { name: other.name, path: p.worktreePath });
  }
  const locked = await readText(path.join(adminDir, 'locked'));
  const complete = existingGitdir !== undefined && locked === null && (await readText(path.join(p.worktreePath, '.git'))) !== null;
  if (complete) {
    if ((await readText(path.join(adminDir, 'HEAD'))) !== headLine && p.branch) {
      throw new GitEngineError('WORKTREE_EXISTS', `worktree ${p.name} exists on another HEAD`, { name: p.name });
    }
    return wt; // idempotent: resume after a crash or a repeated request
  }
  if (existingGitdir === undefined) {
    const st = await lstatOrNull(p.worktreePath);
    if (st && !st.isDirectory()) throw new GitEngineError('WORKTREE_EXISTS', `${p.worktreePath} exists and is not a directory`, { path: p.worktreePath });
    if (st && (await fs.readdir(p.worktreePath)).length > 0) {
      throw new GitEngineError('WORKTREE_EXISTS', `${p.worktreePath} exists and is not empty`, { path: p.worktreePath });
    }
  }
  const adminFiles: Array<[string, string]> = [
    ['locked', 'initializing\n'],
    ['commondir', '../..\n'],
    ['gitdir', `${path.join(p.worktreePath, '.git')}\n`],
    ['HEAD', headLine],
  ];
  if (existingGitdir === undefined) {
    // Written aside and renamed into `worktrees/` whole: a `git fsck` or `git worktree list`
    // running meanwhile must never meet the entry without its HEAD ("detached HEAD points at
    // nothing" failed a CI run's fsck while a task's worktree was being made).
    const staging = path.join(repo.gitdir, 'thalogos', `new-worktree-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    await fs.mkdir(staging, { recursive: true });
    for (const [name, text] of adminFiles) await fs.writeFile(path.join(staging, name), text);
    await moveIntoWorktrees(staging, adminDir);
  } else {
    // Completing an interrupted creation: each file replaced whole, HEAD never empty.
    for (const [name, text] of adminFiles) await replaceFile(path.join(adminDir, name), text);
  }
  await fs.mkdir(p.worktreePath, { recursive: true });
  await fs.writeFile(path.join(p.worktreePath, '.git'), `gitdir: ${adminDir}\n`);
  await checkoutTree(repo, { workdir: p.worktreePath, indexFile: path.join(adminDir, 'index') }, await flattenCommit(repo, p.commit), true);
  await fs.rm(path.join(adminDir, 'locked'), { force: true });
  return wt;
}

/** Moves a detached linked worktree (the integration worktree) to another commit, discarding edits. */
export async function resetDetachedWorktree(repo: Repo, wt: LinkedWorktree, commit: string): Promise<void> {
  await checkoutTree(repo, { workdir: wt.worktreePath, indexFile: path.join(wt.adminDir, 'index') }, await flattenCommit(repo, commit), true);
  await replaceFile(path.join(wt.adminDir, 'HEAD'), `${commit}\n`);
}

/**
 * Renames a staged admin dir into `.git/worktrees/`. The removal of another worktree deletes
 * `worktrees/` when it finds it empty (as git does), which it is between our mkdir and the rename:
 * then the directory is made again and the rename retried.
 */
async function moveIntoWorktrees(staging: string, adminDir: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    await fs.mkdir(path.dirname(adminDir), { recursive: true });
    try {
      await fs.rename(staging, adminDir);
      return;
    } catch (error) {
      const gone = (error as NodeJS.ErrnoException).code === 'ENOENT' && (await lstatOrNull(staging)) !== null;
      if (gone && attempt < 20) continue;
      await fs.rm(staging, { recursive: true, force: true });
      throw error;
    }
  }
}

/** Writes `file` through a temp file and a rename: a reader sees the old text or the new, never an empty file. */
async function replaceFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}

/** Removes the worktree directory and its admin dir; afterwards `git worktree prune` has nothing to do. */
export async function removeLinkedWorktree(repo: Repo, wt: LinkedWorktree): Promise<void> {
  // The admin directory leaves `worktrees/` in one rename: deleted file by file in place, a `git
  // fsck` or `git worktree list` running meanwhile would meet a worktree without its HEAD.
  const trash = path.join(repo.gitdir, 'thalogos', `removed-worktree-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  await fs.mkdir(path.dirname(trash), { recursive: true });
  let moved = true;
  await fs.rename(wt.adminDir, trash).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    moved = false;
  });
  await fs.rm(wt.worktreePath, { recursive: true, force: true });
  if (moved) await fs.rm(trash, { recursive: true, force: true });
  // git removes the empty `worktrees` directory when it prunes the last entry.
  try { await fs.rmdir(path.join(repo.gitdir, 'worktrees')); } catch { /* not empty */ }
}
