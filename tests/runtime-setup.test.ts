// Issue 17, Setup: `.thalogos.json`'s `setup` and `copy` make a new task worktree ready to work.
// Real server process, real git (checked with native git), real bubblewrap, real `command` agent,
// real npm (a package without registry dependencies, so `npm ci` works offline).
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { git } from './helpers/git-repo.js';
import { compareLiveWithReplay } from './helpers/replay-oracle.js';
import { PROPTEST_ADMIN, RuntimeUnderTest } from './helpers/runtime-under-test.js';
import { stateToJson } from '../sync/index.js';
import { connect, synced } from './sync-harness.js';

// No registry dependency (so `npm ci` works offline): one local package, which `npm ci` links
// into node_modules. Without `npm ci` the test cannot find it; without the local .env it fails too.
const PACKAGE = JSON.stringify({
  name: 'needs-setup', version: '1.0.0', private: true, scripts: { test: 'node test.js' }, dependencies: { 'local-lib': 'file:local-lib' },
}, null, 2);
const LOCK = JSON.stringify({
  name: 'needs-setup', version: '1.0.0', lockfileVersion: 3, requires: true,
  packages: {
    '': { name: 'needs-setup', version: '1.0.0', dependencies: { 'local-lib': 'file:local-lib' } },
    'local-lib': { version: '1.0.0' },
    'node_modules/local-lib': { resolved: 'local-lib', link: true },
  },
}, null, 2);
const TEST_JS = `
const fs = require('node:fs');
const shout = require('local-lib');
const env = Object.fromEntries(fs.readFileSync('.env', 'utf8').trim().split('\\n').map((line) => line.split('=')));
if (env.GREETING !== 'hello') { console.error('GREETING is ' + env.GREETING); process.exit(1); }
console.log('tests pass with GREETING=' + shout(env.GREETING));
`;
const FILES = {
  'package.json': PACKAGE, 'package-lock.json': LOCK, 'test.js': TEST_JS, '.gitignore': 'node_modules/\n',
  'local-lib/package.json': JSON.stringify({ name: 'local-lib', version: '1.0.0', main: 'index.js' }),
  'local-lib/index.js': 'module.exports = (text) => text.toUpperCase();\n',
};

let rt: RuntimeUnderTest;
beforeAll(async () => {
  rt = await RuntimeUnderTest.create('thalogos-setup-');
  await rt.start();
}, 60_000);
afterAll(async () => { await rt?.dispose(); });

async function session(repo: string): Promise<string> {
  const created = await rt.api('POST', '/api/sessions', { repoPath: repo, title: 'setup' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function addTask(sid: string, prompt: string): Promise<string> {
  const added = await rt.api('POST', `/api/sessions/${sid}/tasks`, { prompt, agent: 'command' });
  expect(added.status, JSON.stringify(added.body)).toBe(202);
  return added.body.id as string;
}

async function settled(sid: string, taskId: string, statuses: string[]): Promise<any> {
  return waitFor(async () => {
    const task = (await rt.api('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body;
    return statuses.includes(task.status) ? task : null;
  }, { what: `task ${taskId} to reach ${statuses.join('/')}`, timeoutMs: 60_000 });
}

async function taskEvents(sid: string, taskId: string): Promise<Array<{ type: string; data: any }>> {
  return (await rt.api('GET', `/api/sessions/${sid}/events?after=0&limit=1000&taskId=${taskId}`)).body.events;
}

describe('setup and copy of .thalogos.json', () => {
  it('runs npm ci and copies .env before the agent: the task\'s npm test passes, and .env is in no commit', async () => {
    const repo = rt.newRepo('npm-app', { ...FILES, '.thalogos.json': JSON.stringify({ setup: ['npm ci'], copy: ['.env', 'missing.local'] }) });
    writeFileSync(path.join(repo, '.env'), 'GREETING=hello\n');
    const sid = await session(repo);
    const taskId = await addTask(sid, 'npm test > test-output.txt 2>&1 && echo "GREETING=edited by the task" > .env');
    const task = await settled(sid, taskId, ['ready_for_review', 'failed']);
    expect(task.status, JSON.stringify(await taskEvents(sid, taskId)).slice(-3000)).toBe('ready_for_review');

    // The task's commit holds its own work (the test's output), never the copied .env.
    const branch = task.branch as string;
    expect(git(repo, 'show', `${branch}:test-output.txt`)).toContain('tests pass with GREETING=HELLO');
    const everyPath = git(repo, 'log', '--all', '--name-only', '--format=').split('\n');
    expect(everyPath).toContain('test-output.txt');
    expect(everyPath).not.toContain('.env');
    expect(git(repo, 'ls-tree', '-r', '--name-only', branch)).not.toMatch(/^\.env$/m);
    // The person's own .env and checkout are untouched.
    expect(git(repo, 'status', '--porcelain')).toBe('?? .env');

    // The log tells what was copied, skipped and run, and keeps the setup's output.
    const events = await taskEvents(sid, taskId);
    const started = events.find((e) => e.type === 'TASK.SETUP_STARTED')?.data;
    expect(started).toMatchObject({ commands: ['npm ci'], copied: ['.env'], skipped: [{ path: 'missing.local', reason: 'not found in the main worktree' }] });
    const types = events.map((e) => e.type);
    expect(types.indexOf('TASK.SETUP_STARTED')).toBeLessThan(types.indexOf('TASK.WORKTREE_READY'));
    expect(types.indexOf('TASK.WORKTREE_READY')).toBeLessThan(types.indexOf('AGENT.STARTED'));
    const output = events.filter((e) => e.type === 'TASK.SETUP_OUTPUT').map((e) => e.data.text as string).join('');
    expect(output).toMatch(/up to date|added \d+ package|audited/);
    // npm's cache is the shared setup cache (HOME is read-only in the sandbox).
    expect(existsSync(path.join(rt.tmp, 'data', 'cache', 'setup', 'npm'))).toBe(true);
    // The setup's events replay into the same view the live session shows.
    expect((await compareLiveWithReplay(rt, sid)).differences).toBeNull();
  }, 120_000);

  it('fails the task with SETUP_FAILED and the command\'s output; once the cause is fixed, Retry runs setup again and the task proceeds', async () => {
    const check = 'test -f .env || { echo ".env is missing: copy .env.example to .env" >&2; exit 3; }';
    const repo = rt.newRepo('missing-env', { ...FILES, '.thalogos.json': JSON.stringify({ setup: [check, 'npm ci'], copy: ['.env'] }) });
    const sid = await session(repo);
    const prompt = 'npm test > test-output.txt 2>&1';
    const first = await addTask(sid, prompt);
    const failed = await settled(sid, first, ['ready_for_review', 'failed']);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'SETUP_FAILED', agent: null, cause: { code: 'SETUP_FAILED' } });
    expect(failed.error.message).toContain('exited with 3');
    expect(failed.error.message).toContain('.env is missing: copy .env.example to .env');
    expect(failed.runs).toEqual([]); // the agent never started
    const events = await taskEvents(sid, first);
    expect(events.find((e) => e.type === 'TASK.SETUP_FAILED')?.data).toMatchObject({ index: 0, command: check, exitCode: 3, timedOut: false });

    // The person fixes the cause in their checkout, then retries (the console's Retry: the same task again).
    writeFileSync(path.join(repo, '.env'), 'GREETING=hello\n');
    const second = await addTask(sid, prompt);
    const retried = await settled(sid, second, ['ready_for_review', 'failed']);
    expect(retried.status, JSON.stringify(retried.error)).toBe('ready_for_review');
    expect(git(repo, 'show', `${retried.branch}:test-output.txt`)).toContain('tests pass with GREETING=HELLO');
    expect((await taskEvents(sid, second)).filter((e) => e.type === 'TASK.SETUP_OUTPUT').length).toBeGreaterThan(0);
    expect(git(repo, 'log', '--all', '--name-only', '--format=').split('\n')).not.toContain('.env');
    expect((await compareLiveWithReplay(rt, sid)).differences).toBeNull();
  }, 120_000);

  it('kills a setup command that runs past setupTimeoutMs and fails the task', async () => {
    // It prints something shaped like an API key: redacted before the log, like an agent's output.
    const key = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
    const repo = rt.newRepo('slow-setup', { '.thalogos.json': JSON.stringify({ setup: [`echo starting; echo "${key.slice(0, 8)}""${key.slice(8)}"; sleep 60`], setupTimeoutMs: 1500 }) });
    const sid = await session(repo);
    const taskId = await addTask(sid, 'echo never > ran.txt');
    const startedAt = Date.now();
    const failed = await settled(sid, taskId, ['ready_for_review', 'failed']);
    expect(Date.now() - startedAt).toBeLessThan(30_000);
    expect(failed.error).toMatchObject({ code: 'SETUP_FAILED' });
    expect(failed.error.message).toContain('timed out after 1500 ms');
    expect(failed.error.message).toContain('starting');
    expect(failed.error.message).toContain('[REDACTED]');
    expect(JSON.stringify(await taskEvents(sid, taskId))).not.toContain(key);
    // No setup process is left recorded (a restart would have nothing to kill).
    await waitFor(async () => !existsSync(path.join(rt.tmp, 'data', 'runs')) || readdirSync(path.join(rt.tmp, 'data', 'runs')).length === 0, { what: 'run files removed', timeoutMs: 10_000 });
  }, 60_000);

  it('stops a running setup when its task is cancelled', async () => {
    const repo = rt.newRepo('cancel-setup', { '.thalogos.json': JSON.stringify({ setup: ['echo waiting; sleep 60; touch setup-finished'] }) });
    const sid = await session(repo);
    const taskId = await addTask(sid, 'echo never > ran.txt');
    await waitFor(async () => (await taskEvents(sid, taskId)).some((e) => e.type === 'TASK.SETUP_OUTPUT'), { what: 'setup output', timeoutMs: 30_000 });
    const cancelled = await rt.api('POST', `/api/sessions/${sid}/tasks/${taskId}/cancel`, {});
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(202);
    const startedAt = Date.now();
    await settled(sid, taskId, ['cancelled']);
    // The worktree goes only once the setup's process group is gone, and it went well before 60 s.
    const worktree = path.join(rt.tmp, 'data', 'worktrees', sid, taskId);
    await waitFor(async () => !existsSync(worktree), { what: 'the worktree removed', timeoutMs: 20_000 });
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    expect(git(repo, 'log', '--all', '--name-only', '--format=').split('\n')).not.toContain('setup-finished');
    expect((await taskEvents(sid, taskId)).map((e) => e.type)).not.toContain('AGENT.STARTED');
  }, 60_000);

  it('runs setup again after a restart cut it short, then the task proceeds', async () => {
    // Each attempt leaves a mark in the worktree; the second one finishes.
    const step = 'echo attempt >> .setup-attempts; if [ "$(wc -l < .setup-attempts)" -lt 2 ]; then echo first; sleep 60; fi';
    const repo = rt.newRepo('restart-setup', { '.gitignore': '.setup-attempts\n', '.thalogos.json': JSON.stringify({ setup: [step] }) });
    const sid = await session(repo);
    const taskId = await addTask(sid, 'cat .setup-attempts > attempts.txt');
    await waitFor(async () => (await taskEvents(sid, taskId)).some((e) => e.type === 'TASK.SETUP_OUTPUT'), { what: 'setup output', timeoutMs: 30_000 });
    const runFiles = readdirSync(path.join(rt.tmp, 'data', 'runs'));
    expect(runFiles.length).toBe(1); // the running setup command is recorded for the restart to kill
    await rt.restart();
    const task = await settled(sid, taskId, ['ready_for_review', 'failed']);
    expect(task.status, JSON.stringify(task.error)).toBe('ready_for_review');
    expect(git(repo, 'show', `${task.branch}:attempts.txt`)).toBe('attempt\nattempt');
    expect((await taskEvents(sid, taskId)).filter((e) => e.type === 'TASK.SETUP_STARTED').length).toBe(2);
    expect((await compareLiveWithReplay(rt, sid)).differences).toBeNull();
  }, 120_000);

  it('streams the setup output live into the session\'s state document, beside the agent runs', async () => {
    const repo = rt.newRepo('live-setup', { '.thalogos.json': JSON.stringify({ setup: ['echo setup-line-streamed'] }) });
    const sid = await session(repo);
    const watcher = connect(`${rt.url.replace('http', 'ws')}/sync`, `session/${sid}/state`, PROPTEST_ADMIN);
    try {
      await synced(watcher);
      const taskId = await addTask(sid, 'echo done > done.txt');
      await waitFor(async () => {
        const agents = stateToJson(watcher.doc).agents as Record<string, { taskId: string; lines: Array<{ text?: string }> }>;
        const run = agents[`${taskId}.setup`];
        return run?.taskId === taskId && run.lines.some((line) => line.text?.includes('setup-line-streamed')) ? run : null;
      }, { what: 'the setup output in the state document', timeoutMs: 30_000 });
    } finally {
      watcher.destroy();
    }
  }, 60_000);

  it('refuses a bad setup or copy configuration with a typed error, copying and running nothing', async () => {
    const repo = rt.newRepo('bad-config', { '.thalogos.json': JSON.stringify({ setup: ['touch ran-setup'], copy: ['../outside/.env'] }) });
    writeFileSync(path.join(repo, '.env'), 'GREETING=hello\n');
    const sid = await session(repo);
    const taskId = await addTask(sid, 'echo never > ran.txt');
    const failed = await settled(sid, taskId, ['ready_for_review', 'failed']);
    expect(failed.error).toMatchObject({ code: 'SETUP_FAILED', cause: { code: 'GATE_CONFIG_INVALID' } });
    expect(failed.error.message).toContain('copy.0');
    const events = await taskEvents(sid, taskId);
    expect(events.map((e) => e.type)).not.toContain('TASK.SETUP_STARTED');
    expect(events.find((e) => e.type === 'TASK.SETUP_FAILED')?.data).toMatchObject({ command: null, index: null, error: { code: 'GATE_CONFIG_INVALID' } });
    expect(git(repo, 'log', '--all', '--name-only', '--format=').split('\n')).not.toContain('ran-setup');
  }, 60_000);
});
