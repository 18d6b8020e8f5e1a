// Issue 14 item 4, in real Chromium against the real runtime: a Save shows its stages, the gate it
// runs and that gate's output while it runs; when the gate fails, each gate's output and the task
// whose change broke it are shown on the board and the timeline (and the API result carries them).
import { describe, expect, it } from 'vitest';
import { addReadyTasks, signedInPage, useConsoleStack } from './helpers/browser.js';

// The gate prints a line at once; on a tree with a "broken" file it waits 4 s, then fails. Only
// the full candidate is slow: the blame re-run on main plus the first task is quick.
const CHECK = `const fs = require('fs');
console.log('checking the text files');
const broken = fs.readdirSync('.').filter((f) => f.endsWith('.txt') && fs.readFileSync(f, 'utf8').includes('broken'));
if (broken.length > 0) setTimeout(() => { console.error('broken in ' + broken.join(', ')); process.exit(1); }, 4000);
`;

describe('web console: a Save with gates', () => {
  const suite = useConsoleStack();

  it('streams the running gate, then shows its output and the task that broke it', async () => {
    const { stack, browser } = suite;
    const repo = stack.newRepo('gates', { 'check.js': CHECK, '.thalogos.json': JSON.stringify({ gates: ['node check.js'] }) });
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Gates' })).body.id as string;
    const ids = await addReadyTasks(stack, sid, ['echo fine > one.txt', 'echo broken > two.txt']);

    const { context, page } = await signedInPage(browser, stack.url, await stack.token('olga', 'operator', { [sid]: 'operator' }));
    await page.goto(`/sessions/${sid}`);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    // While the gate runs: its place among the gates and its first line, before it has ended.
    const running = page.getByLabel('Gate running');
    await expect.poll(() => running.textContent(), { timeout: 20_000 }).toContain('Gate 1 of 1: node check.js');
    await expect.poll(() => page.getByLabel('Gate output').textContent(), { timeout: 20_000 }).toContain('checking the text files');
    expect((await stack.admin('GET', `/api/sessions/${sid}`)).body.pendingSave).toMatchObject({ phase: 'gating', gate: { index: 0, total: 1, command: 'node check.js' } });

    // After: the failed gate's output and the blamed task, on the board.
    const status = page.getByRole('status', { name: 'Save status' });
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toContain('Save stopped by a gate');
    const blame = status.getByLabel('Which change broke the gate');
    expect(await blame.textContent()).toContain(`Broken by task ${ids[1]} “echo broken > two.txt”`);
    const output = status.getByLabel('Output of node check.js');
    expect(await output.isVisible()).toBe(true);
    expect(await output.textContent()).toContain('broken in two.txt');
    expect(await status.textContent()).toContain('exited 1');

    // The API result says the same, and main did not move.
    const last = (await stack.admin('GET', `/api/sessions/${sid}`)).body.lastSave.result;
    expect(last).toMatchObject({ status: 'gates_failed', blame: { status: 'task', taskId: ids[1], gate: 'node check.js', runs: 1 } });

    // The timeline's entry for the Save carries the blame and the output too.
    await page.goto(`/sessions/${sid}/timeline`);
    const timeline = page.getByRole('list', { name: 'Timeline events' });
    await expect.poll(() => timeline.getByLabel('Which change broke the gate').textContent()).toContain(`Broken by task ${ids[1]}`);
    await timeline.getByText('node check.js', { exact: true }).click();
    expect(await timeline.getByLabel('Output of node check.js').textContent()).toContain('broken in two.txt');
    await context.close();
  });
});
