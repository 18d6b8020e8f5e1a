// A node that loses a session while one of its Saves runs a gate kills that gate. Before, the gate
// went on to its end (up to the gate timeout) in the integration worktree the new owner uses, and
// a failed gate was then "blamed" there, checking commits out under the new owner's feet.
// Node A is paused past its lease (SIGSTOP: its children are not paused) and woken at once.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { pidRunning } from './helpers/pid.js';
import { useCluster } from './helpers/cluster-harness.js';
import { git, makeRepo } from './helpers/git-repo.js';
import { ownerOf } from './helpers/cluster-load.js';

const LEASE_MS = 3_000;
const useTestCluster = useCluster({ leaseMs: LEASE_MS });

interface Entry { type: string; data: { saveId?: string; phase?: string; result?: { status: string; error?: { code: string } } } }

/** The leader pids of the gates node A has running (its `<data dir>/runs/` files). */
function gatePids(dataDir: string): number[] {
  const dir = path.join(dataDir, 'runs');
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return []; }
  return names.flatMap((name) => {
    try {
      const file = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { kind?: string; pid: number };
      return file.kind === 'gate' ? [file.pid] : [];
    } catch {
      return [];
    }
  });
}

describe('a node that loses a session during a Save', () => {
  it('kills the Save\'s gate at once, blames nothing, and the new owner settles the Save', async () => {
    const cluster = useTestCluster();
    const b = cluster.api(1);
    const repo = makeRepo(path.join(cluster.repos, 'gate-lease'), { '.thalogos.json': '{"gates":["sleep 300"]}\n' });
    const mainBefore = git(repo, 'rev-parse', 'main');
    const sid = (await cluster.api(0)('POST', '/api/sessions', { repoPath: repo, title: 'gate on a lost lease' })).body.id as string;
    expect(await ownerOf(cluster, 1, sid)).toBe('node-a');
    // While the session changes hands, node B may answer a retryable 503: read it as no entries yet.
    const events = async () => {
      const answer = await b('GET', `/api/sessions/${sid}/events`);
      return answer.status === 200 ? (answer.body.events as Entry[]) : [];
    };
    const task = (await b('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo q > q.txt' })).body.id as string;
    await waitFor(async () => ((await b('GET', `/api/sessions/${sid}`)).body.tasks as { id: string; status: string }[]).find((t) => t.id === task)?.status === 'ready_for_review', { what: 'the task', timeoutMs: 60_000 });

    const save = await b('POST', `/api/sessions/${sid}/save`, { taskIds: [task] });
    expect(save.status, JSON.stringify(save.body)).toBe(202);
    const nodeA = cluster.nodes[0]!;
    const [gate] = await waitFor(async () => { const pids = gatePids(nodeA.dataDir); return pids.length > 0 ? pids : null; }, { what: 'node A to start the gate', timeoutMs: 60_000, intervalMs: 50 });
    expect(pidRunning(gate!)).toBe(true);

    cluster.pause(0);
    await waitFor(async () => {
      const now = await ownerOf(cluster, 1, sid).catch(() => null);
      return now === 'node-b' || now === 'node-c' ? now : null;
    }, { what: 'a survivor to take the session', timeoutMs: LEASE_MS + 30_000, intervalMs: 50 });
    cluster.resume(0);

    // Awake, node A finds its lease gone and kills the gate (not 300 s later).
    await waitFor(async () => !pidRunning(gate!), { what: `node A to kill its gate (pid ${gate})`, timeoutMs: 20_000 });
    await waitFor(async () => /"killedProcessGroups":[1-9].*gave up session|gave up session.*"killedProcessGroups":[1-9]/.test(nodeA.output), { what: 'node A to log the killed gate', timeoutMs: 20_000 });

    // The new owner settles the Save; node A blamed nothing and published nothing.
    const completed = await waitFor(async () => (await events()).find((entry) => entry.type === 'SAVE.COMPLETED'), { what: 'the Save to be settled', timeoutMs: 60_000, intervalMs: 250 });
    expect(completed.data.result, JSON.stringify(completed.data.result)).toMatchObject({ status: 'error', error: { code: 'INTERRUPTED' } });
    expect((await events()).some((entry) => entry.type === 'SAVE.PROGRESS' && entry.data.phase === 'blaming')).toBe(false);
    expect(nodeA.output).not.toMatch(/blaming/);
    expect(git(repo, 'rev-parse', 'main')).toBe(mainBefore);
    expect(git(repo, 'tag', '-l', 'checkpoint/*')).toBe('');
    const audit = (await cluster.api(2)('GET', '/api/audit/verify')).body;
    expect(audit, JSON.stringify(audit)).toMatchObject({ ok: true });
  }, 300_000);
});
