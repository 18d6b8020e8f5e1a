import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Lock files of a session's own refs (`refs/heads/session/<id>/...lock`) that a killed predecessor
 * left behind. Only this runtime writes refs in a session's namespace, and it takes those locks
 * only while running, so a lock older than this start can only be a leftover: without removing it
 * every later write of that ref fails REF_LOCKED (a re-queued task would fail for good). Locks of
 * any other ref (main, the user's branches) are never touched: another git process may hold them.
 */
export async function removeStaleSessionLocks(gitdir: string, sessionId: string, startedAt: Date): Promise<string[]> {
  const root = path.join(gitdir, 'refs', 'heads', 'session', sessionId);
  const removed: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && entry.name.endsWith('.lock')) {
        const info = await stat(full).catch(() => null);
        if (info && info.mtimeMs < startedAt.getTime()) {
          await unlink(full).catch(() => undefined);
          removed.push(path.relative(gitdir, full));
        }
      }
    }
  };
  await walk(root);
  return removed;
}
