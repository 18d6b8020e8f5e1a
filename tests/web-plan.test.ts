import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitFor } from './helpers/api.js';
import { signedInPage, useConsoleStack } from './helpers/browser.js';
import { git } from './helpers/git-repo.js';
import { plannerStackOptions, type PlannerModel } from './web-plan-harness.js';

const LIVE = { timeout: 30_000, interval: 200 };
const PLAN = {
  summary: 'Base first, then a feature on it; a side task; an extra one nobody needs.',
  tasks: [
    { id: 'base', title: 'Base', prompt: 'echo base > base.txt', dependsOn: [], agent: 'command' },
    { id: 'feature', title: 'Feature', prompt: 'test -f base.txt && echo feature > feature.txt', dependsOn: ['base'], agent: 'command' },
    { id: 'extra', title: 'Extra', prompt: 'echo extra > extra.txt', dependsOn: [], agent: 'command' },
    { id: 'side', title: 'Side', prompt: 'test -f feature.txt && echo side > side.txt', dependsOn: [], agent: 'command' },
  ],
};

interface Task { id: string; status: string; baseCommit: string | null; commit: string | null; branch: string | null }

/** Two people on one plan: olivia (operator) asks for it and approves it, rita (reviewer) edits it too. */
describe('web console: a plan edited by two people, approved by the operator, run in dependency order', () => {
  const model: { current: PlannerModel | null } = { current: null };
  const suite = useConsoleStack(() => plannerStackOptions(PLAN, model));
  let olivia: Page;
  let rita: Page;
  let sessionId: string;
  let repo: string;
  const plan = (page: Page) => page.getByRole('region', { name: /^Plan: / });
  const task = (page: Page, id: string) => plan(page).getByRole('listitem', { name: `Plan task ${id}` });

  beforeAll(async () => {
    const { stack, browser } = suite;
    repo = stack.newRepo('planned');
    sessionId = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Planned session' })).body.id as string;
    const [operator, reviewer] = await Promise.all([stack.token('olivia', 'operator', { [sessionId]: 'operator' }), stack.token('rita', 'reviewer', { [sessionId]: 'reviewer' })]);
    olivia = (await signedInPage(browser, stack.url, operator)).page;
    rita = (await signedInPage(browser, stack.url, reviewer)).page;
    await Promise.all([olivia.goto(`/sessions/${sessionId}`), rita.goto(`/sessions/${sessionId}`)]);
  }, 120_000);
  afterAll(async () => { await model.current?.close(); });

  it('the operator asks for a plan from the goal box; both see it ready', async () => {
    for (const page of [olivia, rita]) await expect.poll(() => page.getByLabel(/^Connection:/).getAttribute('aria-label'), LIVE).toContain('live documents');
    await olivia.getByLabel('Goal', { exact: true }).fill('Build base, feature and side');
    await olivia.getByRole('button', { name: 'Plan', exact: true }).click();
    await olivia.getByRole('status').filter({ hasText: 'Planning' }).first().waitFor(LIVE);
    for (const page of [olivia, rita]) {
      await plan(page).getByText('Ready for approval').waitFor({ timeout: 120_000 });
      await expect.poll(() => plan(page).getByRole('listitem').count(), LIVE).toBe(4);
    }
  }, 150_000);

  it('both edit the plan together and see each other\'s edits live; the reviewer cannot approve', async () => {
    // rita adds a task and fills it in; olivia sees it arrive.
    await plan(rita).getByRole('button', { name: 'Add task' }).click();
    await task(olivia, 'task5').waitFor(LIVE);
    await task(rita, 'task5').getByLabel('Title').fill('Notes');
    await task(rita, 'task5').getByLabel('Instructions').fill('echo notes > notes.txt');
    await task(rita, 'task5').getByLabel('Agent').fill('command');
    // rita renames a task and makes it start after the feature.
    await task(rita, 'side').getByLabel('Title').fill('Side work on the feature');
    await task(rita, 'side').getByRole('checkbox', { name: 'side starts after feature' }).check();
    // olivia removes a task nobody needs and moves side up, above extra's old place.
    await task(olivia, 'extra').getByRole('button', { name: 'Remove extra' }).click();
    await expect.poll(() => task(olivia, 'side').getByLabel('Title').inputValue(), LIVE).toBe('Side work on the feature');
    await task(olivia, 'side').getByRole('button', { name: 'Move side up' }).click();
    await expect.poll(() => plan(rita).getByRole('listitem').evaluateAll((items) => items.map((i) => (i as unknown as { ariaLabel: string | null }).ariaLabel)), LIVE)
      .toEqual(['Plan task base', 'Plan task side', 'Plan task feature', 'Plan task task5']);
    await expect.poll(() => task(olivia, 'task5').getByLabel('Instructions').inputValue(), LIVE).toBe('echo notes > notes.txt');
    expect(await task(rita, 'side').getByRole('checkbox', { name: 'side starts after feature' }).isChecked()).toBe(true);
    // Approving is the operator's.
    expect(await plan(rita).getByRole('button', { name: 'Approve plan' }).isDisabled()).toBe(true);
    await plan(rita).getByText('Approving a plan needs the operator role.').waitFor();
    const api = await suite.stack.admin('GET', `/api/sessions/${sessionId}/plans`);
    expect(api.body.plans[0].status).toBe('ready');
  }, 60_000);

  it('an edit that makes a cycle is refused at approval, naming it; nothing starts', async () => {
    await task(olivia, 'base').getByRole('checkbox', { name: 'base starts after side' }).check();
    await plan(olivia).getByRole('button', { name: 'Approve plan' }).click();
    const alert = plan(olivia).getByRole('alert');
    await alert.getByText('PLAN_CYCLE').waitFor(LIVE);
    expect(await alert.textContent()).toContain('base -> side -> feature -> base');
    expect((await suite.stack.admin('GET', `/api/sessions/${sessionId}`)).body.tasks).toEqual([]);
    await task(rita, 'base').getByRole('checkbox', { name: 'base starts after side' }).uncheck();
    await expect.poll(() => task(olivia, 'base').getByRole('checkbox', { name: 'base starts after side' }).isChecked(), LIVE).toBe(false);
  }, 60_000);

  it('the operator approves; the tasks run in dependency order, each from its dependencies\' work (native git)', async () => {
    await plan(olivia).getByRole('button', { name: 'Approve plan' }).click();
    for (const page of [olivia, rita]) await plan(page).getByText(/Approved by olivia/).waitFor(LIVE);
    const record = (await suite.stack.admin('GET', `/api/sessions/${sessionId}/plans`)).body.plans[0];
    expect(record.approval.edits).toEqual({ added: ['task5'], removed: ['extra'], changed: ['side'], reordered: true });
    expect(record.approval.plan.tasks.map((t: { id: string; dependsOn: string[] }) => [t.id, t.dependsOn])).toEqual([['base', []], ['side', ['feature']], ['feature', ['base']], ['task5', []]]);
    const ids = record.approval.taskIds as Record<string, string>;

    const tasks = await waitFor(async () => {
      const view = (await suite.stack.admin('GET', `/api/sessions/${sessionId}`)).body;
      return view.tasks.length === 4 && view.tasks.every((t: Task) => t.status === 'ready_for_review') ? (view.tasks as Task[]) : null;
    }, { what: 'planned tasks ready', timeoutMs: 90_000, intervalMs: 250 });
    const byPlan = (id: string) => tasks.find((t) => t.id === ids[id])!;
    // side started after feature, which started after base: each from the one before (native git).
    expect(byPlan('feature').baseCommit).toBe(byPlan('base').commit);
    expect(byPlan('side').baseCommit).toBe(byPlan('feature').commit);
    const log = git(repo, 'log', '--format=%s', byPlan('side').branch!).split('\n');
    expect(log.slice(0, 3)).toEqual(['test -f feature.txt && echo side > side.txt', 'test -f base.txt && echo feature > feature.txt', 'echo base > base.txt']);
    // Both see the three tasks on the board and the approval on the timeline.
    for (const page of [olivia, rita]) await expect.poll(() => page.getByRole('region', { name: 'Ready for review', exact: true }).getByRole('article').count(), LIVE).toBe(4);
    await rita.getByRole('link', { name: 'Timeline' }).click();
    await rita.getByText(/4 tasks started; people's edits: 1 added, 1 removed, 1 edited, reordered/).waitFor(LIVE);
  }, 150_000);
});
