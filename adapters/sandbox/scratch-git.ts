import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What a commit inside the sandbox needs, without touching the shared repository: a throwaway copy
 * of the worktree's admin dir (index, HEAD, logs) bound over the real one, with HEAD detached at
 * the branch's commit, and a private object directory (`GIT_OBJECT_DIRECTORY`) that borrows the
 * shared objects through `GIT_ALTERNATE_OBJECT_DIRECTORIES`. An agent's `git add`, `git commit`,
 * `git stash` work; nothing of it outlives the run. The work itself stays in the worktree's files,
 * which the engine commits on the task branch after the run.
 */
export interface ScratchGit {
  /** Bound writable over `adminDir`. */
  binds: Array<{ source: string; dest: string }>;
  env: Record<string, string>;
  /** Removes the copy in the background: nothing waits for it (unlinks on a busy disk take tens of ms). */
  remove(): void;
}

export function scratchGit(linked: { adminDir: string; common: string }): ScratchGit | null {
  let root: string;
  try {
    const head = resolveHead(linked.adminDir, linked.common);
    if (head === null) return null;
    root = mkdtempSync(join(tmpdir(), 'thalogos-sandbox-git-'));
    const admin = join(root, 'admin');
    cpSync(linked.adminDir, admin, { recursive: true });
    writeFileSync(join(admin, 'HEAD'), `${head}\n`);
    mkdirSync(join(root, 'objects', 'info'), { recursive: true });
    mkdirSync(join(root, 'objects', 'pack'), { recursive: true });
    return {
      binds: [{ source: admin, dest: linked.adminDir }, { source: join(root, 'objects'), dest: join(root, 'objects') }],
      env: { GIT_OBJECT_DIRECTORY: join(root, 'objects'), GIT_ALTERNATE_OBJECT_DIRECTORIES: join(linked.common, 'objects') },
      remove: () => void rm(root, { recursive: true, force: true }).catch(() => undefined),
    };
  } catch {
    // Anything unexpected in the layout: the run gets the read-only view only.
    return null;
  }
}

/** The commit HEAD names (a symbolic ref resolved through loose refs, then packed-refs). */
function resolveHead(adminDir: string, common: string): string | null {
  const head = readFileSync(join(adminDir, 'HEAD'), 'utf8').trim();
  if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head)) return head;
  const ref = /^ref:\s*(refs\/\S+)$/.exec(head)?.[1];
  if (ref === undefined) return null;
  try {
    const loose = readFileSync(join(common, ref), 'utf8').trim();
    if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(loose)) return loose;
  } catch { /* packed */ }
  try {
    for (const line of readFileSync(join(common, 'packed-refs'), 'utf8').split('\n')) {
      const [id, name] = line.split(' ');
      if (name === ref && id && /^[0-9a-f]{40}/.test(id)) return id;
    }
  } catch { /* no packed-refs */ }
  return null;
}
