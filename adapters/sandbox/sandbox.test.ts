// The sandbox with real bubblewrap, real cgroups (where this host allows them) and real git,
// driven through the registry's `command` adapter as the runtime drives it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADAPTERS } from '../adapter-list.js';
import { createAdapterRegistry, type AdapterRegistry } from '../registry.js';
import { drain, processesWithCommandLine, tempDir, waitUntil } from '../test-support.js';
import { createRunCgroup, detectCgroups } from './cgroup-limits.js';
import { createSandbox, type SandboxSettings } from './sandbox.js';

const ROOT = join(import.meta.dirname, '..', '..');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

async function setup(settings: Partial<SandboxSettings> = {}, command: Record<string, unknown> = {}): Promise<{ registry: AdapterRegistry; dir: string }> {
  const t = await tempDir('sandbox');
  cleanups.push(t.cleanup);
  const registry = createAdapterRegistry({
    config: { order: ['command'], adapters: { command: { timeoutMs: 20_000, ...command } } },
    env: process.env, projectRoot: ROOT, killGraceMs: 300, adapters: ADAPTERS.filter((a) => a.id === 'command'),
    sandbox: createSandbox({ mode: 'bubblewrap', ...settings }, process.env),
  });
  await registry.handshakeAll();
  return { registry, dir: t.dir };
}

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

describe('without bubblewrap', () => {
  it('no agent starts: the status names the Debian package, and run() is SANDBOX_UNAVAILABLE', async () => {
    const { registry, dir } = await setup({ bwrapPath: '/nonexistent/bwrap' });
    const [status] = registry.statuses();
    expect(status).toMatchObject({ id: 'command', status: 'missing', sandbox: { mode: 'bubblewrap' } });
    expect(status?.reason).toContain('bubblewrap');
    expect(registry.sandbox()).toMatchObject({ mode: 'bubblewrap', ready: false });
    expect(registry.isAvailable('command')).toBe(false);
    expect(() => registry.run('command', { runId: 'x', cwd: dir, prompt: 'true' }))
      .toThrow(expect.objectContaining({ code: 'SANDBOX_UNAVAILABLE', message: expect.stringContaining('apt-get install bubblewrap') }));
  });

  it('"off" is an explicit opt-out: runs start unconfined and every status carries the warning', async () => {
    const t = await tempDir('sandbox-off');
    cleanups.push(t.cleanup);
    const registry = createAdapterRegistry({ config: { order: ['command'] }, env: process.env, projectRoot: ROOT,
      adapters: ADAPTERS.filter((a) => a.id === 'command'), sandbox: createSandbox({ mode: 'off' }, process.env) });
    await registry.handshakeAll();
    expect(registry.statuses()[0]).toMatchObject({ status: 'available', sandbox: { mode: 'off', warning: expect.stringContaining('sandbox is off') } });
    const { outcome } = await drain(registry.run('command', { runId: 'o', cwd: t.dir, prompt: `test -r /proc/${process.pid}/environ` }));
    expect(outcome.status).toBe('succeeded');
  });
});

describe('inside the sandbox', () => {
  it('sees its own pid namespace only, the system read-only, a private /tmp and the worktree writable', async () => {
    const { registry, dir } = await setup();
    writeFileSync('/tmp/thalogos-sandbox-host-marker', 'x');
    cleanups.push(() => { try { execFileSync('rm', ['-f', '/tmp/thalogos-sandbox-host-marker']); } catch { /* gone */ } });
    const { outcome, events } = await drain(registry.run('command', { runId: 'v', cwd: dir, prompt: [
      `test ! -e /proc/${process.pid}`, 'test ! -e /tmp/thalogos-sandbox-host-marker', 'touch /tmp/mine',
      '! touch /usr/thalogos-pwned 2>/dev/null', '! touch /etc/thalogos-pwned 2>/dev/null', 'echo ok > inside.txt',
    ].join(' && ') }));
    expect(outcome.status, JSON.stringify(events)).toBe('succeeded');
    expect(readFileSync(join(dir, 'inside.txt'), 'utf8')).toBe('ok\n');
    expect(existsSync('/tmp/mine')).toBe(false);
  });

  it('hides the paths it is told to (a directory empty and read-only, a file unreadable)', async () => {
    const secret = await tempDir('sandbox-secret');
    cleanups.push(secret.cleanup);
    // Under the real /tmp the private /tmp would hide it anyway: use the project dir's sibling.
    const hiddenDir = join(ROOT, '.thalogos-sandbox-test-hidden');
    mkdirSync(join(hiddenDir, 'db'), { recursive: true });
    writeFileSync(join(hiddenDir, 'db', 'CURRENT'), 'MANIFEST-000001');
    writeFileSync(join(hiddenDir, 'config.json'), '{"secret":1}');
    cleanups.push(() => { execFileSync('rm', ['-rf', hiddenDir]); });
    const { registry, dir } = await setup({ hide: [join(hiddenDir, 'db'), join(hiddenDir, 'config.json')] });
    const { outcome, events } = await drain(registry.run('command', { runId: 'h', cwd: dir, prompt:
      `ls -A ${hiddenDir}/db; cat ${hiddenDir}/config.json 2>&1; touch ${hiddenDir}/db/x 2>&1 || echo refused` }));
    expect(outcome.status).toBe('succeeded');
    const out = events.filter((e) => e.type === 'command' && e.status === 'completed').map((e) => (e.type === 'command' ? e.output : '')).join('');
    expect(out).not.toContain('CURRENT');
    expect(out).not.toContain('secret');
    // Hidden either way: unreadable where the path is bound, absent where /tmp itself is private.
    expect(out).toMatch(/Permission denied|cannot access|No such file/);
    expect(out).toContain('refused');
  });

  it('network: "none" leaves the run without a route to a server on the host; on by default', async () => {
    const server: Server = createServer((_, res) => res.end('reached'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const prompt = `curl -s -m 3 http://127.0.0.1:${port}/ || echo unreachable`;
    const on = await setup();
    const reached = await drain(on.registry.run('command', { runId: 'n1', cwd: on.dir, prompt }));
    expect(reached.outcome.finalMessage).toContain('reached');
    const off = await setup({}, { network: 'none' });
    expect(off.registry.statuses()[0]?.sandbox.network).toBe('none');
    const cut = await drain(off.registry.run('command', { runId: 'n2', cwd: off.dir, prompt }));
    expect(cut.outcome.finalMessage).toContain('unreachable');
  });

  it('the repository is read-only: no ref, hook or config written; a replaced .git link is restored and fails the run', async () => {
    const t = await tempDir('sandbox-git');
    cleanups.push(t.cleanup);
    const repo = join(t.dir, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'a.txt'), 'a\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'init');
    const wt = join(t.dir, 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'task', wt);
    const link = readFileSync(join(wt, '.git'), 'utf8');
    const tip = git(repo, 'rev-parse', 'task');
    const objects = git(repo, 'count-objects');
    const { registry } = await setup();
    const first = await drain(registry.run('command', { runId: 'g1', cwd: wt, prompt: [
      'git status --short >/dev/null', 'git log --oneline -1',
      '! git update-ref refs/heads/planted HEAD 2>/dev/null', '! git config core.hooksPath /tmp 2>/dev/null',
      '! touch "$(git rev-parse --git-common-dir)/hooks/post-checkout" 2>/dev/null', 'echo edit >> a.txt',
      // What a commit needs is there (a scratch index, HEAD and object dir), and is thrown away.
      'git -c user.name=a -c user.email=a@a commit -qam inside', 'git log --oneline -1 | grep -q inside',
    ].join(' && ') }));
    expect(first.outcome.status, JSON.stringify(first.events)).toBe('succeeded');
    expect(git(repo, 'rev-parse', 'task')).toBe(tip);
    expect(git(repo, 'count-objects')).toBe(objects);
    expect(readFileSync(join(repo, '.git', 'worktrees', 'wt', 'HEAD'), 'utf8')).toBe('ref: refs/heads/task\n');
    expect(git(wt, 'status', '--short')).toBe('M a.txt');
    expect(git(repo, 'for-each-ref', '--format=%(refname)')).not.toContain('planted');
    expect(existsSync(join(repo, '.git', 'hooks', 'post-checkout'))).toBe(false);
    expect(readFileSync(join(wt, 'a.txt'), 'utf8')).toBe('a\nedit\n');

    // The worktree itself is writable, so its .git link is: replacing it is caught after the run.
    const second = await drain(registry.run('command', { runId: 'g2', cwd: wt, prompt:
      'rm .git && mkdir -p .git/hooks && printf "#!/bin/sh\\necho hooked\\n" > .git/hooks/post-checkout' }));
    expect(second.outcome).toMatchObject({ status: 'failed', error: { code: 'AGENT_SANDBOX_VIOLATION' } });
    expect(readFileSync(join(wt, '.git'), 'utf8')).toBe(link);
    expect(git(wt, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('task');
  });

  it('output past maxOutputBytes stops the run (AGENT_OUTPUT_LIMIT)', async () => {
    const { registry, dir } = await setup({}, { maxOutputBytes: 1_000_000 });
    const { outcome } = await drain(registry.run('command', { runId: 'big', cwd: dir, prompt: 'yes thalogos' }));
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'AGENT_OUTPUT_LIMIT', transient: false } });
  });
});

describe('limits', () => {
  it('a fork bomb and a memory hog end their own run; this process keeps working', async () => {
    const { registry, dir } = await setup({ limits: { pids: 64, memoryBytes: 256 * 1024 ** 2 } }, { timeoutMs: 6_000 });
    const limits = registry.sandbox().limits;
    if (limits.enforcement === 'cgroup-v1' || limits.enforcement === 'cgroup-v2') {
      const bombRun = registry.run('command', { runId: 'bomb', cwd: dir, prompt: 'b() { b | b & }; b; sleep 30' });
      // Another run started while the bomb goes off completes normally.
      const other = await drain(registry.run('command', { runId: 'beside', cwd: dir, prompt: 'sleep 1; echo beside-ok' }));
      expect(other.outcome).toMatchObject({ status: 'succeeded', finalMessage: 'beside-ok' });
      const bomb = await drain(bombRun);
      expect(['timed_out', 'failed']).toContain(bomb.outcome.status);
      // The pids limit held: a new process still starts here at once.
      expect(execFileSync('sh', ['-c', 'echo alive'], { encoding: 'utf8', timeout: 5_000 })).toBe('alive\n');
    } else {
      // No cgroups on this host: the status says that only the wall time stops a fork bomb.
      expect(limits).toMatchObject({ pids: null, detail: expect.stringContaining('wall time') });
    }
    const hog = await drain(registry.run('command', { runId: 'hog', cwd: dir,
      prompt: `${process.execPath} -e "const a=[]; for(;;) a.push(Buffer.alloc(1<<20, 1))"` }));
    expect(hog.outcome.status).toBe('failed');
    expect(hog.outcome.exitCode === null || hog.outcome.exitCode !== 0).toBe(true);
  }, 40_000);
});

describe('run cgroups left by a crashed server', () => {
  it('are emptied and removed when the next sandbox of the same instance (data dir) is created', async () => {
    const instance = `/test/instance-${process.pid}-${Date.now()}`;
    const support = detectCgroups(instance);
    if (support.kind === 'none') {
      // Nothing to leave behind on a host without cgroups.
      expect(createSandbox({ mode: 'bubblewrap', instance }, process.env).status().limits.enforcement).toMatch(/rlimit-as|none/);
      return;
    }
    const left = createRunCgroup(support, 'crashed-run', { memoryBytes: 64 * 1024 ** 2, pids: 16 });
    expect(left).not.toBeNull();
    const procs = left!.procsFiles.map((f) => `echo $$ > ${f}`).join('; ');
    const orphan = spawn('sh', ['-c', `${procs}; exec sleep 31393`], { detached: true, stdio: 'ignore' });
    orphan.unref();
    await waitUntil(() => processesWithCommandLine('sleep 31393').length > 0, 5_000, 'the orphan to start');
    createSandbox({ mode: 'bubblewrap', instance }, process.env);
    await waitUntil(() => processesWithCommandLine('sleep 31393').length === 0, 5_000, 'the orphan to be killed');
    await waitUntil(() => left!.procsFiles.every((f) => !existsSync(f)), 5_000, 'the cgroup to be removed');
    for (const parent of support.kind === 'v1' ? [support.pids, support.memory] : [support.base]) execFileSync('rmdir', [parent]);
  });
});
