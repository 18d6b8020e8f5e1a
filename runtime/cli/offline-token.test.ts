import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/config.js';
import { startServer } from '../server.js';
import { main } from './main.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await main(args, {}), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** The lost-admin-token path: a token minted into a stopped server's LevelDB. */
describe('thalogos token create --data-dir', () => {
  let tmp: string;
  let dataDir: string;
  // No THALOGOS_ADMIN_TOKEN: the first start generates an admin token that is then "lost".
  const config = () => loadConfig({ env: { THALOGOS_DATA_DIR: dataDir, THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0' }, cwd: tmp });

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-offline-'));
    dataDir = path.join(tmp, 'data');
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('refuses while the server runs, mints a working audited admin token once it is stopped', async () => {
    const running = await startServer(config(), { logger: pino({ level: 'silent' }) });
    const refused = await run(['token', 'create', '--data-dir', dataDir, '--name', 'rescue', '--role', 'admin']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('SERVER_RUNNING');
    await running.close();

    const created = await run(['token', 'create', '--data-dir', dataDir, '--name', 'rescue', '--role', 'admin', '--json']);
    expect(created.code, created.err).toBe(0);
    const minted = JSON.parse(created.out) as { token: string; id: string; role: string; name: string };
    expect(minted).toMatchObject({ name: 'rescue', role: 'admin' });

    const server = await startServer(config(), { logger: pino({ level: 'silent' }) });
    try {
      const headers = { authorization: `Bearer ${minted.token}` };
      const me = await (await fetch(`${server.url}/api/me`, { headers })).json();
      expect(me).toEqual({ tokenId: minted.id, name: 'rescue', role: 'admin' });
      const verify = (await (await fetch(`${server.url}/api/audit/verify`, { headers })).json()) as { ok: boolean };
      expect(verify.ok).toBe(true);
      const log = await server.context.log.read();
      expect(log.at(-1)).toMatchObject({ type: 'TOKEN.CREATED', actor: { kind: 'system', id: 'cli-offline' }, data: { id: minted.id, role: 'admin', source: 'offline' } });
    } finally {
      await server.close();
    }
  });

  it('refuses a directory without a Thalogos database, and a bad role, without creating anything', async () => {
    const missing = await run(['token', 'create', '--data-dir', path.join(tmp, 'typo'), '--name', 'x', '--role', 'admin']);
    expect([missing.code, missing.err]).toEqual([1, expect.stringContaining('NO_DATA_DIR')]);
    const badRole = await run(['token', 'create', '--data-dir', dataDir, '--name', 'x', '--role', 'root']);
    expect(badRole.code).toBe(2);
    expect(badRole.err).toContain('--role must be one of');
  });
});
