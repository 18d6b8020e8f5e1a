// Validation of every name that comes from outside the engine. Nothing touches the repository
// before these checks pass; a failure is INVALID_NAME (or PATH_OUTSIDE_REPOSITORY) and changes nothing.
import path from 'node:path';
import { GitEngineError } from './errors.js';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function validateId(kind: 'sessionId' | 'taskId' | 'saveId', value: unknown): string {
  if (typeof value !== 'string' || !ID_RE.test(value)) {
    throw new GitEngineError('INVALID_NAME', `${kind} must match ${ID_RE.source}`, { kind, value: String(value).slice(0, 100) });
  }
  return value;
}

/**
 * git's ref-format rules (git-check-ref-format(1)) for a full ref name such as
 * `refs/heads/session/a/task/b`: no component starting with '.', no '..', no control chars,
 * none of ` ~^:?*[\`, no trailing '/', '.' or '.lock' component suffix, no '@{', not '@', no '//'.
 */
export function isValidRefName(ref: string): boolean {
  if (ref.length === 0 || ref.length > 1024) return false;
  if (ref === '@' || ref.includes('@{') || ref.includes('..') || ref.includes('//')) return false;
  if (ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f ~^:?*[\\]/.test(ref)) return false;
  for (const component of ref.split('/')) {
    if (component.length === 0 || component.startsWith('.') || component.endsWith('.lock')) return false;
  }
  return true;
}

export function validateBranchName(branch: unknown): string {
  if (typeof branch !== 'string' || !isValidRefName(`refs/heads/${branch}`) || branch.startsWith('-') || branch === 'HEAD') {
    throw new GitEngineError('INVALID_NAME', 'invalid branch name (git ref-format)', { value: String(branch).slice(0, 200) });
  }
  return branch;
}

export function taskBranch(sessionId: string, taskId: string): string {
  return validateBranchName(`session/${validateId('sessionId', sessionId)}/task/${validateId('taskId', taskId)}`);
}

export function integrationBranch(sessionId: string): string {
  return validateBranchName(`session/${validateId('sessionId', sessionId)}/integration`);
}

const CHECKPOINT_RE = /^checkpoint\/(\d{4}-\d{2}-\d{2})-([1-9]\d{0,5})$/;

const SESSION_START_RE = /^session-start\/([A-Za-z0-9][A-Za-z0-9_-]{0,127})$/;

/**
 * Accepts `checkpoint/2026-01-02-3`, a session's start `session-start/{sessionId}`, or either under
 * `refs/tags/`; returns the short tag name and a suffix for names derived from it.
 */
export function validateCheckpointName(value: unknown): { tag: string; suffix: string } {
  const raw = typeof value === 'string' && value.startsWith('refs/tags/') ? value.slice('refs/tags/'.length) : value;
  if (typeof raw === 'string' && SESSION_START_RE.test(raw)) return { tag: raw, suffix: `start-${raw.slice('session-start/'.length)}` };
  if (typeof raw !== 'string' || !CHECKPOINT_RE.test(raw)) {
    throw new GitEngineError('INVALID_NAME', 'checkpoint must look like checkpoint/YYYY-MM-DD-N or session-start/SESSION', { value: String(value).slice(0, 200) });
  }
  return { tag: raw, suffix: raw.slice('checkpoint/'.length) };
}

/**
 * A worktree path: absolute, already normalised (no `.`/`..` segments, no trailing slash),
 * not the repository itself, not an ancestor of it and not inside its .git directory.
 * Worktrees may live outside the repository's directory, as with `git worktree add`.
 */
export function validateWorktreePath(worktreePath: unknown, repoPath: string, gitdir: string): string {
  if (typeof worktreePath !== 'string' || worktreePath.length === 0 || worktreePath.length > 4096 || worktreePath.includes('\0')) {
    throw new GitEngineError('INVALID_NAME', 'worktreePath must be a non-empty string', { value: String(worktreePath).slice(0, 200) });
  }
  if (!path.isAbsolute(worktreePath) || worktreePath.split(/[\\/]/).includes('..')) {
    throw new GitEngineError('INVALID_NAME', 'worktreePath must be absolute and must not contain ..', { value: worktreePath });
  }
  const normal = path.resolve(worktreePath);
  if (normal !== worktreePath.replace(/\/+$/, '') && normal !== worktreePath) {
    throw new GitEngineError('INVALID_NAME', 'worktreePath must be normalised', { value: worktreePath });
  }
  const repo = path.resolve(repoPath);
  if (normal === repo || isInside(repo, normal)) {
    throw new GitEngineError('INVALID_NAME', 'worktreePath must not be the repository or one of its parents', { value: worktreePath });
  }
  if (normal === path.resolve(gitdir) || isInside(normal, path.resolve(gitdir))) {
    throw new GitEngineError('PATH_OUTSIDE_REPOSITORY', 'worktreePath must not be inside the .git directory', { value: worktreePath });
  }
  return normal;
}

/** `child` is strictly inside `parent` (both absolute, resolved). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel.length > 0 && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Code points HFS+ ignores when comparing names (git's utf8.c `next_hfs_char`): `.g\u200cit` is
 * `.git` on a Mac.
 */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * One path component that git's `verify_path` refuses because it is, or on some filesystem
 * aliases, the `.git` directory: `.git` in any case, with HFS+-ignorable code points, with the
 * trailing dots/spaces or the `:stream` NTFS drops, or NTFS's short name `git~1`. A symlink also
 * may not be `.gitmodules` under the same rules (git follows .gitmodules).
 */
export function isGitAliasComponent(name: string, symlink = false): boolean {
  const folded = name.replace(HFS_IGNORABLE, '').toLowerCase();
  // NTFS ignores trailing dots and spaces, and `name:stream` opens a stream of `name`.
  const ntfs = (base: string): boolean => folded.startsWith(base) && /^[. ]*(?::.*)?$/.test(folded.slice(base.length));
  if (ntfs('.git') || ntfs('git~1')) return true;
  return symlink && ntfs('.gitmodules');
}

/**
 * A path inside the repository as stored in a tree ('a/b/c'): relative, '/'-separated, no empty,
 * '.', '..' components and none that is or aliases `.git` (see isGitAliasComponent; `mode` is the
 * tree entry's, for the symlink rule). Trees read from objects are checked too, because a crafted
 * tree must not make a checkout write outside the worktree (or into a .git directory).
 */
export function validateRepoPath(p: string, mode?: string): string {
  const parts = p.split('/');
  const bad = p.length === 0 || p.includes('\0') || p.includes('\\') || p.startsWith('/') ||
    parts.some((c, i) => c === '' || c === '.' || c === '..' || isGitAliasComponent(c, mode === '120000' && i === parts.length - 1));
  if (bad) throw new GitEngineError('PATH_OUTSIDE_REPOSITORY', 'path escapes the repository', { path: p });
  return p;
}
