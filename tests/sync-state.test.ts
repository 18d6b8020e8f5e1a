import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SyncError, stateToJson } from '../sync/index.js';
import { type TestClient, type TestServer, connect, startSyncServer, synced, waitFor } from './sync-harness.js';

const STATE = 'session/s1/state';
const servers: TestServer[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await s.close();
});

async function server(options: Parameters<typeof startSyncServer>[0] = {}): Promise<TestServer> {
  const s = await startSyncServer(options);
  servers.push(s);
  return s;
}

function watch(s: TestServer, name = STATE): TestClient {
  const c = connect(s.url, name, 'tok-viewer');
  clients.push(c);
  return c;
}

type Step =
  | { kind: 'view'; view: Record<string, unknown> }
  | { kind: 'event'; taskId: string; runId: string; event: { type: string; seq: number; at: string; [k: string]: unknown } };

/** A session's life: tasks change status, checkpoints and timeline grow, three agents talk (with replays). */
function script(): { steps: Step[]; finalView: Record<string, unknown> } {
  const steps: Step[] = [];
  const tasks = Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, title: `task ${i}`, status: 'queued', agent: null as string | null }));
  const timeline: Array<Record<string, unknown>> = [];
  const checkpoints: Array<Record<string, unknown>> = [];
  const view = () => ({
    id: 's1',
    title: 'Demo session',
    status: 'running',
    tasks: structuredClone(tasks),
    checkpoints: structuredClone(checkpoints),
    timeline: structuredClone(timeline),
    lastSave: checkpoints.length ? { tag: checkpoints[checkpoints.length - 1]!['tag'], ok: true } : null,
    branches: tasks.map((t) => `session/s1/task/${t.id}`),
  });
  const seqs = new Map<string, number>();
  for (let round = 0; round < 60; round++) {
    const t = tasks[round % tasks.length]!;
    if (round % 7 === 0) {
      t.status = t.status === 'queued' ? 'running' : 'done';
      t.agent = 'codex';
      timeline.push({ id: `e${round}`, kind: 'task', taskId: t.id, status: t.status });
      steps.push({ kind: 'view', view: view() });
    }
    if (round % 20 === 19) {
      checkpoints.push({ tag: `checkpoint/2026-01-01-${checkpoints.length + 1}`, commit: `c${round}` });
      steps.push({ kind: 'view', view: view() });
    }
    for (const runId of ['r0', 'r1', 'r2']) {
      const seq = (seqs.get(runId) ?? 0) + 1;
      seqs.set(runId, seq);
      const event = { type: seq % 3 ? 'message' : 'command', seq, at: `2026-01-01T00:00:${String(seq % 60).padStart(2, '0')}Z`, text: `${runId} line ${seq}` };
      steps.push({ kind: 'event', taskId: `t${runId.slice(1)}`, runId, event });
      // At-least-once delivery: some events arrive twice.
      if (seq % 11 === 0) steps.push({ kind: 'event', taskId: `t${runId.slice(1)}`, runId, event });
    }
  }
  return { steps, finalView: view() };
}

async function playLive(s: TestServer, steps: Step[]): Promise<void> {
  for (const step of steps) {
    if (step.kind === 'view') await s.sync.projectSession('s1', step.view);
    else s.sync.appendAgentEvent('s1', step.taskId, step.runId, step.event);
  }
  // A final projection is ordered after every event append (one chain per session).
  await s.sync.projectSession('s1', (steps.filter((x) => x.kind === 'view').pop() as { view: Record<string, unknown> }).view);
}

const events = (steps: Step[]) =>
  steps.flatMap((s) => (s.kind === 'event' ? [{ taskId: s.taskId, runId: s.runId, event: s.event }] : []));

describe('sync: the state document', () => {
  it('rebuilt from the event log equals the live one', async () => {
    const { steps, finalView } = script();
    const live = await server({ maxAgentLines: 25 });
    const liveWatcher = watch(live);
    await playLive(live, steps);
    await synced(liveWatcher);
    const liveDoc = live.sync.hocuspocus.documents.get(STATE)!;
    await waitFor(() => Y.encodeStateVector(liveWatcher.doc).toString() === Y.encodeStateVector(liveDoc).toString(), 'watcher caught up');
    const liveJson = stateToJson(liveWatcher.doc);
    expect(liveJson.session).toEqual(finalView);
    const agents = liveJson.agents as Record<string, { taskId: string; lines: Array<{ seq: number; _n: number }> }>;
    expect(Object.keys(agents).sort()).toEqual(['r0', 'r1', 'r2']);
    expect(agents['r1']!.taskId).toBe('t1');
    expect(agents['r0']!.lines).toHaveLength(25);
    // 60 events accepted (replays ignored), the last 25 kept, each numbered in the whole stream.
    expect(agents['r0']!.lines.map((l) => l.seq)).toEqual(Array.from({ length: 25 }, (_, i) => 36 + i));
    expect(agents['r0']!.lines.map((l) => l._n)).toEqual(Array.from({ length: 25 }, (_, i) => 36 + i));

    // A fresh server rebuilds from the log alone.
    const rebuilt = await server({ maxAgentLines: 25 });
    await rebuilt.sync.rebuildState('s1', finalView, events(steps));
    const rebuiltWatcher = watch(rebuilt);
    await synced(rebuiltWatcher);
    expect(stateToJson(rebuiltWatcher.doc)).toEqual(liveJson);

    // Rebuilding over the live document changes nothing when nothing differs...
    let updates = 0;
    liveDoc.on('update', () => updates++);
    await live.sync.rebuildState('s1', finalView, events(steps));
    expect(updates).toBe(0);
    // ...and repairs it when it drifted (a lost run, a bogus run, a stale view).
    live.sync.appendAgentEvent('s1', 't9', 'bogus', { type: 'message', seq: 1, at: 'x' });
    await live.sync.projectSession('s1', { ...finalView, status: 'stale' });
    await live.sync.rebuildState('s1', finalView, events(steps));
    await waitFor(() => !liveWatcher.doc.getMap('agents').has('bogus'), 'repair reaches watchers');
    expect(stateToJson(liveWatcher.doc)).toEqual(liveJson);
  });

  it('keeps the last N lines per agent run, and the document stays small', async () => {
    const s = await server({ maxAgentLines: 20 });
    const watcher = watch(s);
    await synced(watcher);
    const text = 'x'.repeat(200);
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    // One event per tick: each is its own transaction and its own broadcast, as in real life.
    for (let seq = 1; seq <= 20; seq++) {
      s.sync.appendAgentEvent('s1', 't1', 'r1', { type: 'message', seq, at: 'x', text });
      await tick();
    }
    await s.sync.projectSession('s1', { id: 's1' });
    const doc = s.sync.hocuspocus.documents.get(STATE)!;
    const sizeAt20 = Y.encodeStateAsUpdate(doc).length;
    for (let seq = 21; seq <= 3000; seq++) {
      s.sync.appendAgentEvent('s1', 't1', 'r1', { type: 'message', seq, at: 'x', text });
      if (seq % 3 === 0) await tick();
    }
    await s.sync.projectSession('s1', { id: 's1', n: 2 });
    const lines = () =>
      ((watcher.doc.getMap('agents').get('r1') as Y.Map<unknown> | undefined)?.get('lines') as Y.Array<{ seq: number; _n: number }> | undefined)?.toJSON() ?? [];
    await waitFor(() => lines().at(-1)?.seq === 3000, 'watcher has the tail');
    expect(lines().map((l) => l.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 2981 + i));
    expect(lines().at(-1)!._n).toBe(3000);
    // Trimmed lines are garbage-collected and their tombstones merge: 150x the events, not the bytes.
    const sizeAt3000 = Y.encodeStateAsUpdate(doc).length;
    expect(sizeAt3000).toBeLessThan(sizeAt20 * 1.5);

    // After a restart the stored (compacted) document is just as small.
    const dir = s.dir;
    for (const c of clients.splice(0)) c.destroy();
    servers.splice(servers.indexOf(s), 1);
    await s.close({ keepDir: true });
    const again = await server({ dir, maxAgentLines: 20 });
    const reader = watch(again);
    await synced(reader);
    expect(Y.encodeStateAsUpdate(reader.doc).length).toBeLessThan(sizeAt20 * 1.5);
    expect(stateToJson(reader.doc)).toEqual(stateToJson(doc));
    await again.close();
    servers.splice(servers.indexOf(again), 1);
    const { rm } = await import('node:fs/promises');
    await rm(dir, { recursive: true, force: true });
  });

  it('projects with minimal Yjs changes', async () => {
    const s = await server();
    const tasks = Array.from({ length: 50 }, (_, i) => ({ id: `t${i}`, status: 'queued', title: `a fairly long task title number ${i}` }));
    const view = { id: 's1', title: 'big', tasks, timeline: [] as unknown[] };
    await s.sync.projectSession('s1', view);
    const doc = s.sync.hocuspocus.documents.get(STATE)!;
    const sizes: number[] = [];
    doc.on('update', (update: Uint8Array) => sizes.push(update.length));

    await s.sync.projectSession('s1', structuredClone(view));
    expect(sizes).toEqual([]);

    const next = structuredClone(view);
    next.tasks[17]!.status = 'running';
    next.timeline.push({ id: 'e1', kind: 'task', taskId: 't17' });
    await s.sync.projectSession('s1', next);
    expect(sizes).toHaveLength(1);
    expect(sizes[0]!).toBeLessThan(150);
    expect(Y.encodeStateAsUpdate(doc).length).toBeGreaterThan(2000);
  });

  it('releases an idle state document and reloads it, intact, on the next write', async () => {
    const s = await server({ stateIdleMs: 100 });
    await s.sync.projectSession('s1', { id: 's1', title: 'before idle' });
    s.sync.appendAgentEvent('s1', 't1', 'r1', { type: 'message', seq: 1, at: 'x' });
    expect(s.sync.hocuspocus.documents.has(STATE)).toBe(true);
    await waitFor(() => !s.sync.hocuspocus.documents.has(STATE), 'state document released');
    s.sync.appendAgentEvent('s1', 't1', 'r1', { type: 'message', seq: 2, at: 'y' });
    await s.sync.projectSession('s1', { id: 's1', title: 'after idle' });
    const json = stateToJson(s.sync.hocuspocus.documents.get(STATE)!);
    expect(json.session).toEqual({ id: 's1', title: 'after idle' });
    expect((json.agents as { r1: { lines: Array<{ seq: number }> } }).r1.lines.map((l) => l.seq)).toEqual([1, 2]);
    // A watcher keeps it loaded regardless of the projector.
    const w = watch(s);
    await synced(w);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.sync.hocuspocus.documents.has(STATE)).toBe(true);
    expect(w.doc.getMap('session').get('title')).toBe('after idle');
  });

  it('validates what it is handed', async () => {
    const s = await server();
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error instanceof SyncError ? error.code : 'not a SyncError';
      }
      return 'no error';
    };
    expect(code(() => s.sync.appendAgentEvent('s1', 't1', 'r1', { type: '', seq: 1, at: 'x' }))).toBe('SYNC_BAD_AGENT_EVENT');
    expect(code(() => s.sync.appendAgentEvent('s1', 't1', 'r1', { type: 'm', seq: -1, at: 'x' }))).toBe('SYNC_BAD_AGENT_EVENT');
    expect(code(() => s.sync.appendAgentEvent('s1', 't/1', 'r1', { type: 'm', seq: 1, at: 'x' }))).toBe('SYNC_BAD_AGENT_EVENT');
    expect(code(() => s.sync.appendAgentEvent('../x', 't1', 'r1', { type: 'm', seq: 1, at: 'x' }))).toBe('SYNC_BAD_SESSION_ID');
    await expect(s.sync.projectSession('s1', [1, 2])).rejects.toMatchObject({ code: 'SYNC_BAD_VIEW' });

    // Oversized agent output is cut in the document (the event log keeps it whole).
    s.sync.appendAgentEvent('s1', 't1', 'r1', { type: 'message', seq: 1, at: 'x', text: 'y'.repeat(100_000) });
    await s.sync.projectSession('s1', { id: 's1' });
    await new Promise((resolve) => setImmediate(resolve));
    const line = ((s.sync.hocuspocus.documents.get(STATE)!.getMap('agents').get('r1') as Y.Map<unknown>).get('lines') as Y.Array<Record<string, unknown>>).get(0);
    expect((line['text'] as string).length).toBe(8 * 1024);
    expect(line['truncated']).toBe(true);
  });
});
