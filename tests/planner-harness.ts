// A real runtime whose planner is a real CLI talking to the scripted model server, with the
// `command` agent available for the planned tasks (deterministic shell commands, real worktrees).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { ApiClient } from '../runtime/cli/api-client.js';
import { replaySession } from '../runtime/cli/replay.js';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { claudeSetup, codexSetup, geminiSetup, type CliSetup } from './fake-model/cli-setup.js';
import type { FakeTurn } from './fake-model/script.js';
import { startFakeModel, type FakeModelServer } from './fake-model/server.js';
import { apiClient, waitFor } from './helpers/api.js';
import { deepDiff, formatDifferences } from './helpers/deep-diff.js';
import { makeRepo } from './helpers/git-repo.js';

export const PLANNER_ADMIN = 'test-admin-token-planner-0123456789';
const SETUPS = { codex: codexSetup, claude: claudeSetup, gemini: geminiSetup } as const;
export type PlannerCli = keyof typeof SETUPS;

export interface PlannerHarness {
  api: ReturnType<typeof apiClient>;
  url: string;
  repo: string;
  model: FakeModelServer | null;
  close(): Promise<void>;
}

/** `planner`: the CLI that plans (null: no language-model agent at all); it answers with `turns`. */
export async function startPlannerRuntime(planner: PlannerCli | null, turns: FakeTurn[] = [{ kind: 'text', text: 'ok' }]): Promise<PlannerHarness> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-planner-'));
  const repo = makeRepo(path.join(tmp, 'repos', 'r1'));
  let model: FakeModelServer | null = null;
  let setup: CliSetup | null = null;
  const adapters: Record<string, unknown> = { codex: { enabled: false }, claude: { enabled: false }, gemini: { enabled: false } };
  if (planner) {
    model = await startFakeModel({ turns });
    setup = await SETUPS[planner](model.url, 90_000);
    adapters[planner] = { enabled: true, ...setup.config };
  }
  const configFile = path.join(tmp, 'config.json');
  await writeFile(configFile, JSON.stringify({ adapters: { order: ['codex', 'claude', 'gemini', 'command'], adapters }, sessions: { maxParallel: 4, taskTimeoutMs: 60_000, maxRetries: 0 } }));
  const config = loadConfig({
    env: { THALOGOS_ADMIN_TOKEN: PLANNER_ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: path.join(tmp, 'repos'), THALOGOS_PORT: '0', THALOGOS_CONFIG: configFile },
    cwd: tmp,
  });
  let server: RunningServer | null = null;
  const close = async (): Promise<void> => {
    await server?.close();
    await model?.close();
    await setup?.cleanup();
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    server = await startServer(config, { env: process.env, logger: pino({ level: 'silent' }) });
  } catch (err) {
    await close();
    throw err;
  }
  return { api: apiClient(server.url, PLANNER_ADMIN), url: server.url, repo, model, close };
}

/** A plan answer as a model would write it: prose around a fenced JSON block. */
export function planAnswer(plan: unknown): string {
  return `Here is the plan.\n\n\`\`\`json\n${JSON.stringify(plan, null, 2)}\n\`\`\`\n`;
}

/** Waits until the plan is no longer being made; returns its record. */
export async function waitForPlan(h: PlannerHarness, sid: string, planId: string): Promise<any> {
  return waitFor(async () => {
    const r = await h.api('GET', `/api/sessions/${sid}/plans/${planId}`);
    return r.status === 200 && r.body.status !== 'planning' ? r.body : null;
  }, { what: `plan ${planId}`, timeoutMs: 100_000, intervalMs: 200 });
}

/** The session replayed from its log alone (as `thalogos replay` does) against the live view. */
export async function replayDifferences(h: PlannerHarness, sid: string): Promise<string | null> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const head = async () => (await h.api('GET', `/api/sessions/${sid}/events?after=0&limit=1`)).body.head as number;
    const before = await head();
    const live = await h.api('GET', `/api/sessions/${sid}`);
    if (before !== (await head())) continue;
    const replayed = await replaySession(new ApiClient(h.url, PLANNER_ADMIN), sid, before);
    const differences = deepDiff(replayed.state, live.body);
    return differences.length === 0 ? null : formatDifferences(differences, 'replay', 'live');
  }
  throw new Error('the session never held still');
}
