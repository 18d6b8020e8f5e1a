// Session ownership across nodes on a real redis-server: heartbeats, claiming free sessions,
// placement by repository, takeover after a node dies or pauses, draining.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ownership, type SessionRef } from '../runtime/cluster/ownership.js';
import { listClusterSessions } from '../runtime/cluster/session-table.js';
import { redisKeys } from '../runtime/storage/redis-keys.js';
import { startRedis, type RedisProcess } from './helpers/redis-process.js';

const LEASE_MS = 600;
let server: RedisProcess;
const clients: Redis[] = [];
const nodes: Ownership[] = [];
let counter = 0;

beforeAll(async () => {
  server = await startRedis();
}, 30_000);

afterAll(async () => {
  for (const node of nodes) await node.stop({ release: false }).catch(() => undefined);
  for (const redis of clients) redis.disconnect();
  await server?.stop();
});

function redis(): Redis {
  const client = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

async function addSession(prefix: string, id: string, repoPath: string): Promise<void> {
  const meta = { id, title: id, repoPath, createdAt: new Date(Date.now() + counter++).toISOString(), createdBy: 'test' };
  await clients[0]!.hset(redisKeys(prefix).table('sessions'), id, JSON.stringify(meta));
}

function makeNode(prefix: string, id: string, adopt: (sessionId: string) => Promise<void> = async () => undefined) {
  const adopted: string[] = [];
  const lost: string[] = [];
  const connection = redis();
  const node = new Ownership({
    redis: connection,
    nodeId: id,
    advertiseUrl: `http://${id}.test`,
    leaseMs: LEASE_MS,
    keyPrefix: prefix,
    listSessions: async (): Promise<SessionRef[]> => listClusterSessions(connection, prefix),
    onAdopt: async (session) => {
      await adopt(session.id);
      adopted.push(session.id);
    },
    onLose: (sessionId, reason) => lost.push(`${sessionId}:${reason}`),
  });
  nodes.push(node);
  return { node, adopted, lost };
}

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - start;
}

describe('Ownership', () => {
  it('the first node takes the free sessions; a dead node\'s sessions move within the lease time', async () => {
    const prefix = `o${++counter}:`;
    redis();
    await addSession(prefix, 's1', '/r1');
    await addSession(prefix, 's2', '/r1');
    await addSession(prefix, 's3', '/r2');
    const a = makeNode(prefix, 'a');
    await a.node.start();
    const b = makeNode(prefix, 'b');
    await b.node.start();
    expect(a.adopted.sort()).toEqual(['s1', 's2', 's3']);
    expect(b.adopted).toEqual([]);
    const view = await b.node.view();
    expect(view.nodes).toEqual([
      { id: 'a', url: 'http://a.test', alive: true, sessions: 3 },
      { id: 'b', url: 'http://b.test', alive: true, sessions: 0 },
    ]);
    expect(view.sessions.map((row) => row.owner)).toEqual(['a', 'a', 'a']);
    expect(await b.node.ownerOf('s1')).toEqual({ id: 'a', url: 'http://a.test' });

    // a new session on a repository a holds goes to a, never to b.
    await addSession(prefix, 's4', '/r1');
    await b.node.pass();
    expect(b.adopted).toEqual([]);
    await a.node.pass();
    expect(a.adopted).toContain('s4');

    // a dies (kill -9: no release, its heartbeat and leases simply stop).
    await a.node.stop({ release: false });
    const took = await until(() => b.adopted.length === 4, LEASE_MS + 5_000);
    expect(took).toBeLessThan(LEASE_MS * 3);
    expect(b.node.ownedSessions().sort()).toEqual(['s1', 's2', 's3', 's4']);
    expect((await b.node.view()).sessions.every((row) => row.owner === 'b')).toBe(true);
  });

  it('a node paused past its lease finds every session lost when it wakes, and stops them', async () => {
    const prefix = `o${++counter}:`;
    redis();
    await addSession(prefix, 's1', '/r1');
    await addSession(prefix, 's2', '/r2');
    const a = makeNode(prefix, 'a');
    await a.node.pass();
    const b = makeNode(prefix, 'b');
    // a "pauses": no passes. b takes over once the leases run out.
    await until(async () => {
      await b.node.pass();
      return b.adopted.length === 2;
    }, LEASE_MS + 5_000);
    expect(a.node.owns('s1')).toBe(true); // a does not know yet
    await a.node.pass(); // a wakes: its renewals fail
    expect(a.lost.sort()).toEqual(['s1:expired', 's2:expired']);
    expect(a.node.ownedSessions()).toEqual([]);
    expect(a.adopted).toEqual(['s1', 's2']);
    await a.node.pass();
    expect(a.adopted).toEqual(['s1', 's2']); // it does not take them back while b lives
  });

  it('drain hands every session over at once', async () => {
    const prefix = `o${++counter}:`;
    redis();
    await addSession(prefix, 's1', '/r1');
    const a = makeNode(prefix, 'a');
    await a.node.pass();
    const b = makeNode(prefix, 'b');
    await a.node.drain();
    expect(a.lost).toEqual(['s1:released']);
    await b.node.pass();
    expect(b.adopted).toEqual(['s1']);
    await a.node.pass();
    expect(a.adopted).toEqual(['s1']);
  });

  it('serves a session it takes over only once the replay is done (a request meanwhile gets no owner: 503, not 404)', async () => {
    const prefix = `o${++counter}:`;
    redis();
    await addSession(prefix, 's1', '/r1');
    let finish = () => undefined as void;
    const replaying = new Promise<void>((resolve) => (finish = resolve));
    const a = makeNode(prefix, 'a', () => replaying);
    const pass = a.node.pass();
    await until(async () => (await a.node.ownerOf('s1'))?.id === 'a', 5_000);
    expect(a.node.owns('s1')).toBe(false);
    expect(await a.node.lookup('s1')).toBeNull();
    finish();
    await pass;
    expect(a.adopted).toEqual(['s1']);
    expect(a.node.owns('s1')).toBe(true);
    expect(await a.node.lookup('s1')).toEqual({ self: true });
  });
});
