import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, waitFor } from './helpers/api.js';
import { ADMIN_TOKEN, launchBrowser, signedInPage, startConsoleStack, type ConsoleStack } from './helpers/browser.js';

const LIVE = { timeout: 30_000, interval: 200 };

/**
 * Hand-written Hocuspocus auth frame (varString document, varUint Auth=2, varUint Token=0,
 * varString token), sent from the page on a bare WebSocket; resolves with the close code.
 * A string expression: the test project has no DOM types, the page has.
 */
const rawSocketCloseCode = (document: string, token: string) => `(() => new Promise((resolve) => {
  const enc = new TextEncoder();
  const varUint = (n) => { const out = []; while (n > 127) { out.push((n & 127) | 128); n = Math.floor(n / 128); } out.push(n); return out; };
  const varString = (s) => { const bytes = enc.encode(s); return [...varUint(bytes.length), ...bytes]; };
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/sync');
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => ws.send(new Uint8Array([...varString(${JSON.stringify(document)}), 2, 0, ...varString(${JSON.stringify(token)})]));
  ws.onclose = (event) => resolve(event.code);
  setTimeout(() => resolve(-1), 10000);
}))()`;

/** Identities the server vouches for, seen by another person in a real browser. */
describe('web console: the server decides who someone is', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let olga: Page;
  let rae: Page;
  let sessionId: string;
  let raeId: string;
  let taskId: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startConsoleStack(), launchBrowser()]);
    const created = await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo('identity'), title: 'Identity session' });
    sessionId = created.body.id as string;
    const task = await stack.admin('POST', `/api/sessions/${sessionId}/tasks`, { agent: 'command', prompt: 'echo hi > hi.txt' });
    taskId = task.body.id as string;
    await waitFor(async () => (await stack.admin('GET', `/api/sessions/${sessionId}/tasks/${taskId}`)).body.status === 'ready_for_review', { what: 'task ready' });
    const raeToken = await stack.token('rae', 'reviewer', { [sessionId]: 'reviewer' });
    raeId = (await stack.admin('GET', '/api/tokens')).body.tokens.find((token: { name: string }) => token.name === 'rae').id as string;
    olga = (await signedInPage(browser, stack.url, await stack.token('olga', 'operator', { [sessionId]: 'operator' }))).page;
    rae = (await signedInPage(browser, stack.url, raeToken)).page;
    // Rae's client claims to be the admin: the console reads who you are from this tab's storage,
    // so from here on it announces 'admin' in presence and writes 'admin' as the comment author.
    await rae.evaluate(`sessionStorage.setItem('thalogos.user', JSON.stringify({ name: 'admin', role: 'admin', tokenId: 'forged-admin-id' }))`);
    await Promise.all([olga.goto(`/sessions/${sessionId}/tasks/${taskId}`), rae.goto(`/sessions/${sessionId}/tasks/${taskId}`)]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('shows the reviewer under their own token name in presence, whatever their client claims', async () => {
    const people = olga.getByRole('list', { name: 'People here' });
    await people.getByRole('listitem', { name: /^rae, reviewer$/ }).waitFor(LIVE);
    expect(await people.getByRole('listitem', { name: /^admin/ }).count()).toBe(0);
    // Rae's own page, too, hears back the stamped identity for everyone but itself.
    await rae.getByRole('list', { name: 'People here' }).getByRole('listitem', { name: /^olga, operator$/ }).waitFor(LIVE);
  });

  it('shows the reviewer’s comment under their own token name', async () => {
    await rae.getByRole('region', { name: 'Diff of hi.txt' }).waitFor(LIVE);
    await rae.getByRole('button', { name: 'Comment on hi.txt line 1' }).click();
    await rae.getByLabel('Comment for hi.txt line 1').fill('Approved by the admin.');
    await rae.getByRole('button', { name: 'Add comment' }).click();
    const comments = olga.getByRole('group', { name: 'Comments on hi.txt line 1' });
    await expect.poll(() => comments.textContent(), LIVE).toContain('Approved by the admin.');
    const text = (await comments.textContent()) ?? '';
    expect(text).toContain('rae');
    expect(text.replace('Approved by the admin.', '')).not.toContain('admin');
    const stored = server().hocuspocus.documents.get(`session/${sessionId}/shared`)?.getMap('comments').toJSON() as Record<string, Array<{ userId: string; name: string }>>;
    expect(Object.values(stored).flat()).toEqual([expect.objectContaining({ userId: raeId, name: 'rae' })]);
  });

  it('refuses the socket of a token that is not a member, and the page says the session is not there', async () => {
    const ottoToken = await stack.token('otto', 'operator');
    const { context, page } = await signedInPage(browser, stack.url, ottoToken);
    expect(await page.evaluate(rawSocketCloseCode(`session/${sessionId}/shared`, ottoToken))).toBe(4403);
    // The same frame with a member's token is accepted (the socket stays open until the timeout).
    const olgaToken = (await olga.evaluate('sessionStorage.getItem("thalogos.token")')) as string;
    expect(await page.evaluate(rawSocketCloseCode(`session/${sessionId}/shared`, olgaToken))).toBe(-1);
    await page.goto(`/sessions/${sessionId}`);
    await expect.poll(() => page.getByRole('alert').textContent(), LIVE).toContain('SESSION_NOT_FOUND');
    await context.close();
  });

  it('an operator of the session manages its members on the Members tab', async () => {
    await olga.getByRole('link', { name: /^Members/ }).click();
    const list = olga.getByRole('list', { name: 'Members of this session' });
    await list.getByRole('listitem', { name: 'rae, reviewer' }).waitFor(LIVE);
    await olga.getByLabel('Role of rae').selectOption('viewer');
    await list.getByRole('listitem', { name: 'rae, viewer' }).waitFor(LIVE);
    // The change reached the runtime, and rae's live connection came back as a viewer.
    const members = (await stack.admin('GET', `/api/sessions/${sessionId}/members`)).body.members as Array<{ name: string; role: string }>;
    expect(members.find((member) => member.name === 'rae')?.role).toBe('viewer');
    await olga.getByRole('list', { name: 'People here' }).getByRole('listitem', { name: /^rae, viewer$/ }).waitFor(LIVE);
    await olga.getByRole('button', { name: 'Remove rae' }).click();
    await expect.poll(() => list.getByRole('listitem', { name: /^rae,/ }).count(), LIVE).toBe(0);
  });

  it('an admin mints a token with a membership on the Tokens page (secret shown once) and revokes it', async () => {
    const { context, page } = await signedInPage(browser, stack.url, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByLabel('Name').fill('nadia');
    await page.getByLabel('Role', { exact: true }).selectOption('reviewer');
    await page.getByLabel('Identity session').selectOption('reviewer');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByLabel('New token secret').textContent()) ?? '';
    expect(secret).toMatch(/^thg_/);
    await page.getByRole('list', { name: 'Tokens' }).getByRole('listitem', { name: 'nadia, reviewer' }).waitFor(LIVE);
    const nadia = (await signedInPage(browser, stack.url, secret)).page;
    await nadia.getByRole('link', { name: /Identity session/ }).waitFor(LIVE);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByLabel('New token secret').count()).toBe(0);
    await page.getByRole('button', { name: 'Revoke nadia' }).click();
    await page.getByRole('list', { name: 'Tokens' }).getByRole('listitem', { name: 'nadia, reviewer, revoked' }).waitFor(LIVE);
    expect((await apiClient(stack.url, secret)('GET', '/api/me')).status).toBe(401);
    await nadia.context().close();
    await context.close();
  });

  const server = () => stack.server.context.sync;
});
