// Issue 14, item 12: the conflict view in real Chromium against the real runtime. Each hunk offers
// Ours / Theirs / Both / Edit with a preview of what will be applied; the words that differ between
// the sides are marked; three narrow columns wrap instead of scrolling sideways at 1024px; and what
// a person chose is exactly what the next Save publishes on main, as native git reads it.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { signedInPage, useConsoleStack } from './helpers/browser.js';
import { CONTRAST_SCRIPT, type ContrastFailure } from './helpers/contrast.js';

const LIVE = { timeout: 20_000 };
const git = (repo: string, ...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });

describe('web console: the conflict view', () => {
  const suite = useConsoleStack();

  it('one hunk takes Both, another an edited text; marks, preview, no sideways scroll at 1024px; main holds exactly the choice after Save', async () => {
    const { stack, browser } = suite;
    const long = 'x'.repeat(160);
    const line = (word: string) => `const greeting = '${word} ${long}';`;
    const base = ['alpha', line('hello'), 'gamma', 'delta', 'epsilon', 'six', 'seven'];
    const version = (word: string, six: string) => [base[0], line(word), ...base.slice(2, 5), six, base[6]].map((l) => `${l}\\n`).join('');
    const repo = stack.newRepo('conflict-view', { 'c.txt': `${base.join('\n')}\n` });
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Conflict view' })).body.id as string;
    for (const [word, six] of [['hi', 'six from first'], ['howdy', 'six from second']] as const) {
      expect((await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: `printf "${version(word, six)}" > c.txt` })).status).toBe(202);
      await waitFor(async () => (await stack.admin('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'tasks ready' });
    }
    await stack.admin('POST', `/api/sessions/${sid}/save`, {});
    const report = await waitFor(async () => {
      const result = (await stack.admin('GET', `/api/sessions/${sid}`)).body.lastSave?.result;
      return result?.status === 'conflict' ? result.report : null;
    }, { what: 'the conflict' });
    expect(report.files[0].hunks.length).toBe(2);

    const { context, page } = await signedInPage(browser, stack.url, await stack.token('otto', 'operator', { [sid]: 'operator' }), { width: 1024, height: 900 });
    await page.goto(`/sessions/${sid}/conflict`);
    const ours = page.getByLabel('integration (ours)', { exact: true });
    const theirs = page.getByLabel('task (theirs)', { exact: true });
    await ours.first().waitFor(LIVE);
    // Word-level marks: only the words the two sides disagree on.
    expect(await ours.first().locator('mark').allTextContents()).toEqual(['hi']);
    expect(await theirs.first().locator('mark').allTextContents()).toEqual(['howdy']);
    expect(await ours.nth(1).locator('mark').allTextContents()).toEqual(['first']);
    expect(await theirs.nth(1).locator('mark').allTextContents()).toEqual(['second']);

    const apply = page.getByRole('button', { name: 'Apply resolutions' });
    expect(await apply.isDisabled()).toBe(true);
    for (const hunk of [1, 2]) {
      for (const name of [`Ours: keep integration side for c.txt hunk ${hunk}`, `Theirs: take task side for c.txt hunk ${hunk}`, `Both: keep both sides, ours first, for c.txt hunk ${hunk}`, `Edit: write c.txt hunk ${hunk} by hand`]) {
        expect(await page.getByRole('radio', { name, exact: true }).count(), name).toBe(1);
      }
    }
    await page.getByRole('radio', { name: 'Both: keep both sides, ours first, for c.txt hunk 1' }).check();
    const preview1 = page.getByLabel('Result for c.txt hunk 1', { exact: true });
    expect(await preview1.locator('span').allTextContents()).toEqual([line('hi'), line('howdy')]);

    await page.getByRole('radio', { name: 'Edit: write c.txt hunk 2 by hand' }).check();
    const editor = page.getByLabel('Text for c.txt hunk 2', { exact: false });
    // The editor starts from both sides, ours first.
    expect(await editor.inputValue()).toBe('six from first\nsix from second');
    await editor.fill('six, written by hand\nand a line of its own');
    const preview2 = page.getByLabel('Result for c.txt hunk 2', { exact: true });
    await expect.poll(() => preview2.locator('span').allTextContents()).toEqual(['six, written by hand', 'and a line of its own']);

    // Three narrow columns at 1024px: long lines wrap; neither a column nor the page scrolls sideways.
    const overflowing = await page.evaluate('[...document.querySelectorAll("pre, textarea")].filter((el) => el.scrollWidth > el.clientWidth + 1).length');
    expect(overflowing).toBe(0);
    // The failure names the widest elements that stick out, to find the culprit.
    const pageWidth = (await page.evaluate(`(() => {
      const root = document.scrollingElement;
      const out = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right > root.clientWidth + 1));
      return { scroll: root.scrollWidth, client: root.clientWidth, culprits: out.slice(0, 5).map((el) => el.tagName + '.' + String(el.className).slice(0, 120) + ' ' + Math.round(el.getBoundingClientRect().right)) };
    })()`)) as { scroll: number; client: number; culprits: string[] };
    expect(pageWidth.client).toBeLessThanOrEqual(1024);
    expect(pageWidth.scroll, JSON.stringify(pageWidth)).toBeLessThanOrEqual(pageWidth.client);

    // The marks, the preview and the editor keep text contrast at 4.5:1 or more, light and dark.
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.waitForTimeout(300);
      expect((await page.evaluate(CONTRAST_SCRIPT)) as ContrastFailure[], colorScheme).toEqual([]);
    }

    expect(await apply.isDisabled()).toBe(false);
    await apply.click();
    await page.getByRole('status', { name: 'Conflict resolved' }).waitFor(LIVE);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByRole('status', { name: 'Save status' }).textContent(), LIVE).toMatch(/Published\s*checkpoint\//);

    const expected = ['alpha', line('hi'), line('howdy'), 'gamma', 'delta', 'epsilon', 'six, written by hand', 'and a line of its own', 'seven'].map((l) => `${l}\n`).join('');
    expect(git(repo, 'cat-file', 'blob', 'main:c.txt')).toBe(expected);
    git(repo, 'fsck', '--strict', '--no-progress');
    await context.close();
  }, 120_000);

  it('a conflict without hunks (modify/delete) offers only Ours / Theirs for the whole file, and is resolved from the browser', async () => {
    const { stack, browser } = suite;
    const repo = stack.newRepo('conflict-whole', { 'gone.txt': 'keep me\n' });
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Whole file' })).body.id as string;
    for (const prompt of ['rm gone.txt', "printf 'changed\\n' > gone.txt"]) {
      expect((await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt })).status).toBe(202);
      await waitFor(async () => (await stack.admin('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'tasks ready' });
    }
    await stack.admin('POST', `/api/sessions/${sid}/save`, {});
    const report = await waitFor(async () => {
      const result = (await stack.admin('GET', `/api/sessions/${sid}`)).body.lastSave?.result;
      return result?.status === 'conflict' ? result.report : null;
    }, { what: 'the conflict' });
    expect(report.files.map((file: { path: string; kind: string }) => [file.path, file.kind])).toEqual([['gone.txt', 'modify_delete']]);

    const { context, page } = await signedInPage(browser, stack.url, await stack.token('rosa', 'reviewer', { [sid]: 'reviewer' }), { width: 1024, height: 900 });
    await page.goto(`/sessions/${sid}/conflict`);
    const group = page.getByRole('group', { name: 'Resolution for gone.txt (whole file)' });
    await group.waitFor(LIVE);
    expect(await group.getByRole('radio').count()).toBe(2);
    expect(await group.getByRole('radio', { name: /^(Both|Edit)/ }).count()).toBe(0);
    await group.getByRole('radio', { name: 'Theirs: take task side for gone.txt (whole file)' }).check();
    await page.getByRole('button', { name: 'Apply resolutions' }).click();
    await page.getByRole('status', { name: 'Conflict resolved' }).waitFor(LIVE);
    const branch = `session/${sid}/task/${report.taskId}`;
    expect(git(repo, 'rev-parse', `${branch}^2`).trim()).toBe(report.ours);
    expect(git(repo, 'cat-file', 'blob', `${branch}:gone.txt`)).toBe('changed\n');
    git(repo, 'fsck', '--strict', '--no-progress');
    await context.close();
  }, 120_000);
});
