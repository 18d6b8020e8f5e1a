import { lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * What of git a run in `cwd` may see. A task worktree is a linked worktree: `<cwd>/.git` is a file
 * naming `<common gitdir>/worktrees/<name>`. Inside the sandbox the whole common gitdir (hooks,
 * config, every ref, the objects) is read-only; its own index and HEAD are a scratch copy: an agent reads
 * history, diffs and status, but cannot plant a hook, change config or move any ref (its own
 * commits go to scratch state, see scratch-git.ts). The engine records the work by committing the
 * worktree's files after the run (outside the sandbox). A
 * repository whose `.git` is a directory inside `cwd` gets that directory bound read-only on top
 * of the writable worktree.
 */
export interface GitView {
  /** Directories bound read-only (after the data dir is hidden, so they stay visible). */
  readOnly: string[];
  /** A linked worktree's own admin dir (`<common>/worktrees/<name>`) and the common gitdir. */
  linked: { adminDir: string; common: string } | null;
  /** The `.git` link of a linked worktree, checked after the run. */
  link: { path: string; content: string } | null;
}

export function gitViewFor(cwd: string): GitView {
  const dotGit = join(cwd, '.git');
  let kind: 'file' | 'dir' | 'none' = 'none';
  try {
    const s = lstatSync(dotGit);
    kind = s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'none';
  } catch { /* not a git worktree: nothing to protect */ }
  if (kind === 'dir') return { readOnly: [dotGit], linked: null, link: null };
  if (kind === 'none') return { readOnly: [], linked: null, link: null };
  const content = readFileSync(dotGit, 'utf8');
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(content);
  if (!m?.[1]) return { readOnly: [], linked: null, link: { path: dotGit, content } };
  const adminDir = isAbsolute(m[1]) ? m[1] : resolve(cwd, m[1]);
  let common = adminDir;
  try {
    const rel = readFileSync(join(adminDir, 'commondir'), 'utf8').trim();
    common = isAbsolute(rel) ? rel : resolve(adminDir, rel);
  } catch {
    // No commondir file: fall back to `<common>/worktrees/<name>`'s grandparent.
    common = dirname(dirname(adminDir));
  }
  return { readOnly: [common], linked: { adminDir, common }, link: { path: dotGit, content } };
}

/**
 * After a run: a `.git` link the run replaced (with a directory holding hooks and config, or with a
 * link to another repository) is put back, so neither the engine nor a person's later git command
 * in that worktree acts on what the agent planted. Returns what was found, for the run's report.
 */
export function restoreGitLink(link: GitView['link']): string | null {
  if (link === null) return null;
  let current: string | null = null;
  try {
    current = lstatSync(link.path).isFile() ? readFileSync(link.path, 'utf8') : '(not a file)';
  } catch { current = '(removed)'; }
  if (current === link.content) return null;
  rmSync(link.path, { recursive: true, force: true });
  writeFileSync(link.path, link.content);
  return `the run replaced the worktree's .git link (${current === '(removed)' || current === '(not a file)' ? current : 'rewritten'}); it was restored`;
}
