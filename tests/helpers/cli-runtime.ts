import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../runtime/config/config.js';
import { startServer, type RunningServer } from '../../runtime/server.js';
import type { CliSetup } from '../fake-model/cli-setup.js';
import type { FakeTurn } from '../fake-model/script.js';
import { startFakeModel, type FakeModelServer } from '../fake-model/server.js';
import { apiClient } from './api.js';
import { makeRepo } from './git-repo.js';

export const CLI_RUNTIME_ADMIN = 'test-admin-token-adapters-0123456789';

export interface CliRuntime<K extends string> {
  api: ReturnType<typeof apiClient>;
  repo: string;
  models: Partial<Record<K, FakeModelServer>>;
  close(): Promise<void>;
}

/**
 * A real runtime whose agent adapters each talk to their own scripted model server: the adapters
 * of `setups` with a script in `scripts` are enabled and pointed at it, the others are disabled.
 * `adapters` adds settings of the config file's `adapters` section (e.g. `permissionTimeoutMs`).
 */
export async function startCliRuntime<K extends string>(
  setups: Record<K, (url: string) => Promise<CliSetup>>,
  scripts: Partial<Record<K, FakeTurn[]>>,
  order: string[],
  options: { adapters?: Record<string, unknown>; disable?: string[] } = {},
): Promise<CliRuntime<K>> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-adapters-runtime-'));
  const repo = makeRepo(path.join(tmp, 'repos', 'r1'));
  const models: Partial<Record<K, FakeModelServer>> = {};
  const cliSetups: CliSetup[] = [];
  const adapters: Record<string, unknown> = Object.fromEntries((options.disable ?? []).map((id) => [id, { enabled: false }]));
  for (const id of Object.keys(setups) as K[]) {
    const turns = scripts[id];
    if (!turns) { adapters[id] = { enabled: false }; continue; }
    const model = await startFakeModel({ turns });
    models[id] = model;
    const setup = await setups[id](model.url);
    cliSetups.push(setup);
    adapters[id] = { enabled: true, ...setup.config };
  }
  const configFile = path.join(tmp, 'config.json');
  await writeFile(configFile, JSON.stringify({ adapters: { order, adapters, ...options.adapters } }));
  const config = loadConfig({
    env: { THALOGOS_ADMIN_TOKEN: CLI_RUNTIME_ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: path.join(tmp, 'repos'), THALOGOS_PORT: '0', THALOGOS_CONFIG: configFile },
    cwd: tmp,
  });
  let server: RunningServer | null = null;
  const close = async (): Promise<void> => {
    await server?.close();
    for (const m of Object.values<FakeModelServer | undefined>(models)) await m?.close();
    for (const s of cliSetups) await s.cleanup();
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    server = await startServer(config, { env: process.env, logger: pino({ level: 'silent' }) });
  } catch (err) {
    await close();
    throw err;
  }
  return { api: apiClient(server.url, CLI_RUNTIME_ADMIN), repo, models, close };
}
