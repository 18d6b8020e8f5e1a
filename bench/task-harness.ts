// The runtime in this process on a temp data dir, with only the `command` agent enabled (no CLI
// handshakes, no language model), and a way to wait for a task's log entries without polling.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { loadConfig } from '../runtime/config/config.js';
import type { LogEntry } from '../runtime/log/log-entry.js';
import { startServer, type RunningServer } from '../runtime/server.js';

const ADMIN = 'bench-admin-token-0123456789abcdef';

export interface TaskHarness {
  tmp: string;
  repo: string;
  server: RunningServer;
  sessionId: string;
  /** POSTs a `command` task; resolves with the task id once the POST answered 202. */
  postTask(prompt: string): Promise<string>;
  /** Resolves at the moment the log appends an entry of `type` for `taskId` (performance.now()). */
  whenLogged(taskId: string, type: string): Promise<{ at: number; entry: LogEntry }>;
  /** Each entry of the task with when it was logged, in ms after `since` (for --trace). */
  timeline(taskId: string, since: number): string[];
  /** When (performance.now()) the entry with this seq was appended. */
  loggedAt(seq: number): number;
  /** Every entry logged so far for the task. */
  entriesOf(taskId: string): LogEntry[];
  close(): Promise<void>;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' },
  }).trim();
}

export async function startTaskHarness(prefix: string): Promise<TaskHarness> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), prefix));
  const repo = path.join(tmp, 'repos', 'r');
  execFileSync('mkdir', ['-p', repo]);
  git(repo, 'init', '-q', '-b', 'main');
  await writeFile(path.join(repo, 'a.txt'), 'a\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'init');
  const configFile = path.join(tmp, 'config.json');
  await writeFile(configFile, JSON.stringify({
    adapters: { order: ['command'], adapters: { codex: { enabled: false }, claude: { enabled: false }, gemini: { enabled: false } } },
    sessions: { maxParallel: 4, taskTimeoutMs: 120_000, maxRetries: 0 },
  }));
  const server = await startServer(
    loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: path.join(tmp, 'repos'), THALOGOS_PORT: '0', THALOGOS_CONFIG: configFile }, cwd: tmp }),
    { logger: pino({ level: 'silent' }) },
  );
  const byTask = new Map<string, LogEntry[]>();
  const loggedAt = new Map<number, number>();
  const waiters: Array<{ taskId: string; type: string; resolve: (v: { at: number; entry: LogEntry }) => void }> = [];
  server.context.log.onAppend((entries) => {
    const at = performance.now();
    for (const entry of entries) {
      if (!entry.taskId) continue;
      const list = byTask.get(entry.taskId) ?? [];
      list.push(entry);
      loggedAt.set(entry.seq, at);
      byTask.set(entry.taskId, list);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i]!;
        if (w.taskId === entry.taskId && w.type === entry.type) {
          waiters.splice(i, 1);
          w.resolve({ at, entry });
        }
      }
    }
  });
  const call = async (method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(server.url + route, {
      method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  const created = await call('POST', '/api/sessions', { repoPath: repo, title: 'bench' });
  if (created.status !== 201) throw new Error(`could not create a session: ${JSON.stringify(created.body)}`);
  const sessionId = created.body.id as string;
  return {
    tmp, repo, server, sessionId,
    async postTask(prompt) {
      const response = await call('POST', `/api/sessions/${sessionId}/tasks`, { agent: 'command', prompt });
      if (response.status !== 202) throw new Error(`task refused: ${JSON.stringify(response.body)}`);
      return response.body.id as string;
    },
    whenLogged(taskId, type) {
      const seen = byTask.get(taskId)?.find((entry) => entry.type === type);
      if (seen) return Promise.resolve({ at: performance.now(), entry: seen });
      return new Promise((resolve) => waiters.push({ taskId, type, resolve }));
    },
    entriesOf: (taskId) => byTask.get(taskId) ?? [],
    loggedAt: (seq) => loggedAt.get(seq) ?? NaN,
    timeline: (taskId, since) => (byTask.get(taskId) ?? []).map((entry) => `${entry.type} +${((loggedAt.get(entry.seq) ?? since) - since).toFixed(1)}`),
    async close() {
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

export function stats(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? NaN, min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN };
}

export const fmtStats = (s: { median: number; min: number; max: number }): string => `${s.median.toFixed(1)} ms (${s.min.toFixed(1)}-${s.max.toFixed(1)})`;
