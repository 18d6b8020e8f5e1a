// Writes docs/screenshots/15-plan-editor.png: a plan made by the real Codex CLI (answering from the
// scripted model server, as in tests/web-plan.test.ts), being edited by two people before approval.
// Run: npx tsx scripts/screenshot-plan.ts
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, startConsoleStack, signedInPage } from '../tests/helpers/browser.js';
import { plannerStackOptions, type PlannerModel } from '../tests/web-plan-harness.js';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots', '15-plan-editor.png');
const PLAN = {
  summary: 'Localise the greeting: a message catalogue first, then the greeting and the docs that use it.',
  tasks: [
    { id: 'catalogue', title: 'Add a message catalogue', prompt: 'Create src/messages.js exporting greetings per locale (en, fr, de).', acceptance: 'messages.js exports en, fr and de', dependsOn: [], agent: 'codex' },
    { id: 'greet', title: 'Greet in the chosen locale', prompt: 'Make greet(name, locale) use the catalogue; default to en.', acceptance: 'greet("Ada", "fr") returns "Bonjour, Ada"', dependsOn: ['catalogue'], agent: 'codex' },
    { id: 'docs', title: 'Document locales', prompt: 'Describe the locale argument in README.md.', acceptance: 'README lists the locales', dependsOn: ['greet'], agent: null },
  ],
};

async function main(): Promise<void> {
  const model: { current: PlannerModel | null } = { current: null };
  const [stack, browser] = await Promise.all([plannerStackOptions(PLAN, model).then(startConsoleStack), launchBrowser()]);
  try {
    const repo = stack.newRepo('greeter', { 'src/greeting.js': "export function greet(name) {\n  return 'Hello, ' + name;\n}\n" });
    const sessionId = (await stack.admin('POST', '/api/sessions', { repoPath: repo, title: 'Friendlier greetings' })).body.id as string;
    const olivia = (await signedInPage(browser, stack.url, await stack.token('olivia', 'operator', { [sessionId]: 'operator' }), { width: 1280, height: 1220 })).page;
    const rita = (await signedInPage(browser, stack.url, await stack.token('rita', 'reviewer', { [sessionId]: 'reviewer' }))).page;
    await Promise.all([olivia.goto(`/sessions/${sessionId}`), rita.goto(`/sessions/${sessionId}`)]);
    await olivia.getByLabel('Goal', { exact: true }).fill('Let people be greeted in their own language');
    await olivia.getByRole('button', { name: 'Plan', exact: true }).click();
    const plan = olivia.getByRole('region', { name: /^Plan: / });
    await plan.getByText('Ready for approval').waitFor({ timeout: 120_000 });
    await rita.getByRole('region', { name: /^Plan: / }).getByRole('listitem', { name: 'Plan task docs' }).getByLabel('Agent').fill('claude');
    await plan.getByRole('listitem', { name: 'Plan task docs' }).getByLabel('Agent').waitFor();
    await olivia.waitForTimeout(1000);
    // The page's sticky header stays visible above the plan (a string expression: no DOM types here).
    await olivia.evaluate('(() => { const el = document.querySelector(\'[aria-label="Plans"]\'); window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 64); })()');
    await olivia.waitForTimeout(250);
    await olivia.screenshot({ path: OUT });
    console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
  } finally {
    await browser.close();
    await stack.close();
    await model.current?.close();
  }
}

await main();
