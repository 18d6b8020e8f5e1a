/**
 * Benchmark (not a test): cluster mode on real processes (redis-server master + replica, three
 * Sentinels, `thalogos serve` nodes; tests/helpers/cluster-harness.ts).
 *
 *   npx tsx bench/cluster.ts [--kills 10] [--lease-ms 3000] [--seconds 10] [--writers 8]
 *
 * 1. Failover time: a session is created on node A (its repository placed there), A is killed -9,
 *    and the time until another node owns the session AND answers a read of it (served again) is
 *    taken; A is started again for the next round. p50 and p99 over `--kills` rounds.
 * 2. Throughput, one node against three: `--writers` clients add `command` tasks (`true`) for
 *    `--seconds` seconds (after reading session views for as long); with one node every request and
 *    session is on node A, with three each node owns one session and the clients spread over the
 *    nodes. Acknowledged requests per second, and each node's CPU (user+system from /proc) over
 *    the window, side by side.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCluster, type Cluster } from '../tests/helpers/cluster-harness.js';
import { ownerOf } from '../tests/helpers/cluster-load.js';
import { makeRepo } from '../tests/helpers/git-repo.js';
import { positiveIntArg } from './args.js';

const kills = positiveIntArg('kills', 10);
const leaseMs = positiveIntArg('lease-ms', 3_000);
const seconds = positiveIntArg('seconds', 10);
const writers = positiveIntArg('writers', 8);
const TICKS = 100; // USER_HZ on Linux: /proc/<pid>/stat times are in these

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat; index 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return NaN;
  }
}

async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function createSessionOn(cluster: Cluster, node: number, name: string): Promise<string> {
  const repo = makeRepo(path.join(cluster.repos, name));
  const created = await cluster.api(node)('POST', '/api/sessions', { repoPath: repo, title: name });
  if (created.status !== 201) throw new Error(`session create on node ${node}: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id as string;
}

async function failoverRounds(cluster: Cluster): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < kills; round++) {
    const sid = await createSessionOn(cluster, 0, `failover-${round}`);
    await waitUntil('node A to own the new session', 30_000, async () => ((await ownerOf(cluster, 1, sid)) === cluster.nodes[0]?.id ? true : null));
    const killedAt = performance.now();
    await cluster.kill9(0);
    await waitUntil('a survivor to serve the session', leaseMs + 60_000, async () => {
      const owner = await ownerOf(cluster, 1, sid);
      if (owner !== cluster.nodes[1]?.id && owner !== cluster.nodes[2]?.id) return null;
      return (await cluster.api(1)('GET', `/api/sessions/${sid}`)).status === 200 ? true : null;
    });
    times.push(performance.now() - killedAt);
    console.log(`failover ${round + 1}/${kills}: ${(times[round] as number).toFixed(0)} ms`);
    await cluster.startNode(0);
  }
  return times;
}

interface Window { acknowledged: number; failed: number; perSecond: number; cpu: number[] }

async function loadWindow(cluster: Cluster, nodes: number[], sessions: string[], kind: 'tasks' | 'reads'): Promise<Window> {
  const pids = cluster.nodes.map((node) => node.child?.pid);
  const cpuBefore = pids.map(cpuSeconds);
  const until = performance.now() + seconds * 1000;
  let acknowledged = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: writers }, async (_, writer) => {
    for (let i = 0; performance.now() < until; i++) {
      const node = nodes[(writer + i) % nodes.length] as number;
      const sid = sessions[(writer + i) % sessions.length] as string;
      const api = cluster.api(node);
      const response = kind === 'tasks'
        ? await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'true' })
        : await api('GET', `/api/sessions/${sid}`);
      if (response.status === 202 || response.status === 200) acknowledged += 1;
      else failed += 1;
    }
  }));
  const cpu = pids.map((pid, i) => cpuSeconds(pid) - (cpuBefore[i] as number));
  return { acknowledged, failed, perSecond: acknowledged / seconds, cpu };
}

const BUSY = new Set(['queued', 'preparing', 'running', 'retry_wait', 'committing']);

/** Waits until no task of these sessions is queued or running (at most 10 min); the time it took. */
async function drained(cluster: Cluster, sessions: string[]): Promise<number> {
  const start = performance.now();
  await waitUntil('the tasks to finish', 600_000, async () => {
    for (const sid of sessions) {
      const view = await cluster.api(1)('GET', `/api/sessions/${sid}`);
      const tasks = (view.body as { tasks?: { status: string }[] }).tasks ?? [];
      if (view.status !== 200 || tasks.some((task) => BUSY.has(task.status))) return null;
    }
    return true;
  });
  return performance.now() - start;
}

const cluster = await startCluster({ nodes: 3, leaseMs });
try {
  console.log(`cluster: ${cluster.nodes.length} nodes, lease ${leaseMs} ms, Redis master + replica + 3 Sentinels`);
  const failovers = await failoverRounds(cluster);

  // One node: everything on A. Three: one session per node, clients spread over the nodes.
  const single = [await createSessionOn(cluster, 0, 'load-single')];
  const spread = [await createSessionOn(cluster, 0, 'load-a'), await createSessionOn(cluster, 1, 'load-b'), await createSessionOn(cluster, 2, 'load-c')];
  const rows: Array<[string, Window]> = [];
  // Reads first, while no task runs; after each task window its tasks are left to finish, so the
  // next window does not pay for the previous one's work.
  rows.push(['reads, 1 node', await loadWindow(cluster, [0], single, 'reads')]);
  rows.push(['reads, 3 nodes', await loadWindow(cluster, [0, 1, 2], spread, 'reads')]);
  rows.push(['tasks, 1 node', await loadWindow(cluster, [0], single, 'tasks')]);
  console.log(`  (the 1-node window's tasks finished ${((await drained(cluster, single)) / 1000).toFixed(1)} s after it)`);
  rows.push(['tasks, 3 nodes', await loadWindow(cluster, [0, 1, 2], spread, 'tasks')]);

  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`\nmachine: ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()}, load average ${load}`);
  console.log(`failover (kill -9 of the owner to the session served by a survivor), ${failovers.length} kills, lease ${leaseMs} ms:`);
  console.log(`  p50 ${percentile(failovers, 50).toFixed(0)} ms, p99 ${percentile(failovers, 99).toFixed(0)} ms, min ${Math.min(...failovers).toFixed(0)} ms, max ${Math.max(...failovers).toFixed(0)} ms`);
  console.log(`throughput over ${seconds} s with ${writers} clients (CPU seconds per node A/B/C):`);
  for (const [label, w] of rows) {
    console.log(`  ${label.padEnd(16)} ${w.perSecond.toFixed(1).padStart(7)} req/s  (${w.acknowledged} ok, ${w.failed} failed)  cpu ${w.cpu.map((c) => c.toFixed(1)).join(' / ')}`);
  }
  const ratio = (a: string, b: string) => ((rows.find(([l]) => l === b)?.[1].perSecond ?? NaN) / (rows.find(([l]) => l === a)?.[1].perSecond ?? NaN)).toFixed(2);
  console.log(`  ratio 3 nodes / 1 node: tasks ${ratio('tasks, 1 node', 'tasks, 3 nodes')}x, reads ${ratio('reads, 1 node', 'reads, 3 nodes')}x`);
} finally {
  await cluster.stop();
}
