// Issue 12 verification: a node paused past its lease (SIGSTOP, as a long GC pause or a frozen
// VM would) while it runs an agent and a Save's gate. The survivors take the session over; when
// the node wakes up (SIGCONT), the fence refuses its writes, it gives the session up and kills its
// runs. The log holds no duplicate entries and the Save is published once.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { pidRunning } from './helpers/pid.js';
import { useCluster } from './helpers/cluster-harness.js';
import { git, makeRepo } from './helpers/git-repo.js';
import { ownerOf } from './helpers/cluster-load.js';

const LEASE_MS = 3_000;
const GATE_SECONDS = 6;
const useTestCluster = useCluster({ leaseMs: LEASE_MS });

interface Entry {
  seq: number;
  type: string;
  taskId: string | null;
  data: { runId?: string; saveId?: string; pid?: number | null; phase?: string; result?: { checkpoint?: string | null } };
}

describe('a node paused past its lease', () => {
  it('is fenced when it wakes up: gives the session up, kills its runs, writes nothing; one Save', async () => {
    const cluster = useTestCluster();
    const b = cluster.api(1);
    const repo = makeRepo(path.join(cluster.repos, 'pause'), { '.thalogos.json': `{"gates":["sleep ${GATE_SECONDS}"]}\n` });
    const mainBefore = git(repo, 'rev-parse', 'main');
    const sid = (await cluster.api(0)('POST', '/api/sessions', { repoPath: repo, title: 'pause' })).body.id as string;
    expect(await ownerOf(cluster, 1, sid)).toBe('node-a');
    const events = async () => (await b('GET', `/api/sessions/${sid}/events`)).body.events as Entry[];

    const quick = (await b('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo q > q.txt' })).body.id as string;
    await waitFor(async () => ((await b('GET', `/api/sessions/${sid}`)).body.tasks as { id: string; status: string }[]).find((task) => task.id === quick)?.status === 'ready_for_review', { what: 'the quick task', timeoutMs: 60_000 });
    const long = (await b('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'if [ -f .long-started ]; then echo done > long.txt; else touch .long-started; sleep 120; fi' })).body.id as string;
    const firstRun = await waitFor(async () => (await events()).find((entry) => entry.type === 'AGENT.STARTED' && entry.taskId === long), { what: 'the long task to start on node A', timeoutMs: 60_000 });

    const save = await b('POST', `/api/sessions/${sid}/save`, { taskIds: [quick] });
    expect(save.status, JSON.stringify(save.body)).toBe(202);
    const saveId = save.body.saveId as string;
    await waitFor(async () => (await events()).some((entry) => entry.type === 'SAVE.PROGRESS' && entry.data.saveId === saveId && entry.data.phase === 'gating'), { what: 'the Save to run its gate on node A', timeoutMs: 60_000, intervalMs: 50 });

    const pausedAt = Date.now();
    cluster.pause(0);
    const owner = await waitFor(async () => {
      const now = await ownerOf(cluster, 1, sid).catch(() => null);
      return now === 'node-b' || now === 'node-c' ? now : null;
    }, { what: 'a survivor to take the session', timeoutMs: LEASE_MS + 30_000, intervalMs: 50 });
    const takeoverMs = Date.now() - pausedAt;
    // Stay paused until node A's gate process (not paused: a child) has finished: on waking up,
    // node A sees its gate pass and its agent still running, with a Save it believes is its own.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, GATE_SECONDS * 1000 + 2_000 - (Date.now() - pausedAt))));
    cluster.resume(0);
    console.log(`paused node-a; ${owner} took over after ${takeoverMs} ms; resumed after ${Date.now() - pausedAt} ms`);
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + 5_000);

    // Node A gives up: its first run of the long task is killed, it no longer claims the session.
    await waitFor(async () => !pidRunning(firstRun.data.pid as number), { what: `node A to kill its run (pid ${firstRun.data.pid})`, timeoutMs: 20_000 });
    await waitFor(async () => /gave up session/.test(cluster.nodes[0]?.output ?? ''), { what: 'node A to log that it gave the session up', timeoutMs: 20_000 });
    expect(await ownerOf(cluster, 0, sid)).not.toBe('node-a');

    // The new owner finishes the Save and the long task.
    const done = await waitFor(async () => {
      const view = (await b('GET', `/api/sessions/${sid}`)).body as { tasks: { id: string; status: string }[] };
      const all = await events();
      return view.tasks.every((task) => ['ready_for_review', 'merged', 'failed'].includes(task.status)) && all.some((entry) => entry.type === 'SAVE.COMPLETED') ? { view, all } : null;
    }, { what: 'the Save and the long task to finish on the new owner', timeoutMs: 180_000, intervalMs: 500 });
    expect(done.view.tasks.find((task) => task.id === long)?.status).toBe('ready_for_review');

    // No duplicate entries: one start and at most one exit per run, one completion per Save.
    const count = (predicate: (entry: Entry) => boolean) => done.all.filter(predicate).length;
    for (const runId of new Set(done.all.map((entry) => entry.data.runId).filter(Boolean))) {
      expect(count((entry) => entry.type === 'AGENT.STARTED' && entry.data.runId === runId), runId).toBe(1);
      expect(count((entry) => entry.type === 'AGENT.EXITED' && entry.data.runId === runId), runId).toBeLessThanOrEqual(1);
    }
    expect(count((entry) => entry.type === 'SAVE.COMPLETED')).toBe(1);
    // Nothing of node A's first run after the new owner interrupted it.
    const interruptSeq = done.all.find((entry) => entry.type === 'TASK.INTERRUPT' && entry.taskId === long)?.seq ?? Infinity;
    expect(done.all.filter((entry) => entry.seq > interruptSeq && entry.data.runId === firstRun.data.runId)).toEqual([]);

    // The Save was in its gates when node A stopped: nothing was published, the new owner settled
    // the journal (the old epoch's) and says so; node A, awake, did not publish it either.
    const completed = done.all.find((entry) => entry.type === 'SAVE.COMPLETED') as Entry & { data: { result: { status: string; error?: { code: string } } } };
    expect(completed.data.result, JSON.stringify(completed.data.result)).toMatchObject({ status: 'error', error: { code: 'INTERRUPTED' } });
    expect(git(repo, 'tag', '-l', 'checkpoint/*')).toBe('');
    expect(git(repo, 'rev-parse', 'main')).toBe(mainBefore);

    // The new owner is not blocked by what node A left: the next Save publishes, once.
    const again = await b('POST', `/api/sessions/${sid}/save`, { taskIds: [quick] });
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    const result = await waitFor(async () => (await events()).find((entry) => entry.type === 'SAVE.COMPLETED' && entry.data.saveId === again.body.saveId), { what: 'the second Save', timeoutMs: 120_000, intervalMs: 500 });
    expect((result.data as { result: { status: string } }).result.status, JSON.stringify(result.data)).toBe('published');
    const tags = git(repo, 'tag', '-l', 'checkpoint/*').split('\n').filter(Boolean);
    expect(tags).toHaveLength(1);
    expect(git(repo, 'rev-parse', 'main')).toBe(git(repo, 'rev-parse', `${tags[0]}^{commit}`));
    const audit = (await cluster.api(2)('GET', '/api/audit/verify')).body;
    expect(audit, JSON.stringify(audit)).toMatchObject({ ok: true });
    git(repo, 'fsck', '--strict');
  }, 420_000);
});
