import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * One small file per live agent or gate process under `<data dir>/runs/`, written synchronously as soon
 * as the pid is known (no log append, no fsync in between). After a crash the next start kills
 * exactly these process groups, and only when boot id and process start time still match, so a
 * recycled pid is never touched.
 */
export interface RunFile {
  /** An agent run, a task's setup command, or a Save's gate process (absent in files written before gates were recorded). */
  kind?: 'agent' | 'gate' | 'setup';
  runId: string;
  sessionId: string;
  taskId: string;
  pid: number;
  startTime: string;
  bootId: string;
}

export function runsDir(dataDir: string): string {
  return path.join(dataDir, 'runs');
}

export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function fileFor(dataDir: string, runId: string): string {
  return path.join(runsDir(dataDir), `${encodeURIComponent(runId)}.json`);
}

export function writeRunFile(dataDir: string, run: Omit<RunFile, 'startTime' | 'bootId'>): void {
  const startTime = processStartTime(run.pid);
  if (startTime === null) return; // already gone: nothing to clean up later
  mkdirSync(runsDir(dataDir), { recursive: true });
  const record: RunFile = { ...run, startTime, bootId: bootId() };
  writeFileSync(fileFor(dataDir, run.runId), JSON.stringify(record));
}

export function removeRunFile(dataDir: string, runId: string): void {
  rmSync(fileFor(dataDir, runId), { force: true });
}

/** Kills the process groups of runs a previous process left behind; returns what it killed. */
export function killOrphanedRuns(dataDir: string): RunFile[] {
  let names: string[];
  try {
    names = readdirSync(runsDir(dataDir));
  } catch {
    return [];
  }
  const killed: RunFile[] = [];
  const currentBoot = bootId();
  for (const name of names) {
    const file = path.join(runsDir(dataDir), name);
    try {
      const record = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
      if (record.bootId === currentBoot && processStartTime(record.pid) === record.startTime) {
        process.kill(-record.pid, 'SIGKILL');
        killed.push(record);
      }
    } catch {
      // unreadable record or the group is gone already: nothing to kill
    }
    rmSync(file, { force: true });
  }
  return killed;
}
