// Restart time with many sessions: `thalogos serve` from spawn to the first 200 of `/healthz`, and
// to the first answer of the API (`GET /api/sessions?limit=1` with a token), against two baselines
// measured in the same run:
//   - the same binary on an empty data dir (nothing to restore);
//   - the same data dir with the language-model adapters (codex, claude, gemini) disabled, so no
//     `--version` handshake runs.
//
//   npx tsx bench/restart.ts [--sessions 100] [--tasks 1] [--runs 5] [--keep DIR]
//
// `--keep DIR` fills DIR once and reuses it on later runs (the fill takes a while on a busy machine).
// The data dir is filled once through the API (sessions on one repository, each with `--tasks`
// finished `command` tasks), then the server is stopped and restarted `--runs` times per variant;
// variants alternate so drift on a shared machine hits them alike.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { positiveIntArg } from './args.js';
import { api, BENCH_TOKEN, median, ms, spawnServer, spread, untilOk } from './server-process.js';

const SESSIONS = positiveIntArg('sessions', 100);
const TASKS = positiveIntArg('tasks', 1);
const RUNS = positiveIntArg('runs', 5);
const KEEP = process.argv.includes('--keep') ? path.resolve(process.argv[process.argv.indexOf('--keep') + 1] ?? '') : null;

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });
}

async function fill(env: Record<string, string>, repo: string): Promise<void> {
  const server = await spawnServer(env);
  try {
    await untilOk(server, '/healthz', server.spawnedAt, 50);
    const started = performance.now();
    const ids: string[] = [];
    // A few at a time: every task runs a real sandboxed command in its own worktree.
    for (let i = 0; i < SESSIONS; i += 10) {
      const batch = await Promise.all(Array.from({ length: Math.min(10, SESSIONS - i) }, async (_, j) => {
        const created = await api(server.url, 'POST', '/api/sessions', { repoPath: repo, title: `bench ${i + j}` });
        if (created.status !== 201) throw new Error(`create session: ${JSON.stringify(created.body)}`);
        const sid = created.body.id as string;
        for (let t = 0; t < TASKS; t += 1) {
          const task = await api(server.url, 'POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: `echo ${t} > f${t}.txt` });
          if (task.status !== 202) throw new Error(`add task: ${JSON.stringify(task.body)}`);
        }
        return sid;
      }));
      ids.push(...batch);
      for (const sid of batch) {
        for (;;) {
          const view = (await api(server.url, 'GET', `/api/sessions/${sid}`)).body as { tasks: Array<{ status: string }> };
          if (view.tasks.every((task) => task.status === 'ready_for_review' || task.status === 'failed')) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
    console.log(`filled: ${ids.length} sessions x ${TASKS} task(s) in ${ms(performance.now() - started)}`);
  } finally {
    await server.stop();
  }
}

interface Sample { health: number; api: number }

async function restartOnce(env: Record<string, string>): Promise<Sample> {
  const server = await spawnServer(env);
  try {
    const health = await untilOk(server, '/healthz', server.spawnedAt);
    const firstApi = await untilOk(server, '/api/sessions?limit=1', server.spawnedAt, 5, BENCH_TOKEN);
    return { health, api: firstApi };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const tmp = KEEP ?? mkdtempSync(path.join(os.tmpdir(), 'thalogos-bench-restart-'));
  const filled = KEEP !== null && existsSync(path.join(tmp, 'data'));
  try {
    const repo = path.join(tmp, 'repo');
    if (!filled) {
      mkdirSync(repo, { recursive: true });
      git(repo, 'init', '-q', '-b', 'main');
      writeFileSync(path.join(repo, 'a.txt'), 'a\n');
      git(repo, 'add', '-A');
      git(repo, 'commit', '-qm', 'init');
    }
    const data = path.join(tmp, 'data');
    const config = path.join(tmp, 'config.json');
    const noLlmConfig = path.join(tmp, 'config-no-llm.json');
    writeFileSync(config, JSON.stringify({}));
    const off = { enabled: false };
    writeFileSync(noLlmConfig, JSON.stringify({ adapters: { adapters: { codex: off, claude: off, gemini: off } } }));
    const base = { THALOGOS_REPO_ROOTS: tmp };
    if (!filled) await fill({ ...base, THALOGOS_DATA_DIR: data, THALOGOS_CONFIG: config }, repo);

    const samples: Record<'ours' | 'empty' | 'noLlm', Sample[]> = { ours: [], empty: [], noLlm: [] };
    for (let run = 0; run < RUNS; run += 1) {
      const empty = mkdtempSync(path.join(tmp, 'empty-'));
      samples.ours.push(await restartOnce({ ...base, THALOGOS_DATA_DIR: data, THALOGOS_CONFIG: config }));
      samples.empty.push(await restartOnce({ ...base, THALOGOS_DATA_DIR: empty, THALOGOS_CONFIG: config }));
      samples.noLlm.push(await restartOnce({ ...base, THALOGOS_DATA_DIR: data, THALOGOS_CONFIG: noLlmConfig }));
      rmSync(empty, { recursive: true, force: true });
      console.log(`run ${run + 1}: ours ${ms(samples.ours[run]!.health)} / ${ms(samples.ours[run]!.api)}, empty ${ms(samples.empty[run]!.health)} / ${ms(samples.empty[run]!.api)}, LLM adapters off ${ms(samples.noLlm[run]!.health)} / ${ms(samples.noLlm[run]!.api)} (healthz / first API answer)`);
    }
    const row = (name: string, values: number[]) => `${name.padEnd(44)} ${ms(median(values)).padStart(9)}  (${spread(values)})`;
    console.log(`\n${SESSIONS} sessions x ${TASKS} task(s), ${RUNS} runs, medians (min-max); load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(row('ours: spawn to /healthz', samples.ours.map((s) => s.health)));
    console.log(row('ours: spawn to first API answer', samples.ours.map((s) => s.api)));
    console.log(row('baseline empty data dir: to /healthz', samples.empty.map((s) => s.health)));
    console.log(row('baseline empty data dir: to first API answer', samples.empty.map((s) => s.api)));
    console.log(row('baseline LLM adapters off: to /healthz', samples.noLlm.map((s) => s.health)));
    console.log(row('baseline LLM adapters off: to first API answer', samples.noLlm.map((s) => s.api)));
    const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
    console.log(`ratio ours / empty (to /healthz): ${ratio(samples.ours.map((s) => s.health), samples.empty.map((s) => s.health))}x (target <= 1.2x, and < 1 s)`);
    console.log(`ratio ours / empty (to first API answer): ${ratio(samples.ours.map((s) => s.api), samples.empty.map((s) => s.api))}x`);
    console.log(`ratio ours / LLM adapters off (to /healthz): ${ratio(samples.ours.map((s) => s.health), samples.noLlm.map((s) => s.health))}x`);
  } finally {
    if (!KEEP) rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
