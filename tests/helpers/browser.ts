import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../../runtime/config/config.js';
import { startServer, type RunningServer } from '../../runtime/server.js';
import { afterAll, beforeAll } from 'vitest';
import { apiClient, waitFor } from './api.js';
import { makeRepo } from './git-repo.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = '/usr/bin/chromium';
/** The launch flags STACK.md lists for Debian's chromium on these machines. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Builds web/ once when a fresh clone has no build (the runtime serves web/build). */
export function ensureWebBuild(): void {
  if (existsSync(path.join(ROOT, 'web', 'build', 'server', 'index.js'))) return;
  execFileSync('npx', ['react-router', 'build', 'web'], { cwd: ROOT, stdio: 'ignore', timeout: 180_000 });
}

/**
 * Headless Chromium with a fresh profile: playwright-core creates a new temporary
 * --user-data-dir for every launch (it refuses one in `args`) and deletes it on close.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true, timeout: 60_000 });
}

export const ADMIN_TOKEN = 'web-test-admin-token-0123456789abcdef';

export interface ConsoleStack {
  server: RunningServer;
  url: string;
  tmp: string;
  repoRoot: string;
  admin: ReturnType<typeof apiClient>;
  /** Mints a token through POST /api/tokens, as an admin would, a member of `sessions` (id -> role). */
  token(name: string, role: 'viewer' | 'reviewer' | 'operator' | 'admin', sessions?: Record<string, 'viewer' | 'reviewer' | 'operator'>): Promise<string>;
  newRepo(name: string, files?: Record<string, string>): string;
  close(): Promise<void>;
}

export interface ConsoleStackOptions {
  /** The config file's `adapters` (e.g. real CLIs pointed at the scripted model server); default: the runtime's. */
  adapters?: unknown;
}

/** The real runtime in-process (LevelDB in a temp dir, real git repositories, port 0). */
export async function startConsoleStack(options: ConsoleStackOptions = {}): Promise<ConsoleStack> {
  ensureWebBuild();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-web-'));
  const repoRoot = path.join(tmp, 'repos');
  const configFile = path.join(tmp, 'config.json');
  if (options.adapters !== undefined) await writeFile(configFile, JSON.stringify({ adapters: options.adapters }));
  const config = loadConfig({
    env: {
      THALOGOS_ADMIN_TOKEN: ADMIN_TOKEN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: repoRoot, THALOGOS_PORT: '0', THALOGOS_HOST: '127.0.0.1',
      ...(options.adapters !== undefined ? { THALOGOS_CONFIG: configFile } : {}),
    },
    cwd: tmp,
  });
  const server = await startServer(config, { logger: pino({ level: 'silent' }) });
  const probe = await fetch(`${server.url}/sign-in`);
  if (probe.status !== 200 || !(probe.headers.get('content-type') ?? '').startsWith('text/html')) {
    await server.close();
    throw new Error(`the runtime does not serve the console at /sign-in (HTTP ${probe.status}); runtime/server.ts must pass createConsoleHandler as mountHttp's fallback`);
  }
  const admin = apiClient(server.url, ADMIN_TOKEN);
  return {
    server,
    url: server.url,
    tmp,
    repoRoot,
    admin,
    async token(name, role, sessions) {
      const grants = sessions ? { sessions: Object.entries(sessions).map(([id, memberRole]) => ({ id, role: memberRole })) } : {};
      const response = await admin('POST', '/api/tokens', { name, role, ...grants });
      if (response.status !== 201) throw new Error(`token ${name}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
      return response.body.token as string;
    },
    newRepo(name, files = {}) {
      return makeRepo(path.join(repoRoot, name), files);
    },
    async close() {
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** A browser context signed in through the sign-in page, as a person would. */
export async function signedInPage(browser: Browser, url: string, token: string, viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, baseURL: url });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/sessions');
  return { context, page };
}

/** The element that has keyboard focus in the page (read in the page; <body> when focus was lost). */
export async function focused(page: Page): Promise<{ tag: string; id: string; label: string | null; text: string }> {
  // A string expression: the test project has no DOM types, the page has.
  return (await page.evaluate(
    '(() => { const el = document.activeElement; return el ? { tag: el.tagName, id: el.id, label: el.getAttribute("aria-label"), text: el.textContent || "" } : { tag: "", id: "", label: null, text: "" }; })()',
  )) as { tag: string; id: string; label: string | null; text: string };
}

/**
 * A describe block's console stack and browser, started before its tests and closed after them.
 * Read `.stack` and `.browser` inside tests (they are set once beforeAll ran).
 */
export function useConsoleStack(options?: () => ConsoleStackOptions): { stack: ConsoleStack; browser: Browser } {
  const suite = {} as { stack: ConsoleStack; browser: Browser };
  beforeAll(async () => {
    [suite.stack, suite.browser] = await Promise.all([startConsoleStack(options?.()), launchBrowser()]);
  }, 240_000);
  afterAll(async () => {
    await suite.browser?.close();
    await suite.stack?.close();
  });
  return suite;
}

/** Adds `command` tasks and waits until every task of the session is ready for review; returns their ids in order. */
export async function addReadyTasks(stack: ConsoleStack, sessionId: string, prompts: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const prompt of prompts) ids.push((await stack.admin('POST', `/api/sessions/${sessionId}/tasks`, { agent: 'command', prompt })).body.id);
  await waitFor(async () => (await stack.admin('GET', `/api/sessions/${sessionId}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'tasks ready' });
  return ids;
}
