// A node started while its Redis replica is not linked yet (a Redis restart, a failover still
// syncing) with THALOGOS_REDIS_WAIT_REPLICAS=1: its first append (the admin token) could not be
// confirmed, failed NOT_REPLICATED, and the node exited. It now waits for the replica, then serves.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisProcess } from './helpers/redis-process.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

const ADMIN = 'thg_replica_wait_admin_token_0123456789';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'thalogos-replica-wait-'));
const started: RedisProcess[] = [];
let server: ServerProcess | null = null;

afterAll(async () => {
  await server?.stop();
  for (const redis of started) await redis.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('cluster: a node waits for the replicas WAIT needs before its first append', () => {
  it('starts once the replica links, instead of exiting on NOT_REPLICATED', async () => {
    const master = await startRedis();
    started.push(master);
    fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify({ adapters: { order: ['command'], adapters: { codex: { enabled: false }, claude: { enabled: false }, gemini: { enabled: false } } } }));
    const starting = startServerProcess({
      THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_CONFIG: path.join(tmp, 'config.json'),
      THALOGOS_REDIS_URL: `redis://127.0.0.1:${master.port}`, THALOGOS_REDIS_WAIT_REPLICAS: '1', THALOGOS_REDIS_WAIT_TIMEOUT_MS: '2000',
      THALOGOS_NODE_ID: 'solo',
    });
    const outcome = starting.then(() => 'up', (error: Error) => error.message);
    // Long enough for the old behaviour (a WAIT of 2 s, then exit) to show.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const replica = await startRedis({ replicaOf: master.port });
    started.push(replica);
    expect(await outcome).toBe('up');
    server = await starting;
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { cluster?: boolean };
    expect(health.cluster).toBe(true);
    expect(server.output()).toContain('waiting for Redis replicas');
    // The admin token's append was confirmed by the replica: the token works.
    const me = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(me.status).toBe(200);
  }, 150_000);
});
