import { afterEach, describe, expect, it } from 'vitest';
import { git } from './helpers/git-repo.js';
import { planAnswer, startPlannerRuntime, waitForPlan, type PlannerCli, type PlannerHarness } from './planner-harness.js';

const PLAN = {
  summary: 'Two steps.',
  tasks: [
    { id: 'one', title: 'First', prompt: 'Do the first thing.', acceptance: 'It is done', dependsOn: [], agent: null },
    { id: 'two', title: 'Second', prompt: 'Do the second thing.', acceptance: '', dependsOn: ['one'], agent: null },
  ],
};

let h: PlannerHarness | null = null;
afterEach(async () => { await h?.close(); h = null; });

// Claude Code (`--permission-mode plan`) and Gemini CLI (`--approval-mode plan`) as planners.
describe.each<[PlannerCli, RegExp]>([
  ['claude', /Plan mode is active/],
  ['gemini', /Active Approval Mode: Plan/],
])('the planner on %s, run in its plan mode against the scripted model server', (cli, planMode) => {
  it('returns the plan the model wrote, and leaves the repository as it was', async () => {
    h = await startPlannerRuntime(cli, [{ kind: 'text', text: planAnswer(PLAN) }]);
    const sid = (await h.api('POST', '/api/sessions', { repoPath: h.repo, title: 'plan' })).body.id as string;
    const asked = await h.api('POST', `/api/sessions/${sid}/plans`, { goal: 'Two steps please' });
    expect(asked.status).toBe(202);
    expect(asked.body.agent).toBe(cli);
    const done = await waitForPlan(h, sid, asked.body.planId);
    expect([done.status, done.error]).toEqual(['ready', null]);
    expect(done.plan).toEqual(PLAN);
    const bodies = h.model!.modelRequests().map((r) => JSON.stringify(r.body));
    expect(bodies.some((b) => b.includes('Two steps please'))).toBe(true);
    // The CLI told its model it is in its read-only plan mode.
    expect(bodies.some((b) => planMode.test(b))).toBe(true);
    expect(git(h.repo, 'status', '--porcelain')).toBe('');
  }, 150_000);
});
