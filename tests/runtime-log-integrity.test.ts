import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiClient } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';

const ADMIN = 'ledger-admin-token-0123456789abcdef';

/** Starts a server child that is expected to refuse: returns what it printed before exiting. */
async function refusedStart(env: Record<string, string>, port: number): Promise<string> {
  const outcome = await startServerProcess(env, port).then(
    async (server) => {
      await server.kill9();
      return null;
    },
    (error: Error) => error.message,
  );
  expect(outcome, 'the server started on a damaged event log').not.toBeNull();
  return outcome as string;
}

describe('event log damage with a real server process and LevelDB', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: ServerProcess | null = null;
  let port: number;

  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-ledger-'));
    makeRepo(path.join(tmp, 'repo'));
    port = await freePort();
    env = { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp };
  });
  afterEach(async () => {
    await server?.kill9();
    server = null;
    await rm(tmp, { recursive: true, force: true });
  });

  it('a byte flipped in LevelDB\'s write-ahead log after kill -9 stops the start until --repair-log, which records it', async () => {
    server = await startServerProcess(env, port);
    const api = apiClient(server.url, ADMIN);
    for (let i = 0; i < 12; i += 1) {
      expect((await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: `session ${i}` })).status).toBe(201);
    }
    expect((await api('GET', '/api/audit/verify')).body.ok).toBe(true);
    await server.kill9();
    server = null;

    // One byte of the newest write-ahead-log record, as a bad sector or a torn write would leave it.
    const dbDir = path.join(tmp, 'data', 'db');
    const wal = readdirSync(dbDir).filter((name) => name.endsWith('.log')).sort().at(-1) as string;
    const bytes = readFileSync(path.join(dbDir, wal));
    const at = bytes.length - 100;
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    writeFileSync(path.join(dbDir, wal), bytes);

    const refused = await refusedStart(env, port);
    expect(refused).toContain(`the event log in ${path.join(tmp, 'data')} failed its integrity check`);
    expect(refused).toContain('docs/runbooks/log-corruption.md');
    expect(refused).toContain('leveldb_dropped_data');
    expect(refused).toContain('--repair-log');
    // (That LevelDB has recovered past the damage by now and later starts still refuse until a
    // repair is covered in runtime/log/log-integrity.test.ts, without four more server starts.)

    server = await startServerProcess({ ...env, THALOGOS_REPAIR_LOG: '1' }, port);
    expect(server.output()).toContain('THE EVENT LOG WAS REPAIRED');
    const repaired = (await apiClient(server.url, ADMIN)('GET', '/api/audit/verify')).body;
    expect(repaired.ok).toBe(true);
    expect(repaired.journal.anchors).toEqual([expect.objectContaining({ anchor: expect.stringContaining('leveldb_dropped_data') })]);
    await server.stop();

    server = await startServerProcess(env, port);
    expect((await apiClient(server.url, ADMIN)('GET', '/api/audit/verify')).body.ok).toBe(true);
  }, 240_000);
});
