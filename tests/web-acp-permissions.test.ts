// Issue 13 in real Chromium against the real runtime and a real ACP agent (codex-acp against the
// scripted model server): the agent's permission request appears to both people on the session,
// the operator messages the agent from the task page, and the reviewer allows the request from
// her own browser; native git sees the change, the timeline says who allowed it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codexSetup, type CliSetup } from './fake-model/cli-setup.js';
import { startFakeModel, type FakeModelServer } from './fake-model/server.js';
import { waitFor } from './helpers/api.js';
import { signedInPage, useConsoleStack } from './helpers/browser.js';
import { git } from './helpers/git-repo.js';

let model: FakeModelServer | null = null;
let setup: CliSetup | null = null;
// Registered before the stack's: the scripted model is up before the server starts, and is closed
// after it (and its agent runs) closed.
beforeAll(async () => {
  model = await startFakeModel({ turns: [
    { kind: 'shell', command: 'echo "written by codex-acp" > acp.txt' },
    { kind: 'text', text: 'Wrote acp.txt.' },
  ] });
  setup = await codexSetup(model.url, 120_000);
});
afterAll(async () => {
  await model?.close();
  await setup?.cleanup();
});

describe('web console: steering a live ACP agent', () => {
  const suite = useConsoleStack(async () => ({
    config: { adapters: { order: ['codex-acp'], permissionTimeoutMs: 180_000, adapters: { 'codex-acp': { enabled: true, ...setup!.config } } } },
  }));

  it('both people see the request; the operator messages the agent; the reviewer allows it from her browser', async () => {
    const { stack, browser } = suite;
    const repo = stack.newRepo('acp');
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'ACP steering' })).body.id as string;
    const otto = await signedInPage(browser, stack.url, await stack.token('otto', 'operator', { [sid]: 'operator' }));
    const rosa = await signedInPage(browser, stack.url, await stack.token('rosa', 'reviewer', { [sid]: 'reviewer' }));
    const taskId = (await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'codex-acp', prompt: 'Write acp.txt.' })).body.id as string;

    await otto.page.goto(`/sessions/${sid}/tasks/${taskId}`);
    await rosa.page.goto(`/sessions/${sid}`);
    const request = (page: typeof otto.page) => page.getByRole('region', { name: 'Agent permission requests' }).getByTestId('permission-request');
    await request(otto.page).first().waitFor({ timeout: 120_000 });
    await request(rosa.page).first().waitFor({ timeout: 30_000 });
    expect(await request(rosa.page).first().textContent()).toContain('acp.txt');

    // While the agent waits, the operator writes to it from the task page.
    await otto.page.getByLabel('Message the agent').fill('STEER-MARK-5150 then say goodbye');
    await otto.page.getByRole('button', { name: 'Send' }).click();
    await otto.page.getByRole('status').filter({ hasText: 'Sent:' }).waitFor({ timeout: 30_000 });

    await request(rosa.page).first().locator('[data-option-kind="allow_once"]').click();
    // Gone for both once answered.
    await expect.poll(() => request(otto.page).count(), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => request(rosa.page).count(), { timeout: 30_000 }).toBe(0);

    const task = await waitFor(async () => {
      const t = (await stack.admin('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body as { status: string; branch: string | null };
      return ['ready_for_review', 'failed'].includes(t.status) ? t : null;
    }, { what: 'the task finished', timeoutMs: 120_000, intervalMs: 250 });
    expect(task.status).toBe('ready_for_review');
    expect(git(repo, 'show', `${task.branch}:acp.txt`)).toBe('written by codex-acp');
    expect(model!.modelRequests().some((r) => JSON.stringify(r.body).includes('STEER-MARK-5150'))).toBe(true);

    await otto.page.goto(`/sessions/${sid}/timeline`);
    const events = otto.page.getByRole('list', { name: 'Timeline events' });
    await expect.poll(() => events.textContent(), { timeout: 30_000 }).toContain('Permission allowed');
    expect(await events.textContent()).toContain('by rosa');
    expect(await events.textContent()).toContain('Message to the agent by otto');
    await otto.context.close();
    await rosa.context.close();
  }, 300_000);
});
