// The Redis storage of cluster mode against a real redis-server (AOF, appendfsync always):
// the global hash chain across nodes, fencing by lease epoch, WAIT on a real replica, snapshots.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseManager } from '../runtime/cluster/lease.js';
import { loadClusterConfig } from '../runtime/cluster/cluster-config.js';
import { ClusterStoreError, RedisEventLog } from '../runtime/storage/redis-event-log.js';
import { RedisSnapshotStore } from '../runtime/storage/redis-snapshot-store.js';
import { redisKeys } from '../runtime/storage/redis-keys.js';
import { startRedis, type RedisProcess } from './helpers/redis-process.js';

let master: RedisProcess;
const clients: Redis[] = [];
let prefixCounter = 0;

function client(port = master.port): Redis {
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  // The replica test kills a server a client may still be reconnecting to; that is expected.
  redis.on('error', () => undefined);
  clients.push(redis);
  return redis;
}

/** One simulated node: its own connection, lease manager and log, sharing a key prefix. */
async function node(prefix: string, nodeId: string, leaseMs = 5_000, extra: Partial<Parameters<typeof RedisEventLog.open>[1]> = {}) {
  const redis = client();
  const leases = new LeaseManager(redis, { nodeId, leaseMs, keyPrefix: prefix });
  const log = await RedisEventLog.open(redis, {
    keyPrefix: prefix,
    fenceFor: (sessionId) => leases.fenceFor(sessionId),
    onFenced: (sessionId, value) => leases.fenced(sessionId, value),
    ...extra,
  });
  return { redis, leases, log };
}

const actor = { kind: 'system' as const, id: 'test' };
const entry = (sessionId: string | null, n: number) => ({ kind: 'audit' as const, actor, sessionId, type: 'TEST.ENTRY', data: { n } });

beforeAll(async () => {
  master = await startRedis();
}, 30_000);

afterAll(async () => {
  for (const redis of clients) redis.disconnect();
  await master?.stop();
});

describe('cluster config', () => {
  it('is off without Redis, and refuses half-given or malformed settings with CONFIG_INVALID', () => {
    const listen = { host: '127.0.0.1', port: 7420 };
    expect(loadClusterConfig({}, listen)).toBeNull();
    const url = loadClusterConfig({ THALOGOS_REDIS_URL: 'redis://127.0.0.1:6379', THALOGOS_REDIS_WAIT_REPLICAS: '1' }, listen);
    expect(url).toMatchObject({ nodeId: '127.0.0.1:7420', advertiseUrl: 'http://127.0.0.1:7420', waitReplicas: 1, redis: { kind: 'url' } });
    const sentinel = loadClusterConfig({ THALOGOS_REDIS_SENTINELS: '127.0.0.1:26379, 127.0.0.1:26380', THALOGOS_REDIS_MASTER: 'thalogos', THALOGOS_NODE_ID: 'a' }, listen);
    expect(sentinel?.redis).toEqual({ kind: 'sentinel', masterName: 'thalogos', sentinels: [{ host: '127.0.0.1', port: 26379 }, { host: '127.0.0.1', port: 26380 }] });
    for (const env of [
      { THALOGOS_REDIS_SENTINELS: '127.0.0.1:26379' },
      { THALOGOS_REDIS_SENTINELS: 'nohost', THALOGOS_REDIS_MASTER: 'm' },
      { THALOGOS_REDIS_URL: 'http://x' },
      { THALOGOS_REDIS_URL: 'redis://x', THALOGOS_REDIS_SENTINELS: 'a:1', THALOGOS_REDIS_MASTER: 'm' },
      { THALOGOS_REDIS_URL: 'redis://x', THALOGOS_REDIS_WAIT_REPLICAS: '-1' },
      { THALOGOS_REDIS_URL: 'redis://x', THALOGOS_NODE_ID: 'a b' },
    ]) {
      expect(() => loadClusterConfig(env, listen)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });
});

describe('RedisEventLog', () => {
  it('keeps one global hash chain while two nodes append concurrently, each session in its stream', async () => {
    const prefix = `t${++prefixCounter}:`;
    const a = await node(prefix, 'a');
    const b = await node(prefix, 'b');
    expect(await a.leases.acquire('s1')).toMatchObject({ epoch: 1 });
    expect(await b.leases.acquire('s2')).toMatchObject({ epoch: 1 });
    // b cannot take a's session while a's lease lives.
    expect(await b.leases.acquire('s1')).toBeNull();
    const writes = [];
    for (let n = 0; n < 150; n += 1) {
      writes.push(a.log.appendOne(entry('s1', n)));
      writes.push(b.log.appendOne(entry('s2', n)));
      if (n % 50 === 0) writes.push(a.log.appendOne(entry(null, n)));
    }
    const written = await Promise.all(writes);
    const seqs = written.map((e) => e.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 303 }, (_, i) => i + 1));
    const verify = await a.log.verify();
    expect(verify).toMatchObject({ ok: true, count: 303 });
    const s1 = await b.log.read({ sessionId: 's1' });
    expect(s1.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    const s2 = await a.log.read({ sessionId: 's2' });
    expect(s2).toHaveLength(150);
    const page = await a.log.read({ sessionId: 's2', after: s2[0]!.seq, limit: 3 });
    expect(page.map((e) => e.seq)).toEqual(s2.slice(1, 4).map((e) => e.seq));
    expect((await a.log.entryAt(10))?.seq).toBe(10);
    expect(await a.log.entryAt(10_000)).toBeNull();
    expect((await a.log.verifySession('s1')).ok).toBe(true);
  });

  it('a node whose lease expired (paused past it) is refused by the fence and writes nothing', async () => {
    const prefix = `t${++prefixCounter}:`;
    const a = await node(prefix, 'a', 600);
    const b = await node(prefix, 'b', 600);
    const lost: string[] = [];
    a.leases.onLost((sessionId, reason) => lost.push(`${sessionId}:${reason}`));
    await a.leases.acquire('s1');
    await a.log.appendOne(entry('s1', 1));
    // a is "paused": it does not renew. Its lease expires and b takes the session.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const fenceB = await b.leases.acquire('s1');
    expect(fenceB?.epoch).toBe(2);
    await b.log.appendOne(entry('s1', 2));
    // a wakes up still believing it owns s1: the script refuses its append atomically.
    const refused = await a.log.appendOne(entry('s1', 99)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ClusterStoreError);
    expect(refused).toMatchObject({ code: 'SESSION_FENCED', sessionIds: ['s1'] });
    expect(lost).toEqual(['s1:fenced']);
    expect(a.leases.fenceFor('s1')).toBeNull();
    // Once it knows, it is refused before reaching Redis at all.
    await expect(a.log.appendOne(entry('s1', 100))).rejects.toMatchObject({ code: 'SESSION_FENCED' });
    await b.log.appendOne(entry('s1', 3));
    const s1 = await b.log.read({ sessionId: 's1' });
    expect(s1.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
    expect(await b.log.verify()).toMatchObject({ ok: true, count: 3 });
  });

  it('a renewal that finds the lease gone reports it lost; release lets another node in at once', async () => {
    const prefix = `t${++prefixCounter}:`;
    const a = await node(prefix, 'a', 500);
    const b = await node(prefix, 'b', 500);
    const lost: string[] = [];
    a.leases.onLost((sessionId, reason) => lost.push(`${sessionId}:${reason}`));
    await a.leases.acquire('s1');
    await a.leases.acquire('s2');
    await a.leases.renewAll();
    expect(lost).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await b.leases.acquire('s1');
    await a.leases.renewAll();
    expect(lost).toEqual(['s1:expired', 's2:expired']);
    await b.leases.release('s1');
    expect(await a.leases.owner('s1')).toBeNull();
    expect((await a.leases.acquire('s1'))?.epoch).toBe(3);
    expect(await b.leases.owner('s1')).toEqual({ node: 'a', epoch: 3 });
  });

  it('side writes land atomically with their entries; refused appends leave neither', async () => {
    const prefix = `t${++prefixCounter}:`;
    const a = await node(prefix, 'a');
    const b = await node(prefix, 'b');
    await b.leases.acquire('s9');
    const { Level } = await import('level');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    // A LevelDB sublevel names the Redis table, as the runtime's side writes do.
    const dir = await mkdtemp(path.join(tmpdir(), 'thalogos-sub-'));
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    const sessions = db.sublevel<string, unknown>('sessions', { valueEncoding: 'json' });
    await expect(a.log.appendOne(entry('s9', 1), [{ sublevel: sessions, key: 's9', value: { id: 's9' } }])).rejects.toMatchObject({ code: 'SESSION_FENCED' });
    const keys = redisKeys(prefix);
    expect(await a.redis.hget(keys.table('sessions'), 's9')).toBeNull();
    await a.leases.acquire('s8');
    await a.log.appendOne(entry('s8', 1), [{ sublevel: sessions, key: 's8', value: { id: 's8' } }]);
    expect(JSON.parse((await a.redis.hget(keys.table('sessions'), 's8')) ?? 'null')).toEqual({ id: 's8' });
    expect(await a.log.verify()).toMatchObject({ ok: true, count: 1 });
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('audit verify notices a truncated tail and a rewritten entry', async () => {
    const prefix = `t${++prefixCounter}:`;
    const a = await node(prefix, 'a');
    await a.leases.acquire('s1');
    for (let n = 0; n < 5; n += 1) await a.log.appendOne(entry('s1', n));
    const keys = redisKeys(prefix);
    expect(await a.log.verify()).toMatchObject({ ok: true, count: 5 });
    // Truncation: the tail entry is gone, the recorded head still says 5.
    await a.redis.xdel(keys.log, '5-0');
    expect(await a.log.verify()).toMatchObject({ ok: false, count: 4, brokenAt: 5 });
    // Rewrite: entry 3 replaced by one with other data and the old hash.
    const [, fields] = ((await a.redis.xrange(keys.log, '3-0', '3-0')) as [string, string[]][])[0]!;
    const rewritten = { ...(JSON.parse(fields[1]!) as object), data: { n: 42 } };
    await a.redis.xdel(keys.log, '3-0', '4-0');
    await a.redis.call('XSETID', keys.log, '2-0');
    await a.redis.xadd(keys.log, '3-0', 'e', JSON.stringify(rewritten));
    expect(await a.log.verify()).toMatchObject({ ok: false, brokenAt: 3, reason: 'entry content does not match its hash' });
  });

  it('snapshots: only a newer one replaces an older one (a fenced node cannot roll one back)', async () => {
    const prefix = `t${++prefixCounter}:`;
    const a = await node(prefix, 'a');
    await a.leases.acquire('s1');
    for (let n = 0; n < 3; n += 1) await a.log.appendOne(entry('s1', n));
    const snapshots = new RedisSnapshotStore(a.redis, prefix, a.log);
    await snapshots.save('s1', 3, { value: 'new' });
    await snapshots.save('s1', 2, { value: 'old' });
    expect(await snapshots.load('s1')).toEqual({ seq: 3, snapshot: { value: 'new' } });
    expect(await snapshots.positions()).toEqual([{ sessionId: 's1', seq: 3, hash: (await a.log.entryAt(3))?.hash }]);
    await snapshots.discard('s1');
    expect(await snapshots.load('s1')).toBeNull();
  });
});

describe('WAIT on a real replica', () => {
  it('acknowledges once the replica has the group, refuses NOT_REPLICATED (and flags the session) when it is gone', async () => {
    const replica = await startRedis({ replicaOf: master.port });
    try {
      // The replica must have finished its initial sync before WAIT can count it.
      const probe = client(replica.port);
      const deadline = Date.now() + 15_000;
      while (!/master_link_status:up/.test(await probe.info('replication'))) {
        if (Date.now() > deadline) throw new Error('replica never synced');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Synced is not yet acknowledging: wait until WAIT itself counts the replica (on a loaded
      // CI machine the first append's WAIT timed out right after the sync).
      const onMaster = client();
      while (Number(await onMaster.wait(1, 1_000)) < 1) {
        if (Date.now() > deadline) throw new Error('replica never acknowledged');
      }
      const prefix = `t${++prefixCounter}:`;
      const uncertain: string[][] = [];
      const a = await node(prefix, 'a', 5_000, { waitReplicas: 1, waitTimeoutMs: 2_000, onUncertain: (ids) => uncertain.push(ids) });
      await a.leases.acquire('s1');
      const written = await a.log.appendOne(entry('s1', 1));
      const onReplica = (await probe.xrange(redisKeys(prefix).log, '-', '+')) as [string, string[]][];
      expect(onReplica.map(([id]) => id)).toEqual([`${written.seq}-0`]);
      probe.disconnect();
      await replica.kill9();
      const refused = await a.log.appendOne(entry('s1', 2)).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'NOT_REPLICATED' });
      expect(uncertain).toEqual([['s1']]);
    } finally {
      await replica.stop();
    }
  }, 30_000);
});

describe('RedisEventLog.verify under load', () => {
  it('is ok while another node keeps appending (the head it checks is the one it read first)', async () => {
    const prefix = `v${++prefixCounter}:`;
    const writer = await node(prefix, 'w');
    const checker = await node(prefix, 'c');
    await writer.log.append([entry(null, 0)]);
    let writing = true;
    const appends = (async () => {
      for (let n = 1; writing; n += 1) await writer.log.append([entry(null, n)]);
    })();
    const results = [];
    for (let i = 0; i < 30; i += 1) results.push(await checker.log.verify());
    writing = false;
    await appends;
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect((await checker.log.verify()).count).toBeGreaterThan(results[0]?.count ?? 0);
  });
});
