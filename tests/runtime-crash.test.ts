import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiClient, waitFor } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';
import { pidRunning } from './helpers/pid.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';

const ADMIN = 'crash-admin-token-0123456789abcdef';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('crash and resume with a real server process and LevelDB', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: ServerProcess | null = null;
  let port: number;

  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-crash-'));
    makeRepo(path.join(tmp, 'repo'));
    port = await freePort();
    env = { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp };
  });
  afterEach(async () => {
    await server?.kill9();
    server = null;
    await rm(tmp, { recursive: true, force: true });
  });

  it('loses no acknowledged command when killed -9 while commands arrive', async () => {
    server = await startServerProcess(env, port);
    const api = apiClient(server.url, ADMIN);
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: 'crash' })).body.id as string;
    const acknowledged: string[] = [];
    let stop = false;
    // Four concurrent writers hammer the API until the server dies under them.
    const writers = Array.from({ length: 4 }, async (_, writer) => {
      for (let i = 0; !stop && i < 500; i += 1) {
        try {
          const response = await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: `echo w${writer}-${i} >> log-${writer}.txt` });
          if (response.status === 202) acknowledged.push(response.body.id);
        } catch {
          return; // connection refused or reset: the server is gone
        }
      }
    });
    await waitFor(async () => acknowledged.length >= 20, { what: '20 acknowledged tasks' });
    await server.kill9();
    stop = true;
    await Promise.all(writers);

    server = await startServerProcess(env, port);
    const after = apiClient(server.url, ADMIN);
    const view = (await after('GET', `/api/sessions/${sid}`)).body;
    const known = new Set(view.tasks.map((task: { id: string }) => task.id));
    const lost = acknowledged.filter((id) => !known.has(id));
    expect(lost).toEqual([]);
    expect((await after('GET', '/api/audit/verify')).body.ok).toBe(true);
  });

  it('marks running tasks interrupted, kills the orphaned agent, re-queues and finishes them after kill -9', async () => {
    server = await startServerProcess(env, port);
    const api = apiClient(server.url, ADMIN);
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: 'resume' })).body.id as string;
    const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'if [ -f .second-run ]; then echo done > done.txt; else touch .second-run; sleep 60; fi' })).body;
    const started = await waitFor(async () => {
      const events = (await api('GET', `/api/sessions/${sid}/events?taskId=${task.id}`)).body.events as Array<{ type: string; data: { pid?: number } }>;
      return events.find((entry) => entry.type === 'AGENT.STARTED');
    }, { what: 'the agent to start' });
    await server.kill9();
    server = await startServerProcess(env, port);
    const after = apiClient(server.url, ADMIN);
    const view = await waitFor(async () => {
      const body = (await after('GET', `/api/sessions/${sid}`)).body;
      return body.tasks[0].status === 'ready_for_review' ? body : null;
    }, { what: 'the re-queued task to finish', timeoutMs: 45_000 });
    const types = ((await after('GET', `/api/sessions/${sid}/events?taskId=${task.id}`)).body.events as Array<{ type: string }>).map((entry) => entry.type);
    expect(types).toContain('TASK.INTERRUPT');
    expect(types).toContain('TASK.REQUEUE');
    expect(types.filter((type) => type === 'AGENT.STARTED')).toHaveLength(2);
    expect(view.tasks[0].commit).toMatch(/^[0-9a-f]{40}$/);
    expect(started.data.pid).toBeTypeOf('number');
    expect(pidRunning(started.data.pid as number)).toBe(false);
  });

  it('a graceful stop (SIGTERM) leaves no agent running, even one that ignores SIGTERM', async () => {
    server = await startServerProcess(env, port);
    const api = apiClient(server.url, ADMIN);
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: 'stop' })).body.id as string;
    const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'trap "" TERM; sleep 300' })).body;
    const started = await waitFor(async () => {
      const events = (await api('GET', `/api/sessions/${sid}/events?taskId=${task.id}`)).body.events as Array<{ type: string; data: { pid?: number } }>;
      return events.find((entry) => entry.type === 'AGENT.STARTED');
    }, { what: 'the agent to start' });
    await server.stop();
    expect(server.child.exitCode).toBe(0);
    expect(pidRunning(started.data.pid as number)).toBe(false);
  }, 60_000);

  it('thalogos replay rebuilds the live state from the log alone, also up to a sequence number', async () => {
    server = await startServerProcess(env, port);
    const api = apiClient(server.url, ADMIN);
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: 'replay' })).body.id as string;
    // Enough tasks for more than 50 events, so the restart restores from a snapshot plus the
    // log after it, and the comparison below is not replay against replay.
    for (let i = 0; i < 8; i += 1) await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: `echo ${i} > f${i}.txt` });
    const before = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}`)).body;
      return body.tasks.every((task: { status: string }) => task.status === 'ready_for_review') ? body : null;
    }, { what: 'eight tasks ready', timeoutMs: 60_000 });
    await server.kill9();
    server = await startServerProcess(env, port);
    const events = (await apiClient(server.url, ADMIN)('GET', `/api/sessions/${sid}/events?limit=10000`)).body.events as unknown[];
    expect(events.length).toBeGreaterThan(50);
    expect((await apiClient(server.url, ADMIN)('GET', `/api/sessions/${sid}`)).body).toEqual(before);
    const cli = (...args: string[]) =>
      JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'runtime/cli/run.ts'), ...args, '--json'], {
        cwd: ROOT, env: { ...process.env, THALOGOS_URL: server!.url, THALOGOS_TOKEN: ADMIN }, encoding: 'utf8',
      }));
    const live = (await apiClient(server.url, ADMIN)('GET', `/api/sessions/${sid}`)).body;
    const replayed = cli('replay', sid);
    expect(replayed.state).toEqual(live);
    const early = cli('replay', sid, '--until', String(replayed.seq - 1));
    expect(early.seq).toBeLessThan(replayed.seq);
    const firstSeq = (await apiClient(server.url, ADMIN)('GET', `/api/sessions/${sid}/events?limit=1`)).body.events[0].seq as number;
    const createdOnly = cli('replay', sid, '--until', String(firstSeq));
    expect(createdOnly).toMatchObject({ entries: 1, state: { id: sid, tasks: [] } });
  }, 120_000);
});
