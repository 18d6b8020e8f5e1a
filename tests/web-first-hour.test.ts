// Issue 14, items 3, 7 and 13: what a first user meets on the board, the task page and the
// timeline, in real Chromium against the real runtime.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { focused, launchBrowser, signedInPage, startConsoleStack, type ConsoleStack } from './helpers/browser.js';
import { CONTRAST_SCRIPT, type ContrastFailure } from './helpers/contrast.js';

describe('web console: the first hour of a new user', () => {
  let stack: ConsoleStack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startConsoleStack(), launchBrowser()]);
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function readyTasks(sid: string, prompts: string[]): Promise<Record<string, string>> {
    const ids: Record<string, string> = {};
    for (const prompt of prompts) ids[prompt] = (await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt })).body.id;
    await waitFor(async () => (await stack.admin('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'tasks ready' });
    return ids;
  }

  it('a failed Save shows its code, message and what to do, on the board and the timeline', async () => {
    const repo = stack.newRepo('dirty');
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Dirty checkout' })).body.id as string;
    await readyTasks(sid, ['echo changed > a.txt']);
    writeFileSync(path.join(repo, 'a.txt'), 'a local edit\n');
    expect((await stack.admin('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    await waitFor(async () => (await stack.admin('GET', `/api/sessions/${sid}`)).body.lastSave, { what: 'the Save to end' });

    const { context, page } = await signedInPage(browser, stack.url, await stack.token('olga', 'operator', { [sid]: 'operator' }));
    await page.goto(`/sessions/${sid}`);
    const status = page.getByRole('status', { name: 'Save status' });
    await expect.poll(() => status.textContent()).toContain('MAIN_WORKTREE_DIRTY');
    expect(await status.textContent()).toContain('What to do: Your checkout of the main branch has local changes');
    await page.goto(`/sessions/${sid}/timeline`);
    const timeline = page.getByRole('list', { name: 'Timeline events' });
    await expect.poll(() => timeline.textContent()).toContain('MAIN_WORKTREE_DIRTY');
    expect(await timeline.textContent()).toContain('Commit or stash them');
    await context.close();
  });

  it('says "no changes" and "1 file", rejects only after confirmation with a reason, and offers no comments on a rejected task', async () => {
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo('review'), title: 'Review' })).body.id as string;
    const ids = await readyTasks(sid, ['true', 'echo one > one.txt', 'echo two > two.txt']);
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('rita', 'reviewer', { [sid]: 'reviewer' }));
    await page.goto(`/sessions/${sid}`);
    const review = page.getByRole('region', { name: 'Ready for review', exact: true });
    const idle = review.getByRole('article', { name: 'Task true' });
    await expect.poll(() => idle.textContent()).toContain('no changes');
    expect(await idle.textContent()).not.toContain('in 0 files');
    const one = await review.getByRole('article', { name: 'Task echo one > one.txt' }).textContent();
    expect(one).toContain('in 1 file');
    expect(one).not.toContain('1 files');

    await page.goto(`/sessions/${sid}/tasks/${ids['echo two > two.txt']}`);
    await page.getByRole('button', { name: 'Comment on two.txt line 1' }).waitFor();
    await page.getByText(/^1 file · \+1 −0/).waitFor();
    await page.getByRole('button', { name: 'Reject task…' }).click();
    const dialog = page.getByRole('dialog', { name: /Reject/ });
    await dialog.getByRole('button', { name: 'Keep the task' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await stack.admin('GET', `/api/sessions/${sid}/tasks/${ids['echo two > two.txt']}`)).body.status).toBe('ready_for_review');
    await page.getByRole('button', { name: 'Reject task…' }).click();
    await dialog.getByLabel(/Reason/).fill('duplicates the first one');
    await dialog.getByRole('button', { name: 'Reject task' }).click();
    await page.getByText('Rejected by rita:').waitFor();
    const task = (await stack.admin('GET', `/api/sessions/${sid}/tasks/${ids['echo two > two.txt']}`)).body;
    expect([task.status, task.closed.reason]).toEqual(['rejected', 'duplicates the first one']);
    await page.getByText('This task was rejected: its comments can be read, not added to.').waitFor();
    expect(await page.getByRole('button', { name: /^Comment on/ }).count()).toBe(0);
    await context.close();
  });

  it('lets the author, and only the author, edit and delete a review comment', async () => {
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo('comments'), title: 'Comments' })).body.id as string;
    const ids = await readyTasks(sid, ['echo hello > hello.txt']);
    const taskUrl = `/sessions/${sid}/tasks/${ids['echo hello > hello.txt']}`;
    const author = await signedInPage(browser, stack.url, await stack.token('ann', 'reviewer', { [sid]: 'reviewer' }));
    const other = await signedInPage(browser, stack.url, await stack.token('bob', 'reviewer', { [sid]: 'reviewer' }));
    await Promise.all([author.page.goto(taskUrl), other.page.goto(taskUrl)]);
    await author.page.getByRole('button', { name: 'Comment on hello.txt line 1' }).click();
    await author.page.getByLabel('Comment for hello.txt line 1').fill('Say hello louder');
    await author.page.getByRole('button', { name: 'Add comment' }).click();
    const otherThread = other.page.getByRole('group', { name: 'Comments on hello.txt line 1' });
    await otherThread.getByText('Say hello louder').waitFor();
    expect(await otherThread.getByRole('button', { name: /Edit your note/ }).count()).toBe(0);

    const thread = author.page.getByRole('group', { name: 'Comments on hello.txt line 1' });
    await thread.getByRole('button', { name: 'Edit your note: Say hello louder' }).click();
    await thread.getByLabel('Edit note').fill('Say HELLO louder');
    await thread.getByRole('button', { name: 'Save note' }).click();
    await otherThread.getByText('Say HELLO louder').waitFor();
    await otherThread.getByText(/edited/).waitFor();
    author.page.once('dialog', (dialog) => void dialog.accept());
    await thread.getByRole('button', { name: 'Delete your note: Say HELLO louder' }).click();
    await otherThread.getByText('Say HELLO louder').waitFor({ state: 'detached' });
    await Promise.all([author.context.close(), other.context.close()]);
  });

  it('keeps focus on the card after Cancel; explains how to allow a directory; says main or master', async () => {
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo('cancel'), title: 'Cancel' })).body.id as string;
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('otto', 'operator', { [sid]: 'operator' }));
    await page.getByText('with a main or master branch').waitFor();
    await page.getByLabel('Repository path').fill('/etc');
    await page.getByLabel('Title').fill('Outside');
    await page.getByRole('button', { name: 'Create session' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('REPO_NOT_ALLOWED');
    expect(await page.getByRole('alert').textContent()).toContain('THALOGOS_REPO_ROOTS');

    await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'sleep 30' });
    await page.goto(`/sessions/${sid}`);
    const cancel = page.getByRole('button', { name: 'Cancel task sleep 30' });
    await cancel.waitFor({ timeout: 30_000 });
    await cancel.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Failed or closed', exact: true }).getByRole('article', { name: 'Task sleep 30' }).waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await focused(page)).text).toBe('sleep 30');
    expect((await focused(page)).tag).toBe('A');
    await context.close();
  });

  it('remembers the sign-in on this device for new tabs and shared links, with no token in the page, until Sign out', async () => {
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo('remembered'), title: 'Remembered' })).body.id as string;
    const token = await stack.token('remy', 'operator', { [sid]: 'operator' });
    const context = await browser.newContext({ baseURL: stack.url });
    const first = await context.newPage();
    await first.goto('/sign-in');
    await first.getByLabel('Access token').fill(token);
    await first.getByLabel(/Remember me on this device/).check();
    await first.getByRole('button', { name: 'Sign in' }).click();
    await first.waitForURL('**/sessions');
    // Nothing a page script can read holds the token; the cookie is HttpOnly.
    expect(await first.evaluate('JSON.stringify(sessionStorage) + document.cookie + JSON.stringify(localStorage)')).not.toContain(token);
    expect(await first.evaluate('document.cookie')).toBe('');
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === 'thalogos_device')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // A shared link opened in a new tab: signed in, live documents connect, writes work (CSRF header).
    const second = await context.newPage();
    await second.goto(`/sessions/${sid}`);
    await second.getByRole('heading', { name: 'Remembered' }).waitFor();
    await expect.poll(() => second.getByLabel(/^Connection:/).getAttribute('aria-label'), { timeout: 15_000 }).toContain('live documents');
    await second.getByLabel('Goal', { exact: true }).fill('echo remembered > r.txt');
    await second.getByLabel('Agent', { exact: true }).selectOption('command');
    await second.getByRole('button', { name: 'Start task' }).click();
    await second.getByRole('status').filter({ hasText: 'Task started: echo remembered > r.txt' }).waitFor();

    // Sign out ends the device session on the runtime: another tab is asked to sign in again.
    await second.getByRole('button', { name: 'Sign out' }).click();
    await second.waitForURL('**/sign-in**');
    const third = await context.newPage();
    await third.goto(`/sessions/${sid}`);
    await third.waitForURL('**/sign-in**');
    await context.close();
  });

  it('streams each line once, stderr while the command runs, and keeps the stream after the task ends', async () => {
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo('stream'), title: 'Stream' })).body.id as string;
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('sten', 'viewer', { [sid]: 'viewer' }));
    await page.goto(`/sessions/${sid}`);
    await expect.poll(() => page.getByLabel(/^Connection:/).getAttribute('aria-label'), { timeout: 15_000 }).toContain('live documents');
    // Output lines that the command line itself does not contain (it is shown too).
    const prompt = 'n=1; echo out-$n; echo err-$n >&2; sleep 4; echo x > two.txt; echo end-$n';
    const taskId = (await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt })).body.id as string;
    const liveLog = page.getByRole('region', { name: `Live output of ${prompt}` }).getByRole('log');
    await liveLog.getByText('err-1').waitFor({ timeout: 20_000 });
    // stderr arrived while the command was still running.
    expect((await stack.admin('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body.status).toBe('running');
    expect(await liveLog.getByRole('listitem').filter({ hasText: 'err-1' }).textContent()).toMatch(/^stderr/i);

    await page.getByRole('region', { name: 'Ready for review', exact: true }).getByRole('article', { name: `Task ${prompt}` }).waitFor({ timeout: 30_000 });
    const kept = page.locator('details').filter({ hasText: 'Finished (ready for review)' });
    await kept.locator('summary').click();
    const keptLog = kept.getByRole('log');
    await keptLog.getByText('end-1').waitFor();
    const text = (await keptLog.textContent()) ?? '';
    for (const line of ['out-1', 'err-1', 'end-1']) expect(text.split(line).length - 1, line).toBe(1);

    await page.goto(`/sessions/${sid}/tasks/${taskId}`);
    const taskLog = page.getByRole('log', { name: `Agent stream for ${prompt}` });
    await taskLog.getByText('end-1').waitFor();
    const body = (await page.locator('main').textContent()) ?? '';
    expect(body.split('out-1').length - 1).toBe(1);
    await context.close();
  });

  it('keeps text contrast at 4.5:1 or more in dark mode', async () => {
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo('dark'), title: 'Dark mode' })).body.id as string;
    const ids = await readyTasks(sid, ['echo dark > dark.txt']);
    const context = await browser.newContext({ baseURL: stack.url, colorScheme: 'dark', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto('/sign-in');
    await page.getByLabel('Access token').fill(await stack.token('dora', 'operator', { [sid]: 'operator' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/sessions');
    const failures: Record<string, ContrastFailure[]> = {};
    for (const url of ['/sessions', `/sessions/${sid}`, `/sessions/${sid}/tasks/${ids['echo dark > dark.txt']}`, `/sessions/${sid}/timeline`]) {
      await page.goto(url);
      await page.getByRole('heading').first().waitFor();
      await page.waitForTimeout(1000);
      const found = (await page.evaluate(CONTRAST_SCRIPT)) as ContrastFailure[];
      if (found.length) failures[url] = found;
    }
    expect(failures).toEqual({});
    await context.close();
  });
});
