import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { waitFor } from './helpers/api.js';
import { focused, launchBrowser, signedInPage, startConsoleStack, type ConsoleStack } from './helpers/browser.js';

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
    await page.getByLabel('Access token').fill(await stack.token('olivia', 'operator', { [created.body.id]: 'operator' }));
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
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('paula', 'operator', { [sid]: 'operator' }));
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
  it('a newcomer without a signed-in coding agent is steered to `command`; focus stays in the goal box; failures are short and retryable', async () => {
    const agents = (await stack.admin('GET', '/api/agents')).body.agents as Array<{ id: string; status: string }>;
    const modelReady = agents.some((agent) => agent.id !== 'command' && agent.status === 'available');
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo('newcomer'), title: 'Newcomer session' })).body.id as string;
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('nina', 'operator', { [sid]: 'operator' }));
    await page.goto(`/sessions/${sid}`);
    const goal = page.getByLabel('Goal', { exact: true });
    const agent = page.getByLabel('Agent', { exact: true });
    if (modelReady) {
      expect(await agent.inputValue()).toBe('');
      await agent.selectOption('command');
    } else {
      // Told before submitting, and `command` is already chosen. (The poll's 1 s starts once the
      // board is there: loading the page took about that long on a busy machine.)
      await agent.waitFor();
      await expect.poll(() => agent.inputValue()).toBe('command');
      await page.getByText(/No coding agent is signed in here/).waitFor();
      expect(await goal.getAttribute('placeholder')).toContain('echo hi > hi.txt');
    }
    await goal.fill('echo hi > hi.txt');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.getByRole('status').filter({ hasText: 'Task started: echo hi > hi.txt' }).waitFor();
    // Focus did not fall to <body> when the form reset.
    expect((await focused(page)).id).toBe('goal');
    await page.getByRole('region', { name: 'Ready for review', exact: true }).getByRole('article', { name: 'Task echo hi > hi.txt' }).waitFor({ timeout: 30_000 });

    if (!modelReady) {
      // The router has nothing to route to: refused at once with what to do, and no task is made.
      const before = (await stack.admin('GET', `/api/sessions/${sid}`)).body.tasks.length as number;
      await agent.selectOption('');
      await page.getByText('No coding agent is signed in here; pick').waitFor();
      await goal.fill('add a greeting');
      await page.getByRole('button', { name: 'Start task' }).click();
      const refusal = page.getByRole('alert').filter({ hasText: 'AGENT_UNAVAILABLE' });
      await refusal.waitFor();
      expect(await refusal.textContent()).toContain('pick "command" in the Agent list');
      expect((await stack.admin('GET', `/api/sessions/${sid}`)).body.tasks.length).toBe(before);
    }

    // A failed task: the card shows the code, the long message behind Details, and Retry.
    await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'exit 3' });
    const failed = page.getByRole('region', { name: 'Failed or closed', exact: true }).getByRole('article', { name: 'Task exit 3' }).first();
    await failed.waitFor({ timeout: 30_000 });
    const details = failed.locator('details');
    expect(await details.getAttribute('open')).toBeNull();
    expect(await failed.locator('code').first().textContent()).toMatch(/^[A-Z_]+$/);
    // Retry re-submits the same goal as a new task; focus stays on Retry.
    const before = (await stack.admin('GET', `/api/sessions/${sid}`)).body.tasks.length as number;
    await failed.getByRole('button', { name: 'Retry task exit 3' }).click();
    await failed.getByRole('status').filter({ hasText: 'Started again as a new task' }).waitFor();
    const tasks = (await stack.admin('GET', `/api/sessions/${sid}`)).body.tasks as Array<{ prompt: string }>;
    expect(tasks.length).toBe(before + 1);
    expect(tasks.at(-1)?.prompt).toBe('exit 3');
    expect(await focused(page).then((f) => f.label)).toBe('Retry task exit 3');
    await context.close();
  });

  it('shows each agent stream line once on a direct page load (the first poll does not double the synced streams)', async () => {
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo('streams'), title: 'Streams session' })).body.id as string;
    const prompt = 'for i in 1 2 3; do echo "step $i"; done > steps.txt';
    const task = (await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt })).body as { id: string };
    const done = await waitFor(async () => {
      const view = (await stack.admin('GET', `/api/sessions/${sid}`)).body as { tasks: Array<{ id: string; status: string; runs: Array<{ runId: string }> }> };
      const found = view.tasks.find((candidate) => candidate.id === task.id);
      return found?.status === 'ready_for_review' ? found : null;
    }, { what: 'task ready for review' });
    const runId = done.runs.at(-1)?.runId ?? '';
    const events = (await stack.admin('GET', `/api/sessions/${sid}/events?after=0&limit=1000`)).body.events as Array<{ type: string; data: { runId?: string } }>;
    const expected = events.filter((entry) => entry.type === 'AGENT.EVENT' && entry.data.runId === runId).length;
    expect(expected).toBeGreaterThan(0);

    const { context, page } = await signedInPage(browser, stack.url, await stack.token('sam', 'viewer', { [sid]: 'viewer' }));
    for (let load = 0; load < 3; load += 1) {
      await page.goto(`/sessions/${sid}/tasks/${task.id}`);
      await expect.poll(() => page.getByLabel(/^Connection:/).getAttribute('aria-label'), { timeout: 15_000 }).toContain('live documents');
      const log = page.getByRole('log', { name: `Agent stream for ${prompt}` });
      await expect.poll(() => log.getByRole('listitem').count()).toBe(expected);
      // Any poll that was in flight when the documents synced has landed by now, and was dropped.
      await page.waitForTimeout(1500);
      expect(await log.getByRole('listitem').count()).toBe(expected);
    }
    await context.close();
  });

  it('a revoked token sends the person to sign in and comes back; an unknown session stops polling and offers the way back', async () => {
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo('revoked'), title: 'Revoked session' })).body.id as string;
    const minted = (await stack.admin('POST', '/api/tokens', { name: 'rex', role: 'operator', sessions: [{ id: sid, role: 'operator' }] })).body as { token: string; id: string };
    const { context, page } = await signedInPage(browser, stack.url, minted.token);
    await page.goto(`/sessions/${sid}/timeline`);
    await page.getByRole('heading', { name: 'Revoked session' }).waitFor();
    expect((await stack.admin('POST', `/api/tokens/${minted.id}/revoke`, {})).status).toBe(200);
    // The next poll or refresh is refused: the token is dropped and the page asks for a new one.
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') === `/sessions/${sid}/timeline`, { timeout: 15_000 });
    expect(await page.evaluate('sessionStorage.getItem("thalogos.token")')).toBeNull();
    await page.getByText('no longer accepts the token').waitFor();
    await page.getByLabel('Access token').fill(await stack.token('rex2', 'operator', { [sid]: 'operator' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`**/sessions/${sid}/timeline`);

    let sessionRequests = 0;
    page.on('request', (request) => {
      if (request.url().includes('/api/sessions/no-such-session')) sessionRequests += 1;
    });
    await page.goto('/sessions/no-such-session');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toContain('SESSION_NOT_FOUND');
    await alert.getByRole('link', { name: 'Back to sessions' }).waitFor();
    const seen = sessionRequests;
    await page.waitForTimeout(2500); // two and a half poll intervals
    expect(sessionRequests).toBe(seen);
    await alert.getByRole('link', { name: 'Back to sessions' }).click();
    await page.waitForURL('**/sessions');
    await context.close();
  });
});
