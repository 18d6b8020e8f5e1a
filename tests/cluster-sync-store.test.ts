// The Redis document store of cluster mode (sync/redis-update-store.ts) on a real redis-server:
// two nodes append to one document at once while both compact it; nothing appended is lost.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { RedisUpdateStore } from '../sync/redis-update-store.js';
import { startRedis, type RedisProcess } from './helpers/redis-process.js';

let server: RedisProcess;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedis();
}, 30_000);

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server?.stop();
});

function connection(): Redis {
  const client = new Redis({ port: server.port, host: '127.0.0.1' });
  clients.push(client);
  return client;
}

/** One edit by `writer`: its own Y.Doc inserts `text` into the shared map, as a client would. */
function edit(doc: Y.Doc, key: string): Uint8Array {
  let update: Uint8Array | null = null;
  const capture = (u: Uint8Array) => (update = u);
  doc.on('update', capture);
  doc.getMap('m').set(key, key);
  doc.off('update', capture);
  return update!;
}

describe('RedisUpdateStore', () => {
  it('keeps every update two nodes append while both compact the same document', async () => {
    const name = 'session/s1/shared';
    const nodes = [
      new RedisUpdateStore(connection(), { keyPrefix: 't1:', compactEvery: 7 }),
      new RedisUpdateStore(connection(), { keyPrefix: 't1:', compactEvery: 5 }),
    ];
    const writers = [new Y.Doc(), new Y.Doc()];
    const appends: Promise<void>[] = [];
    for (let i = 0; i < 120; i++) {
      const node = i % 2;
      appends.push(nodes[node]!.append(name, edit(writers[node]!, `k${i}`), i % 3 === 0));
      // Compactions race the appends from both sides.
      if (i % 13 === 0) appends.push(nodes[(node + 1) % 2]!.compact(name));
    }
    await Promise.all(appends);
    await Promise.all(nodes.map((node) => node.flush()));
    const loaded = await new RedisUpdateStore(connection(), { keyPrefix: 't1:' }).load(name);
    expect(loaded).not.toBeNull();
    const keys = Object.keys(loaded!.getMap('m').toJSON()).sort();
    expect(keys).toEqual(Array.from({ length: 120 }, (_, i) => `k${i}`).sort());
    // Compaction did happen: far fewer records than appends.
    expect(await clients[0]!.llen(`t1:sync:doc:${name}`)).toBeLessThan(120);
  });

  it('a compaction that another node\'s compaction overtook writes nothing (the appends after it stay)', async () => {
    const name = 'session/s3/shared';
    const writer = new Y.Doc();
    const slowRedis = connection();
    const slow = new RedisUpdateStore(slowRedis, { keyPrefix: 't3:', compactEvery: 10_000 });
    const fast = new RedisUpdateStore(connection(), { keyPrefix: 't3:', compactEvery: 10_000 });
    for (let i = 0; i < 6; i++) await fast.append(name, edit(writer, `before${i}`));
    // The slow node has read the list; before its script runs, the other node appends and compacts.
    const run = slowRedis.eval.bind(slowRedis) as (...args: unknown[]) => Promise<unknown>;
    (slowRedis as unknown as { eval: (...args: unknown[]) => Promise<unknown> }).eval = async (...args: unknown[]) => {
      for (let i = 0; i < 3; i++) await fast.append(name, edit(writer, `after${i}`));
      await fast.compact(name);
      for (let i = 3; i < 6; i++) await fast.append(name, edit(writer, `after${i}`));
      return run(...args);
    };
    await slow.compact(name);
    const loaded = await new RedisUpdateStore(connection(), { keyPrefix: 't3:' }).load(name);
    const keys = Object.keys(loaded!.getMap('m').toJSON()).sort();
    expect(keys).toEqual([...Array.from({ length: 6 }, (_, i) => `after${i}`), ...Array.from({ length: 6 }, (_, i) => `before${i}`)].sort());
  });

  it('loads nothing for a document never written, and a barrier waits for lazy appends', async () => {
    const store = new RedisUpdateStore(connection(), { keyPrefix: 't2:', lazyWindowMs: 10_000 });
    expect(await store.load('session/none/shared')).toBeNull();
    const doc = new Y.Doc();
    void store.append('session/s2/shared', edit(doc, 'lazy'), true);
    await store.barrier('session/s2/shared');
    const loaded = await new RedisUpdateStore(connection(), { keyPrefix: 't2:' }).load('session/s2/shared');
    expect(loaded?.getMap('m').get('lazy')).toBe('lazy');
  });
});
