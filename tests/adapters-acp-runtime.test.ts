import { describe, afterEach, expect, it } from 'vitest';
import { claudeSetup, codexSetup, geminiSetup } from './fake-model/cli-setup.js';
import type { FakeTurn } from './fake-model/script.js';
import { waitFor } from './helpers/api.js';
import { startCliRuntime, type CliRuntime } from './helpers/cli-runtime.js';
import { git } from './helpers/git-repo.js';

/**
 * The real server driving the real ACP agents (each against its own scripted model server), with
 * two people: the operator who starts the work and a reviewer who answers the agents' permission
 * requests over the API. Native git checks what landed on the task branches.
 */
const SETUPS = {
  'claude-acp': (url: string) => claudeSetup(url, 120_000),
  'codex-acp': (url: string) => codexSetup(url, 120_000),
  'gemini-acp': (url: string) => geminiSetup(url, 120_000),
} as const;
type Kind = keyof typeof SETUPS;
type Harness = CliRuntime<Kind>;

/** Only the ACP kinds with a script run; the one-shot CLIs are switched off. */
function startRuntime(scripts: Partial<Record<Kind, FakeTurn[]>>, permissionTimeoutMs = 120_000): Promise<Harness> {
  return startCliRuntime(SETUPS, scripts, Object.keys(scripts), { adapters: { permissionTimeoutMs }, disable: ['codex', 'claude', 'gemini'] });
}

const shellWrite = (id: string): FakeTurn[] => [
  { kind: 'shell', command: `echo "written by ${id}" > ${id}.txt` },
  { kind: 'text', text: `${id} finished.` },
];

interface Pending { taskId: string; runId: string; request: { requestId: string; title: string; options: Array<{ optionId: string; kind: string }> } }
interface TaskView { id: string; status: string; branch: string | null; agent: string; runs: Array<{ agent: string; outcome: string | null; cliVersion: string | null }> }
interface View { tasks: TaskView[]; pendingPermissions?: Pending[]; timeline: Array<{ kind: string; [k: string]: unknown }> }
interface LogEvent { type: string; taskId: string | null; actor: { kind: string; name?: string }; data: Record<string, unknown> }

let harness: Harness | null = null;
afterEach(async () => { await harness?.close(); harness = null; });

describe('the real server steering real ACP agents', () => {
  it('each ACP agent asks before its tool call; a second person allows it over the API; the change lands on the task branch', async () => {
    harness = await startRuntime({ 'claude-acp': shellWrite('claude-acp'), 'codex-acp': shellWrite('codex-acp'), 'gemini-acp': shellWrite('gemini-acp') });
    const { api, repo } = harness;
    const agents = (await api('GET', '/api/agents')).body as { agents: Array<{ id: string; status: string; reason: string | null }> };
    for (const id of Object.keys(SETUPS)) expect(agents.agents.find((a) => a.id === id)?.status, JSON.stringify(agents)).toBe('available');
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'acp steering' })).body.id as string;
    const rae = (await api('POST', '/api/tokens', { name: 'rae', role: 'reviewer', sessions: [{ id: sid, role: 'reviewer' }] })).body.token as string;
    const ids: Record<string, string> = {};
    for (const id of Object.keys(SETUPS)) {
      const r = await api('POST', `/api/sessions/${sid}/tasks`, { agent: id, prompt: `Write ${id}.txt.` });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      ids[id] = r.body.id as string;
    }
    const answered = new Set<string>();
    const view = await waitFor(async () => {
      const v = (await api('GET', `/api/sessions/${sid}`)).body as View;
      for (const p of v.pendingPermissions ?? []) {
        if (answered.has(p.request.requestId)) continue;
        answered.add(p.request.requestId);
        const res = await api('POST', `/api/sessions/${sid}/permissions/${p.request.requestId}`, { decision: 'allow' }, { token: rae });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
      return v.tasks.every((t) => ['ready_for_review', 'failed'].includes(t.status)) ? v : null;
    }, { what: 'three ACP tasks finished', timeoutMs: 200_000, intervalMs: 300 });
    const log = (await api('GET', `/api/sessions/${sid}/events?limit=10000`)).body as { events: LogEvent[] };
    for (const id of Object.keys(SETUPS)) {
      const task = view.tasks.find((t) => t.id === ids[id])!;
      expect(task.status, JSON.stringify(task)).toBe('ready_for_review');
      expect(task.runs.map((r) => [r.agent, r.outcome])).toEqual([[id, 'succeeded']]);
      // The version the agent named over ACP is the run's.
      expect(task.runs[0]?.cliVersion).toMatch(/\d+\.\d+\.\d+/);
      expect(git(repo, 'show', `${task.branch}:${id}.txt`)).toBe(`written by ${id}`);
      expect(git(repo, 'log', '-1', '--format=%(trailers:key=Agent,valueonly)', task.branch!)).toBe(id);
      // Asked by the agent, decided by rae: both in the log, with their authors.
      const asked = log.events.find((e) => e.type === 'AGENT.PERMISSION_REQUESTED' && e.taskId === task.id);
      expect(asked?.actor.kind).toBe('agent');
      const decided = log.events.find((e) => e.type === 'AGENT.PERMISSION_DECIDED' && e.taskId === task.id);
      expect(decided?.actor).toMatchObject({ kind: 'user', name: 'rae' });
      expect(decided?.data).toMatchObject({ decision: 'allowed', by: 'rae' });
      expect(view.timeline.some((e) => e.kind === 'permission' && e['taskId'] === task.id && e['by'] === 'rae' && e['decision'] === 'allowed')).toBe(true);
    }
    expect(view.pendingPermissions).toEqual([]);
    git(repo, 'fsck', '--strict');
  }, 240_000);

  it('a message mid-run reaches the agent; a denied request stops the tool call; bad steering is refused and logs nothing', async () => {
    harness = await startRuntime({ 'codex-acp': shellWrite('codex-acp') });
    const { api, repo } = harness;
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'acp deny' })).body.id as string;
    const rae = (await api('POST', '/api/tokens', { name: 'rae', role: 'reviewer', sessions: [{ id: sid, role: 'reviewer' }] })).body.token as string;
    const vic = (await api('POST', '/api/tokens', { name: 'vic', role: 'viewer', sessions: [{ id: sid, role: 'viewer' }] })).body.token as string;
    const taskId = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'codex-acp', prompt: 'Write codex-acp.txt.' })).body.id as string;
    const pending = await waitFor(async () => ((await api('GET', `/api/sessions/${sid}`)).body as View).pendingPermissions?.[0] ?? null,
      { what: 'a permission request', timeoutMs: 90_000, intervalMs: 200 });
    expect(pending.taskId).toBe(taskId);
    const before = (await api('GET', `/api/sessions/${sid}/events?limit=10000`)).body.events.length as number;
    // Refused, each with its code, and nothing logged.
    expect((await api('POST', `/api/sessions/${sid}/permissions/nope-1`, { decision: 'allow' }, { token: rae })).body.error.code).toBe('PERMISSION_NOT_FOUND');
    const reject = pending.request.options.find((o) => o.kind.startsWith('reject'))!;
    expect((await api('POST', `/api/sessions/${sid}/permissions/${pending.request.requestId}`, { decision: 'allow', optionId: reject.optionId }, { token: rae })).body.error.code).toBe('PERMISSION_OPTION_INVALID');
    expect((await api('POST', `/api/sessions/${sid}/permissions/${pending.request.requestId}`, { decision: 'allow' }, { token: vic })).status).toBe(403);
    expect((await api('POST', `/api/sessions/${sid}/tasks/${taskId}/messages`, { text: 'hi', extra: 1 })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await api('POST', `/api/sessions/${sid}/tasks/t-missing/messages`, { text: 'hi' })).body.error.code).toBe('TASK_NOT_FOUND');
    expect((await api('GET', `/api/sessions/${sid}/events?limit=10000`)).body.events.length).toBe(before);

    // The operator's message is queued for the next turn while the request waits.
    const sent = await api('POST', `/api/sessions/${sid}/tasks/${taskId}/messages`, { text: 'STEER-MARK-7315 please also say goodbye' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toMatchObject({ delivery: 'next_turn', runId: pending.runId });
    const denied = await api('POST', `/api/sessions/${sid}/permissions/${pending.request.requestId}`, { decision: 'deny', reason: 'not that file' }, { token: rae });
    expect(denied.status, JSON.stringify(denied.body)).toBe(200);
    expect((await api('POST', `/api/sessions/${sid}/permissions/${pending.request.requestId}`, { decision: 'allow' }, { token: rae })).body.error.code).toBe('PERMISSION_NOT_FOUND');

    const task = await waitFor(async () => {
      const t = (await api('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body as TaskView;
      return ['ready_for_review', 'failed'].includes(t.status) ? t : null;
    }, { what: 'the task finished', timeoutMs: 90_000, intervalMs: 250 });
    // The denied shell command never ran: no file anywhere on the task branch.
    if (task.branch) expect(() => git(repo, 'show', `${task.branch}:codex-acp.txt`)).toThrow();
    const bodies = harness.models['codex-acp']!.modelRequests().map((r) => JSON.stringify(r.body));
    expect(bodies.some((b) => b.includes('STEER-MARK-7315')), 'the model saw the message').toBe(true);
    const log = (await api('GET', `/api/sessions/${sid}/events?limit=10000`)).body as { events: LogEvent[] };
    const message = log.events.find((e) => e.type === 'AGENT.MESSAGE');
    // The author is the caller the server authenticated (here the admin token), not anything in the body.
    expect(message?.actor.kind).toBe('user');
    expect(message?.data['by']).toBe(message?.actor.name);
    expect(message?.data).toMatchObject({ text: 'STEER-MARK-7315 please also say goodbye', delivery: 'next_turn' });
    expect(log.events.find((e) => e.type === 'AGENT.PERMISSION_DECIDED')?.data).toMatchObject({ decision: 'denied', reason: 'not that file', by: 'rae' });
    const view = (await api('GET', `/api/sessions/${sid}`)).body as View;
    expect(view.timeline.filter((e) => e.kind === 'agent_message' || e.kind === 'permission').map((e) => e.kind)).toEqual(['agent_message', 'permission']);
    // The run is over: a message now has no agent to go to.
    expect((await api('POST', `/api/sessions/${sid}/tasks/${taskId}/messages`, { text: 'late' })).body.error.code).toBe('RUN_NOT_STEERABLE');
  }, 200_000);

  it('a request nobody answers is denied when its time is up', async () => {
    harness = await startRuntime({ 'codex-acp': shellWrite('codex-acp') }, 2_000);
    const { api, repo } = harness;
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'acp timeout' })).body.id as string;
    const taskId = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'codex-acp', prompt: 'Write codex-acp.txt.' })).body.id as string;
    const task = await waitFor(async () => {
      const t = (await api('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body as TaskView;
      return ['ready_for_review', 'failed'].includes(t.status) ? t : null;
    }, { what: 'the task finished', timeoutMs: 90_000, intervalMs: 250 });
    if (task.branch) expect(() => git(repo, 'show', `${task.branch}:codex-acp.txt`)).toThrow();
    const log = (await api('GET', `/api/sessions/${sid}/events?limit=10000`)).body as { events: LogEvent[] };
    const asked = log.events.find((e) => e.type === 'AGENT.PERMISSION_REQUESTED');
    const decided = log.events.find((e) => e.type === 'AGENT.PERMISSION_DECIDED');
    expect(decided?.data).toMatchObject({ decision: 'denied', by: 'timeout' });
    expect(Date.parse(String(decided?.data['at'])) - Date.parse(String(asked?.data['at']))).toBeGreaterThanOrEqual(1_900);
  }, 150_000);
});
