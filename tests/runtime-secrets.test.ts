import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { stateToJson } from '../sync/index.js';
import { apiClient, waitFor } from './helpers/api.js';
import { git, makeRepo } from './helpers/git-repo.js';
import { readTree } from './helpers/read-tree.js';
import { connect, synced } from './sync-harness.js';

const ADMIN = 'secrets-admin-token-0123456789abcdef';
const PLANTED = 'sk-planted-fake-key-9f8e7d6c5b4a3210';

describe('a key in the environment reaches the agent and no sink', () => {
  let tmp: string;
  let server: RunningServer;
  let logs = '';

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-secrets-'));
    // The gate fails if it can see the runtime's token: a task branch may rewrite the gates.
    makeRepo(path.join(tmp, 'repo'), { '.thalogos.json': '{"gates":["test -z \\"$THALOGOS_ADMIN_TOKEN$THALOGOS_TOKEN\\""]}\n' });
    const sink = new Writable({ write(chunk, _encoding, done) { logs += String(chunk); done(); } });
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0' }, cwd: tmp }),
      { env: { ...process.env, PLANTED_SERVICE_API_KEY: PLANTED, THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_TOKEN: ADMIN }, logger: pino({ level: 'trace' }, sink) },
    );
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('never gives agents or gates the runtime\'s own tokens', async () => {
    const api = apiClient(server.url, ADMIN);
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: 'no tokens for agents' })).body.id as string;
    const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'env | cut -d= -f1 | sort > env-names.txt' })).body;
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}/tasks/${task.id}`)).body.status === 'ready_for_review', { what: 'the task' });
    const names = git(path.join(tmp, 'repo'), 'show', `session/${sid}/task/${task.id}:env-names.txt`).split('\n');
    expect(names).toContain('PLANTED_SERVICE_API_KEY');
    // Only the adapters' run marker (how they find every process of a run) and the task's reserved
    // port are Thalogos's own: no token, no URL of the runtime.
    expect(names.filter((name) => name.startsWith('THALOGOS_')).sort()).toEqual(['THALOGOS_AGENT_RUN', 'THALOGOS_TASK_PORT']);
    expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    const saved = await waitFor(async () => {
      const view = (await api('GET', `/api/sessions/${sid}`)).body;
      return view.lastSave ? view : null;
    }, { what: 'the Save to finish' });
    expect(saved.lastSave.result.status, JSON.stringify(saved.lastSave)).toBe('published');
  });

  it('redacts it from the event log, LevelDB, the live state document and the logs', async () => {
    const api = apiClient(server.url, ADMIN);
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: 'secrets' })).body.id as string;
    const watcher = connect(`${server.url.replace('http', 'ws')}/sync`, `session/${sid}/state`, ADMIN);
    try {
      await synced(watcher);
      // The agent really has the key: it writes it into the worktree (the task's own business)
      // and prints it, which is what must not reach any sink.
      const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo "key=$PLANTED_SERVICE_API_KEY"; test -n "$PLANTED_SERVICE_API_KEY"' })).body;
      const done = await waitFor(async () => {
        const view = (await api('GET', `/api/sessions/${sid}/tasks/${task.id}`)).body;
        return ['ready_for_review', 'failed'].includes(view.status) ? view : null;
      }, { what: 'the task to finish' });
      expect(done.status).toBe('ready_for_review');
      const events = JSON.stringify((await api('GET', `/api/sessions/${sid}/events`)).body);
      expect(events).toContain('key=');
      expect(events).not.toContain(PLANTED);
      await waitFor(async () => JSON.stringify(stateToJson(watcher.doc).agents).includes('key='), { what: 'the output in the state document' });
      expect(JSON.stringify(stateToJson(watcher.doc))).not.toContain(PLANTED);
      expect(logs.length).toBeGreaterThan(0);
      expect(logs).not.toContain(PLANTED);
      await server.close();
      const stored = readTree(path.join(tmp, 'data'));
      expect(stored).toContain('key=');
      expect(stored).not.toContain(PLANTED);
    } finally {
      watcher.destroy();
    }
  });
});
