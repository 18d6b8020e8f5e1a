// One canonical repository per path. `repoPath` may name the main worktree, its `.git` directory,
// a subdirectory, a linked worktree (or a subdirectory of one), or a bare repository: each resolves
// (like `git rev-parse --git-common-dir` / `--show-toplevel` from the main worktree) to the common
// gitdir and the main worktree, real paths. Locks, journals and the dirty-checkout guard key on
// that, so `/r` and `/r/.git` are one repository.
import fs from 'node:fs/promises';
import path from 'node:path';
import { GitEngineError } from './errors.js';

export interface RepoLocation {
  /** The main worktree, or the gitdir itself for a bare repository. */
  repoPath: string;
  /** The common gitdir. */
  gitdir: string;
  /** The main worktree, or null when bare. */
  workdir: string | null;
}

async function kind(p: string): Promise<'dir' | 'file' | null> {
  const st = await fs.stat(p).catch(() => null);
  return st ? (st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null) : null;
}

/** git's is_git_directory: HEAD, objects/ and refs/ (objects/refs in the common dir for a linked one). */
async function isGitdir(dir: string): Promise<boolean> {
  return (await kind(path.join(dir, 'HEAD'))) === 'file' && (await kind(path.join(dir, 'objects'))) === 'dir' && (await kind(path.join(dir, 'refs'))) === 'dir';
}

/** The `gitdir: <path>` of a `.git` file (linked worktree, submodule), resolved against its directory. */
async function gitFileTarget(file: string): Promise<string | null> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const m = /^gitdir: (.+)$/m.exec(text);
  return m ? path.resolve(path.dirname(file), (m[1] as string).trim()) : null;
}

/** `core.<key>` of a repository's config (a minimal reader: enough for `bare` and `worktree`). */
async function coreValue(gitdir: string, key: string): Promise<string | null> {
  const text = await fs.readFile(path.join(gitdir, 'config'), 'utf8').catch(() => '');
  let inCore = false;
  let value: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) { inCore = /^\[\s*core\s*\]$/i.test(line); continue; }
    if (!inCore) continue;
    const m = /^([A-Za-z0-9-]+)\s*(?:=\s*(.*))?$/.exec(line);
    if (m && (m[1] as string).toLowerCase() === key.toLowerCase()) value = (m[2] ?? 'true').replace(/^"(.*)"$/, '$1').trim();
  }
  return value;
}

function notARepo(repoPath: string, message = 'not inside a git repository'): GitEngineError {
  return new GitEngineError('NOT_A_REPOSITORY', message, { repoPath });
}

/** The directory's own gitdir, walking up like git does; a `.git` entry that is not a repository stops the walk. */
async function findGitdir(start: string, shown: string): Promise<string> {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const dotgit = path.join(dir, '.git');
    const k = await kind(dotgit);
    if (k === 'dir') {
      if (await isGitdir(dotgit)) return dotgit;
      throw notARepo(shown, `${dotgit} is not a git directory`);
    }
    if (k === 'file') {
      const target = await gitFileTarget(dotgit);
      if (!target) throw notARepo(shown, `${dotgit} does not name a gitdir`);
      return target;
    }
    if (await isGitdir(dir)) return dir;
    if (path.dirname(dir) === dir) throw notARepo(shown);
  }
}

export async function locateRepository(repoPath: string): Promise<RepoLocation> {
  const shown = path.resolve(repoPath);
  const start = await fs.realpath(shown).catch(() => null);
  if (!start || (await kind(start)) !== 'dir') throw notARepo(shown, 'no such directory');
  const gitdir = await findGitdir(start, shown);
  const commondir = (await fs.readFile(path.join(gitdir, 'commondir'), 'utf8').catch(() => '')).trim();
  const common = await fs.realpath(commondir ? path.resolve(gitdir, commondir) : gitdir).catch(() => null);
  if (!common || !(await isGitdir(common))) throw notARepo(shown, 'the common git directory is missing or incomplete');
  let workdir: string | null = null;
  const configured = await coreValue(common, 'worktree');
  if ((await coreValue(common, 'bare'))?.toLowerCase() === 'true') workdir = null;
  else if (configured) workdir = await fs.realpath(path.resolve(common, configured)).catch(() => null);
  else if (path.basename(common) === '.git') workdir = path.dirname(common);
  return { repoPath: workdir ?? common, gitdir: common, workdir };
}
