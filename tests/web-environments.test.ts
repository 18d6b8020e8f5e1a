// Issue 15 in real Chromium against the real runtime: one lane per environment with the checkpoint
// its release/ branch holds; an operator promotes along the lanes, a promotion to prod waits for a
// reviewer's approval (the author gets no Approve button), and native git sees release/* move.
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { addReadyTasks, signedInPage, useConsoleStack } from './helpers/browser.js';
import { git } from './helpers/git-repo.js';

const CONFIG = { environments: [{ name: 'dev' }, { name: 'staging', gates: ['test -f one.txt'] }, { name: 'prod', approvals: { count: 1, role: 'reviewer' } }] };

describe('web console: environment lanes', () => {
  const suite = useConsoleStack();

  it('promotes a checkpoint lane by lane; prod waits for a reviewer, who approves it', async () => {
    const { stack, browser } = suite;
    const repo = stack.newRepo('lanes', { '.thalogos.json': JSON.stringify(CONFIG) });
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Lanes' })).body.id as string;
    await addReadyTasks(stack, sid, ['echo one > one.txt']);
    await stack.admin('POST', `/api/sessions/${sid}/save`, {});
    const saved = await waitFor(async () => {
      const result = (await stack.admin('GET', `/api/sessions/${sid}`)).body.lastSave?.result;
      return result?.status === 'published' ? result : null;
    }, { what: 'the Save' });
    const releaseOf = (env: string) => git(repo, 'for-each-ref', '--format=%(objectname)', `refs/heads/release/${env}`);

    const { context, page } = await signedInPage(browser, stack.url, await stack.token('otto', 'operator', { [sid]: 'operator' }));
    await page.goto(`/sessions/${sid}/environments`);
    const lane = (env: string) => page.getByRole('listitem', { name: `Environment ${env}` });
    await lane('dev').getByText('nothing promoted yet').waitFor();
    expect(await page.getByRole('list', { name: 'Environment lanes' }).getByRole('listitem').count()).toBe(3);
    expect(await lane('prod').textContent()).toContain('1 reviewer approval');

    await lane('dev').getByLabel('Checkpoint to promote to dev').selectOption(saved.tag);
    await lane('dev').getByRole('button', { name: 'Promote to dev' }).click();
    await expect.poll(() => lane('dev').getByLabel('dev holds').textContent(), { timeout: 30_000 }).toContain(saved.tag);
    expect(releaseOf('dev')).toBe(saved.commit);

    // staging suggests what dev holds; its gate (one.txt exists) passes.
    expect(await lane('staging').getByLabel('Checkpoint to promote to staging').inputValue()).toBe(saved.tag);
    await lane('staging').getByRole('button', { name: 'Promote to staging' }).click();
    await expect.poll(() => lane('staging').getByLabel('staging holds').textContent(), { timeout: 30_000 }).toContain(saved.tag);
    expect(releaseOf('staging')).toBe(saved.commit);

    await lane('prod').getByRole('button', { name: 'Promote to prod' }).click();
    const pending = page.getByRole('status', { name: 'Pending promotion to prod' });
    await expect.poll(() => pending.textContent(), { timeout: 30_000 }).toContain('waits for approvals: 0 of 1');
    // The author cannot approve their own promotion: no button for them.
    expect(await pending.getByRole('button').count()).toBe(0);
    expect(releaseOf('prod')).toBe('');

    const reviewer = await signedInPage(browser, stack.url, await stack.token('rosa', 'reviewer', { [sid]: 'reviewer' }));
    await reviewer.page.goto(`/sessions/${sid}/environments`);
    const reviewerLane = reviewer.page.getByRole('listitem', { name: 'Environment prod' });
    // A reviewer approves but does not promote.
    expect(await reviewer.page.getByRole('button', { name: /^Promote to/ }).count()).toBe(0);
    await reviewerLane.getByRole('button', { name: `Approve promotion of ${saved.tag} to prod` }).click();
    await expect.poll(() => reviewerLane.getByLabel('prod holds').textContent(), { timeout: 30_000 }).toContain(saved.tag);
    expect(releaseOf('prod')).toBe(saved.commit);
    // The operator's page follows live.
    await expect.poll(() => lane('prod').getByLabel('prod holds').textContent(), { timeout: 30_000 }).toContain(saved.tag);

    // An operator rolls dev back to the session-start checkpoint (the one before the Save's).
    const start = `session-start/${sid}`;
    await lane('dev').getByText('Roll dev back…').click();
    await lane('dev').getByLabel('Earlier checkpoint for dev').selectOption(start);
    await lane('dev').getByRole('button', { name: 'Roll dev back' }).click();
    await expect.poll(() => lane('dev').getByLabel('dev holds').textContent(), { timeout: 30_000 }).toContain(start);
    expect(releaseOf('dev')).toBe(git(repo, 'rev-parse', `${start}^{commit}`));
    expect(await lane('dev').getByLabel('Last change of dev').textContent()).toContain(`rolled back to ${start} by otto`);
    expect(git(repo, 'rev-parse', 'main')).toBe(saved.commit);

    // The timeline lists the promotions.
    await page.goto(`/sessions/${sid}/timeline`);
    const events = page.getByRole('list', { name: 'Timeline events' });
    await expect.poll(() => events.textContent()).toContain('Promotion');
    expect(await events.textContent()).toContain('approved by rosa');
    await reviewer.context.close();
    await context.close();
  }, 120_000);
});
