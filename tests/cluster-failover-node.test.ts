// Issue 12 verification with real processes: three `thalogos serve` nodes on Redis with Sentinel.
// A client on node B adds command tasks to a session node A owns; node A is killed -9 while its
// tasks run and a burst of commands is in flight. The survivors must take the session within the
// lease time plus 5 s, lose no acknowledged command, resume the interrupted tasks and finish them,
// and leave a log whose audit chain verifies and a repository `git fsck --strict` accepts.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { pidRunning } from './helpers/pid.js';
import { useCluster } from './helpers/cluster-harness.js';
import { git, makeRepo } from './helpers/git-repo.js';
import { startBurst, ownerOf, taskIds } from './helpers/cluster-load.js';

const LEASE_MS = 3_000;

const useTestCluster = useCluster({ leaseMs: LEASE_MS });

/** Resumable: the first run marks its worktree and sleeps (killed with its node), the second finishes. */
const RESUMABLE = (name: string) => `if [ -f .${name}-started ]; then echo done > ${name}.txt; else touch .${name}-started; sleep 120; fi`;

describe('kill -9 of the node that owns a session', () => {
  it('moves the session to a survivor within lease + 5 s, keeps every acknowledged command, resumes and finishes the interrupted tasks', async () => {
    const cluster = useTestCluster();
    const a = cluster.api(0);
    const b = cluster.api(1);
    const repo = makeRepo(path.join(cluster.repos, 'kill'));
    const created = await a('POST', '/api/sessions', { repoPath: repo, title: 'failover' });
    expect(created.status).toBe(201);
    const sid = created.body.id as string;
    expect(await ownerOf(cluster, 1, sid)).toBe('node-a');

    // Long tasks added through node B (forwarded to A), running on A when it dies.
    const long: string[] = [];
    for (const name of ['l1', 'l2']) {
      const response = await b('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: RESUMABLE(name) });
      expect(response.status, JSON.stringify(response.body)).toBe(202);
      long.push(response.body.id as string);
    }
    const firstRuns = await waitFor(async () => {
      const events = (await b('GET', `/api/sessions/${sid}/events`)).body.events as { type: string; taskId: string | null; data: { pid?: number | null } }[];
      const started = long.map((id) => events.find((entry) => entry.type === 'AGENT.STARTED' && entry.taskId === id));
      return started.every(Boolean) ? started.map((entry) => entry?.data.pid ?? null) : null;
    }, { what: 'both long tasks to start on node A', timeoutMs: 60_000 });

    // A burst through nodes B and C; node A dies in the middle of it.
    const burst = startBurst(cluster, sid, { through: [1, 2], writers: 4 });
    await waitFor(async () => burst.acknowledged.length >= 8, { what: '8 acknowledged commands before the kill', timeoutMs: 60_000 });
    const killedAt = Date.now();
    await cluster.kill9(0);
    const newOwner = await waitFor(async () => {
      const owner = await ownerOf(cluster, 1, sid).catch(() => null);
      return owner === 'node-b' || owner === 'node-c' ? owner : null;
    }, { what: 'a survivor to own the session', timeoutMs: LEASE_MS + 30_000, intervalMs: 50 });
    const takeoverMs = Date.now() - killedAt;
    // The burst goes on against the new owner for a moment, then stops.
    await waitFor(async () => burst.acknowledgedAfter(killedAt + takeoverMs) >= 4, { what: 'commands acknowledged by the new owner', timeoutMs: 60_000 });
    const result = await burst.stop();
    console.log(`takeover by ${newOwner} after ${takeoverMs} ms (lease ${LEASE_MS} ms); burst: ${result.acknowledged.length} acknowledged, ${result.retryable503} retryable 503s, ${result.otherFailures.length} other failures`);
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + 5_000);
    expect(result.otherFailures).toEqual([]);

    const known = await taskIds(b, sid);
    expect(result.acknowledged.filter((id) => !known.has(id))).toEqual([]);
    for (const id of long) expect(known.has(id)).toBe(true);

    // Every task, the interrupted ones included, finishes on the survivor.
    const view = await waitFor(async () => {
      const body = (await b('GET', `/api/sessions/${sid}`)).body as { tasks: { id: string; status: string }[] };
      return body.tasks.every((task) => ['ready_for_review', 'failed'].includes(task.status)) ? body : null;
    }, { what: 'every task to finish on the new owner', timeoutMs: 180_000, intervalMs: 500 });
    for (const task of view.tasks.filter((row) => row.status !== 'ready_for_review')) {
      const trail = (await b('GET', `/api/sessions/${sid}/events?taskId=${task.id}`)).body.events as { type: string; data: unknown }[];
      console.log(`task ${task.id} ${task.status}:`, JSON.stringify(trail.map((entry) => [entry.type, entry.data])).slice(0, 3000));
    }
    for (const id of long) expect(view.tasks.find((task) => task.id === id)?.status).toBe('ready_for_review');
    expect(view.tasks.filter((task) => task.status === 'failed')).toEqual([]);
    const events = (await b('GET', `/api/sessions/${sid}/events`)).body.events as { type: string; taskId: string | null }[];
    for (const id of long) {
      expect(events.some((entry) => entry.type === 'TASK.INTERRUPT' && entry.taskId === id), `task ${id} interrupted`).toBe(true);
      expect(events.filter((entry) => entry.type === 'AGENT.STARTED' && entry.taskId === id).length).toBe(2);
    }

    // The dead node's agents died with it: they must not go on writing into the worktrees.
    for (const pid of firstRuns) expect(pid === null || pidRunning(pid), `agent pid ${pid} of node A`).toBe(false);

    const audit = (await cluster.api(2)('GET', '/api/audit/verify')).body;
    expect(audit, JSON.stringify(audit)).toMatchObject({ ok: true });
    git(repo, 'fsck', '--strict');
  }, 420_000);
});
