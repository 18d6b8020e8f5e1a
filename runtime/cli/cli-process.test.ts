// The CLI as a user runs it: real processes, real pipes, a real terminal (script(1)) for the
// server's logs. Semantics of each command are covered in-process by main.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';
import { apiClient, waitFor } from '../../tests/helpers/api.js';
import { CLI, runCli } from '../../tests/helpers/cli-process.js';
import { makeRepo } from '../../tests/helpers/git-repo.js';
import { SERVER_FILE } from './server-file.js';

const ADMIN = 'cli-process-admin-token-0123456789';

describe('the thalogos command as a process', () => {
  let tmp: string;
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let repo: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-cli-process-'));
    repo = makeRepo(path.join(tmp, 'repo'));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0' }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
    api = apiClient(server.url, ADMIN);
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('writes all of a large answer into a pipe before exiting (it was cut at 65,536 bytes)', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'pipe' })).body.id as string;
    // A long prompt makes the events answer several pipe buffers long.
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: `true # ${'x'.repeat(90_000)}` });
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks[0]?.status === 'ready_for_review', { what: 'task ready' });
    const expected = Buffer.byteLength(`${JSON.stringify((await api('GET', `/api/sessions/${sid}/events`)).body, null, 2)}\n`);
    expect(expected).toBeGreaterThan(3 * 65_536);
    const piped = await runCli(['events', sid, '--json'], { THALOGOS_URL: server.url, THALOGOS_TOKEN: ADMIN }, { pipeTo: 'wc -c' });
    expect(piped.err).toBe('');
    expect(Number(piped.out.trim())).toBe(expected);
  });

  it('shows a session as a task list, not pages of JSON', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'readable' })).body.id as string;
    const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo hi > hi.txt' })).body.id as string;
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks[0]?.status === 'ready_for_review', { what: 'task ready' });
    const shown = await runCli(['session', 'show', sid], { THALOGOS_URL: server.url, THALOGOS_TOKEN: ADMIN });
    expect(shown.code).toBe(0);
    expect(shown.out.startsWith('{')).toBe(false);
    expect(shown.out).toMatch(/^TASK\s+STATUS\s+AGENT\s+CHANGES\s+PROMPT$/m);
    expect(shown.out).toMatch(new RegExp(`^${task}\\s+ready for review\\s+command\\s+\\+1 -0 in 1 file\\s+echo hi > hi\\.txt$`, 'm'));
    expect(shown.out.split('\n').length).toBeLessThan(15);
  });

  it('serve prints a banner with the CLI exports; client commands find the port it chose; logs are JSON off a terminal', async () => {
    const dataDir = path.join(tmp, 'served');
    const child = spawn(CLI[0] as string, [...CLI.slice(1), 'serve', '--port', '0', '--data-dir', dataDir, '--repo-roots', tmp], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', THALOGOS_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collect(child);
    try {
      const out = await waitFor(async () => (output.out().includes('Stop with Ctrl-C') ? output.out() : null), { what: 'the banner', timeoutMs: 60_000 });
      const url = /export THALOGOS_URL=(http:\/\/127\.0\.0\.1:\d+)\n/.exec(out)?.[1];
      const token = /export THALOGOS_TOKEN=(thg_\S+)\n/.exec(out)?.[1];
      expect(url, out).toBeDefined();
      expect(token, out).toBeDefined();
      expect(out).toContain('Admin token (shown only this once');
      expect(out).toContain(`Data: ${dataDir}`);
      // Logs are on stderr, one JSON object per line, and never carry the token.
      const logLines = output.err().trim().split('\n').filter(Boolean);
      expect(logLines.length).toBeGreaterThan(0);
      for (const line of logLines) expect(() => JSON.parse(line), line).not.toThrow();
      expect(output.err()).not.toContain(token as string);

      // No URL given: the CLI reads the one the server recorded in its data dir.
      expect(JSON.parse(readFileSync(path.join(dataDir, SERVER_FILE), 'utf8')).url).toBe(url);
      const listed = await runCli(['whoami'], { THALOGOS_DATA_DIR: dataDir, THALOGOS_TOKEN: token as string });
      expect([listed.code, listed.out.trim()]).toEqual([0, expect.stringMatching(new RegExp(`^admin \\(admin\\), token \\S+, on ${url}$`))]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(existsSync(path.join(dataDir, SERVER_FILE))).toBe(false);
  });

  it('serve logs readable lines, not JSON, on a terminal', async () => {
    const dataDir = path.join(tmp, 'served-tty');
    const configFile = path.join(tmp, 'tty-config.json');
    await writeFile(configFile, '{}');
    const command = [...CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--repo-roots', tmp, '--config', configFile].map((word) => `'${word}'`).join(' ');
    // script(1) gives the server a real pseudo-terminal for stdout and stderr.
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', THALOGOS_LOG_LEVEL: 'info', NO_COLOR: '1', TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const output = collect(child);
    try {
      const out = await waitFor(async () => (output.out().includes('thalogos runtime listening') && output.out().includes('Stop with Ctrl-C') ? output.out() : null), { what: 'logs on the terminal', timeoutMs: 60_000 });
      expect(out).toMatch(/^\d\d:\d\d:\d\d INFO  thalogos runtime listening {2}url=http:\/\/127\.0\.0\.1:\d+ /m);
      expect(out).not.toContain('{"level"');
    } finally {
      const pid = waitForPid(dataDir);
      if (pid) process.kill(pid, 'SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { out: () => out, err: () => err };
}

function waitForPid(dataDir: string): number | null {
  try {
    return (JSON.parse(readFileSync(path.join(dataDir, SERVER_FILE), 'utf8')) as { pid: number }).pid;
  } catch {
    return null;
  }
}
