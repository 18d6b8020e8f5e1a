// docs/screenshots/14-acp-permission.png: a live ACP agent (codex-acp against the scripted model
// server in tests/fake-model) asks permission for a shell command; a reviewer sees the request
// with the agent's options. Run alone: npx tsx scripts/screenshots-acp.ts (screenshots.ts runs it too).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { codexSetup } from '../tests/fake-model/cli-setup.js';
import { startFakeModel } from '../tests/fake-model/server.js';
import { launchBrowser, signedInPage, startConsoleStack, type ConsoleStack } from '../tests/helpers/browser.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function acpScreenshots(outDir = path.join(ROOT, 'docs', 'screenshots')): Promise<void> {
  const model = await startFakeModel({ turns: [
    { kind: 'shell', command: 'npm test -- --grep greeting > test-report.txt' },
    { kind: 'text', text: 'Ran the greeting tests.' },
  ] });
  const setup = await codexSetup(model.url, 300_000);
  let stack: ConsoleStack | null = null;
  let browser: Browser | null = null;
  try {
    [stack, browser] = await Promise.all([startConsoleStack({ config: { adapters: { order: ['codex-acp'], adapters: { 'codex-acp': { enabled: true, ...setup.config } } } } }), launchBrowser()]);
    const repo = stack.newRepo('greeter', { 'README.md': '# greeter\n' });
    const sid = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Friendlier greetings' })).body.id as string;
    const taskId = (await stack.admin('POST', `/api/sessions/${sid}/tasks`, { agent: 'codex-acp', prompt: 'Run the greeting tests and save the report.' })).body.id as string;
    const rita = (await signedInPage(browser, stack.url, await stack.token('rita', 'reviewer', { [sid]: 'reviewer' }), { width: 1280, height: 860 })).page;
    await rita.goto(`/sessions/${sid}/tasks/${taskId}`);
    await rita.getByTestId('permission-request').first().waitFor({ timeout: 120_000 });
    await rita.waitForTimeout(500);
    await rita.screenshot({ path: path.join(outDir, '14-acp-permission.png') });
    console.log('wrote docs/screenshots/14-acp-permission.png');
  } finally {
    await browser?.close();
    await stack?.close();
    await model.close();
    await setup.cleanup();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  acpScreenshots().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
