// Regenerates docs/screenshots/*.png: drives the real runtime and the console in headless
// Chromium through the same flows as tests/web-*.test.ts. Run: npx tsx scripts/screenshots.ts
// (`--only=review`: only 12-review-loop and 13-save-preview, which need the Codex CLI).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, signedInPage, startConsoleStack, type ConsoleStack } from '../tests/helpers/browser.js';
import { acpScreenshots } from './screenshots-acp.js';
import { codexSetup } from '../tests/fake-model/cli-setup.js';
import { startFakeModel } from '../tests/fake-model/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'docs', 'screenshots');
const WIDE = { width: 1280, height: 860 };
const NARROW = { width: 390, height: 844 };
const LIVE = { timeout: 30_000 };

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.waitForTimeout(250); // let transitions settle
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage });
  console.log(`wrote docs/screenshots/${name}.png`);
}

async function startTask(page: Page, prompt: string, agent = 'command'): Promise<void> {
  await page.getByLabel('Goal', { exact: true }).fill(prompt);
  await page.getByLabel('Agent', { exact: true }).selectOption(agent);
  await page.getByRole('button', { name: 'Start task' }).click();
  // The goal box empties once the runtime accepted the task.
  const deadline = Date.now() + LIVE.timeout;
  while ((await page.getByLabel('Goal', { exact: true }).inputValue()) !== '') {
    if (Date.now() > deadline) throw new Error(`task not accepted: ${prompt}`);
    await page.waitForTimeout(100);
  }
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  let stack: ConsoleStack | null = null;
  let browser: Browser | null = null;
  try {
    [stack, browser] = await Promise.all([startConsoleStack(), launchBrowser()]);
    const repo = stack.newRepo('greeter', {
      'src/greeting.js': "export function greet(name) {\n  return 'Hello, ' + name;\n}\n",
      'README.md': '# greeter\n\nSays hello.\n',
    });
    const others: string[] = [];
    for (const title of ['Billing export to CSV', 'Flaky test triage']) others.push((await stack.admin('POST', '/api/sessions', { repoPath: stack.newRepo(title.replace(/\W+/g, '-').toLowerCase()), title })).body.id);
    const session = await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Friendlier greetings' });
    const sessionId = session.body.id as string;
    // Tokens are members of the sessions they work on (a non-member sees none of them).
    const member = (role: 'viewer' | 'reviewer' | 'operator') => Object.fromEntries([sessionId, ...others].map((id) => [id, role]));

    // Sign-in (no token yet).
    const anonymous = await browser.newContext({ viewport: WIDE, baseURL: stack.url });
    const signIn = await anonymous.newPage();
    await signIn.goto('/sign-in');
    await signIn.getByLabel('Access token').fill('thg_••••••••••••••••');
    await shot(signIn, '01-sign-in');
    await anonymous.close();

    const olivia = (await signedInPage(browser, stack.url, await stack.token('olivia', 'operator', member('operator')), WIDE)).page;
    const rita = (await signedInPage(browser, stack.url, await stack.token('rita', 'reviewer', member('reviewer')), WIDE)).page;
    await olivia.getByRole('link', { name: /Friendlier greetings/ }).waitFor();
    await shot(olivia, '02-sessions');

    await Promise.all([olivia.goto(`/sessions/${sessionId}`), rita.goto(`/sessions/${sessionId}`)]);
    await startTask(olivia, "sed -i \"s/'Hello, ' + name/\\`Hello, \\${name}!\\`/\" src/greeting.js");
    await olivia.getByRole('region', { name: 'Ready for review', exact: true }).getByRole('article').first().waitFor(LIVE);
    await startTask(olivia, 'for step in lint types unit; do echo "running $step checks"; sleep 2; done; echo "- friendlier greetings" >> README.md');
    await olivia.getByRole('region', { name: 'Running', exact: true }).getByRole('article').first().waitFor(LIVE);
    await olivia.getByRole('textbox', { name: 'Chat message' }).fill('Template literal reads better; checks are running on the README change.');
    await olivia.getByRole('button', { name: 'Send' }).click();
    await olivia.getByRole('textbox', { name: 'Shared memory' }).fill('Use template literals. Keep greetings under 40 characters.');
    await olivia.waitForTimeout(2500); // a few stream lines
    await shot(olivia, '03-board-running');

    // Narrow screen, same moment.
    const narrow = (await signedInPage(browser, stack.url, await stack.token('nadia', 'viewer', member('viewer')), NARROW)).page;
    await narrow.goto(`/sessions/${sessionId}`);
    await narrow.getByRole('heading', { name: 'Friendlier greetings' }).waitFor(LIVE);
    await narrow.waitForTimeout(800);
    await shot(narrow, '08-board-narrow');

    await olivia.getByRole('region', { name: 'Ready for review', exact: true }).getByRole('article').nth(1).waitFor({ timeout: 30_000 });
    // Review with a comment, typed by the reviewer and seen by the operator.
    await rita.getByRole('link', { name: /^sed -i/ }).click();
    await rita.getByRole('button', { name: 'Comment on src/greeting.js line 2' }).click();
    await rita.getByLabel('Comment for src/greeting.js line 2').fill('Nice. Should the exclamation mark be configurable?');
    await rita.getByRole('button', { name: 'Add comment' }).click();
    await olivia.getByRole('link', { name: /^sed -i/ }).click();
    await olivia.getByRole('group', { name: 'Comments on src/greeting.js line 2' }).waitFor(LIVE);
    await shot(olivia, '04-review-comment');

    await olivia.getByRole('link', { name: 'Board', exact: true }).click();
    await olivia.getByRole('button', { name: 'Save', exact: true }).click();
    await olivia.getByRole('status', { name: 'Save status' }).getByText('Published').waitFor(LIVE);
    await shot(olivia, '05-save-published');

    await olivia.getByRole('link', { name: /^Timeline/ }).click();
    const tag = (await olivia.getByRole('list', { name: 'Checkpoints' }).getByRole('listitem', { name: /^checkpoint\// }).first().getAttribute('aria-label')) ?? '';
    await rita.goto(`/sessions/${sessionId}/timeline`);
    await rita.getByLabel(`Annotate ${tag}`).fill('Shipped to staging; greeting copy approved by design.');
    await rita.getByRole('button', { name: `Add note to ${tag}` }).click();
    await olivia.getByRole('group', { name: `Notes on ${tag}` }).getByText('Shipped to staging').waitFor(LIVE);
    await shot(olivia, '06-timeline');
    await olivia.getByRole('button', { name: `Roll back to ${tag}` }).click();
    await olivia.getByRole('dialog').waitFor();
    await shot(olivia, '07-rollback-confirm');
    await olivia.getByRole('button', { name: 'Keep current state' }).click();

    // A conflict: two tasks rewrite the same line differently.
    await olivia.getByRole('link', { name: 'Board', exact: true }).click();
    await startTask(olivia, "sed -i 's/Says hello./Says hello politely./' README.md");
    await startTask(olivia, "sed -i 's/Says hello./Says hello in 12 languages./' README.md");
    await olivia.getByRole('region', { name: 'Ready for review', exact: true }).getByRole('article').nth(1).waitFor(LIVE);
    await olivia.getByRole('button', { name: 'Save', exact: true }).click();
    await olivia.getByRole('status', { name: 'Save status' }).getByText('Conflict', { exact: true }).waitFor(LIVE);
    await olivia.getByRole('link', { name: /^Conflicts/ }).click();
    await olivia.getByRole('region', { name: 'Conflict in README.md' }).waitFor(LIVE);
    await olivia.getByRole('radio', { name: 'Take task side for README.md hunk 1' }).check();
    await shot(olivia, '09-conflict', true);

    // A gate that fails: its output and the task that broke it, on the board.
    const gated = stack.newRepo('gated', {
      'check.js': "const fs = require('fs');\nconsole.log('checking every greeting');\nif (fs.existsSync('shout.txt')) { console.error('shout.txt: greetings must not shout'); process.exit(1); }\n",
      '.thalogos.json': JSON.stringify({ gates: ['node check.js'] }),
    });
    const gatedId = (await stack.admin('POST', '/api/sessions', { repoPath: gated, title: 'Greeting styles' })).body.id as string;
    for (const prompt of ['echo "Hello there" > polite.txt', 'echo "HELLO!!!" > shout.txt']) await stack.admin('POST', `/api/sessions/${gatedId}/tasks`, { agent: 'command', prompt });
    const gatedOwner = (await signedInPage(browser, stack.url, await stack.token('omar', 'operator', { [gatedId]: 'operator' }), WIDE)).page;
    await gatedOwner.goto(`/sessions/${gatedId}`);
    await gatedOwner.getByRole('region', { name: 'Ready for review', exact: true }).getByRole('article').nth(1).waitFor(LIVE);
    await gatedOwner.getByRole('button', { name: 'Save', exact: true }).click();
    await gatedOwner.getByRole('status', { name: 'Save status' }).getByText('Save stopped by a gate').waitFor(LIVE);
    await shot(gatedOwner, '11-gate-failed');

    await olivia.emulateMedia({ colorScheme: 'dark' });
    await olivia.getByRole('link', { name: 'Board', exact: true }).click();
    await olivia.waitForTimeout(300);
    await shot(olivia, '10-board-dark');
  } finally {
    await browser?.close();
    await stack?.close();
  }
  // A live ACP agent's permission request (its own stack: the agent talks to a scripted model).
  await acpScreenshots(OUT);
}

/**
 * The review loop (issue 13): the real Codex CLI against the scripted model server, so Request
 * changes continues its conversation; then the Save preview of an approval-only session.
 */
async function reviewLoop(): Promise<void> {
  // Only the prompt of the review round holds the comment's words.
  const MARK = 'Use a template literal';
  const model = await startFakeModel({
    turns: [{ kind: 'shell', command: `printf '%s\\n' 'export function greet(name) {' "  return 'Hello, ' + name + '!';" '}' > src/greeting.js` }, { kind: 'text', text: 'Added an exclamation mark.' }],
    followUps: [{ when: MARK, turns: [{ kind: 'shell', command: "printf '%s\\n' 'export function greet(name) {' '  return `Hello, ${name}!`;' '}' > src/greeting.js" }, { kind: 'text', text: 'Now it uses a template literal.' }] }],
  });
  const setup = await codexSetup(model.url, 90_000);
  let stack: ConsoleStack | null = null;
  let browser: Browser | null = null;
  try {
    [stack, browser] = await Promise.all([
      startConsoleStack({ config: { adapters: { order: ['codex', 'command'], adapters: { codex: { enabled: true, ...setup.config }, claude: { enabled: false }, gemini: { enabled: false } } } } }),
      launchBrowser(),
    ]);
    const repo = stack.newRepo('greeter', { 'src/greeting.js': "export function greet(name) {\n  return 'Hello, ' + name;\n}\n" });
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Friendlier greetings', requireApproval: true })).body.id as string;
    const taskId = (await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'codex', prompt: 'Make greet() end with an exclamation mark.' })).body.id as string;
    await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo "# greeter" > README.md' });
    const ready = async () => (await stack?.admin('GET', `/api/sessions/${sid}`))?.body.tasks.every((t: { status: string }) => t.status === 'ready_for_review');
    for (let i = 0; !(await ready()); i += 1) {
      if (i > 600) throw new Error('tasks not ready');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const rita = (await signedInPage(browser, stack.url, await stack.token('rita', 'reviewer', { [sid]: 'reviewer' }), WIDE)).page;
    await rita.goto(`/sessions/${sid}/tasks/${taskId}`);
    await rita.getByRole('button', { name: 'Comment on src/greeting.js line 2' }).click();
    await rita.getByLabel('Comment for src/greeting.js line 2').fill(`${MARK} here.`);
    await rita.getByRole('button', { name: 'Add comment' }).click();
    await rita.getByLabel(/What should change/).fill('Looks good, one small change.');
    await rita.getByRole('button', { name: 'Request changes' }).click();
    await rita.getByRole('list', { name: 'Review rounds' }).getByText(/new commit/).waitFor(LIVE);
    await rita.getByRole('button', { name: 'Approve' }).click();
    await rita.getByRole('button', { name: 'Approved' }).waitFor(LIVE);
    await shot(rita, '12-review-loop');
    const olga = (await signedInPage(browser, stack.url, await stack.token('olga', 'operator', { [sid]: 'operator' }), WIDE)).page;
    await olga.goto(`/sessions/${sid}`);
    await olga.getByRole('button', { name: 'Preview Save' }).click();
    await olga.getByRole('status', { name: 'Preview result' }).waitFor(LIVE);
    await olga.getByRole('region', { name: 'Save preview' }).scrollIntoViewIfNeeded().catch(() => undefined);
    await olga.getByText('Save preview', { exact: true }).scrollIntoViewIfNeeded();
    await shot(olga, '13-save-preview');
  } finally {
    await browser?.close();
    await stack?.close();
    await model.close();
    await setup.cleanup();
  }
}

// `--only=review` regenerates only the review loop's screenshots.
const onlyReview = process.argv.includes('--only=review');
(onlyReview ? reviewLoop() : main().then(reviewLoop)).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
