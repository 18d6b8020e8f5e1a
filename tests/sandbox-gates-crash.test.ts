// Gate processes and kill -9 of the server (issue 10): before, a gate kept running beside the next
// Save's gates in the same integration worktree. Now a gate runs in the sandbox and is recorded in
// <data dir>/runs like an agent run: the next start kills whatever is left, sandbox on or off.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processesWithCommandLine } from '../adapters/test-support.js';
import { apiClient, waitFor } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';

const ADMIN = 'gates-crash-admin-token-0123456789';

/** The gate's own process (not the wrapper or bubblewrap, whose command lines also hold it). */
function gateRunning(needle: string): boolean {
  return processesWithCommandLine(needle).some((pid) => {
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() === needle; } catch { return false; }
  });
}

function gateRecords(data: string): Array<{ kind?: string; pid: number }> {
  let names: string[] = [];
  try { names = readdirSync(path.join(data, 'runs')); } catch { return []; }
  return names.flatMap((n) => {
    try { return [JSON.parse(readFileSync(path.join(data, 'runs', n), 'utf8')) as { kind?: string; pid: number }]; } catch { return []; }
  }).filter((r) => r.kind === 'gate');
}

describe('gates and kill -9 of the server', () => {
  let tmp = '';
  let server: ServerProcess | null = null;
  afterEach(async () => {
    await server?.kill9();
    server = null;
    await rm(tmp, { recursive: true, force: true });
  });

  // A unique sleep per case: the check looks for its command line system-wide.
  it.each([['on', 31391], ['off', 31392]] as const)('sandbox %s: no gate outlives the restart that follows a kill -9', async (sandbox, seconds) => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-gates-crash-'));
    const needle = `sleep ${seconds}`;
    const repo = makeRepo(path.join(tmp, 'repo'), { '.thalogos.json': JSON.stringify({ gates: [needle] }) });
    const data = path.join(tmp, 'data');
    const configFile = path.join(tmp, 'config.json');
    writeFileSync(configFile, JSON.stringify({ sandbox }));
    const env = { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: data, THALOGOS_REPO_ROOTS: tmp, THALOGOS_CONFIG: configFile };
    const port = await freePort();
    server = await startServerProcess(env, port);
    const api = apiClient(server.url, ADMIN);
    // The opt-out is visible: on every adapter in GET /api/agents, and as a warning at start.
    const agents = (await api('GET', '/api/agents')).body.agents as Array<{ sandbox: { mode: string; warning: string | null } }>;
    expect(new Set(agents.map((a) => a.sandbox.mode))).toEqual(new Set([sandbox === 'on' ? 'bubblewrap' : 'off']));
    if (sandbox === 'off') expect(server.output()).toContain('sandbox is off');
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'gates' })).body.id as string;
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo change > change.txt' });
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks[0]?.status === 'ready_for_review', { what: 'the task to be ready' });
    expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    // Killed only once the gate itself runs: before that the launcher may still be on its way into
    // the sandbox (a kill in that instant is what the run file and the restart are for).
    await waitFor(async () => gateRunning(needle) && gateRecords(data).length > 0, { what: 'the gate to run and be recorded', timeoutMs: 30_000 });
    const [record] = gateRecords(data);

    await server.kill9();
    if (sandbox === 'off') {
      // Unconfined, the gate survives the server: only its run file lets the next start find it.
      expect(processesWithCommandLine(needle).length).toBeGreaterThan(0);
    }
    // Sandboxed, bubblewrap's --die-with-parent usually ends the gate at once; the run file and the
    // start's sweep of the instance's cgroups are what make it certain (they are asserted here).
    server = await startServerProcess(env, port);
    expect(processesWithCommandLine(needle)).toEqual([]);
    expect(gateRecords(data)).toEqual([]);
    expect(record?.pid).toBeGreaterThan(0);
    if (sandbox === 'off') expect(server.output()).toContain('"kind":"gate"');
  }, 120_000);
});
