import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `thalogos serve` writes the URL it listens on to `<data dir>/server.json`, so client commands
 * run against the same data dir find the server without being told its port (which may have been
 * chosen by the OS with --port 0, or changed in the environment of the server only).
 */
export const SERVER_FILE = 'server.json';

export interface ServerFile {
  url: string;
  pid: number;
  startedAt: string;
}

export function writeServerFile(dataDir: string, url: string): () => void {
  const file = path.join(dataDir, SERVER_FILE);
  const content: ServerFile = { url, pid: process.pid, startedAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  return () => {
    // Only our own file: a second server on the same data dir may have replaced it.
    if (readServerFile(dataDir)?.pid === process.pid) rmSync(file, { force: true });
  };
}

/** The URL of the server running on `dataDir`, or null when none is (a stale file is ignored). */
export function readServerFile(dataDir: string): ServerFile | null {
  let parsed: Partial<ServerFile>;
  try {
    parsed = JSON.parse(readFileSync(path.join(dataDir, SERVER_FILE), 'utf8')) as Partial<ServerFile>;
  } catch {
    return null;
  }
  if (typeof parsed.url !== 'string' || typeof parsed.pid !== 'number') return null;
  try {
    process.kill(parsed.pid, 0);
  } catch (error) {
    // EPERM: the process exists but is someone else's; ESRCH: the server is gone.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  return { url: parsed.url, pid: parsed.pid, startedAt: String(parsed.startedAt ?? '') };
}
