// Issue 15 (CI statuses shown on tasks and checkpoints), in real Chromium against the real runtime.
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { addReadyTasks, signedInPage, useConsoleStack } from './helpers/browser.js';

describe('web console: CI statuses', () => {
  const suite = useConsoleStack();

  it('shows what CI reported on a task\'s commit on its card, and on the checkpoint once saved', async () => {
    const { stack, browser } = suite;
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo('ci'), title: 'CI' })).body.id as string;
    const [taskId] = await addReadyTasks(stack, sid, ['echo ci > ci.txt']);
    const commit = (await stack.admin('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body.commit as string;
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('vic', 'viewer', { [sid]: 'viewer' }));
    await page.goto(`/sessions/${sid}`);
    const card = page.getByRole('article', { name: 'Task echo ci > ci.txt' });
    await card.waitFor();
    expect(await card.getByLabel('CI statuses').count()).toBe(0);
    expect((await stack.admin('POST', `/api/sessions/${sid}/statuses`, { commit, context: 'ci/test', state: 'pending' })).status).toBe(201);
    await expect.poll(() => card.getByLabel('CI statuses').textContent()).toBe('ci/test: pending');
    expect((await stack.admin('POST', `/api/sessions/${sid}/statuses`, { commit, context: 'ci/test', state: 'success', url: 'https://ci.example/run/7' })).status).toBe(201);
    const link = card.getByRole('link', { name: 'ci/test: success' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('https://ci.example/run/7');

    // The checkpoint's commit gets its own statuses.
    expect((await stack.admin('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    const tag = await waitFor(async () => (await stack.admin('GET', `/api/sessions/${sid}`)).body.lastSave?.result?.tag ?? null, { what: 'the Save' });
    const checkpointCommit = (await stack.admin('GET', `/api/sessions/${sid}`)).body.lastSave.result.commit as string;
    expect((await stack.admin('POST', `/api/sessions/${sid}/statuses`, { commit: checkpointCommit, context: 'deploy/staging', state: 'failure' })).status).toBe(201);
    await page.goto(`/sessions/${sid}/timeline`);
    const row = page.getByRole('listitem', { name: tag });
    await expect.poll(() => row.getByLabel('CI statuses').textContent()).toBe('deploy/staging: failure');
    await context.close();
  });
});
