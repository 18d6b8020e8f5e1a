import { readFileSync } from 'node:fs';
import type { LogEntry } from '../log/log-entry.js';

/**
 * Agent runs that the log shows started but never exited: after a crash their process groups may
 * still be running in the worktree, racing the re-queued run. Returns their pids.
 */
export function unfinishedRunPids(entries: LogEntry[]): number[] {
  const started = new Map<string, number>();
  for (const entry of entries) {
    const data = entry.data as { runId?: string; pid?: unknown };
    if (!data.runId) continue;
    if (entry.type === 'AGENT.STARTED' && typeof data.pid === 'number') started.set(data.runId, data.pid);
    if (entry.type === 'AGENT.EXITED') started.delete(data.runId);
  }
  return [...started.values()];
}

/**
 * Kills a process group we spawned (detached, so its pgid is its pid). A pid that now belongs to a
 * process that does not lead its own group is someone else's: it is left alone.
 */
export function killOrphanGroup(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // Fields after the parenthesised command name: state, ppid, pgrp, ...
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (Number(fields[2]) !== pid) return false;
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
