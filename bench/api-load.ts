// The API under load, against `GET /healthz` on the same server in the same run:
//   1. POST a task (`command` agent, prompt `true`) from 8 clients until one session holds
//      `--tasks` tasks: req/s and p50/p99 per slice of `--slice` tasks (flat, or growing with the
//      session?), against 8 clients on `GET /healthz`.
//   2. `GET /api/sessions?limit=500` (every session in one page, as the console asks) from 8
//      clients with `--sessions` sessions, while one more client polls `/healthz`: the list's
//      req/s and p99, and /healthz's p99 meanwhile against /healthz alone.
//
//   npx tsx bench/api-load.ts [--tasks 5000] [--slice 500] [--sessions 200] [--seconds 5] [--clients 8]
//
// THALOGOS_BENCH_ROOT=/path/to/another/checkout runs that checkout's server instead (before/after).
// The server is `thalogos serve` in its own process (bin/thalogos.mjs) with the default settings
// (4 tasks of a session run at once: the queued ones wait), so the client loops do not share its
// event loop.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { positiveIntArg } from './args.js';
import { api, median, ms, percentile, spawnServer, untilOk } from './server-process.js';

const TASKS = positiveIntArg('tasks', 5000);
const SLICE = positiveIntArg('slice', 500);
const SESSIONS = positiveIntArg('sessions', 200);
const SECONDS = positiveIntArg('seconds', 5);
const CLIENTS = positiveIntArg('clients', 8);

interface Run { latencies: number[]; seconds: number; failures: number }

/** `clients` loops calling `once` until `until()` says stop; latencies of the successful calls. */
async function load(clients: number, once: () => Promise<boolean>, until: () => boolean): Promise<Run> {
  const latencies: number[] = [];
  let failures = 0;
  const began = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (!until()) {
      const t = performance.now();
      if (await once()) latencies.push(performance.now() - t);
      else failures += 1;
    }
  }));
  return { latencies, seconds: (performance.now() - began) / 1000, failures };
}

const forSeconds = (seconds: number) => {
  const end = performance.now() + seconds * 1000;
  return () => performance.now() >= end;
};

async function get(url: string, pathname: string, token = true): Promise<boolean> {
  const response = await fetch(`${url}${pathname}`, token ? { headers: { authorization: 'Bearer bench-admin-token-0123456789abcdef' } } : {});
  await response.arrayBuffer();
  return response.status === 200;
}

const describe = (name: string, run: Run) =>
  `${name.padEnd(52)} ${(run.latencies.length / run.seconds).toFixed(0).padStart(6)} req/s  p50 ${ms(median(run.latencies)).padStart(9)}  p99 ${ms(percentile(run.latencies, 99)).padStart(9)}${run.failures ? `  (${run.failures} failed)` : ''}`;

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'thalogos-bench-api-'));
  const repo = path.join(tmp, 'repo');
  mkdirSync(repo);
  const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  writeFileSync(path.join(repo, 'a.txt'), 'a\n');
  execFileSync('git', ['add', '-A'], { cwd: repo });
  execFileSync('git', ['commit', '-qm', 'init'], { cwd: repo, env: gitEnv });
  writeFileSync(path.join(tmp, 'config.json'), '{}');
  const start = async (data: string) => {
    const server = await spawnServer({ THALOGOS_DATA_DIR: path.join(tmp, data), THALOGOS_REPO_ROOTS: tmp, THALOGOS_CONFIG: path.join(tmp, 'config.json') });
    await untilOk(server, '/healthz', server.spawnedAt, 50);
    // Ready: sessions restored and agents checked.
    for (;;) {
      const health = (await (await fetch(`${server.url}/healthz`)).json()) as { ready?: boolean };
      if (health.ready !== false) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return server;
  };
  let server = await start('data-tasks');
  try {
    console.log(`load at start: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    // 1. POST task, 8 clients, slice by slice, each slice against /healthz right after it.
    const sid = (await api(server.url, 'POST', '/api/sessions', { repoPath: repo, title: 'load' })).body.id as string;
    let posted = 0;
    const postTask = async () => {
      const reply = await api(server.url, 'POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'true' });
      return reply.status === 202;
    };
    const all: number[] = [];
    let seconds = 0;
    for (let slice = 0; posted < TASKS; slice += 1) {
      const target = Math.min(TASKS, posted + SLICE);
      let claimed = posted;
      const run = await load(CLIENTS, async () => {
        claimed += 1;
        const ok = await postTask();
        if (ok) posted += 1;
        return ok;
      }, () => claimed >= target);
      if (run.latencies.length === 0) throw new Error(`every POST failed:\n${server.output().slice(-2000)}`);
      all.push(...run.latencies);
      seconds += run.seconds;
      const health = await load(CLIENTS, () => get(server.url, '/healthz', false), forSeconds(1));
      console.log(`${describe(`POST task, tasks ${target - SLICE + 1}-${target}`, run)}   | GET /healthz alone: ${(health.latencies.length / health.seconds).toFixed(0)} req/s`);
    }
    const whole = { latencies: all, seconds, failures: 0 };
    const healthAlone = await load(CLIENTS, () => get(server.url, '/healthz', false), forSeconds(SECONDS));
    console.log(`\n${describe(`POST task, ${CLIENTS} clients, all ${TASKS} tasks`, whole)}`);
    console.log(describe(`baseline GET /healthz, ${CLIENTS} clients`, healthAlone));
    console.log(`ratio req/s POST task / GET /healthz: ${((whole.latencies.length / whole.seconds) / (healthAlone.latencies.length / healthAlone.seconds)).toFixed(3)} (target >= 500 req/s, p99 < 50 ms, flat up to 5,000 tasks)`);

    // 2. GET /api/sessions with SESSIONS sessions, /healthz polled meanwhile: on a fresh server, so
    // the tasks of part 1 still running do not weigh on it.
    await server.stop();
    server = await start('data-sessions');
    for (let i = 0; i < SESSIONS; i += 10) {
      // Sessions only: tasks would keep running behind the measurement.
      await Promise.all(Array.from({ length: Math.min(10, SESSIONS - i) }, (_, j) => api(server.url, 'POST', '/api/sessions', { repoPath: repo, title: `s${i + j}` })));
    }
    const count = (await api(server.url, 'GET', '/api/sessions?limit=500')).body.sessions.length as number;
    const quietHealth = await load(1, () => get(server.url, '/healthz', false), forSeconds(SECONDS));
    let stop = false;
    const [list, busyHealth] = await Promise.all([
      load(CLIENTS, () => get(server.url, '/api/sessions?limit=500'), forSeconds(SECONDS)).finally(() => (stop = true)),
      load(1, () => get(server.url, '/healthz', false), () => stop),
    ]);
    const firstPage = await load(CLIENTS, () => get(server.url, '/api/sessions?limit=50'), forSeconds(SECONDS));
    console.log(`\n${count} sessions`);
    console.log(describe(`GET /api/sessions?limit=500, ${CLIENTS} clients`, list));
    console.log(describe(`  /healthz meanwhile, 1 client`, busyHealth));
    console.log(describe(`baseline /healthz alone, 1 client`, quietHealth));
    console.log(describe(`GET /api/sessions?limit=50 (first page), ${CLIENTS} clients`, firstPage));
    console.log(`ratio /healthz p99 under list load / alone: ${(percentile(busyHealth.latencies, 99) / percentile(quietHealth.latencies, 99)).toFixed(2)}x (target: /healthz p99 < 10 ms under that load)`);
    console.log(`load at end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
