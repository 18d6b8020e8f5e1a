// Issue 15, secrets: an agent's credentials come from a 0600 file or a secret command (`envFrom`
// in the adapter's config), reach the agent's process, and no sink: not the event log, the data
// dir, the runtime's logs or the API. A group-readable file or a failing command leaves the agent
// signed out with the reference named, never the value.
import { createHash } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { apiClient, waitFor } from './helpers/api.js';
import { git, makeRepo } from './helpers/git-repo.js';
import { readTree } from './helpers/read-tree.js';

const ADMIN = 'agent-secrets-admin-token-0123456789abcdef';
const FROM_FILE = 'file-held-credential-5c4b3a2918273645';
const FROM_COMMAND = 'vault-held-credential-0a9b8c7d6e5f4321';

async function start(tmp: string, envFrom: Record<string, unknown>, sink: Writable): Promise<{ server: RunningServer; dataDir: string }> {
  const name = Math.random().toString(36).slice(2);
  const configFile = path.join(tmp, `config-${name}.json`);
  const dataDir = path.join(tmp, `data-${name}`);
  writeFileSync(configFile, JSON.stringify({ adapters: { adapters: { codex: { enabled: false }, claude: { enabled: false }, gemini: { enabled: false }, command: { envFrom } } } }));
  const server = await startServer(
    loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: dataDir, THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: configFile }, cwd: tmp }),
    { logger: pino({ level: 'trace' }, sink) },
  );
  return { server, dataDir };
}

describe('agent credentials from a secret store', () => {
  let tmp: string;
  let logs = '';
  const sink = new Writable({ write(chunk, _encoding, done) { logs += String(chunk); done(); } });
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-agent-secrets-'));
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('reach the agent from a 0600 file and a secret command, and no sink', async () => {
    const file = path.join(tmp, 'api-key');
    writeFileSync(file, `${FROM_FILE}\n`);
    chmodSync(file, 0o600);
    const { server, dataDir } = await start(tmp, { SERVICE_API_KEY: { file }, VAULT_TOKEN: { secretCommand: ['printf', FROM_COMMAND] } }, sink);
    servers.push(server);
    const api = apiClient(server.url, ADMIN);
    const repo = makeRepo(path.join(tmp, 'repo'));
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'secrets' })).body.id as string;
    // The task proves it saw both values (by their hashes) and also prints them, which must be redacted.
    const prompt = 'printf %s "$SERVICE_API_KEY" | sha256sum > file.sha; printf %s "$VAULT_TOKEN" | sha256sum > vault.sha; echo "key=$SERVICE_API_KEY token=$VAULT_TOKEN"';
    const taskId = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt })).body.id as string;
    await waitFor(async () => ((await api('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body.status === 'ready_for_review' ? true : null), { what: 'the task' });
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(git(repo, 'show', `session/${sid}/task/${taskId}:file.sha`).split(' ')[0]).toBe(sha(FROM_FILE));
    expect(git(repo, 'show', `session/${sid}/task/${taskId}:vault.sha`).split(' ')[0]).toBe(sha(FROM_COMMAND));

    const events = JSON.stringify((await api('GET', `/api/sessions/${sid}/events?after=0&limit=1000`)).body);
    expect(events).toContain('[REDACTED]');
    const sinks = { events, view: JSON.stringify((await api('GET', `/api/sessions/${sid}`)).body), agents: JSON.stringify((await api('GET', '/api/agents')).body), logs, data: readTree(dataDir) };
    for (const [where, text] of Object.entries(sinks)) {
      expect(text.includes(FROM_FILE), `${where} holds the file's credential`).toBe(false);
      expect(text.includes(FROM_COMMAND), `${where} holds the command's credential`).toBe(false);
    }
  }, 60_000);

  it('leaves the agent signed out, naming the reference, when the file is group-readable or the command fails', async () => {
    const loose = path.join(tmp, 'loose-key');
    writeFileSync(loose, `${FROM_FILE}\n`);
    chmodSync(loose, 0o644);
    for (const envFrom of [{ SERVICE_API_KEY: { file: loose } }, { VAULT_TOKEN: { secretCommand: ['false'] } }]) {
      const { server } = await start(tmp, envFrom, sink);
      servers.push(server);
      const agents = (await apiClient(server.url, ADMIN)('GET', '/api/agents')).body.agents as Array<{ id: string; status: string; reason: string | null }>;
      const command = agents.find((agent) => agent.id === 'command');
      expect(command?.status).toBe('unauthenticated');
      expect(command?.reason).toMatch(/credentials unavailable: (secret file .* has mode 644|secretCommand false failed)/);
    }
  }, 60_000);
});
