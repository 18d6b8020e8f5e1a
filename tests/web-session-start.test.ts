import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { apiClient, waitFor } from './helpers/api.js';
import { ensureWebBuild, launchBrowser, signedInPage } from './helpers/browser.js';
import { git, makeRepo } from './helpers/git-repo.js';

const ADMIN = 'session-start-web-admin-token-0123456789abcdef';

/** The first Save of a session rolled back from the console, to the checkpoint taken at session start. */
describe('web console: the session-start checkpoint', () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    ensureWebBuild();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-web-start-'));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: path.join(tmp, 'none.json') }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('shows "session start" on the timeline and rolls the first Save back to it', async () => {
    const api = apiClient(server.url, ADMIN);
    const repo = makeRepo(path.join(tmp, 'repo'));
    const before = git(repo, 'rev-parse', 'main');
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'First save' })).body.id as string;
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo first > first.txt' });
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks[0]?.status === 'ready_for_review', { what: 'the task' });
    await api('POST', `/api/sessions/${sid}/save`, {});
    await waitFor(async () => ((await api('GET', `/api/sessions/${sid}`)).body.checkpoints.length === 1 ? true : null), { what: 'the first Save' });
    const listed = (await api('GET', `/api/sessions/${sid}/checkpoints`)).body.checkpoints as Array<{ tag: string; sessionStart: string | null }>;
    const startTag = listed.find((c) => c.sessionStart === sid)?.tag as string;
    expect(git(repo, 'rev-parse', `${startTag}^{commit}`)).toBe(before);

    const { context, page } = await signedInPage(browser, server.url, ADMIN);
    await page.goto(`/sessions/${sid}/timeline`);
    const row = page.getByRole('listitem', { name: startTag });
    await row.getByText('session start').waitFor();
    expect(await page.getByText('session start').count()).toBe(1);
    await row.getByRole('button', { name: `Roll back to ${startTag}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm rollback' }).click();
    await waitFor(async () => (git(repo, 'rev-parse', 'main^{tree}') === git(repo, 'rev-parse', `${before}^{tree}`) ? true : null), { what: 'main restored to the session start' });
    expect(git(repo, 'ls-tree', '--name-only', 'main')).not.toContain('first.txt');
    await page.getByRole('status', { name: 'Rollback status' }).getByText(/Rolled back/).waitFor();
    await context.close();
  }, 120_000);
});
