// The review loop in real Chromium against the real runtime (issue 13): a reviewer comments on a
// line and requests changes, the real Codex CLI (against the scripted model server) continues its
// own conversation and a new commit lands on the task; the reviewer approves; a viewer cannot
// decide; an operator previews the Save and the preview's tree is what Save publishes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codexSetup, type CliSetup } from './fake-model/cli-setup.js';
import { startFakeModel, type FakeModelServer } from './fake-model/server.js';
import { waitFor } from './helpers/api.js';
import { signedInPage, useConsoleStack } from './helpers/browser.js';
import { git } from './helpers/git-repo.js';

const MARK = 'MARK-BROWSER-HI-4410';

describe('web console: the review loop', () => {
  let model: FakeModelServer;
  let setup: CliSetup;
  beforeAll(async () => {
    model = await startFakeModel({
      turns: [{ kind: 'shell', command: "printf 'hello world\\n' > greet.txt" }, { kind: 'text', text: 'Wrote greet.txt.' }],
      followUps: [{ when: MARK, turns: [{ kind: 'shell', command: "printf 'hi\\n' > greet.txt" }, { kind: 'text', text: 'Now it says hi.' }] }],
    });
    setup = await codexSetup(model.url, 90_000);
  });
  afterAll(async () => {
    await model?.close();
    await setup?.cleanup();
  });
  const suite = useConsoleStack(async () => ({ config: { adapters: { order: ['codex', 'command'], adapters: { codex: { enabled: true, ...setup.config }, claude: { enabled: false }, gemini: { enabled: false } } } } }));

  it('comment, request changes, the same conversation commits again, approve; the Save preview matches what Save publishes', async () => {
    const { stack, browser } = suite;
    const repo = stack.newRepo('review');
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Review loop', requireApproval: true })).body.id as string;
    const taskId = (await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'codex', prompt: 'Write greet.txt saying hello world.' })).body.id as string;
    const task = () => stack.admin('GET', `/api/sessions/${sid}/tasks/${taskId}`).then((r) => r.body);
    const first = await waitFor(async () => { const t = await task(); return ['ready_for_review', 'failed'].includes(t.status) ? t : null; }, { what: 'the codex task', timeoutMs: 100_000, intervalMs: 250 });
    expect(first.status, JSON.stringify(first.error)).toBe('ready_for_review');

    // A viewer sees the review card but cannot decide.
    const viewer = await signedInPage(browser, stack.url, await stack.token('vic', 'viewer', { [sid]: 'viewer' }));
    await viewer.page.goto(`/sessions/${sid}/tasks/${taskId}`);
    await viewer.page.getByText('Approving or requesting changes needs the reviewer role.').waitFor();
    expect(await viewer.page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    // The reviewer comments on line 1 and requests changes.
    const { context, page } = await signedInPage(browser, stack.url, await stack.token('rita', 'reviewer', { [sid]: 'reviewer' }));
    await page.goto(`/sessions/${sid}/tasks/${taskId}`);
    await page.getByRole('button', { name: 'Comment on greet.txt line 1' }).click();
    await page.getByLabel('Comment for greet.txt line 1').fill(`${MARK} say just hi`);
    await page.getByRole('button', { name: 'Add comment' }).click();
    await expect.poll(() => page.getByText('What should change (1 new line comment goes with it)').count(), { timeout: 15_000 }).toBe(1);
    await page.getByLabel(/What should change/).fill('Keep it short.');
    await page.getByRole('button', { name: 'Request changes' }).click();
    const rounds = page.getByRole('list', { name: 'Review rounds' });
    await expect.poll(() => rounds.textContent(), { timeout: 100_000 }).toMatch(/Round 1 · rita .* same conversation · new commit [0-9a-f]{7}/);
    expect(await rounds.textContent()).toContain('greet.txt:1 rita');

    const second = await task();
    expect(second.runs[1]).toMatchObject({ agent: 'codex', outcome: 'succeeded', resume: { runId: first.runs[0].runId } });
    expect(git(repo, 'rev-parse', `${second.commit}^`)).toBe(first.commit);
    expect(git(repo, 'show', `${second.branch}:greet.txt`)).toBe('hi');
    expect(model.modelRequests().some((r) => JSON.stringify(r.body).includes(MARK) && JSON.stringify(r).includes(second.runs[1].resume.resumeToken))).toBe(true);

    // Not approved yet: the Save would leave it out. Then approve.
    const operator = await signedInPage(browser, stack.url, await stack.token('olga', 'operator', { [sid]: 'operator' }));
    await operator.page.goto(`/sessions/${sid}`);
    await operator.page.getByRole('button', { name: 'Preview Save' }).click();
    await expect.poll(() => operator.page.getByRole('list', { name: 'Tasks left out' }).textContent(), { timeout: 15_000 }).toContain('Write greet.txt');
    // The card offers no "Save this task" the Save would refuse; it says what the task waits for.
    await operator.page.getByText("Waits for a reviewer's approval before a Save merges it").waitFor();
    expect(await operator.page.getByRole('button', { name: /^Save task .* alone$/ }).count()).toBe(0);
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Approved' }).count(), { timeout: 15_000 }).toBe(1);
    await operator.page.getByRole('button', { name: /^Save task Write greet\.txt.* alone$/ }).waitFor({ timeout: 15_000 });
    expect((await task()).review.approved).toMatchObject({ by: 'rita', commit: second.commit });

    // The preview now merges it; Save publishes exactly that tree.
    await operator.page.getByRole('button', { name: 'Refresh preview' }).click();
    await expect.poll(() => operator.page.getByRole('status', { name: 'Preview result' }).textContent(), { timeout: 15_000 }).toContain('Merges cleanly');
    await expect.poll(() => operator.page.getByRole('list', { name: 'Tasks Save merges' }).textContent()).toContain('Write greet.txt');
    const tree = (await operator.page.getByTestId('preview-tree').textContent())?.trim();
    expect(git(repo, 'rev-parse', 'main')).toBe(first.baseCommit);
    await operator.page.getByRole('button', { name: 'Save', exact: true }).click();
    await waitFor(async () => (await stack.admin('GET', `/api/sessions/${sid}`)).body.lastSave?.result.status === 'published', { what: 'the Save', timeoutMs: 60_000 });
    expect(git(repo, 'rev-parse', 'main^{tree}')).toBe(tree);

    // The timeline shows the round and the approval.
    await page.goto(`/sessions/${sid}/timeline`);
    const timeline = page.getByRole('list', { name: 'Timeline events' });
    await expect.poll(() => timeline.textContent(), { timeout: 15_000 }).toContain('Changes requested (round 1, 1 line comment)');
    expect(await timeline.textContent()).toContain('Approved');
    await context.close();
    await viewer.context.close();
    await operator.context.close();
  }, 300_000);
});
