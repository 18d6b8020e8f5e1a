// `copy` of `.thalogos.json`: untracked local files (`.env`, `config/local.json`) copied from the
// person's main worktree into a new task worktree, and remembered per worktree so the engine keeps
// them out of every commit of the task (snapshot-commit.ts reads the list back).
import fs from 'node:fs/promises';
import path from 'node:path';
import { isInside, isGitAliasComponent } from './validate-names.js';
import { flattenCommit } from './tree-util.js';
import type { Repo } from './repo.js';
import type { LinkedWorktree } from './worktree.js';

/** Largest file copied (a local env or config file, not a data set), and most files per task. */
export const MAX_COPY_BYTES = 16 * 1024 * 1024;
export const MAX_COPY_FILES = 1000;

export interface CopyNote { path: string; reason: string }
export interface CopyResult { copied: string[]; skipped: CopyNote[] }

/** The engine's per-worktree list of copied paths, in the worktree's own admin dir (removed with it). */
export function copiedListFile(wt: LinkedWorktree): string {
  return path.join(wt.adminDir, 'thalogos-copied.json');
}

/** The copied paths of a worktree (repository-relative), empty when nothing was copied. */
export async function readCopiedList(wt: LinkedWorktree): Promise<Set<string>> {
  try {
    const parsed = JSON.parse(await fs.readFile(copiedListFile(wt), 'utf8')) as unknown;
    return new Set(Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string') : []);
  } catch {
    return new Set();
  }
}

function globRegex(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

const isGlob = (segment: string): boolean => /[*?]/.test(segment);

/**
 * Expands one validated pattern against the main worktree, segment by segment. Directories are
 * entered only when they are real directories (never through a symlink), `.git` is never entered,
 * and a wildcard does not match dot-names unless the segment itself starts with a dot.
 */
async function expand(root: string, pattern: string): Promise<string[]> {
  let current = [''];
  const segments = pattern.split('/');
  for (const segment of segments) {
    const next: string[] = [];
    for (const dir of current) {
      if (dir !== '') {
        const st = await fs.lstat(path.join(root, dir)).catch(() => null);
        if (!st?.isDirectory()) continue;
      }
      if (!isGlob(segment)) {
        next.push(dir ? `${dir}/${segment}` : segment);
        continue;
      }
      const re = globRegex(segment);
      const names = await fs.readdir(path.join(root, dir)).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (isGitAliasComponent(name) || (name.startsWith('.') && !segment.startsWith('.'))) continue;
        if (re.test(name)) next.push(dir ? `${dir}/${name}` : name);
      }
    }
    current = next;
  }
  return current;
}

/** The reason a destination is refused, or null: no parent inside the task worktree may be a symlink. */
async function unsafeDestination(worktree: string, rel: string): Promise<string | null> {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const st = await fs.lstat(path.join(worktree, ...parts.slice(0, i))).catch(() => null);
    if (st === null) return null; // created below as a real directory
    if (!st.isDirectory()) return `${parts.slice(0, i).join('/')} in the task worktree is not a directory`;
  }
  const st = await fs.lstat(path.join(worktree, rel)).catch(() => null);
  if (st && !st.isFile()) return 'the task worktree has something other than a file there';
  return null;
}

/**
 * Copies what `patterns` match from the main worktree into the task worktree. Nothing here is an
 * error: a missing file, a tracked file (the task already has it from its commit), a directory, a
 * symlink leading out of the repository or into its git directory, or an oversized file is skipped
 * with a note. The list of copied paths is written before the first copy, so a crash halfway never
 * leaves a copied file the engine would commit.
 */
export async function copyLocalFiles(repo: Repo, wt: LinkedWorktree, commit: string, patterns: readonly string[]): Promise<CopyResult> {
  const result: CopyResult = { copied: [], skipped: [] };
  if (patterns.length === 0) return result;
  if (repo.workdir === null) {
    for (const p of patterns) result.skipped.push({ path: p, reason: 'the repository is bare: there is no main worktree to copy from' });
    return result;
  }
  const root = await fs.realpath(repo.workdir);
  const gitdir = await fs.realpath(repo.gitdir);
  const tracked = await flattenCommit(repo, commit);
  const planned: Array<{ rel: string; source: string }> = [];
  const seen = new Set<string>();
  for (const pattern of patterns) {
    const matches = await expand(root, pattern);
    if (matches.length === 0 || (!isGlob(pattern) && !(await fs.lstat(path.join(root, pattern)).catch(() => null)))) {
      result.skipped.push({ path: pattern, reason: 'not found in the main worktree' });
      continue;
    }
    for (const rel of matches) {
      if (seen.has(rel)) continue;
      seen.add(rel);
      const note = (reason: string) => result.skipped.push({ path: rel, reason });
      if (tracked.has(rel)) { note('tracked in git: the task has it from its commit'); continue; }
      const abs = path.join(root, rel);
      const real = await fs.realpath(abs).catch(() => null);
      if (real === null) { note('not found in the main worktree (or a dangling symlink)'); continue; }
      if (!isInside(real, root)) { note('a symlink leading out of the repository'); continue; }
      if (real === gitdir || isInside(real, gitdir)) { note('a symlink into the git directory'); continue; }
      const st = await fs.stat(real);
      if (!st.isFile()) { note('not a regular file'); continue; }
      if (st.size > MAX_COPY_BYTES) { note(`larger than ${MAX_COPY_BYTES} bytes`); continue; }
      const unsafe = await unsafeDestination(wt.worktreePath, rel);
      if (unsafe !== null) { note(unsafe); continue; }
      if (planned.length >= MAX_COPY_FILES) { note(`more than ${MAX_COPY_FILES} files to copy`); continue; }
      planned.push({ rel, source: real });
    }
  }
  const previous = await readCopiedList(wt);
  await fs.writeFile(copiedListFile(wt), JSON.stringify([...new Set([...previous, ...planned.map((p) => p.rel)])].sort()));
  for (const { rel, source } of planned) {
    const dest = path.join(wt.worktreePath, rel);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    // A plain copy of the content (the target, for a symlink inside the repository), mode kept.
    await fs.copyFile(source, dest);
    result.copied.push(rel);
  }
  return result;
}
