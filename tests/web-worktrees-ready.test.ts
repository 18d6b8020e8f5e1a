// Issue 17 in real Chromium against the real runtime: a person saves one finished task from its
// card while the other stays ready; the task page shows where its worktree is; a task's dev server
// opens from its card through the runtime; a task's setup output shows on its page.
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { addReadyTasks, signedInPage, useConsoleStack } from './helpers/browser.js';
import { git } from './helpers/git-repo.js';

describe('web console: worktrees ready to work', () => {
  const suite = useConsoleStack();

  it('"Save this task" publishes that task alone; the task page shows its worktree', async () => {
    const { stack, browser } = suite;
    const repo = stack.newRepo('chosen');
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Chosen' })).body.id as string;
    const ids = await addReadyTasks(stack, sid, ['echo one > one.txt', 'echo two > two.txt']);

    const { context, page } = await signedInPage(browser, stack.url, await stack.token('olga', 'operator', { [sid]: 'operator' }));
    await page.goto(`/sessions/${sid}/tasks/${ids[0]}`);
    const worktree = page.getByLabel('Worktree');
    const shown = (await worktree.locator('code').textContent()) ?? '';
    expect(shown).toBe((await stack.admin('GET', `/api/sessions/${sid}/tasks/${ids[0]}`)).body.worktreePath);
    expect(await worktree.getByRole('link', { name: 'Open in VS Code' }).getAttribute('href')).toBe(`vscode://file${shown}`);

    await page.goto(`/sessions/${sid}`);
    await page.getByRole('button', { name: 'Save task echo two > two.txt alone' }).click();
    const status = page.getByRole('status', { name: 'Save status' });
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toContain('Published');
    const view = (await stack.admin('GET', `/api/sessions/${sid}`)).body;
    expect(view.lastSave.result).toMatchObject({ status: 'published', mergedTaskIds: [ids[1]] });
    expect(view.tasks.map((t: { status: string }) => t.status)).toEqual(['ready_for_review', 'merged']);
    expect(git(repo, 'ls-tree', '--name-only', 'main')).toContain('two.txt');
    expect(git(repo, 'ls-tree', '--name-only', 'main')).not.toContain('one.txt');
    // The task still ready keeps its button; the merged one has none.
    await page.getByRole('button', { name: 'Save task echo one > one.txt alone' }).waitFor();
    expect(await page.getByRole('button', { name: 'Save task echo two > two.txt alone' }).count()).toBe(0);
    await context.close();
  });

  it('a running task that serves on its port shows "Open preview", which opens its pages through the runtime', async () => {
    const { stack, browser } = suite;
    const repo = stack.newRepo('site', { 'index.html': '<h1>hello preview</h1>\n' });
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Site' })).body.id as string;
    const serve = 'PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3; exec "$PY" -m http.server "$PORT" --bind 127.0.0.1';
    const taskId = (await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: serve })).body.id as string;
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('vera', 'viewer', { [sid]: 'viewer' }));
    await page.goto(`/sessions/${sid}`);
    const open = page.getByRole('button', { name: `Open the preview of task ${serve}` });
    await open.waitFor({ timeout: 30_000 });
    const [preview] = await Promise.all([context.waitForEvent('page'), open.click()]);
    await preview.waitForLoadState();
    // http.server answers the directory with its index.html.
    await preview.getByRole('heading', { name: 'hello preview' }).waitFor();
    expect(new URL(preview.url()).pathname).toMatch(new RegExp(`^/preview/${sid}/${taskId}/[^/]+/$`));
    await stack.admin('POST', `/api/sessions/${sid}/tasks/${taskId}/cancel`, {});
    await open.waitFor({ state: 'detached', timeout: 30_000 });
    await context.close();
  });

  it('shows a task\'s setup output on its page, and a failed setup\'s output with its code', async () => {
    const { stack, browser } = suite;
    const repo = stack.newRepo('setup', { '.thalogos.json': JSON.stringify({ setup: ['echo installing the tools', 'echo no such tool >&2; exit 4'] }) });
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Setup' })).body.id as string;
    const taskId = (await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'true' })).body.id as string;
    await waitFor(async () => ((await stack.admin('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body.status === 'failed' ? true : null), { what: 'the setup to fail' });
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('vera2', 'viewer', { [sid]: 'viewer' }));
    await page.goto(`/sessions/${sid}/tasks/${taskId}`);
    const output = page.getByLabel('Setup output');
    await expect.poll(() => output.textContent()).toContain('installing the tools');
    expect(await output.textContent()).toContain('no such tool');
    expect(await output.isVisible()).toBe(true);
    await page.getByText('SETUP_FAILED').first().waitFor();
    await context.close();
  });
});
