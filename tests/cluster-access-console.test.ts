// Cluster mode in a real browser: a viewer signed in on node B opens the Cluster page (both nodes
// alive, the session under the node that owns it) and the board of a session node A runs, whose
// API reads are forwarded and whose live documents come through B's /sync from Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ensureWebBuild, launchBrowser, signedInPage } from './helpers/browser.js';
import { TestCluster } from './helpers/cluster-nodes.js';

const LIVE = { timeout: 30_000, interval: 200 };
let cluster: TestCluster;
let browser: Browser;
let sessionId = '';
let viewer = '';

beforeAll(async () => {
  ensureWebBuild();
  [cluster, browser] = await Promise.all([TestCluster.create({ leaseMs: 10_000 }), launchBrowser()]);
  await cluster.start('a');
  await cluster.start('b');
  const created = await cluster.api('a')('POST', '/api/sessions', { title: 'Placed on A', repoPath: cluster.newRepo('console') });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  sessionId = created.body.id;
  const minted = await cluster.api('a')('POST', '/api/tokens', { name: 'vera', role: 'viewer', sessions: [{ id: sessionId, role: 'viewer' }] });
  expect(minted.status, JSON.stringify(minted.body)).toBe(201);
  viewer = minted.body.token;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.dispose();
}, 60_000);

describe('console: the Cluster page and a session on another node', () => {
  it('shows the nodes and who owns the session, to a viewer on the other node', async () => {
    const { page, context } = await signedInPage(browser, cluster.url('b'), viewer);
    await page.getByRole('link', { name: 'Cluster' }).click();
    await page.waitForURL('**/cluster');
    const nodes = page.getByRole('list', { name: 'Nodes' });
    await expect.poll(async () => nodes.getByRole('listitem').filter({ hasText: 'alive' }).count(), LIVE).toBeGreaterThanOrEqual(2);
    await expect.poll(async () => page.getByRole('list', { name: 'Sessions on a' }).getByRole('link', { name: sessionId }).count(), LIVE).toBe(1);
    expect(await page.getByText('answered by node b').count()).toBe(1);
    // The session's board, served by B for a session A runs.
    await page.getByRole('link', { name: sessionId }).click();
    await page.waitForURL(`**/sessions/${sessionId}`);
    await expect.poll(async () => page.getByText('Placed on A').count(), LIVE).toBeGreaterThan(0);
    await context.close();
  }, 120_000);
});
