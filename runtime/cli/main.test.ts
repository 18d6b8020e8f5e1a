import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';
import { apiClient, waitFor } from '../../tests/helpers/api.js';
import { makeRepo } from '../../tests/helpers/git-repo.js';
import { main } from './main.js';

const ADMIN = 'cli-admin-token-0123456789abcdef';

/** Runs the CLI in-process and captures what it prints (real processes: cli-process.test.ts). */
async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  // Output as for a pipe (no terminal width to cut tables to), also when vitest runs in a terminal.
  const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
  try {
    const code = await main(args, env);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  }
}

describe('thalogos CLI against a real server', () => {
  let tmp: string;
  let server: RunningServer;
  let env: NodeJS.ProcessEnv;
  let repo: string;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-cli-'));
    repo = makeRepo(path.join(tmp, 'repo'));
    // No language-model agent can run here, whatever is installed on the machine.
    const configFile = path.join(tmp, 'config.json');
    await writeFile(configFile, JSON.stringify({ adapters: { adapters: { codex: { enabled: false }, claude: { enabled: false }, gemini: { enabled: false } } } }));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: configFile }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
    env = { THALOGOS_URL: server.url, THALOGOS_TOKEN: ADMIN };
    api = apiClient(server.url, ADMIN);
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('creates, lists and shows sessions, adds and cancels tasks, reads events and verifies the audit chain (--json)', async () => {
    const created = await run(['session', 'create', '--repo', repo, '--title', 'from the cli', '--json'], env);
    expect(created.code).toBe(0);
    const sid = JSON.parse(created.out).id as string;
    expect(JSON.parse((await run(['session', 'list', '--json'], env)).out).sessions.map((s: { id: string }) => s.id)).toContain(sid);
    expect(JSON.parse((await run(['session', 'show', sid, '--json'], env)).out).title).toBe('from the cli');
    const task = JSON.parse((await run(['task', 'add', sid, '--agent', 'command', '--prompt', 'sleep 30', '--json'], env)).out);
    const cancelled = await run(['task', 'cancel', sid, task.id], env);
    expect([cancelled.code, cancelled.out]).toEqual([0, `Task ${task.id}: cancelled.\n`]);
    const events = JSON.parse((await run(['events', sid, '--after', '0', '--json'], env)).out).events as Array<{ type: string }>;
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['SESSION.CREATED', 'TASK.ADD', 'TASK.CANCEL']));
    const verify = await run(['audit', 'verify', '--json'], env);
    expect([verify.code, JSON.parse(verify.out).ok]).toEqual([0, true]);
    const token = JSON.parse((await run(['token', 'create', '--name', 'rita', '--role', 'reviewer', '--json'], env)).out);
    expect(token).toMatchObject({ name: 'rita', role: 'reviewer' });
    expect(token.token).toMatch(/^thg_/);
  });

  it('prints tables and summaries for people by default', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'readable' })).body.id as string;
    const list = await run(['session', 'list'], env);
    expect(list.out.split('\n')[0]).toMatch(/^SESSION\s+STATUS\s+TASKS\s+TITLE\s+REPOSITORY$/);
    expect(list.out).toMatch(new RegExp(`${sid}\\s+idle\\s+no tasks\\s+readable`));
    const events = await run(['events', sid], env);
    expect(events.out).toMatch(/^SEQ\s+AT\s+BY\s+EVENT/);
    expect(events.out).toContain('SESSION.CREATED');
  });

  it('refuses `task add` without --agent when no language-model agent is available, saying what to do', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'no agents' })).body.id as string;
    const refused = await run(['task', 'add', sid, '--prompt', 'Add a dark mode toggle'], env);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('AGENT_UNAVAILABLE');
    expect(refused.err).toContain('--agent command');
    const asked = await run(['task', 'add', sid, '--agent', 'claude', '--prompt', 'Add a dark mode toggle'], env);
    expect([asked.code, asked.err.includes('AGENT_UNAVAILABLE')]).toEqual([1, true]);
    // Nothing was accepted: the session has no task.
    expect((await api('GET', `/api/sessions/${sid}`)).body.tasks).toEqual([]);
  });

  it('shows a task and its diff, says "no changes" for a task that changed nothing, rejects with a reason, lists and revokes tokens', async () => {
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'review' })).body.id as string;
    const changed = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo new > c.txt' })).body.id as string;
    const idle = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'true' })).body.id as string;
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'both tasks ready' });

    const shown = await run(['task', 'show', sid, changed], env);
    expect(shown.out).toMatch(/Status:\s+ready for review/);
    expect(shown.out).toMatch(/Changes:\s+\+1 -0 in 1 file: c\.txt/);
    expect((await run(['task', 'show', sid, idle], env)).out).toMatch(/Changes:\s+no changes/);
    const session = await run(['session', 'show', sid], env);
    expect(session.out).toMatch(new RegExp(`${idle}\\s+ready for review\\s+command\\s+no changes\\s+true`));
    expect(session.out).not.toContain('in 0 files');

    const diff = await run(['diff', sid, changed], env);
    expect(diff.out).toContain('1 file changed, +1 -0');
    expect(diff.out).toContain('+new');
    expect((await run(['task', 'diff', sid, idle], env)).out).toBe('No changes.\n');

    const rejected = await run(['task', 'reject', sid, idle, '--reason', 'does nothing'], env);
    expect(rejected.code).toBe(0);
    expect(rejected.out).toContain('rejected (does nothing)');
    expect((await api('GET', `/api/sessions/${sid}/tasks/${idle}`)).body.closed.reason).toBe('does nothing');

    const minted = (await api('POST', '/api/tokens', { name: 'temp', role: 'viewer' })).body;
    const tokens = await run(['token', 'list'], env);
    expect(tokens.out).toMatch(new RegExp(`${minted.id}\\s+temp\\s+viewer`));
    const revoked = await run(['token', 'revoke', minted.id], env);
    expect([revoked.code, revoked.out.startsWith(`Revoked token ${minted.id} (temp)`)]).toEqual([0, true]);
    expect((await api('GET', '/api/me', undefined, { token: minted.token })).status).toBe(401);
  });

  it('follows a Save to its outcome, and a failed one with its code and what to do; resume and rollback', async () => {
    const own = makeRepo(path.join(tmp, 'save-repo'));
    const sid = (await api('POST', '/api/sessions', { repoPath: own, title: 'save' })).body.id as string;
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo saved > s.txt' });
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks[0]?.status === 'ready_for_review', { what: 'task ready' });
    const saved = await run(['save', sid], env);
    expect(saved.code).toBe(0);
    expect(saved.out).toMatch(/^Saved: checkpoint\/\d{4}-\d{2}-\d{2}-\d+ \([0-9a-f]{10}\), 1 task\(s\) merged/);
    const tag = /checkpoint\/[\d-]+/.exec(saved.out)?.[0] as string;
    expect((await run(['checkpoints', sid], env)).out).toContain(tag);

    // The user's checkout has a local edit the next Save would overwrite.
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo changed > a.txt' });
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks[1]?.status === 'ready_for_review', { what: 'second task ready' });
    await writeFile(path.join(own, 'a.txt'), 'local edit\n');
    const failed = await run(['save', sid], env);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('Save failed: MAIN_WORKTREE_DIRTY');
    expect(failed.out).toContain('What to do: Your checkout of the main branch has local changes');
    const shown = await run(['session', 'show', sid], env);
    expect(shown.out).toMatch(/Last Save:\s+failed: MAIN_WORKTREE_DIRTY/);

    const resumed = await run(['resume', sid], env);
    expect(resumed.code, resumed.err).toBe(0);
    const noWait = await run(['rollback', sid, tag, '--no-wait', '--json'], env);
    expect(JSON.parse(noWait.out).rollbackId).toMatch(/^rb/);
  });

  it('prints a failed gate\'s output and the task that broke it', async () => {
    const own = makeRepo(path.join(tmp, 'gate-repo'), { '.thalogos.json': JSON.stringify({ gates: ['echo checking; ! grep -l broken *.txt'] }) });
    const sid = (await api('POST', '/api/sessions', { repoPath: own, title: 'gates' })).body.id as string;
    const ids: string[] = [];
    for (const prompt of ['echo fine > one.txt', 'echo broken > two.txt']) ids.push((await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt })).body.id);
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'tasks ready' });
    const failed = await run(['save', sid], env);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain(`Save failed: GATES_FAILED: gate \`echo checking; ! grep -l broken *.txt\` exited 1 (broken by task ${ids[1]}: it passes without that task's merge)`);
    expect(failed.out).toMatch(/Output of echo checking; ! grep -l broken \*\.txt \(last 2 lines\):\n  checking\n  two\.txt\n/);
  });

  it('saves chosen tasks with --tasks, and prints a task\'s worktree with task open', async () => {
    const own = makeRepo(path.join(tmp, 'chosen-repo'));
    const sid = (await api('POST', '/api/sessions', { repoPath: own, title: 'chosen' })).body.id as string;
    const ids: string[] = [];
    for (const prompt of ['echo one > one.txt', 'echo two > two.txt']) ids.push((await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt })).body.id);
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'tasks ready' });
    const opened = await run(['task', 'open', sid, ids[0]!], env);
    expect(opened.code, opened.err).toBe(0);
    const worktree = opened.out.trim();
    expect(path.isAbsolute(worktree)).toBe(true);
    expect((await import('node:fs')).readFileSync(path.join(worktree, 'one.txt'), 'utf8')).toBe('one\n');
    const saved = await run(['save', sid, '--tasks', ids[1]!], env);
    expect(saved.code, saved.out + saved.err).toBe(0);
    expect(saved.out).toContain('1 task(s) merged');
    const tasks = (await api('GET', `/api/sessions/${sid}`)).body.tasks as Array<{ id: string; status: string }>;
    expect(tasks.map((t) => t.status)).toEqual(['ready_for_review', 'merged']);
    const gone = await run(['task', 'open', sid, ids[1]!], env);
    expect(gone.code).toBe(1);
    expect(gone.out).toContain(`no worktree any more (merged)`);
    expect(gone.out).toContain(`session/${sid}/task/${ids[1]}`);
  });

  it('shows a conflict and resolves it by taking a side', async () => {
    const own = makeRepo(path.join(tmp, 'conflict-repo'));
    const sid = (await api('POST', '/api/sessions', { repoPath: own, title: 'conflict' })).body.id as string;
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: "printf 'line1\\nfrom-first\\nline3\\n' > a.txt" });
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: "printf 'line1\\nfrom-second\\nline3\\n' > a.txt" });
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'both tasks ready' });
    const stopped = await run(['save', sid], env);
    expect(stopped.code).toBe(1);
    expect(stopped.out).toContain('Save failed: CONFLICT');
    expect(stopped.out).toContain('thalogos conflict resolve');
    expect((await run(['conflict', 'show', sid], env)).out).toMatch(/#0 at line \d+\n\s+ours\s+\| from-first\n\s+theirs \| from-second/);
    const resolved = await run(['conflict', 'resolve', sid, '--take', 'theirs'], env);
    expect([resolved.code, resolved.err]).toEqual([0, '']);
    expect(resolved.out).toMatch(/^Resolved the conflict of task \S+ in 1 file/);
    const saved = await run(['save', sid], env);
    expect([saved.code, saved.out.startsWith('Saved: checkpoint/')]).toEqual([0, true]);
  });

  it('resolves one hunk with both sides and another with a hand-written text from a file', async () => {
    const own = makeRepo(path.join(tmp, 'conflict-lines'), { 'b.txt': 'one\ntwo\nthree\nfour\nfive\n' });
    const sid = (await api('POST', '/api/sessions', { repoPath: own, title: 'conflict lines' })).body.id as string;
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: "printf 'one\\ntwo-first\\nthree\\nfour-first\\nfive\\n' > b.txt" });
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'the first task ready' });
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: "printf 'one\\ntwo-second\\nthree\\nfour-second\\nfive\\n' > b.txt" });
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.tasks.every((t: { status: string }) => t.status === 'ready_for_review'), { what: 'both tasks ready' });
    expect((await run(['save', sid], env)).code).toBe(1);
    expect((await run(['conflict', 'show', sid], env)).out).toContain('PATH#HUNK=ours|theirs|both|@FILE');
    const textFile = path.join(tmp, 'hunk-1.txt');
    await writeFile(textFile, 'four, by hand\n');
    const resolved = await run(['conflict', 'resolve', sid, 'b.txt#0=both', `b.txt#1=@${textFile}`], env);
    expect([resolved.code, resolved.err]).toEqual([0, '']);
    const saved = await run(['save', sid], env);
    expect([saved.code, saved.out.startsWith('Saved: checkpoint/')]).toEqual([0, true]);
    expect(execFileSync('git', ['cat-file', 'blob', 'main:b.txt'], { cwd: own, encoding: 'utf8' })).toBe('one\ntwo-first\ntwo-second\nthree\nfour, by hand\nfive\n');
    execFileSync('git', ['fsck', '--strict'], { cwd: own, stdio: 'ignore' });
  });

  it('reports API refusals with their stable code and exit 1, and names THALOGOS_TOKEN when the token is missing', async () => {
    const missing = await run(['session', 'show', 'nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('SESSION_NOT_FOUND');
    const unauthenticated = await run(['session', 'list'], { THALOGOS_URL: server.url, THALOGOS_TOKEN: 'wrong-token' });
    expect([unauthenticated.code, unauthenticated.err.includes('UNAUTHENTICATED')]).toEqual([1, true]);
    expect(unauthenticated.err).toContain('refused the token from THALOGOS_TOKEN');
    const noToken = await run(['session', 'list'], { THALOGOS_URL: server.url });
    expect(noToken.code).toBe(1);
    expect(noToken.err).toContain('Set THALOGOS_TOKEN');
    const unreachable = await run(['session', 'list'], { THALOGOS_URL: 'http://127.0.0.1:9', THALOGOS_TOKEN: ADMIN });
    expect(unreachable.err).toContain('UNREACHABLE');
  });

  it('refuses bad command lines with exit 2 and the usage', async () => {
    for (const args of [['frobnicate'], ['session', 'create'], ['events', 's1', '--after', '-3'], ['session', 'list', '--bogus'], ['replay', 's1', '--until', 'x'], ['conflict', 'resolve', 's1'], ['conflict', 'resolve', 's1', 'a.txt=mine'], ['conflict', 'resolve', 's1', 'a.txt=both'], ['conflict', 'resolve', 's1', 'a.txt=@x'], ['conflict', 'resolve', 's1', 'a.txt#0=@/nonexistent/file']]) {
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
    expect([help.code, help.out.includes('thalogos serve'), help.out.includes('thalogos conflict resolve')]).toEqual([0, true, true]);
  });
});
