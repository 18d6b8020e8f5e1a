import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { git } from './helpers/git-repo.js';
import { planAnswer, replayDifferences, startPlannerRuntime, waitForPlan, type PlannerHarness } from './planner-harness.js';

// The planned tasks run the `command` agent: deterministic shell commands in real worktrees. Each
// dependent one fails unless its dependencies' files are in its worktree when it starts.
const PLAN = {
  summary: 'A diamond of four tasks.',
  tasks: [
    { id: 'base', title: 'Base', prompt: 'echo base > base.txt', dependsOn: [], agent: 'command' },
    { id: 'feature', title: 'Feature on base', prompt: 'test -f base.txt && cp base.txt feature.txt && echo feature >> feature.txt', dependsOn: ['base'], agent: 'command' },
    { id: 'side', title: 'Side', prompt: 'echo side > side.txt', dependsOn: [], agent: 'command' },
    { id: 'final', title: 'Final', prompt: 'test -f feature.txt && test -f side.txt && test -f base.txt && echo final > final.txt', dependsOn: ['feature', 'side'], agent: 'command' },
    // Both write the same file differently: a task that depends on both cannot start.
    { id: 'left', title: 'Left', prompt: 'echo left > clash.txt', dependsOn: [], agent: 'command' },
    { id: 'right', title: 'Right', prompt: 'echo right > clash.txt', dependsOn: [], agent: 'command' },
    { id: 'both', title: 'Both', prompt: 'echo both > both.txt', dependsOn: ['left', 'right'], agent: 'command' },
  ],
};

interface Task { id: string; status: string; planId?: string; dependsOn?: string[]; baseCommit: string | null; commit: string | null; branch: string | null; error: { code: string; cause: { code: string; message: string } | null } | null }

let h: PlannerHarness;
let sid: string;
let planId: string;
beforeAll(async () => {
  h = await startPlannerRuntime('codex', [{ kind: 'text', text: planAnswer(PLAN) }]);
  sid = (await h.api('POST', '/api/sessions', { repoPath: h.repo, title: 'dag' })).body.id as string;
  planId = (await h.api('POST', `/api/sessions/${sid}/plans`, { goal: 'Build the diamond' })).body.planId as string;
  expect((await waitForPlan(h, sid, planId)).status).toBe('ready');
}, 150_000);
afterAll(async () => { await h?.close(); });

describe('approving a plan dispatches its tasks in dependency order', () => {
  it('refuses bad requests with typed errors and changes nothing', async () => {
    const before = (await h.api('GET', `/api/sessions/${sid}/events?after=0&limit=1`)).body.head;
    const reviewer = (await h.api('POST', '/api/tokens', { name: 'rita', role: 'reviewer', sessions: [{ id: sid, role: 'reviewer' }] })).body.token as string;
    const cases: Array<[string, string, unknown, number, string, string?]> = [
      ['POST', `/api/sessions/${sid}/plans`, { goal: '' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/api/sessions/${sid}/plans`, { goal: 'x', extra: 1 }, 400, 'VALIDATION_FAILED'],
      ['POST', `/api/sessions/${sid}/plans`, { goal: 'x', agent: 'command' }, 422, 'NO_PLANNER'],
      ['POST', `/api/sessions/${sid}/plans`, { goal: 'x', agent: 'nope' }, 422, 'UNKNOWN_AGENT'],
      ['GET', `/api/sessions/${sid}/plans/p-nope`, undefined, 404, 'PLAN_NOT_FOUND'],
      ['POST', `/api/sessions/${sid}/plans/p-nope/approve`, {}, 404, 'PLAN_NOT_FOUND'],
      ['POST', `/api/sessions/${sid}/plans/${planId}/approve`, { tasks: [] }, 400, 'VALIDATION_FAILED'],
      ['POST', `/api/sessions/${sid}/plans/${planId}/approve`, {}, 403, 'FORBIDDEN', reviewer],
      ['POST', `/api/sessions/${sid}/plans`, { goal: 'x' }, 403, 'FORBIDDEN', reviewer],
      ['POST', `/api/sessions/${sid}/plans/${planId}/tasks/base/move`, { to: -1 }, 400, 'VALIDATION_FAILED'],
      ['POST', `/api/sessions/${sid}/plans/${planId}/tasks/nope/move`, { to: 0 }, 404, 'TASK_NOT_FOUND'],
      ['POST', `/api/sessions/${sid}/plans/${planId}/tasks`, { id: 'x' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/api/sessions/p-nope/plans/${planId}/tasks`, {}, 404, 'SESSION_NOT_FOUND'],
    ];
    for (const [method, path, body, status, code, token] of cases) {
      const r = await h.api(method, path, body, token ? { token } : {});
      expect([path, r.status, r.body.error?.code]).toEqual([path, status, code]);
    }
    expect((await h.api('GET', `/api/sessions/${sid}/events?after=0&limit=1`)).body.head).toBe(before);
    const record = (await h.api('GET', `/api/sessions/${sid}/plans/${planId}`)).body;
    expect(record.status).toBe('ready');
    // The shared draft is untouched too.
    expect(record.draft.map((t: { id: string }) => t.id)).toEqual(PLAN.tasks.map((t) => t.id));
  });

  it('moving a task through the API reorders the shared draft', async () => {
    const moved = await h.api('POST', `/api/sessions/${sid}/plans/${planId}/tasks/both/move`, { to: 0 });
    expect(moved.status).toBe(200);
    expect(moved.body.draft[0].id).toBe('both');
    const back = await h.api('POST', `/api/sessions/${sid}/plans/${planId}/tasks/both/move`, { to: 6 });
    expect(back.body.draft.map((t: { id: string }) => t.id)).toEqual(PLAN.tasks.map((t) => t.id));
  });

  it('starts each dependent task from its dependencies\' commits (native git), after they are ready', async () => {
    const approved = await h.api('POST', `/api/sessions/${sid}/plans/${planId}/approve`, {});
    expect(approved.status).toBe(202);
    expect(approved.body.status).toBe('approved');
    const ids = approved.body.approval.taskIds as Record<string, string>;
    expect(Object.keys(ids)).toEqual(PLAN.tasks.map((t) => t.id));
    expect(approved.body.approval.edits).toEqual({ added: [], removed: [], changed: [], reordered: false });

    const settled = await waitFor(async () => {
      const tasks = (await h.api('GET', `/api/sessions/${sid}`)).body.tasks as Task[];
      return tasks.length === 7 && tasks.every((t) => ['ready_for_review', 'failed'].includes(t.status)) ? tasks : null;
    }, { what: 'planned tasks to finish', timeoutMs: 120_000, intervalMs: 250 });
    const task = (planTaskId: string) => settled.find((t) => t.id === ids[planTaskId])!;
    expect(settled.map((t) => [t.id, t.status])).toEqual(PLAN.tasks.map((t) => [ids[t.id], t.id === 'both' ? 'failed' : 'ready_for_review']));
    expect(task('final').dependsOn).toEqual([ids['feature'], ids['side']]);
    expect(task('final').planId).toBe(planId);

    // Native git: the dependent branches hold their dependencies' commits.
    const isAncestor = (a: string, b: string) => { try { git(h.repo, 'merge-base', '--is-ancestor', a, b); return true; } catch { return false; } };
    expect(task('feature').baseCommit).toBe(task('base').commit);
    for (const dep of ['base', 'feature', 'side']) expect(isAncestor(task(dep).commit!, task('final').commit!)).toBe(true);
    expect(isAncestor(task('side').commit!, task('feature').commit!)).toBe(false);
    const finalLog = git(h.repo, 'log', '--format=%s', task('final').branch!);
    expect(finalLog).toContain(`Start ${ids['final']} from session/${sid}/task/${ids['side']}`);
    expect(git(h.repo, 'show', `${task('final').branch}:final.txt`)).toBe('final');
    expect(git(h.repo, 'show', `${task('final').branch}:feature.txt`)).toBe('base\nfeature');

    // Order in the log: a dependent's worktree is made only after each dependency committed.
    const events = (await h.api('GET', `/api/sessions/${sid}/events?after=0&limit=10000`)).body.events as Array<{ seq: number; type: string; data: { taskId?: string } }>;
    const seqOf = (type: string, planTaskId: string) => events.find((e) => e.type === type && e.data.taskId === ids[planTaskId])!.seq;
    expect(seqOf('TASK.WORKTREE_READY', 'feature')).toBeGreaterThan(seqOf('TASK.COMMITTED', 'base'));
    for (const dep of ['feature', 'side']) expect(seqOf('TASK.WORKTREE_READY', 'final')).toBeGreaterThan(seqOf('TASK.COMMITTED', dep));

    // A conflicting start point is reported on the task, naming the dependency and the path.
    const both = task('both');
    expect(both.error?.code).toBe('WORKTREE_FAILED');
    expect(both.error?.cause?.code).toBe('START_POINT_CONFLICT');
    expect(both.error?.cause?.message).toContain('clash.txt');

    const view = (await h.api('GET', `/api/sessions/${sid}`)).body;
    expect(view.timeline.filter((e: { kind: string }) => e.kind === 'plan').map((e: { event: string }) => e.event)).toEqual(['requested', 'created', 'approved']);
    const again = await h.api('POST', `/api/sessions/${sid}/plans/${planId}/approve`, {});
    expect([again.status, again.body.error.code]).toEqual([409, 'PLAN_NOT_READY']);
    expect(await replayDifferences(h, sid)).toBeNull();
  }, 180_000);

  it('says so when no language-model agent can plan, and logs nothing', async () => {
    const bare = await startPlannerRuntime(null);
    try {
      const s = (await bare.api('POST', '/api/sessions', { repoPath: bare.repo, title: 'no llm' })).body.id as string;
      const r = await bare.api('POST', `/api/sessions/${s}/plans`, { goal: 'Plan something' });
      expect(r.status).toBe(422);
      expect(r.body.error.code).toBe('NO_PLANNER');
      expect(r.body.error.message).toContain('no language-model agent is available to plan');
      expect((await bare.api('GET', `/api/sessions/${s}`)).body.plans).toEqual([]);
    } finally {
      await bare.close();
    }
  }, 60_000);
});
