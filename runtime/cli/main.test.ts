import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';
import { makeRepo } from '../../tests/helpers/git-repo.js';
import { main } from './main.js';

const ADMIN = 'cli-admin-token-0123456789abcdef';

/** Runs the CLI in-process and captures what it prints. */
async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    const code = await main(args, env);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('thalogos CLI against a real server', () => {
  let tmp: string;
  let server: RunningServer;
  let env: NodeJS.ProcessEnv;
  let repo: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-cli-'));
    repo = makeRepo(path.join(tmp, 'repo'));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0' }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
    env = { THALOGOS_URL: server.url, THALOGOS_TOKEN: ADMIN };
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('creates, lists and shows sessions, adds and cancels tasks, reads events and verifies the audit chain', async () => {
    const created = await run(['session', 'create', '--repo', repo, '--title', 'from the cli'], env);
    expect(created.code).toBe(0);
    const sid = JSON.parse(created.out).id as string;
    expect(JSON.parse((await run(['session', 'list'], env)).out).sessions.map((s: { id: string }) => s.id)).toContain(sid);
    expect(JSON.parse((await run(['session', 'show', sid], env)).out).title).toBe('from the cli');
    const task = JSON.parse((await run(['task', 'add', sid, '--agent', 'command', '--prompt', 'sleep 30'], env)).out);
    const cancelled = await run(['task', 'cancel', sid, task.id], env);
    expect(cancelled.code).toBe(0);
    const events = JSON.parse((await run(['events', sid, '--after', '0'], env)).out).events as Array<{ type: string }>;
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['SESSION.CREATED', 'TASK.ADD', 'TASK.CANCEL']));
    const verify = await run(['audit', 'verify'], env);
    expect([verify.code, JSON.parse(verify.out).ok]).toEqual([0, true]);
    const token = JSON.parse((await run(['token', 'create', '--name', 'rita', '--role', 'reviewer'], env)).out);
    expect(token).toMatchObject({ name: 'rita', role: 'reviewer' });
    expect(token.token).toMatch(/^thg_/);
  });

  it('reports API refusals with their stable code and exit 1', async () => {
    const missing = await run(['session', 'show', 'nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('SESSION_NOT_FOUND');
    const unauthenticated = await run(['session', 'list'], { THALOGOS_URL: server.url, THALOGOS_TOKEN: 'wrong-token' });
    expect([unauthenticated.code, unauthenticated.err.includes('UNAUTHENTICATED')]).toEqual([1, true]);
    const unreachable = await run(['session', 'list'], { THALOGOS_URL: 'http://127.0.0.1:9', THALOGOS_TOKEN: ADMIN });
    expect(unreachable.err).toContain('UNREACHABLE');
  });

  it('refuses bad command lines with exit 2 and the usage', async () => {
    for (const args of [['frobnicate'], ['session', 'create'], ['events', 's1', '--after', '-3'], ['session', 'list', '--bogus'], ['replay', 's1', '--until', 'x']]) {
      const result = await run(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err).toContain('Usage:');
    }
    expect((await run(['session', 'list'], { THALOGOS_URL: 'not a url' })).code).toBe(2);
    const badConfig = path.join(tmp, 'bad-config.json');
    await writeFile(badConfig, JSON.stringify({ sessions: { maxParallel: -1 } }));
    const serve = await run(['serve', '--config', badConfig, '--data-dir', path.join(tmp, 'other-data'), '--port', '0'], {});
    expect(serve.code).toBe(2);
    expect(serve.err).toMatch(/sessions\.maxParallel/);
    expect((await run(['serve', '--port', 'eighty'], {})).code).toBe(2);
    const help = await run(['--help'], env);
    expect([help.code, help.out.includes('thalogos serve')]).toEqual([0, true]);
  });
});
