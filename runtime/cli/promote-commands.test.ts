// `thalogos promote / approve / environments / environment rollback` run in-process against a real
// server, with release/* checked by native git.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';
import { apiClient, waitFor } from '../../tests/helpers/api.js';
import { git, makeRepo } from '../../tests/helpers/git-repo.js';
import { main } from './main.js';

const ADMIN = 'cli-promote-admin-token-0123456789abcdef';

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
  try {
    return { code: await main(args, env), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  }
}

describe('thalogos promote', () => {
  let tmp: string;
  let server: RunningServer;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-cli-promote-'));
    const configFile = path.join(tmp, 'config.json');
    await writeFile(configFile, JSON.stringify({ adapters: { adapters: { codex: { enabled: false }, claude: { enabled: false }, gemini: { enabled: false } } } }));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: configFile }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('promotes to an environment, waits for and takes an approval, refuses a non-fast-forward, rolls back', async () => {
    const repo = makeRepo(path.join(tmp, 'repo'), { '.thalogos.json': JSON.stringify({ environments: [{ name: 'dev' }, { name: 'prod', approvals: { count: 1, role: 'reviewer' } }] }) });
    const api = apiClient(server.url, ADMIN);
    const env = { THALOGOS_URL: server.url, THALOGOS_TOKEN: ADMIN };
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'cli promote' })).body.id as string;
    const reviewer = (await api('POST', '/api/tokens', { name: 'rhea', role: 'reviewer', sessions: [{ id: sid, role: 'reviewer' }] })).body.token as string;
    const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo new > new.txt' })).body.id as string;
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks.find((t: { id: string }) => t.id === task)?.status === 'ready_for_review', { what: 'the task' });
    const saved = await run(['save', sid], env);
    expect(saved.code, saved.err).toBe(0);
    // The session-start checkpoint, then the Save's.
    const cp0 = `session-start/${sid}`;
    const cp1 = git(repo, 'tag', '-l', 'checkpoint/*');
    const c1 = git(repo, 'rev-parse', `${cp1}^{commit}`);

    const toDev = await run(['promote', sid, cp1 as string, '--to', 'dev'], env);
    expect(toDev.code, toDev.err).toBe(0);
    expect(toDev.out).toContain(`Promoted ${cp1} to dev`);
    expect(git(repo, 'rev-parse', 'release/dev')).toBe(c1);

    const backwards = await run(['promote', sid, cp0 as string, '--to', 'dev'], env);
    expect(backwards.code).not.toBe(0);
    expect(backwards.err).toContain('PROMOTION_NOT_FAST_FORWARD');

    const toProd = await run(['promote', sid, cp1 as string, '--to', 'prod'], env);
    expect(toProd.code, toProd.err).toBe(0);
    expect(toProd.out).toContain('waits for approvals: 0 of 1');
    const promotionId = /thalogos approve \S+ (\S+)/.exec(toProd.out)?.[1] as string;
    expect(git(repo, 'branch', '--list', 'release/prod')).toBe('');
    const self = await run(['approve', sid, promotionId], env);
    expect(self.code).not.toBe(0);
    expect(self.err).toContain('SELF_APPROVAL');
    const approved = await run(['approve', sid, promotionId], { ...env, THALOGOS_TOKEN: reviewer });
    expect(approved.code, approved.err).toBe(0);
    expect(approved.out).toContain(`Promoted ${cp1} to prod`);
    expect(git(repo, 'rev-parse', 'release/prod')).toBe(c1);

    const lanes = await run(['environments', sid], env);
    expect(lanes.out).toMatch(new RegExp(`dev\\s+${cp1}`));
    expect(lanes.out).toMatch(new RegExp(`prod\\s+${cp1}\\s+-\\s+1 reviewer`));

    const rolled = await run(['environment', 'rollback', sid, 'dev', cp0 as string], env);
    expect(rolled.code, rolled.err).toBe(0);
    expect(git(repo, 'rev-parse', 'release/dev')).toBe(git(repo, 'rev-parse', `${cp0}^{commit}`));
  }, 90_000);
});
