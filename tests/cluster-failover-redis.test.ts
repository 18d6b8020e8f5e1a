// Issue 12 verification: kill -9 of the Redis master during a burst of commands. Sentinel
// promotes the replica, the nodes reconnect to it, and with THALOGOS_REDIS_WAIT_REPLICAS=1 (an
// append is acknowledged only once a replica has it) no acknowledged command is lost. Appends
// need a replica again after the promotion: the old master, restarted, becomes one.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { useCluster } from './helpers/cluster-harness.js';
import { makeRepo } from './helpers/git-repo.js';
import { startBurst, taskIds } from './helpers/cluster-load.js';

const useTestCluster = useCluster({ leaseMs: 3_000, waitReplicas: 1 });

describe('kill -9 of the Redis master', () => {
  it('Sentinel promotes the replica, the nodes reconnect, and no acknowledged command is lost (WAIT 1)', async () => {
    const cluster = useTestCluster();
    const repo = makeRepo(path.join(cluster.repos, 'redis'));
    const sid = (await cluster.api(0)('POST', '/api/sessions', { repoPath: repo, title: 'redis failover' })).body.id as string;
    const before = await cluster.masterAddress();
    expect(before).toBe(`127.0.0.1:${cluster.redis.master.port}`);

    const burst = startBurst(cluster, sid, { through: [0, 1, 2], writers: 4 });
    await waitFor(async () => burst.acknowledged.length >= 10, { what: '10 acknowledged commands', timeoutMs: 60_000 });
    const killedAt = Date.now();
    await cluster.redis.master.kill9();
    const promoted = await waitFor(async () => {
      const now = await cluster.masterAddress().catch(() => null);
      return now && now !== before ? now : null;
    }, { what: 'Sentinel to promote the replica', timeoutMs: 60_000, intervalMs: 100 });
    const promotedMs = Date.now() - killedAt;
    expect(promoted).toBe(`127.0.0.1:${cluster.redis.replica.port}`);
    // The promoted master has no replica: WAIT 1 refuses every append (retryable 503) until the
    // old master is back, as a replica of the new one.
    await cluster.restartRedis('master');
    await waitFor(async () => burst.acknowledgedAfter(killedAt + promotedMs) >= 6, { what: 'commands acknowledged after the failover', timeoutMs: 120_000 });
    const resumedMs = Date.now() - killedAt;
    const result = await burst.stop();

    const known = await waitFor(async () => taskIds(cluster.api(1), sid).catch(() => null), { what: 'the session view', timeoutMs: 30_000 });
    const lost = result.acknowledged.filter((id) => !known.has(id));
    console.log(`redis master killed: promoted after ${promotedMs} ms, commands acknowledged again after ${resumedMs} ms; ${result.acknowledged.length} acknowledged, ${lost.length} lost, ${result.retryable503} retryable 503s, ${result.otherFailures.length} other failures`);
    expect(lost).toEqual([]);
    expect(result.otherFailures).toEqual([]);
    const audit = (await cluster.api(2)('GET', '/api/audit/verify')).body;
    expect(audit, JSON.stringify(audit)).toMatchObject({ ok: true });
  }, 420_000);
});
