// Writing a checkout's files on four lanes: this (pool worker) thread and three helper threads,
// each with synchronous fs calls in its own directories. Async fs calls cost this thread more to
// dispatch than the syscalls take when the kernel is quick (10,000 files: ~0.25 s sync vs ~0.6 s
// async on one thread), so each lane is synchronous; several lanes use both cores and overlap the
// kernel's inode allocation when it is slow (right after many deletes, ext4 scans past recently
// freed inodes: creates then take ~0.5-1 ms each). Two lanes and four measured the same when the
// kernel was quick; four did better when it was slow. Small checkouts stay on one lane. Helpers
// start on first use and are kept (unref'd) for the life of the pool worker; a helper that cannot
// run has its share written here.
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTreeEntrySync, type StatData } from './checkout-write.js';
import type { FlatEntry } from './tree-util.js';

export interface WriteJob { rel: string; entry: FlatEntry; content: Uint8Array | null }
export interface LaneRequest { root: string; jobs: WriteJob[] }
export type LaneReply = Array<{ ok: true; st: StatData | null } | { ok: false; code: string; message: string }>;

/** Below this many files more lanes are not worth the message round trips. */
const MANY_LANES_FROM = 1000;

/** Helper threads besides this one (the kernel overlaps creates in different directories). */
const HELPERS = 3;
const helpers: Array<Worker | null | undefined> = new Array(HELPERS).fill(undefined);

function startHelper(slot: number): Worker | null {
  try {
    const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');
    const file = new URL(fromSource ? './checkout-lane-thread.ts' : './checkout-lane-thread.js', import.meta.url);
    const hasTsx = process.execArgv.some((a, i, all) => (a === '--import' || a === '--loader') && /tsx/.test(all[i + 1] ?? ''));
    const execArgv = fromSource && !hasTsx ? [...process.execArgv, '--import', 'tsx'] : [...process.execArgv];
    const w = new Worker(file, { execArgv });
    w.unref();
    w.on('error', () => { if (helpers[slot] === w) helpers[slot] = null; });
    w.on('exit', () => { if (helpers[slot] === w) helpers[slot] = null; });
    return w;
  } catch {
    return null;
  }
}

function onHelper(w: Worker, req: LaneRequest): Promise<LaneReply | null> {
  return new Promise((resolve) => {
    const done = (v: LaneReply | null) => { w.off('message', onMessage); w.off('error', onError); w.off('exit', onError); resolve(v); };
    const onMessage = (m: LaneReply) => done(m);
    const onError = () => done(null);
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onError);
    w.postMessage(req);
  });
}

function laneError(r: { code: string; message: string }): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(r.message);
  err.code = r.code;
  return err;
}

/** Writes the entries (their directories exist) and returns each one's stat data, in order. */
export async function writeEntries(root: string, jobs: readonly WriteJob[]): Promise<Array<StatData | null>> {
  const out: Array<StatData | null> = new Array(jobs.length).fill(null);
  const lanes = jobs.length >= MANY_LANES_FROM ? HELPERS + 1 : 1;
  const shares: number[][] = Array.from({ length: lanes }, () => []);
  // Whole directories per lane, in turn: two lanes never create in the same directory.
  const dirIndex = new Map<string, number>();
  jobs.forEach((j, i) => {
    const d = path.posix.dirname(j.rel);
    if (!dirIndex.has(d)) dirIndex.set(d, dirIndex.size);
    (shares[(dirIndex.get(d) as number) % lanes] as number[]).push(i);
  });
  const here = shares[0] as number[];
  const remote = shares.slice(1).map((share, k) => {
    if (share.length === 0) return Promise.resolve(null);
    if (helpers[k] === undefined) helpers[k] = startHelper(k);
    const w = helpers[k];
    return w ? onHelper(w, { root, jobs: share.map((i) => jobs[i] as WriteJob) }) : Promise.resolve(null);
  });
  const writeHere = (i: number): void => {
    const j = jobs[i] as WriteJob;
    out[i] = writeTreeEntrySync(root, j.rel, j.entry, j.content);
  };
  here.forEach(writeHere);
  for (const [k, pending] of remote.entries()) {
    const share = shares[k + 1] as number[];
    const reply = await pending;
    // No helper, or it died: write its share here (whatever it created is replaced).
    if (!reply) { share.forEach(writeHere); continue; }
    share.forEach((i, n) => {
      const r = reply[n];
      if (!r) throw new Error('checkout lane returned too few results');
      if (!r.ok) throw laneError(r);
      out[i] = r.st;
    });
  }
  return out;
}
