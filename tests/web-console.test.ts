import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, signedInPage, startConsoleStack, type ConsoleStack } from './helpers/browser.js';

describe('web console: sign-in and sessions in real Chromium against the real runtime', () => {
  let stack: ConsoleStack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startConsoleStack(), launchBrowser()]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('refuses a wrong token with its code, then signs in and lists sessions', async () => {
    const repo = stack.newRepo('listed');
    const created = await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Listed session' });
    expect(created.status).toBe(201);
    const context = await browser.newContext({ baseURL: stack.url });
    const page = await context.newPage();
    await page.goto('/sessions');
    await page.waitForURL('**/sign-in**'); // no token yet: sent to sign in
    await page.getByLabel('Access token').fill('thg_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('UNAUTHENTICATED');
    await page.getByLabel('Access token').fill(await stack.token('olivia', 'operator'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/sessions');
    await page.getByRole('link', { name: /Listed session/ }).waitFor();
    await context.close();
  });

  it('creates a session from the form, and shows refusals with their codes', async () => {
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('oscar', 'operator'));
    await page.getByLabel('Repository path').fill(`${stack.repoRoot}/missing`);
    await page.getByLabel('Title').fill('Nope');
    await page.getByRole('button', { name: 'Create session' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('NOT_A_REPOSITORY');

    const repo = stack.newRepo('fresh');
    await page.getByLabel('Repository path').fill(repo);
    await page.getByLabel('Title').fill('Fresh session');
    await page.getByRole('button', { name: 'Create session' }).click();
    await page.waitForURL(/\/sessions\/[^/]+$/);
    await page.getByRole('heading', { name: 'Fresh session' }).waitFor();
    await context.close();
  });

  it('keeps viewers from creating sessions', async () => {
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('vera', 'viewer'));
    await expect.poll(() => page.getByRole('button', { name: 'Create session' }).isDisabled()).toBe(true);
    await page.getByText('Creating a session needs the operator role').waitFor();
    await context.close();
  });

  it('falls back to polling the API when the sync socket is unreachable, and still updates live', async () => {
    const repo = stack.newRepo('polled');
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Polled session' })).body.id as string;
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('paula', 'operator'));
    // Every WebSocket to /sync is refused, as behind a proxy that does not pass upgrades.
    await context.routeWebSocket(/\/sync/, (ws) => ws.close({ code: 1011, reason: 'blocked by test' }));
    await page.goto(`/sessions/${sid}`);
    await expect.poll(() => page.getByLabel(/^Connection:/).getAttribute('aria-label'), { timeout: 15_000 }).toContain('refreshing every second');
    const added = await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo polled > p.txt' });
    expect(added.status).toBe(202);
    await page.getByRole('region', { name: 'Ready for review', exact: true }).getByRole('article', { name: 'Task echo polled > p.txt' }).waitFor({ timeout: 30_000 });
    // Collaboration needs the socket: the console says so instead of pretending.
    await page.getByRole('region', { name: 'Chat' }).getByText('Live collaboration is connecting').waitFor();
    await context.close();
  });
});
