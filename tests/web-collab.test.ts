import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { git } from './helpers/git-repo.js';
import { focused, launchBrowser, signedInPage, startConsoleStack, type ConsoleStack } from './helpers/browser.js';

const LIVE = { timeout: 30_000, interval: 200 };

/** Two people on one session in two browser contexts: olivia (operator) and victor (viewer). */
describe('web console: two people co-steering one session, live', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let olivia: Page;
  let victor: Page;
  let sessionId: string;
  let repo: string;

  const column = (page: Page, name: string) => page.getByRole('region', { name, exact: true });
  const card = (page: Page, prompt: string) => page.getByRole('article', { name: `Task ${prompt}`, exact: true });
  const saveStatus = (page: Page) => page.getByRole('status', { name: 'Save status' });

  async function startTask(page: Page, prompt: string) {
    await page.getByLabel('Goal', { exact: true }).fill(prompt);
    await page.getByLabel('Agent', { exact: true }).selectOption('command');
    await page.getByRole('button', { name: 'Start task' }).click();
    await expect.poll(() => page.getByLabel('Goal', { exact: true }).inputValue(), LIVE).toBe('');
  }

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startConsoleStack(), launchBrowser()]);
    repo = stack.newRepo('collab');
    const created = await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Collab session' });
    sessionId = created.body.id as string;
    const [operatorToken, viewerToken] = await Promise.all([
      stack.token('olivia', 'operator', { [sessionId]: 'operator' }),
      stack.token('victor', 'viewer', { [sessionId]: 'viewer' }),
    ]);
    olivia = (await signedInPage(browser, stack.url, operatorToken)).page;
    victor = (await signedInPage(browser, stack.url, viewerToken)).page;
    await Promise.all([olivia.goto(`/sessions/${sessionId}`), victor.goto(`/sessions/${sessionId}`)]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('both are connected to the live documents and see each other', async () => {
    for (const page of [olivia, victor]) {
      await expect.poll(() => page.getByLabel(/^Connection:/).getAttribute('aria-label'), LIVE).toContain('live documents');
      await expect.poll(() => page.getByRole('list', { name: 'People here' }).getByRole('listitem').count(), LIVE).toBe(2);
    }
    await victor.getByRole('listitem', { name: /^olivia, operator/ }).waitFor();
  });

  it('a task started by the operator appears and progresses live for the viewer', async () => {
    await startTask(olivia, 'echo hi > hi.txt');
    await card(victor, 'echo hi > hi.txt').waitFor(LIVE);
    await column(victor, 'Ready for review').getByRole('article', { name: 'Task echo hi > hi.txt' }).waitFor(LIVE);
    // The viewer has no command controls.
    expect(await victor.getByRole('button', { name: 'Start task' }).isDisabled()).toBe(true);
  });

  it('a review comment on a diff line shows up for the other reviewer', async () => {
    await olivia.getByRole('link', { name: 'echo hi > hi.txt' }).click();
    await victor.getByRole('link', { name: 'echo hi > hi.txt' }).click();
    await olivia.getByRole('region', { name: 'Diff of hi.txt' }).waitFor(LIVE);
    await olivia.getByRole('button', { name: 'Comment on hi.txt line 1' }).click();
    await olivia.getByLabel('Comment for hi.txt line 1').fill('Greeting reads well.');
    await olivia.getByRole('button', { name: 'Add comment' }).click();
    // The form closed; focus went back to the line's + button and the outcome was announced.
    await expect.poll(() => focused(olivia).then((f) => f.label)).toBe('Comment on hi.txt line 1');
    await olivia.getByRole('status').filter({ hasText: 'Comment added on hi.txt line 1.' }).waitFor();
    await olivia.getByText('Click a line number (or the + beside it) to comment').waitFor();
    await victor.getByText('adding them needs the reviewer role (you are viewer)').waitFor();
    const comments = victor.getByRole('group', { name: 'Comments on hi.txt line 1' });
    await expect.poll(() => comments.textContent(), LIVE).toContain('Greeting reads well.');
    expect(await comments.textContent()).toContain('olivia');
    // Viewers read comments but cannot add them (their shared document is read-only).
    expect(await victor.getByRole('button', { name: 'Comment on hi.txt line 1' }).count()).toBe(0);
  });

  it('the viewer cannot Save; the operator saves and both see the new checkpoint', async () => {
    await Promise.all([olivia.goto(`/sessions/${sessionId}`), victor.goto(`/sessions/${sessionId}`)]);
    const viewerSave = victor.getByRole('button', { name: 'Save', exact: true });
    await viewerSave.waitFor();
    expect(await viewerSave.isDisabled()).toBe(true);
    await victor.getByText('Save needs the operator role (viewer).').waitFor();

    await olivia.getByRole('button', { name: 'Save', exact: true }).click();
    // Busy Save is aria-disabled, not disabled: focus stays on it.
    const afterSave = await focused(olivia);
    expect(afterSave.tag).toBe('BUTTON');
    expect(afterSave.text).toMatch(/^Sav/);
    for (const page of [olivia, victor]) await expect.poll(() => saveStatus(page).textContent(), LIVE).toMatch(/Published\s*checkpoint\/\d{4}-\d{2}-\d{2}-1/);
    // -1 is the session-start checkpoint taken when the session was created.
    const tag = /checkpoint\/\d{4}-\d{2}-\d{2}-1/.exec((await saveStatus(victor).textContent()) ?? '')?.[0] ?? '';
    const commit = git(repo, 'rev-parse', 'main');
    expect(git(repo, 'rev-parse', `${tag}^{commit}`)).toBe(commit);
    expect(await saveStatus(olivia).textContent()).toContain(commit.slice(0, 10));
    await column(victor, 'Merged').getByRole('article', { name: 'Task echo hi > hi.txt' }).waitFor(LIVE);

    for (const page of [olivia, victor]) {
      await page.getByRole('link', { name: /^Timeline/ }).click();
      await page.getByRole('list', { name: 'Checkpoints' }).getByRole('listitem', { name: tag }).waitFor(LIVE);
    }
  });

  it('an annotation typed on a checkpoint appears for the other person', async () => {
    const tag = (await olivia.getByRole('list', { name: 'Checkpoints' }).getByRole('listitem', { name: /^checkpoint\// }).first().getAttribute('aria-label')) ?? '';
    await olivia.getByLabel(`Annotate ${tag}`).fill('First green build of the greeting.');
    await olivia.getByRole('button', { name: `Add note to ${tag}` }).click();
    await expect.poll(() => victor.getByRole('group', { name: `Notes on ${tag}` }).textContent(), LIVE).toContain('First green build of the greeting.');
    // The viewer reads notes but has no note form.
    expect(await victor.getByLabel(`Annotate ${tag}`).count()).toBe(0);
  });

  it('a conflict between two tasks shows in the conflict view and is resolved from the browser', async () => {
    await olivia.getByRole('link', { name: 'Board' }).click();
    await startTask(olivia, "sed -i 's/line2/left/' a.txt");
    await startTask(olivia, "sed -i 's/line2/right/' a.txt");
    await expect.poll(() => column(olivia, 'Ready for review').getByRole('article').count(), LIVE).toBe(2);
    await olivia.getByRole('button', { name: 'Save', exact: true }).click();
    for (const page of [olivia, victor]) await expect.poll(() => saveStatus(page).textContent(), LIVE).toContain('Conflict');

    for (const page of [olivia, victor]) {
      await page.getByRole('link', { name: /^Conflicts/ }).click();
      const file = page.getByRole('region', { name: 'Conflict in a.txt' });
      await file.waitFor(LIVE);
      const text = (await file.textContent()) ?? '';
      expect(text).toContain('line2'); // base
      expect(text).toContain('left');
      expect(text).toContain('right');
    }
    // Pick a side per hunk: the task's side wins, the next Save publishes it.
    expect(await olivia.getByRole('status', { name: 'Conflict resolved' }).count()).toBe(0);
    await olivia.getByRole('radio', { name: 'Take task side for a.txt hunk 1' }).check();
    await olivia.getByRole('button', { name: 'Apply resolutions' }).click();
    await olivia.getByText('Resolved: the task branch now merges cleanly; Save again to publish.').waitFor(LIVE);
    // The report stays for reference but is marked resolved, and Save is named as the next step.
    expect(await olivia.getByRole('status', { name: 'Conflict resolved' }).textContent()).toContain('Save to publish');
    expect(await olivia.getByRole('button', { name: 'Apply resolutions' }).isDisabled()).toBe(true);
    await olivia.getByRole('button', { name: 'Save', exact: true }).click();
    for (const page of [olivia, victor]) await expect.poll(() => saveStatus(page).textContent(), LIVE).toMatch(/Published\s*checkpoint\/\d{4}-\d{2}-\d{2}-2/);
    expect(git(repo, 'show', 'main:a.txt').split('\n')[1]).toBe('right');
  });

  it('rolls back to the first checkpoint from the timeline, after confirmation', async () => {
    await olivia.getByRole('link', { name: /^Timeline/ }).click();
    // The first Save's checkpoint; the session start (session-start/{id}) is below it in the list.
    const first = olivia.getByRole('list', { name: 'Checkpoints' }).getByRole('listitem', { name: /^checkpoint\/\d{4}-\d{2}-\d{2}-1$/ });
    const tag = (await first.getAttribute('aria-label')) ?? '';
    expect(tag).toMatch(/-1$/);
    await expect.poll(() => olivia.getByRole('list', { name: 'Checkpoints' }).getByRole('listitem', { name: /^(checkpoint|session-start)\// }).last().textContent(), LIVE).toContain('session start');
    await olivia.getByRole('button', { name: `Roll back to ${tag}` }).click();
    const dialog = olivia.getByRole('dialog', { name: `Roll back to ${tag}?` });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Keep current state' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(git(repo, 'show', 'main:a.txt').split('\n')[1]).not.toBe('line2');

    // Cancelling hands focus back to the button that opened the dialog.
    await expect.poll(() => focused(olivia).then((f) => f.label)).toBe(`Roll back to ${tag}`);

    await olivia.getByRole('button', { name: `Roll back to ${tag}` }).click();
    await dialog.getByRole('button', { name: 'Confirm rollback' }).click();
    await expect.poll(() => olivia.getByRole('status', { name: 'Rollback status' }).textContent(), LIVE).toContain(`main is now at`);
    expect(await focused(olivia).then((f) => f.label)).toBe(`Roll back to ${tag}`);
    for (const page of [olivia, victor]) {
      await page.getByRole('link', { name: /^Timeline/ }).click();
      await expect.poll(() => page.getByRole('list', { name: 'Timeline events' }).textContent(), LIVE).toMatch(new RegExp(`Rollback to ${tag}.*completed`));
      // The header and the timeline say where main is now, not the rolled-back checkpoint.
      const restore = git(repo, 'rev-parse', 'main').slice(0, 10);
      await expect.poll(() => page.getByRole('status', { name: 'main branch' }).textContent(), LIVE).toContain(`restored from checkpoint ${tag}`);
      expect(await page.getByRole('status', { name: 'main branch' }).textContent()).toContain(restore);
      expect(await page.getByLabel('Where main is').textContent()).toContain(restore);
      const checkpoints = page.getByRole('list', { name: 'Checkpoints' });
      expect(await checkpoints.getByRole('listitem', { name: tag }).textContent()).toContain('restored on main');
      const newest = checkpoints.getByRole('listitem', { name: /^checkpoint\// }).first();
      expect(await newest.textContent()).toContain('latest');
      expect(await newest.textContent()).not.toContain('on main');
    }
    expect(git(repo, 'show', 'main:a.txt')).toBe('line1\nline2\nline3');
    expect(git(repo, 'show', 'main:hi.txt')).toBe('hi');
  });

  it('a running command streams its output lines to the other person before it ends', async () => {
    for (const page of [olivia, victor]) await page.getByRole('link', { name: 'Board' }).click();
    const prompt = 'echo first-step-done; sleep 4; echo last > last.txt';
    await startTask(olivia, prompt);
    await column(victor, 'Running').getByRole('article', { name: `Task ${prompt}` }).waitFor(LIVE);
    await expect.poll(() => victor.getByRole('log').first().textContent(), LIVE).toContain('first-step-done');
    // Seen while the command was still running, not only in its final result.
    expect(await column(victor, 'Running').getByRole('article', { name: `Task ${prompt}` }).count()).toBe(1);
    await column(victor, 'Ready for review').getByRole('article', { name: `Task ${prompt}` }).waitFor(LIVE);
  });
});
