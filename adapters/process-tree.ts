import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/**
 * Every process a run started, wherever it went. Signalling the leader's process group is not
 * enough: Claude Code and Gemini CLI start each shell tool in a new session (its own process
 * group), and a script can `setsid` or double-fork away. So the tree is found two ways, both on
 * Linux `/proc` (elsewhere only the leader's group is reached):
 * - by parent pid, transitively from the leader and from every process already seen (a snapshot
 *   is taken before any signal: a killed parent's children are reparented and lose the link);
 * - by an environment marker the child inherits (`RUN_MARKER_VARIABLE=<uuid>`), which survives
 *   reparenting, so an orphan left behind after a normal exit is still found.
 * Processes are remembered with their start time, so a recycled pid is never signalled.
 *
 * Scans are asynchronous and targeted, because they run at the end of every run (and every 25 ms
 * while leftovers live) on a machine full of other processes: a process found not to be the
 * run's is never read again while its pid stays in use (its parent can only become a reaper, and
 * its environment never gains the run's marker), and only processes started since the leader are
 * searched for the marker (none older can have inherited it). A pid that leaves /proc is forgotten,
 * so a recycled one is read afresh.
 */
export const RUN_MARKER_VARIABLE = 'THALOGOS_AGENT_RUN';

interface ProcStat { pid: number; ppid: number; pgid: number; state: string; start: string }

function parseStat(pid: number, text: string): ProcStat | null {
  // The command name is in parentheses and may itself contain ") ": split after the last one.
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  const f = text.slice(close + 2).split(' ');
  // After the name: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime priority nice num_threads itrealvalue starttime (index 19).
  const [state, ppid, pgid, start] = [f[0], Number(f[1]), Number(f[2]), f[19]];
  if (state === undefined || start === undefined || !Number.isInteger(ppid) || !Number.isInteger(pgid)) return null;
  return { pid, ppid, pgid, state, start };
}

function readStatSync(pid: number): ProcStat | null {
  try { return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return null; }
}

async function readStat(pid: number): Promise<ProcStat | null> {
  try { return parseStat(pid, await readFile(`/proc/${pid}/stat`, 'utf8')); } catch { return null; }
}

async function allPids(): Promise<number[]> {
  try {
    return (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
}

async function hasMarker(pid: number, needle: Buffer): Promise<boolean> {
  try { return (await readFile(`/proc/${pid}/environ`)).includes(needle); } catch { return false; }
}

const OWN_GROUP = readStatSync(process.pid)?.pgid ?? process.pid;

export class ProcessTree {
  /** pid -> start time of every process seen as part of this run. */
  private readonly known = new Map<number, string>();
  /** Pids seen (alive, not zombies) and found not to be the run's: not read again while they exist. */
  private readonly others = new Set<number>();
  private readonly needle: Buffer;
  /** The leader's start (clock ticks since boot): nothing started before it carries the marker. */
  private readonly leaderStart: number;
  /** A scan in progress: concurrent callers share it (each would otherwise read /proc again). */
  private scanning: Promise<ProcStat[]> | null = null;

  constructor(private readonly leader: number, marker: string) {
    this.needle = Buffer.from(`${RUN_MARKER_VARIABLE}=${marker}\0`);
    const own = readStatSync(leader);
    if (own) this.known.set(leader, own.start);
    this.leaderStart = own ? Number(own.start) : 0;
  }

  /** Adds every live descendant (by ppid, transitively) and every marked process to `known`. */
  snapshot(): Promise<ProcStat[]> {
    this.scanning ??= this.scan().finally(() => { this.scanning = null; });
    return this.scanning;
  }

  private async scan(): Promise<ProcStat[]> {
    const pids = await allPids();
    const present = new Set(pids);
    for (const pid of this.others) if (!present.has(pid)) this.others.delete(pid);
    const unread = pids.filter((pid) => pid !== process.pid && !this.others.has(pid));
    const stats = (await Promise.all(unread.map(readStat))).filter((s): s is ProcStat => s !== null && s.state !== 'Z');
    const children = new Map<number, ProcStat[]>();
    for (const s of stats) {
      const list = children.get(s.ppid);
      if (list) list.push(s); else children.set(s.ppid, [s]);
    }
    const found = new Map<number, ProcStat>();
    for (const s of stats) if (this.known.get(s.pid) === s.start) found.set(s.pid, s);
    const addDescendants = (roots: number[]): void => {
      const queue = [...roots];
      while (queue.length > 0) {
        const pid = queue.pop()!;
        for (const c of children.get(pid) ?? []) {
          if (found.has(c.pid)) continue;
          found.set(c.pid, c);
          queue.push(c.pid);
        }
      }
    };
    addDescendants([...found.keys()]);
    // Orphans that left the tree: only processes started since the leader can carry the marker.
    const candidates = stats.filter((s) => !found.has(s.pid) && Number(s.start) >= this.leaderStart);
    const marked = await Promise.all(candidates.map((s) => hasMarker(s.pid, this.needle)));
    const orphans = candidates.filter((_, index) => marked[index]);
    for (const s of orphans) found.set(s.pid, s);
    addDescendants(orphans.map((s) => s.pid));
    for (const s of stats) if (!found.has(s.pid)) this.others.add(s.pid);
    for (const s of found.values()) this.known.set(s.pid, s.start);
    return [...found.values()];
  }

  /** The leader's group at once, then (after a scan) each live process's own group and the process itself. */
  async signal(sig: NodeJS.Signals): Promise<void> {
    kill(-this.leader, sig);
    const live = await this.snapshot();
    const groups = new Set<number>();
    for (const s of live) {
      // Never our own group (a process cannot join it from the child's session, but be sure).
      if (s.pgid > 1 && s.pgid !== OWN_GROUP && s.pgid !== this.leader && !groups.has(s.pgid)) {
        groups.add(s.pgid);
        kill(-s.pgid, sig);
      }
      if (s.pid !== process.pid) kill(s.pid, sig);
    }
  }

  /** True while any process of the run is alive (zombies do not count: PID 1 may never reap). */
  async alive(): Promise<boolean> {
    if ((await this.snapshot()).length > 0) return true;
    // Without /proc, fall back to the leader's group.
    if ((await allPids()).length === 0) {
      try { process.kill(-this.leader, 0); return true; } catch { return false; }
    }
    return false;
  }

  /**
   * Ends whatever is left of the tree: SIGTERM first and up to `termGraceMs` to exit (a login
   * shell's `pyenv rehash` killed outright leaves a stale lock that stalls every later shell for
   * 60 s), then SIGKILL until nothing is left, at most `maxMs` in all.
   */
  async killAll(maxMs = 3_000, termGraceMs = 0): Promise<void> {
    const until = Date.now() + maxMs;
    if (!(await this.alive())) return;
    if (termGraceMs > 0) {
      await this.signal('SIGTERM');
      const termUntil = Date.now() + termGraceMs;
      while (Date.now() < termUntil && (await this.alive())) await new Promise((r) => setTimeout(r, 25));
    }
    let lastKill = 0;
    while (await this.alive()) {
      if (Date.now() > until) return;
      // Repeat now and then: a process may have forked between the scan and the signal.
      if (Date.now() - lastKill > 250) { await this.signal('SIGKILL'); lastKill = Date.now(); }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

function kill(target: number, sig: NodeJS.Signals): void {
  try { process.kill(target, sig); } catch { /* already gone */ }
}
