import { describe, expect, it, afterEach } from 'vitest';
import { PlanRecordSchema } from '../contracts/plan.js';
import { git } from './helpers/git-repo.js';
import { planAnswer, startPlannerRuntime, waitForPlan, type PlannerHarness } from './planner-harness.js';

const PLAN = {
  summary: 'Add a greeting and document it.',
  tasks: [
    { id: 'greet', title: 'Add the greeting', prompt: 'Create greet.txt saying hello.', acceptance: 'greet.txt exists', dependsOn: [], agent: 'codex' },
    { id: 'docs', title: 'Document it', prompt: 'Mention greet.txt in README.', acceptance: 'README mentions it', dependsOn: ['greet'], agent: null },
  ],
};

let h: PlannerHarness | null = null;
afterEach(async () => { await h?.close(); h = null; });

describe('the planner: Codex CLI run read-only against the scripted model server', () => {
  it('turns a goal into a checked plan, from the model\'s answer, without touching the repository', async () => {
    h = await startPlannerRuntime('codex', [{ kind: 'text', text: planAnswer(PLAN) }]);
    const sid = (await h.api('POST', '/api/sessions', { repoPath: h.repo, title: 'plan' })).body.id as string;
    const asked = await h.api('POST', `/api/sessions/${sid}/plans`, { goal: 'Greet the world' });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ status: 'planning', agent: 'codex', goal: 'Greet the world' });

    const done = await waitForPlan(h, sid, asked.body.planId);
    expect(done.error).toBeNull();
    expect(done.status).toBe('ready');
    expect(PlanRecordSchema.parse(done).plan).toEqual(PLAN);
    expect(done.raw).toBe(planAnswer(PLAN));
    // Seeded into the shared document people edit.
    expect(done.draft.map((t: { id: string }) => t.id)).toEqual(['greet', 'docs']);

    // The model saw the goal, and Codex ran in its read-only sandbox.
    const bodies = h.model!.requests.map((r) => JSON.stringify(r.body));
    expect(bodies.some((b) => b.includes('Greet the world'))).toBe(true);
    expect(bodies.some((b) => b.includes('`sandbox_mode` is `read-only`'))).toBe(true);
    // Native git: nothing changed in the repository.
    expect(git(h.repo, 'status', '--porcelain')).toBe('');

    const view = (await h.api('GET', `/api/sessions/${sid}`)).body;
    expect(view.timeline.filter((e: { kind: string }) => e.kind === 'plan').map((e: { event: string }) => e.event)).toEqual(['requested', 'created']);
    const events = (await h.api('GET', `/api/sessions/${sid}/events?after=0&limit=1000`)).body.events as Array<{ type: string; actor: { kind: string } }>;
    expect(events.filter((e) => e.type.startsWith('PLAN.')).map((e) => [e.type, e.actor.kind])).toEqual([['PLAN.REQUEST', 'user'], ['PLAN.CREATED', 'agent']]);
  }, 150_000);

  it('keeps the raw answer and says why when the model answers with something that is not a plan', async () => {
    h = await startPlannerRuntime('codex', [{ kind: 'text', text: 'I would split this into a few tasks, roughly: first the API, then the UI.' }]);
    const sid = (await h.api('POST', '/api/sessions', { repoPath: h.repo, title: 'plan' })).body.id as string;
    const asked = await h.api('POST', `/api/sessions/${sid}/plans`, { goal: 'Build it' });
    const done = await waitForPlan(h, sid, asked.body.planId);
    expect(done.status).toBe('failed');
    expect(done.error.code).toBe('PLAN_MALFORMED');
    expect(done.raw).toContain('first the API, then the UI');
    const approve = await h.api('POST', `/api/sessions/${sid}/plans/${asked.body.planId}/approve`, {});
    expect(approve.status).toBe(409);
    expect(approve.body.error.code).toBe('PLAN_NOT_READY');
    expect((await h.api('GET', `/api/sessions/${sid}`)).body.tasks).toEqual([]);
  }, 150_000);
});
