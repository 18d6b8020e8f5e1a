import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stateToJson } from '../sync/index.js';
import { apiClient, waitFor } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { connect, synced, type TestClient } from './sync-harness.js';

const ADMIN = 'burst-admin-token-0123456789abcdef';
// 480 lines in 60 bursts of 8 (the command agent streams up to 500 lines live, one event each).
const BURSTS = 'i=0; while [ $i -lt 60 ]; do seq $((i*8+1)) $((i*8+8)) | sed "s/^/burst-/"; i=$((i+1)); sleep 0.05; done';

interface Entry { seq: number; type: string; data: { runId?: string; event?: { seq: number; output?: string; status?: string } } }

describe('agent events appended in batches, with a real server process and LevelDB', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: ServerProcess | null = null;
  let watcher: TestClient | null = null;
  let port: number;

  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-burst-'));
    makeRepo(path.join(tmp, 'repo'));
    port = await freePort();
    // Only the command agent: no CLI handshakes at each start.
    const config = path.join(tmp, 'config.json');
    await writeFile(config, JSON.stringify({ adapters: { order: ['command'], adapters: { codex: { enabled: false }, claude: { enabled: false }, gemini: { enabled: false } } } }));
    env = { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_CONFIG: config };
  });
  afterEach(async () => {
    watcher?.destroy();
    watcher = null;
    await server?.kill9();
    server = null;
    await rm(tmp, { recursive: true, force: true });
  });

  it('loses no event a watcher saw when killed -9 mid-burst, and logs them in order without gaps', async () => {
    server = await startServerProcess(env, port);
    const api = apiClient(server.url, ADMIN);
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: 'burst' })).body.id as string;
    watcher = connect(`${server.url.replace('http', 'ws')}/sync`, `session/${sid}/state`, ADMIN);
    await synced(watcher);
    // What people saw live: an event reaches the state document only once it is durable.
    const seen = new Map<string, Set<string>>();
    const doc = watcher.doc;
    doc.on('update', () => {
      const agents = (stateToJson(doc) as { agents?: Record<string, { lines?: Array<{ output?: string }> }> }).agents ?? {};
      for (const [runId, run] of Object.entries(agents)) {
        const lines = seen.get(runId) ?? new Set<string>();
        for (const line of run.lines ?? []) if (line.output?.startsWith('burst-')) lines.add(line.output);
        seen.set(runId, lines);
      }
    });
    const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: BURSTS })).body as { id: string };
    await waitFor(async () => [...seen.values()].some((lines) => lines.size >= 80), { what: '80 burst lines seen live', timeoutMs: 60_000, intervalMs: 5 });
    await server.kill9();
    const [runId, sawLive] = [...seen.entries()].find(([, lines]) => lines.size >= 80)!;
    expect(sawLive.size).toBeLessThan(480); // killed mid-burst, not after it

    server = await startServerProcess(env, port);
    const after = apiClient(server.url, ADMIN);
    const events = (await after('GET', `/api/sessions/${sid}/events?taskId=${task.id}`)).body.events as Entry[];
    const logged = events.filter((entry) => entry.type === 'AGENT.EVENT' && entry.data.runId === runId).map((entry) => entry.data.event!);
    const outputs = logged.filter((event) => event.status === 'output').map((event) => event.output);
    // Every line seen live is in the log ...
    expect([...sawLive].filter((line) => !outputs.includes(line))).toEqual([]);
    // ... in the order printed, with no gap: the run's events are numbered 0..n-1 and the lines follow seq 1..n.
    expect(logged.map((event) => event.seq)).toEqual(logged.map((_, index) => index));
    expect(outputs).toEqual(outputs.map((_, index) => `burst-${index + 1}`));
    expect((await after('GET', '/api/audit/verify')).body.ok).toBe(true);
  }, 180_000);
});
