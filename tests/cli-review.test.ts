// The planner and the review loop driven from the `thalogos` command (a real process) against a
// real runtime whose planner is the real Codex CLI on the scripted model server; the planned tasks
// run the `command` agent in real worktrees, and native git checks what the Save published.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli-process.js';
import { waitFor } from './helpers/api.js';
import { git } from './helpers/git-repo.js';
import { PLANNER_ADMIN, planAnswer, startPlannerRuntime, type PlannerHarness } from './planner-harness.js';

const PLAN = {
  summary: 'Two files.',
  tasks: [
    { id: 'one', title: 'File one', prompt: 'echo one > one.txt', dependsOn: [], agent: 'command' },
    { id: 'two', title: 'File two', prompt: 'echo two > two.txt', dependsOn: [], agent: 'command' },
  ],
};

let h: PlannerHarness;
let env: Record<string, string>;
let sid: string;
beforeAll(async () => {
  h = await startPlannerRuntime('codex', [{ kind: 'text', text: planAnswer(PLAN) }]);
  env = { THALOGOS_URL: h.url, THALOGOS_TOKEN: PLANNER_ADMIN };
  sid = (await h.api('POST', '/api/sessions', { repoPath: h.repo, title: 'cli review' })).body.id as string;
}, 150_000);
afterAll(async () => { await h?.close(); });

const cli = (...args: string[]) => runCli(args, env);

describe('thalogos plan / task approve / save preview', () => {
  it('plans, approves the plan, saves only the approved task, and refuses what cannot be done', async () => {
    // Bad input: usage errors (exit 2), nothing sent.
    expect((await cli('plan', sid)).code).toBe(2);
    expect((await cli('session', 'settings', sid, '--require-approval', 'maybe')).code).toBe(2);

    const settings = await cli('session', 'settings', sid, '--require-approval', 'on');
    expect([settings.code, settings.out.trim()]).toEqual([0, 'Save now merges approved tasks only.']);

    const planned = await cli('plan', sid, '--goal', 'Write two files');
    expect(planned.code, planned.err).toBe(0);
    expect(planned.out).toMatch(/Plan p\S+ \(ready\) for: Write two files/);
    expect(planned.out).toMatch(/one\s+File one/);
    const planId = /Plan (p\S+) /.exec(planned.out)?.[1] as string;
    const shown = JSON.parse((await cli('plan', 'show', sid, planId, '--json')).out) as { status: string; draft: Array<{ id: string }> };
    expect([shown.status, shown.draft.map((task) => task.id)]).toEqual(['ready', ['one', 'two']]);

    const approved = await cli('plan', 'approve', sid, planId);
    expect(approved.code, approved.err).toBe(0);
    expect(approved.out).toContain('2 tasks added');
    const again = await cli('plan', 'approve', sid, planId);
    expect([again.code, again.err]).toEqual([1, expect.stringContaining('PLAN_NOT_READY')]);

    const tasks = await waitFor(async () => {
      const view = (await h.api('GET', `/api/sessions/${sid}`)).body as { tasks: Array<{ id: string; prompt: string; status: string }> };
      return view.tasks.length === 2 && view.tasks.every((task) => task.status === 'ready_for_review') ? view.tasks : null;
    }, { what: 'the planned tasks', timeoutMs: 60_000 });
    const one = tasks.find((task) => task.prompt === 'echo one > one.txt')!;
    const two = tasks.find((task) => task.prompt === 'echo two > two.txt')!;

    const before = await cli('save', 'preview', sid);
    expect(before.code, before.err).toBe(0);
    expect(before.out).toContain("Nothing to save yet: the ready tasks wait for a reviewer's approval.");
    expect(before.out).toMatch(new RegExp(`Left out \\(not approved\\): (${one.id}, ${two.id}|${two.id}, ${one.id})`));

    expect((await cli('task', 'approve', sid, one.id)).code).toBe(0);
    const preview = JSON.parse((await cli('save', 'preview', sid, '--json')).out) as { status: string; mergedTaskIds: string[]; leftOut: string[]; tree: string };
    expect(preview).toMatchObject({ status: 'clean', mergedTaskIds: [one.id], leftOut: [two.id] });
    const human = await cli('save', 'preview', sid);
    expect(human.out).toMatch(/A Save would merge 1 task cleanly: tree [0-9a-f]{40}, 1 file changed, \+1 -0/);

    const saved = await cli('save', sid);
    expect(saved.code, saved.err).toBe(0);
    expect(git(h.repo, 'rev-parse', 'main^{tree}')).toBe(preview.tree);
    expect(git(h.repo, 'show', 'main:one.txt')).toBe('one');
    expect(() => git(h.repo, 'show', 'main:two.txt')).toThrow();

    // What the runtime refuses comes back as its code, with exit 1.
    const changes = await cli('task', 'request-changes', sid, two.id, '--message', 'shorter');
    expect([changes.code, changes.err]).toEqual([1, expect.stringContaining('REVIEW_NEEDS_AGENT')]);
    const reapply = await cli('task', 'reapply', sid, two.id);
    expect([reapply.code, reapply.err]).toEqual([1, expect.stringContaining('INVALID_STATE')]);
    const missing = await cli('plan', 'show', sid, 'p-nope');
    expect([missing.code, missing.err]).toEqual([1, expect.stringContaining('PLAN_NOT_FOUND')]);
  }, 240_000);
});
