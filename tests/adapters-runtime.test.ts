import { afterEach, describe, expect, it } from 'vitest';
import { claudeSetup, codexSetup, FAKE_KEYS, geminiSetup } from './fake-model/cli-setup.js';
import type { FakeTurn } from './fake-model/script.js';
import { waitFor } from './helpers/api.js';
import { startCliRuntime, type CliRuntime } from './helpers/cli-runtime.js';
import { git } from './helpers/git-repo.js';

const SETUPS = { codex: codexSetup, claude: claudeSetup, gemini: geminiSetup } as const;
type Cli = keyof typeof SETUPS;

type Harness = CliRuntime<Cli>;

/** A real runtime whose CLI adapters each talk to their own scripted model server. */
function startRuntime(scripts: Partial<Record<Cli, FakeTurn[]>>, order: string[]): Promise<Harness> {
  return startCliRuntime(SETUPS, scripts, order);
}

const writes = (id: string): FakeTurn[] => [
  { kind: 'shell', command: `echo "written by ${id}" > ${id}.txt` },
  { kind: 'text', text: `${id} finished.` },
];

interface TaskView { id: string; status: string; branch: string | null; agent: string; runs: Array<{ agent: string; outcome: string; cliVersion: string | null; error: { code: string } | null; handoff: unknown }> }

let harness: Harness | null = null;
afterEach(async () => { await harness?.close(); harness = null; });

describe('the real runtime with the real CLIs (each against a scripted model server)', () => {
  it('runs codex, claude, gemini and command tasks in parallel worktrees; each change lands on its task branch with trailers', async () => {
    harness = await startRuntime({ codex: writes('codex'), claude: writes('claude'), gemini: writes('gemini') }, ['codex', 'claude', 'gemini', 'command']);
    const { api, repo } = harness;
    const agents = (await api('GET', '/api/agents')).body as { agents: Array<{ id: string; status: string }> };
    // The ACP kinds (claude-acp, ...) are listed too; tests/adapters-acp-runtime.test.ts runs them.
    expect(agents.agents.filter((a) => !a.id.endsWith('-acp')).map((a) => [a.id, a.status])).toEqual([['codex', 'available'], ['claude', 'available'], ['gemini', 'available'], ['command', 'available']]);

    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'all adapters' })).body.id as string;
    const ids: Record<string, string> = {};
    for (const [agent, prompt] of [['codex', 'Write codex.txt.'], ['claude', 'Write claude.txt.'], ['gemini', 'Write gemini.txt.'], ['command', 'echo "written by command" > command.txt']] as const) {
      const r = await api('POST', `/api/sessions/${sid}/tasks`, { agent, prompt });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      ids[agent] = r.body.id as string;
    }
    const view = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}`)).body as { tasks: TaskView[] };
      return body.tasks.every((t) => ['ready_for_review', 'failed'].includes(t.status)) ? body : null;
    }, { what: 'four tasks finished', timeoutMs: 100_000, intervalMs: 250 });

    const log = (await api('GET', `/api/sessions/${sid}/events?limit=10000`)).body as { events: Array<{ type: string; taskId: string | null; data: { event?: { type: string } } }> };
    for (const agent of ['codex', 'claude', 'gemini', 'command']) {
      const task = view.tasks.find((t) => t.id === ids[agent])!;
      expect(task.status, JSON.stringify(task)).toBe('ready_for_review');
      expect(task.branch).toBe(`session/${sid}/task/${task.id}`);
      expect(task.runs.map((r) => [r.agent, r.outcome])).toEqual([[agent, 'succeeded']]);
      if (agent !== 'command') expect(task.runs[0]?.cliVersion).toMatch(/^\d+\.\d+\.\d+$/);
      // Native git is the oracle: the file is on the task branch, with the trailers.
      expect(git(repo, 'show', `${task.branch}:${agent}.txt`)).toBe(`written by ${agent}`);
      expect(git(repo, 'log', '-1', '--format=%(trailers:key=Agent,valueonly)', task.branch!)).toBe(agent);
      expect(git(repo, 'log', '-1', '--format=%(trailers:key=Session,valueonly)', task.branch!)).toBe(sid);
      expect(git(repo, 'log', '-1', '--format=%(trailers:key=Task,valueonly)', task.branch!)).toBe(task.id);
      expect(git(repo, 'show', `${task.branch}`, '--name-only', '--format=')).toBe(`${agent}.txt`);
      // The normalised events reached the event log.
      const types = log.events.filter((e) => e.taskId === task.id && e.type === 'AGENT.EVENT').map((e) => e.data.event?.type);
      expect(types, agent).toContain('command');
      expect(types.at(-1), agent).toBe('done');
    }
    git(repo, 'fsck', '--strict');
    const everything = JSON.stringify(log);
    for (const key of Object.values(FAKE_KEYS)) expect(everything).not.toContain(key);
  }, 110_000);

  it('falls back from a codex run that gets a 401 to claude, which completes the task with the handoff', async () => {
    harness = await startRuntime({ codex: [{ kind: 'status', status: 401, message: 'invalid x-api-key' }], claude: writes('claude') }, ['codex', 'claude']);
    const { api, repo } = harness;
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'fallback' })).body.id as string;
    const r = await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'codex', prompt: 'Write claude.txt.' });
    expect(r.status).toBe(202);
    const task = await waitFor(async () => {
      const t = (await api('GET', `/api/sessions/${sid}/tasks/${r.body.id}`)).body as TaskView;
      return ['ready_for_review', 'failed'].includes(t.status) ? t : null;
    }, { what: 'the task finished', timeoutMs: 80_000, intervalMs: 250 });
    expect(task.status, JSON.stringify(task)).toBe('ready_for_review');
    // Auth failures are not retried: one codex run, then claude.
    expect(task.runs.map((run) => [run.agent, run.outcome, run.error?.code ?? null])).toEqual([['codex', 'failed', 'AGENT_AUTH'], ['claude', 'succeeded', null]]);
    expect(task.runs[1]?.handoff).toBeTruthy();
    expect(harness.models.codex!.modelRequests()).toHaveLength(1);
    const claudePrompt = JSON.stringify(harness.models.claude!.modelRequests()[0]?.body);
    expect(claudePrompt).toContain('Handoff from a previous attempt');
    expect(git(repo, 'show', `session/${sid}/task/${task.id}:claude.txt`)).toBe('written by claude');
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Agent,valueonly)', `session/${sid}/task/${task.id}`)).toBe('claude');
  }, 90_000);
});
