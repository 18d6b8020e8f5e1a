// Issue 12 verification: a rolling restart of all three nodes under load. Each node in turn is
// taken out of the rotation (as a load balancer would), stopped with SIGTERM (it drains: hands
// its sessions over) and started again. Commands and reads keep flowing through the nodes in
// rotation; no request may fail other than with a retryable 503 carrying Retry-After, and every
// acknowledged command is in the log.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { useCluster } from './helpers/cluster-harness.js';
import { makeRepo } from './helpers/git-repo.js';
import { isRetryable503, startBurst, taskIds, type BurstFailure } from './helpers/cluster-load.js';

const useTestCluster = useCluster({ leaseMs: 3_000 });

describe('rolling restart of every node', () => {
  it('fails no request other than with a retryable 503, and loses no acknowledged command', async () => {
    const cluster = useTestCluster();
    // One session per node, so each restart moves sessions.
    const sessions: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const repo = makeRepo(path.join(cluster.repos, `rolling-${i}`));
      const created = await cluster.api(i)('POST', '/api/sessions', { repoPath: repo, title: `rolling ${i}` });
      expect(created.status).toBe(201);
      sessions.push(created.body.id as string);
    }
    const inRotation = new Set([0, 1, 2]);
    let pick = 0;
    const burst = startBurst(cluster, () => sessions[pick++ % sessions.length] as string, { through: () => [...inRotation], writers: 3, pauseMs: 150 });
    // Reads through the rotation too: the session views and the cluster view.
    let reads = 0;
    let readRetryable = 0;
    const readFailures: BurstFailure[] = [];
    let reading = true;
    const reader = (async () => {
      for (let i = 0; reading; i += 1) {
        const through = [...inRotation];
        const node = cluster.nodes[through[i % through.length] ?? -1];
        const target = i % 4 === 3 ? '/api/cluster' : `/api/sessions/${sessions[i % sessions.length]}`;
        if (node) {
          try {
            const response = await fetch(`${node.url}${target}`, { headers: { authorization: `Bearer ${cluster.admin}` }, signal: AbortSignal.timeout(60_000) });
            const text = await response.text();
            reads += 1;
            if (response.status === 200) {
              // served
            } else if (isRetryable503(response, JSON.parse(text))) readRetryable += 1;
            else readFailures.push({ node: node.id, status: response.status, detail: `${target}: ${text.slice(0, 300)}` });
          } catch (error) {
            readFailures.push({ node: node.id, status: 'network', detail: `${target}: ${(error as Error).message}` });
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    await waitFor(async () => burst.acknowledged.length >= 6, { what: 'commands before the restarts', timeoutMs: 60_000 });
    const timings: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      inRotation.delete(i);
      // In-flight requests to it finish (or get a retryable 503) while it drains.
      const stopAt = Date.now();
      await cluster.stopNode(i);
      expect(cluster.nodes[i]?.child?.exitCode, cluster.nodes[i]?.output.slice(-3000)).toBe(0);
      const stoppedMs = Date.now() - stopAt;
      await cluster.startNode(i);
      inRotation.add(i);
      const before = burst.acknowledged.length;
      await waitFor(async () => burst.acknowledged.length >= before + 3, { what: `commands after restarting node ${i}`, timeoutMs: 90_000 });
      timings.push(`${cluster.nodes[i]?.id}: stopped in ${stoppedMs} ms, back after ${Date.now() - stopAt} ms`);
    }
    const result = await burst.stop();
    reading = false;
    await reader;

    console.log(`rolling restart: ${timings.join('; ')}; commands: ${result.acknowledged.length} acknowledged, ${result.retryable503} retryable 503s, ${result.otherFailures.length} other failures; reads: ${reads}, ${readRetryable} retryable 503s, ${readFailures.length} other failures`);
    expect(result.otherFailures).toEqual([]);
    expect(readFailures).toEqual([]);
    const known = new Set<string>();
    // The last restart may still be handing sessions over: read each view once it has an owner.
    for (const sid of sessions) {
      const ids = await waitFor(async () => taskIds(cluster.api(0), sid).catch(() => null), { what: `session ${sid} to have an owner`, timeoutMs: 60_000, intervalMs: 250 });
      for (const id of ids) known.add(id);
    }
    expect(result.acknowledged.filter((id) => !known.has(id))).toEqual([]);
    const audit = (await cluster.api(1)('GET', '/api/audit/verify')).body;
    expect(audit, JSON.stringify(audit)).toMatchObject({ ok: true });
  }, 600_000);
});
