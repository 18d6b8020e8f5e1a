// Issue 15, CI on managed branches: a local bare repository is the CI remote (its post-receive hook
// records what is pushed); the runtime pushes task branches, main, the integration branch and the
// checkpoint tag as they move; CI reports statuses back; a required status blocks the Save until
// it is `success`. Real runtime (in-process Fetch handler), real git on both sides.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { waitFor } from './helpers/api.js';
import { git, makeRepo } from './helpers/git-repo.js';

const ADMIN = 'ci-admin-token-0123456789abcdef';

describe('CI on the branches Thalogos manages', () => {
  let tmp: string;
  let server: RunningServer;
  const api = async (method: string, url: string, body?: unknown) => {
    const response = await server.handle(new Request(`http://thalogos.local${url}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }));
    return { status: response.status, body: await response.json() as any };
  };
  const logHead = async () => (await api('GET', '/api/audit/verify')).body.count as number;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-ci-'));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: path.join(tmp, 'none.json') }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('pushes managed refs as they move, records CI statuses, and holds a Save until a required status is success', async () => {
    // The CI remote: a bare repository whose hook records each pushed ref.
    const remote = path.join(tmp, 'ci-remote.git');
    execFileSync('git', ['init', '-q', '--bare', remote]);
    const pushed = path.join(tmp, 'pushed.log');
    writeFileSync(path.join(remote, 'hooks', 'post-receive'), `#!/bin/sh\ncat >> '${pushed}'\n`);
    chmodSync(path.join(remote, 'hooks', 'post-receive'), 0o755);
    const repo = makeRepo(path.join(tmp, 'app'), { '.thalogos.json': JSON.stringify({ ci: { remote: 'origin', requiredStatuses: ['ci/test'] } }) });
    git(repo, 'remote', 'add', 'origin', remote);
    const pushedRefs = () => (existsSync(pushed) ? readFileSync(pushed, 'utf8') : '').split('\n').filter(Boolean).map((line) => line.split(' ')[2]);

    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'ci' })).body.id as string;
    const taskId = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo ci > ci.txt' })).body.id as string;
    const task = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body;
      return body.status === 'ready_for_review' ? body : null;
    }, { what: 'the task' });
    const taskRef = `refs/heads/session/${sid}/task/${taskId}`;
    await waitFor(async () => (pushedRefs().includes(taskRef) ? true : null), { what: 'the task branch pushed' });
    expect(execFileSync('git', ['--git-dir', remote, 'rev-parse', taskRef], { encoding: 'utf8' }).trim()).toBe(task.commit);

    // No status yet: the Save is refused at once, and nothing is logged.
    const before = await logHead();
    const refused = await api('POST', `/api/sessions/${sid}/save`, {});
    expect([refused.status, refused.body.error.code]).toEqual([409, 'STATUS_REQUIRED']);
    expect(refused.body.error.data.missing).toEqual([{ taskId, commit: task.commit, missing: [{ context: 'ci/test', state: 'none' }] }]);
    expect(await logHead()).toBe(before);

    // Bad reports are refused and change nothing.
    for (const body of [{ commit: 'abc', context: 'ci/test', state: 'success' }, { commit: task.commit, context: '../x', state: 'success' }, { commit: task.commit, context: 'ci/test', state: 'green' }, { commit: task.commit, context: 'ci/test', state: 'success', url: 'javascript:alert(1)' }]) {
      const bad = await api('POST', `/api/sessions/${sid}/statuses`, body);
      expect([bad.status, bad.body.error.code], JSON.stringify(body)).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(await logHead()).toBe(before);

    // CI says failure: still refused, with the state it reported.
    expect((await api('POST', `/api/sessions/${sid}/statuses`, { commit: task.commit, context: 'ci/test', state: 'failure', url: 'https://ci.example/run/1' })).status).toBe(201);
    const failed = await api('POST', `/api/sessions/${sid}/save`, {});
    expect([failed.status, failed.body.error.data.missing[0].missing]).toEqual([409, [{ context: 'ci/test', state: 'failure' }]]);
    // Then success: the Save publishes and main, the integration branch and the tag reach the remote.
    expect((await api('POST', `/api/sessions/${sid}/statuses`, { commit: task.commit, context: 'ci/test', state: 'success', url: 'https://ci.example/run/2' })).status).toBe(201);
    const view = (await api('GET', `/api/sessions/${sid}`)).body;
    expect(view.ciStatuses[task.commit]['ci/test']).toMatchObject({ state: 'success', url: 'https://ci.example/run/2', by: 'admin' });
    expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    const saved = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}`)).body;
      return body.lastSave ? body : null;
    }, { what: 'the Save' });
    expect(saved.lastSave.result.status).toBe('published');
    const tag = saved.lastSave.result.tag as string;
    await waitFor(async () => (['refs/heads/main', `refs/heads/session/${sid}/integration`, `refs/tags/${tag}`].every((ref) => pushedRefs().includes(ref)) ? true : null), { what: 'main, integration and the tag pushed' });
    expect(execFileSync('git', ['--git-dir', remote, 'rev-parse', 'main'], { encoding: 'utf8' }).trim()).toBe(git(repo, 'rev-parse', 'main'));
    // Each push and each status is in the session's log.
    const events = (await api('GET', `/api/sessions/${sid}/events?after=0&limit=1000`)).body.events as Array<{ type: string; data: any }>;
    expect(events.filter((e) => e.type === 'CI.PUSHED').every((e) => e.data.ok === true)).toBe(true);
    expect(events.filter((e) => e.type === 'CI.STATUS').map((e) => e.data.state)).toEqual(['failure', 'success']);
  }, 90_000);

  it('records a failed push without stopping the session', async () => {
    const repo = makeRepo(path.join(tmp, 'no-remote'), { '.thalogos.json': JSON.stringify({ ci: { remote: 'origin' } }) });
    git(repo, 'remote', 'add', 'origin', path.join(tmp, 'does-not-exist.git'));
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'bad remote' })).body.id as string;
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo x > x.txt' });
    const pushedEntry = await waitFor(async () => {
      const events = (await api('GET', `/api/sessions/${sid}/events?after=0&limit=1000`)).body.events as Array<{ type: string; data: any }>;
      return events.find((e) => e.type === 'CI.PUSHED') ?? null;
    }, { what: 'the push attempt' });
    expect(pushedEntry.data).toMatchObject({ ok: false, remote: 'origin' });
    expect(pushedEntry.data.error).toMatch(/does-not-exist|not appear to be a git repository/);
    expect((await api('GET', `/api/sessions/${sid}`)).body.tasks[0].status).toBe('ready_for_review');
  }, 60_000);

  it('checks required statuses again when a Save that waited for running tasks starts', async () => {
    const repo = makeRepo(path.join(tmp, 'drain'), { '.thalogos.json': JSON.stringify({ ci: { requiredStatuses: ['ci/test'] } }) });
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'drain' })).body.id as string;
    const taskId = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'sleep 2; echo late > late.txt' })).body.id as string;
    await waitFor(async () => ((await api('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body.status === 'running' ? true : null), { what: 'the task running' });
    // Nothing is ready yet, so nothing can be checked now: the Save waits for the task.
    expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    const done = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}`)).body;
      return body.lastSave ? body : null;
    }, { what: 'the Save to end' });
    expect(done.lastSave.result).toMatchObject({ status: 'error', error: { code: 'STATUS_REQUIRED' } });
    expect(done.lastSave.result.error.message).toContain(`task ${taskId}`);
    expect(git(repo, 'tag', '-l', 'checkpoint/*')).toBe('');
  }, 60_000);

  it('requires CI statuses on a checkpoint before promoting it, and pushes the release branch it moved', async () => {
    const remote = path.join(tmp, 'release-remote.git');
    execFileSync('git', ['init', '-q', '--bare', remote]);
    const repo = makeRepo(path.join(tmp, 'releases'), { '.thalogos.json': JSON.stringify({ environments: [{ name: 'dev' }], ci: { remote: 'origin', requiredForPromotion: ['ci/test'] } }) });
    git(repo, 'remote', 'add', 'origin', remote);
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'releases' })).body.id as string;
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'echo r > r.txt' });
    await waitFor(async () => ((await api('GET', `/api/sessions/${sid}`)).body.tasks[0]?.status === 'ready_for_review' ? true : null), { what: 'the task' });
    expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    const saved = await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.lastSave?.result ?? null, { what: 'the Save' });
    expect(saved.status).toBe('published');

    const before = await logHead();
    const refused = await api('POST', `/api/sessions/${sid}/promotions`, { checkpoint: saved.tag, to: 'dev' });
    expect([refused.status, refused.body.error.code, refused.body.error.data.missing]).toEqual([409, 'STATUS_REQUIRED', [{ context: 'ci/test', state: 'none' }]]);
    expect(await logHead()).toBe(before);
    expect((await api('POST', `/api/sessions/${sid}/statuses`, { commit: saved.commit, context: 'ci/test', state: 'success' })).status).toBe(201);
    expect((await api('POST', `/api/sessions/${sid}/promotions`, { checkpoint: saved.tag, to: 'dev' })).status).toBe(202);
    await waitFor(async () => {
      try {
        return execFileSync('git', ['--git-dir', remote, 'rev-parse', 'refs/heads/release/dev'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === saved.commit ? true : null;
      } catch {
        return null;
      }
    }, { what: 'release/dev pushed to the remote' });
    expect(git(repo, 'rev-parse', 'release/dev')).toBe(saved.commit);
  }, 60_000);
});
