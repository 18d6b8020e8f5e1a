import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { codexSetup, type CliSetup } from './fake-model/cli-setup.js';
import { startFakeModel, type FakeModelServer } from './fake-model/server.js';
import { apiClient, waitFor } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';

const ADMIN = 'test-admin-token-planner-crash-0123456789';
const open: Array<() => Promise<void>> = [];
afterAll(async () => { for (const close of open.reverse()) await close(); });

it('a plan whose planner was cut short by kill -9 fails after the restart instead of planning forever', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-planner-crash-'));
  open.push(() => rm(tmp, { recursive: true, force: true }));
  // The model never answers: the planner is still running when the runtime dies.
  const model: FakeModelServer = await startFakeModel({ turns: [{ kind: 'hang' }] });
  open.push(() => model.close());
  const setup: CliSetup = await codexSetup(model.url, 90_000);
  open.push(() => setup.cleanup());
  const repo = makeRepo(path.join(tmp, 'repos', 'r1'));
  const configFile = path.join(tmp, 'config.json');
  await writeFile(configFile, JSON.stringify({ adapters: { order: ['codex', 'command'], adapters: { codex: { enabled: true, ...setup.config }, claude: { enabled: false }, gemini: { enabled: false } } } }));
  const env = { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: path.join(tmp, 'repos'), THALOGOS_CONFIG: configFile };
  const port = await freePort();
  let server: ServerProcess = await startServerProcess(env, port);
  open.push(() => server.stop());
  const api = () => apiClient(server.url, ADMIN);
  const sid = (await api()('POST', '/api/sessions', { repoPath: repo, title: 'crash' })).body.id as string;
  const planId = (await api()('POST', `/api/sessions/${sid}/plans`, { goal: 'Plan something' })).body.planId as string;
  await waitFor(async () => model.modelRequests().length > 0, { what: 'the planner to ask the model', timeoutMs: 60_000 });
  await server.kill9();
  server = await startServerProcess(env, port);
  const plan = await waitFor(async () => {
    const r = await api()('GET', `/api/sessions/${sid}/plans/${planId}`);
    return r.status === 200 && r.body.status !== 'planning' ? r.body : null;
  }, { what: 'the interrupted plan to fail', timeoutMs: 30_000 });
  expect(plan.status).toBe('failed');
  expect(plan.error).toEqual({ code: 'PLANNER_FAILED', message: 'the runtime restarted while planning; ask for the plan again' });
  const timeline = (await api()('GET', `/api/sessions/${sid}`)).body.timeline as Array<{ kind: string; event?: string }>;
  expect(timeline.filter((e) => e.kind === 'plan').map((e) => e.event)).toEqual(['requested', 'failed']);
}, 180_000);
