import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { apiClient } from './helpers/api.js';
import { ensureWebBuild, launchBrowser, signedInPage } from './helpers/browser.js';
import { makeRepo } from './helpers/git-repo.js';

const ADMIN = 'damaged-web-admin-token-0123456789abcdef';

/** A session whose log holds an entry it cannot apply, as a person meets it in the console. */
describe('web console: a quarantined session', () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;
  const start = async () => {
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: path.join(tmp, 'none.json') }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
  };

  beforeAll(async () => {
    ensureWebBuild();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-web-damaged-'));
    await start();
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('shows the damage on the board and in the list, read-only, while other sessions work', async () => {
    const api = () => apiClient(server.url, ADMIN);
    const damaged = (await api()('POST', '/api/sessions', { repoPath: makeRepo(path.join(tmp, 'broken')), title: 'Broken session' })).body.id as string;
    const healthy = (await api()('POST', '/api/sessions', { repoPath: makeRepo(path.join(tmp, 'fine')), title: 'Fine session' })).body.id as string;
    const bad = await server.context.log.appendOne({ kind: 'actor', actor: { kind: 'system', id: 'test' }, sessionId: damaged, type: 'TASK.ADD', data: { taskId: 'tbroken' } });
    await server.close();
    await start();

    const { context, page } = await signedInPage(browser, server.url, ADMIN);
    await page.getByRole('link', { name: /Broken session/ }).waitFor();
    await page.goto(`/sessions/${damaged}`);
    const banner = page.getByTestId('session-damaged');
    await banner.waitFor();
    expect(await banner.textContent()).toContain(`Log entry ${bad.seq} (TASK.ADD) cannot be applied`);
    await page.getByText('Damaged (read-only)').first().waitFor();
    // The healthy session's board is unaffected.
    await page.goto(`/sessions/${healthy}`);
    await page.getByRole('heading', { name: 'Fine session' }).waitFor();
    expect(await page.getByTestId('session-damaged').count()).toBe(0);
    await context.close();
  }, 120_000);
});
