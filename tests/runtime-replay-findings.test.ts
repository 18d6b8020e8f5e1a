// The runtime-level reproductions of issue 10 ("the event log is the whole truth"), each against the
// real runtime as a child process with the `command` agent and real git repositories:
// (a) a resolved conflict followed by kill -9 must not keep the server from starting again;
// (b) a conflict resolution refused with 400 appends nothing, also with a 1 MiB body;
// (c) a Save with no task to save is refused with 409 NOTHING_TO_SAVE and changes nothing;
// (d) an engine error reaching the HTTP edge keeps its code (a deleted .git is NOT_A_REPOSITORY, not 500).
// And one the property test found: (e) a second branch rollback to the same checkpoint.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/api.js';
import { conflictedSession, logState } from './helpers/conflicted-session.js';
import { git } from './helpers/git-repo.js';
import { checkRuntime, settle } from './helpers/replay-oracle.js';
import { RuntimeUnderTest } from './helpers/runtime-under-test.js';

describe('issue 10 reproductions against the real runtime', () => {
  let rt: RuntimeUnderTest;

  beforeAll(async () => {
    rt = await RuntimeUnderTest.create('thalogos-findings-');
    await rt.start();
  });
  afterAll(async () => {
    await rt?.dispose();
  });

  it('(a) a resolved conflict, then kill -9: the server starts again, replay equals live, and the resolution is published by the next Save', async () => {
    // Its own data dir: on the code this reproduces, the server never starts again.
    const own = await RuntimeUnderTest.create('thalogos-resolve-kill-');
    try {
      await own.start();
      const { sid, repo, report } = await conflictedSession(own, 'resolve-kill');
      const resolutions = report.files.flatMap((file: { path: string; hunks: unknown[] }) =>
        file.hunks.length === 0 ? [{ path: file.path, side: 'theirs' }] : file.hunks.map((_, hunk) => ({ path: file.path, hunk, side: 'theirs' })),
      );
      const resolved = await own.api('POST', `/api/sessions/${sid}/conflicts/resolve`, { taskId: report.taskId, resolutions });
      expect(resolved.status, JSON.stringify(resolved.body).slice(0, 800)).toBe(200);
      await own.kill9();
      let started: Error | null = null;
      await own.start().catch((error: Error) => (started = error));
      expect(started, `the server did not start again after a resolved conflict and kill -9:\n${String(started)?.slice(-2500)}`).toBeNull();
      expect(await checkRuntime(own, [sid])).toEqual([]);
      // The resolution survived the crash: the task branch holds it and the next Save publishes it.
      expect(git(repo, 'rev-parse', `session/${sid}/task/${report.taskId}`)).toBe(resolved.body.commit);
      const saved = await own.api('POST', `/api/sessions/${sid}/save`, {});
      expect(saved.status, JSON.stringify(saved.body).slice(0, 500)).toBe(202);
      const view = await settle(own, sid);
      expect(view.lastSave.result.status, JSON.stringify(view.lastSave.result).slice(0, 800)).toBe('published');
      expect(git(repo, 'show', 'main:a.txt')).toBe('line1\nfrom-second\nline3');
      expect(await checkRuntime(own, [sid])).toEqual([]);
    } finally {
      await own.dispose();
    }
  }, 180_000);

  it('(b) a conflict resolution refused with 400 appends nothing to the log, also with a 1 MiB body', async () => {
    const { sid } = await conflictedSession(rt, 'refused-resolve');
    const before = await logState(rt, sid);
    const wrongPath = await rt.api('POST', `/api/sessions/${sid}/conflicts/resolve`, { resolutions: [{ path: 'b.txt', hunk: 0, side: 'theirs' }] });
    expect([wrongPath.status, wrongPath.body.error?.code]).toEqual([400, 'INVALID_RESOLUTION']);
    const wrongHunk = await rt.api('POST', `/api/sessions/${sid}/conflicts/resolve`, { resolutions: [{ path: 'a.txt', hunk: 7, side: 'ours' }] });
    expect([wrongHunk.status, wrongHunk.body.error?.code]).toEqual([400, 'INVALID_RESOLUTION']);
    // Just under the 1 MiB body limit, valid for the schema, naming paths that are not in conflict.
    const big = { resolutions: Array.from({ length: 250 }, (_, i) => ({ path: `${String(i).padStart(4, '0')}/${'x'.repeat(4000)}`, hunk: 0, side: 'ours' as const })) };
    expect(JSON.stringify(big).length).toBeGreaterThan(1_000_000);
    expect(JSON.stringify(big).length).toBeLessThan(1024 * 1024);
    const huge = await rt.api('POST', `/api/sessions/${sid}/conflicts/resolve`, big);
    expect([huge.status, huge.body.error?.code]).toEqual([400, 'INVALID_RESOLUTION']);
    const after = await logState(rt, sid);
    expect(after, 'a refused conflict resolution must append nothing (session entries, head, last hash, whole chain)').toEqual(before);
    expect((await rt.api('GET', `/api/sessions/${sid}`)).body.status).toBe('awaiting_review');
    expect(await checkRuntime(rt, [sid])).toEqual([]);
  }, 120_000);

  it('(c) a Save with no task to save is refused with 409 NOTHING_TO_SAVE and changes nothing', async () => {
    const cases: Array<{ name: string; prompts: string[]; saveFirst: boolean }> = [
      { name: 'no tasks at all', prompts: [], saveFirst: false },
      { name: 'the only task already merged', prompts: ["printf 'done\\n' > done.txt"], saveFirst: true },
      { name: 'the only task failed', prompts: ['exit 3'], saveFirst: false },
    ];
    const problems: string[] = [];
    for (const { name, prompts, saveFirst } of cases) {
      const repo = rt.newRepo(`empty-save-${prompts.length}-${saveFirst}-${name.length}`);
      const sid = (await rt.api('POST', '/api/sessions', { repoPath: repo, title: name })).body.id as string;
      for (const prompt of prompts) expect((await rt.api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt })).status).toBe(202);
      if (prompts.length > 0) await settle(rt, sid);
      if (saveFirst) {
        expect((await rt.api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
        expect((await settle(rt, sid)).lastSave.result.status).toBe('published');
        // A published Save is followed by the pruning of merged task branches (an audit record):
        // let it land before the log is compared.
        await waitFor(async () => {
          const events = (await rt.api('GET', `/api/sessions/${sid}/events?after=0&limit=1000`)).body.events as Array<{ type: string }>;
          return events.some((entry) => entry.type === 'GIT.BRANCHES_PRUNED') ? true : null;
        }, { what: 'the branch pruning after the Save' });
      }
      const mainBefore = git(repo, 'rev-parse', 'main');
      const viewBefore = (await rt.api('GET', `/api/sessions/${sid}`)).body;
      const logBefore = await logState(rt, sid);
      const save = await rt.api('POST', `/api/sessions/${sid}/save`, {});
      // Give a wrongly accepted Save the time to run and park the session, so the comparison sees it.
      if (save.status === 202) await settle(rt, sid).catch(() => undefined);
      const viewAfter = (await rt.api('GET', `/api/sessions/${sid}`)).body;
      const logAfter = await logState(rt, sid);
      const got = `${save.status} ${save.body.error?.code ?? ''}`.trim();
      if (got !== '409 NOTHING_TO_SAVE') {
        problems.push(`${name}: Save answered ${got}${save.status === 202 ? `, then the session was ${viewAfter.status} with lastSave ${JSON.stringify(viewAfter.lastSave?.result).slice(0, 300)}` : ''}`);
      }
      if (JSON.stringify(viewAfter) !== JSON.stringify(viewBefore)) problems.push(`${name}: the session view changed (status ${viewBefore.status} -> ${viewAfter.status})`);
      if (JSON.stringify(logAfter) !== JSON.stringify(logBefore)) problems.push(`${name}: the log changed (${logBefore.entries} -> ${logAfter.entries} entries)`);
      if (git(repo, 'rev-parse', 'main') !== mainBefore) problems.push(`${name}: main moved`);
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('(d) an engine error keeps its code at the HTTP edge: a session whose .git was deleted gives 422 NOT_A_REPOSITORY, never 500 INTERNAL', async () => {
    const repo = rt.newRepo('lost-git');
    const sid = (await rt.api('POST', '/api/sessions', { repoPath: repo, title: 'lost .git' })).body.id as string;
    const task = (await rt.api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: "printf 'x\\n' > x.txt" })).body.id as string;
    await settle(rt, sid);
    // Not checked by fsck any more: the repository is gone on purpose.
    rt.repos.splice(rt.repos.indexOf(repo), 1);
    rmSync(path.join(repo, '.git'), { recursive: true, force: true });
    const answers: Record<string, string> = {};
    const record = async (what: string, method: string, route: string, body?: unknown) => {
      const response = await rt.api(method, route, body);
      answers[what] = `${response.status} ${response.body?.error?.code ?? ''}`.trim();
    };
    await record('GET branches', 'GET', `/api/sessions/${sid}/branches`);
    await record('GET checkpoints', 'GET', `/api/sessions/${sid}/checkpoints`);
    await record('GET task diff', 'GET', `/api/sessions/${sid}/tasks/${task}/diff`);
    await record('POST rollback', 'POST', `/api/sessions/${sid}/rollback`, { checkpoint: 'checkpoint/2026-01-01-1' });
    expect(answers).toEqual({
      'GET branches': '422 NOT_A_REPOSITORY',
      'GET checkpoints': '422 NOT_A_REPOSITORY',
      'GET task diff': '422 NOT_A_REPOSITORY',
      'POST rollback': '422 NOT_A_REPOSITORY',
    });
    // A Save runs in the background: its recorded error keeps the engine's code too.
    const save = await rt.api('POST', `/api/sessions/${sid}/save`, {});
    expect(save.status).toBe(202);
    const view = await waitFor(async () => {
      const body = (await rt.api('GET', `/api/sessions/${sid}`)).body;
      return body.pendingSave === null && body.lastSave ? body : null;
    }, { what: 'the Save to end', timeoutMs: 30_000 });
    expect(view.lastSave.result).toMatchObject({ status: 'error', error: { code: 'NOT_A_REPOSITORY' } });
    expect((await rt.api('GET', '/healthz')).status).toBe(200);
    expect(await checkRuntime(rt, [sid])).toEqual([]);
  }, 120_000);

  it('(e) a second branch rollback to the same checkpoint completes on the same branch instead of failing with WORKTREE_EXISTS', async () => {
    const repo = rt.newRepo('rollback-twice');
    const sid = (await rt.api('POST', '/api/sessions', { repoPath: repo, title: 'rollback twice' })).body.id as string;
    expect((await rt.api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: "printf 'v1\\n' > v.txt" })).status).toBe(202);
    await settle(rt, sid);
    expect((await rt.api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    const tag = (await settle(rt, sid)).checkpoints[0].tag as string;
    const results = [];
    for (let i = 0; i < 2; i += 1) {
      const response = await rt.api('POST', `/api/sessions/${sid}/rollback`, { checkpoint: tag, mode: 'branch' });
      expect(response.status).toBe(202);
      const view = await settle(rt, sid);
      results.push(view.timeline.find((entry: { rollbackId?: string }) => entry.rollbackId === response.body.rollbackId).result);
    }
    expect(results[0]).toMatchObject({ status: 'completed', mode: 'branch' });
    expect(results[1], JSON.stringify(results[1])).toMatchObject({ status: 'completed', mode: 'branch', branch: results[0].branch, commit: results[0].commit });
    expect(git(repo, 'rev-parse', results[0].branch)).toBe(git(repo, 'rev-parse', `${tag}^{commit}`));
    expect(await checkRuntime(rt, [sid])).toEqual([]);
  }, 120_000);
});
