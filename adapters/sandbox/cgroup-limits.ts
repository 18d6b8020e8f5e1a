import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Per-run memory and process limits through cgroups, when this host lets us make them:
 * - cgroup v2 (unified `/sys/fs/cgroup`): a child of our own cgroup, if it is delegated to us
 *   (writable) and offers the `pids` and `memory` controllers;
 * - cgroup v1 (hybrid hosts, e.g. this CI's): a child in the `pids` and in the `memory` hierarchy.
 * The run's leader joins the cgroup before it execs bubblewrap (see `joinCommand`), so every
 * process the run ever starts is counted, and none can leave: `/sys` is read-only in the sandbox.
 *
 * Why not rlimits alone: RLIMIT_NPROC counts processes per user, and root (uid 0 of the initial
 * user namespace) is exempt from it altogether; RLIMIT_AS is per process, so a fork bomb of small
 * processes passes it. Without cgroups the fallback is RLIMIT_AS per process (see bwrap-args.ts),
 * and a fork bomb is stopped only by the wall-time limit: `GET /api/agents` says so.
 */
export interface Limits {
  memoryBytes: number;
  pids: number;
}

export interface RunCgroup {
  /** cgroup.procs files the leader writes its pid into before exec. */
  procsFiles: string[];
  /** Kills whatever is left in the cgroup and removes it (best effort; never throws). */
  release(): Promise<void>;
}

export type CgroupSupport = { kind: 'v2'; base: string } | { kind: 'v1'; pids: string; memory: string } | { kind: 'none'; reason: string };

const ROOT = '/sys/fs/cgroup';
const PARENT = 'thalogos-runs';

function ownPath(controller: string | null): string | null {
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, controllers, path] = line.split(':');
      if (path === undefined || controllers === undefined) continue;
      if (controller === null ? controllers === '' && line.startsWith('0::') : controllers.split(',').includes(controller)) return path;
    }
  } catch { /* no /proc */ }
  return null;
}

function tryMake(dir: string, files: Record<string, string>): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), v);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds what this host allows, by making (and removing) a probe cgroup. `instance` (the data dir)
 * gets a parent cgroup of its own: one server per data dir, so at start it can empty and remove
 * whatever its crashed predecessor left there without touching another server's runs.
 */
export function detectCgroups(instance = 'default'): CgroupSupport {
  const support = detectRoot();
  const sub = createHash('sha256').update(instance).digest('hex').slice(0, 16);
  if (support.kind === 'v2') return { kind: 'v2', base: join(support.base, sub) };
  if (support.kind === 'v1') return { kind: 'v1', pids: join(support.pids, sub), memory: join(support.memory, sub) };
  return support;
}

function detectRoot(): CgroupSupport {
  if (existsSync(join(ROOT, 'cgroup.controllers'))) {
    const own = ownPath(null);
    if (own === null) return { kind: 'none', reason: 'cgroup v2 without an entry for this process' };
    const base = join(ROOT, own, PARENT);
    try {
      const available = readFileSync(join(ROOT, own, 'cgroup.controllers'), 'utf8');
      if (!/\bpids\b/.test(available) || !/\bmemory\b/.test(available)) return { kind: 'none', reason: 'cgroup v2 without the pids and memory controllers' };
      mkdirSync(base, { recursive: true });
      writeFileSync(join(base, 'cgroup.subtree_control'), '+pids +memory');
      return probe({ kind: 'v2', base }) ? { kind: 'v2', base } : { kind: 'none', reason: `cgroup ${base} is not writable` };
    } catch (err) {
      return { kind: 'none', reason: `cgroup v2 is not delegated to this process (${(err as Error).message})` };
    }
  }
  const pidsOwn = ownPath('pids');
  const memOwn = ownPath('memory');
  if (pidsOwn === null || memOwn === null || !existsSync(join(ROOT, 'pids')) || !existsSync(join(ROOT, 'memory'))) {
    return { kind: 'none', reason: 'no cgroup v2 and no cgroup v1 pids and memory hierarchies' };
  }
  const support: CgroupSupport = { kind: 'v1', pids: join(ROOT, 'pids', pidsOwn, PARENT), memory: join(ROOT, 'memory', memOwn, PARENT) };
  return probe(support) ? support : { kind: 'none', reason: 'the cgroup v1 pids and memory hierarchies are not writable' };
}

function probe(support: CgroupSupport): boolean {
  const c = createRunCgroup(support, `probe-${process.pid}`, { memoryBytes: 64 * 1024 * 1024, pids: 8 });
  if (c === null) return false;
  void c.release();
  return true;
}

export function createRunCgroup(support: CgroupSupport, runKey: string, limits: Limits): RunCgroup | null {
  const name = runKey.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
  let dirs: string[];
  if (support.kind === 'v2') {
    const dir = join(support.base, name);
    // cgroup v2 hands controllers down one level at a time: the instance's parent passes them on.
    try { mkdirSync(support.base, { recursive: true }); writeFileSync(join(support.base, 'cgroup.subtree_control'), '+pids +memory'); } catch { /* the writes below tell */ }
    if (!tryMake(dir, { 'pids.max': String(limits.pids), 'memory.max': String(limits.memoryBytes), 'memory.swap.max': '0' }) &&
        !tryMake(dir, { 'pids.max': String(limits.pids), 'memory.max': String(limits.memoryBytes) })) return null;
    dirs = [dir];
  } else if (support.kind === 'v1') {
    const p = join(support.pids, name);
    const m = join(support.memory, name);
    if (!tryMake(p, { 'pids.max': String(limits.pids) })) return null;
    if (!tryMake(m, { 'memory.limit_in_bytes': String(limits.memoryBytes) })) { removeDir(p); return null; }
    // Swap would let a memory hog slow the whole host down instead of being stopped.
    try { writeFileSync(join(m, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)); } catch { /* no swap accounting */ }
    dirs = [p, m];
  } else {
    return null;
  }
  return {
    procsFiles: dirs.map((d) => join(d, 'cgroup.procs')),
    release: async () => {
      for (let i = 0; i < 40; i++) {
        const left = dirs.flatMap(members);
        if (left.length === 0) break;
        for (const pid of left) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
        await new Promise((r) => setTimeout(r, 25));
      }
      for (const d of dirs) removeDir(d);
    },
  };
}

function members(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function removeDir(dir: string): void {
  try { rmdirSync(dir); } catch { /* still busy or gone: a later start sweeps it */ }
}

/**
 * Kills what a crashed predecessor (same data dir) left in its run cgroups and removes them. The
 * list is taken at once, before any run of this server exists, so only leftovers are touched.
 */
export function sweepCgroups(support: CgroupSupport): Promise<number> {
  const parents = support.kind === 'v2' ? [support.base] : support.kind === 'v1' ? [support.pids, support.memory] : [];
  const dirs = parents.flatMap((parent) => {
    try { return readdirSync(parent, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(parent, d.name)); } catch { return []; }
  });
  return (async () => {
    for (const dir of dirs) {
      for (let i = 0; i < 40 && members(dir).length > 0; i++) {
        for (const pid of members(dir)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
        await new Promise((r) => setTimeout(r, 25));
      }
      removeDir(dir);
    }
    return dirs.length;
  })();
}
