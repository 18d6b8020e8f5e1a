import { readdirSync, readFileSync } from 'node:fs';

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
 */
export const RUN_MARKER_VARIABLE = 'THALOGOS_AGENT_RUN';

interface ProcStat { pid: number; ppid: number; pgid: number; state: string; start: string }

function readStat(pid: number): ProcStat | null {
  let text: string;
  try { text = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return null; }
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

function allPids(): number[] {
  try {
    return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
}

function hasMarker(pid: number, needle: Buffer): boolean {
  try { return readFileSync(`/proc/${pid}/environ`).includes(needle); } catch { return false; }
}

const OWN_GROUP = readStat(process.pid)?.pgid ?? process.pid;

export class ProcessTree {
  /** pid -> start time of every process seen as part of this run. */
  private readonly known = new Map<number, string>();
  private readonly needle: Buffer;

  constructor(private readonly leader: number, marker: string) {
    this.needle = Buffer.from(`${RUN_MARKER_VARIABLE}=${marker}\0`);
    const own = readStat(leader);
    if (own) this.known.set(leader, own.start);
  }

  /** Adds every live descendant (by ppid, transitively) and every marked process to `known`. */
  snapshot(): ProcStat[] {
    const stats = allPids().map(readStat).filter((s): s is ProcStat => s !== null && s.state !== 'Z');
    const children = new Map<number, ProcStat[]>();
    for (const s of stats) {
      const list = children.get(s.ppid);
      if (list) list.push(s); else children.set(s.ppid, [s]);
    }
    const found = new Map<number, ProcStat>();
    for (const s of stats) {
      if (this.known.get(s.pid) === s.start) found.set(s.pid, s);
      else if (s.pid !== process.pid && hasMarker(s.pid, this.needle)) found.set(s.pid, s);
    }
    const queue = [...found.keys()];
    while (queue.length > 0) {
      const pid = queue.pop()!;
      for (const c of children.get(pid) ?? []) {
        if (found.has(c.pid) || c.pid === process.pid) continue;
        found.set(c.pid, c);
        queue.push(c.pid);
      }
    }
    for (const s of found.values()) this.known.set(s.pid, s.start);
    return [...found.values()];
  }

  /** The leader's group, then each live process's own group and the process itself. */
  signal(sig: NodeJS.Signals): void {
    const live = this.snapshot();
    kill(-this.leader, sig);
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
  alive(): boolean {
    if (this.snapshot().length > 0) return true;
    // Without /proc, fall back to the leader's group.
    if (allPids().length === 0) {
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
    if (termGraceMs > 0 && this.alive()) {
      this.signal('SIGTERM');
      const termUntil = Date.now() + termGraceMs;
      while (Date.now() < termUntil && this.alive()) await new Promise((r) => setTimeout(r, 25));
    }
    let lastKill = 0;
    while (this.alive()) {
      if (Date.now() > until) return;
      // Repeat now and then: a process may have forked between the scan and the signal.
      if (Date.now() - lastKill > 250) { this.signal('SIGKILL'); lastKill = Date.now(); }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

function kill(target: number, sig: NodeJS.Signals): void {
  try { process.kill(target, sig); } catch { /* already gone */ }
}
