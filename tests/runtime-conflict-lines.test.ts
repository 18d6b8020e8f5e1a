// Issue 14, item 12, through the API of the real runtime (a child process, the `command` agent, real
// git): a conflict hunk resolved with a person's own text or both sides; bad text and whole-file
// misuse refused with typed codes and nothing logged; the logged choice replays to the live view
// (also after a restart) and the next Save publishes exactly the chosen text, as native git reads it.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conflictedSession, logState } from './helpers/conflicted-session.js';
import { git } from './helpers/git-repo.js';
import { checkRuntime, settle } from './helpers/replay-oracle.js';
import { RuntimeUnderTest } from './helpers/runtime-under-test.js';

const blob = (repo: string, spec: string): string => execFileSync('git', ['cat-file', 'blob', spec], { cwd: repo, encoding: 'utf8' });

describe('conflict resolution with both sides or a hand-written hunk, over the API', () => {
  let rt: RuntimeUnderTest;

  beforeAll(async () => {
    rt = await RuntimeUnderTest.create('thalogos-conflict-lines-');
    await rt.start();
  }, 120_000);
  afterAll(async () => {
    await rt?.dispose();
  });

  it('refuses bad text and both/manual for a whole file with typed codes, logging nothing; takes a hand-written hunk that replays and publishes', async () => {
    const { sid, repo, report } = await conflictedSession(rt, 'hand-written');
    const resolve = (resolutions: unknown[]) => rt.api('POST', `/api/sessions/${sid}/conflicts/resolve`, { taskId: report.taskId, resolutions });
    const before = await logState(rt, sid);
    const refusals: Array<[string, unknown, number, string, string | undefined]> = [
      ['manual without text', { path: 'a.txt', hunk: 0, side: 'manual' }, 400, 'RESOLUTION_TEXT_INVALID', 'missing'],
      ['text not a string', { path: 'a.txt', hunk: 0, side: 'manual', text: ['x'] }, 400, 'RESOLUTION_TEXT_INVALID', 'type'],
      ['text with NUL', { path: 'a.txt', hunk: 0, side: 'manual', text: 'a\u0000b' }, 400, 'RESOLUTION_TEXT_INVALID', 'nul'],
      ['text with side theirs', { path: 'a.txt', hunk: 0, side: 'theirs', text: 'x' }, 400, 'RESOLUTION_TEXT_INVALID', 'unexpected'],
      ['both for a whole file', { path: 'a.txt', side: 'both' }, 400, 'RESOLUTION_SIDE_NOT_ALLOWED', undefined],
      ['manual for a whole file', { path: 'a.txt', side: 'manual', text: 'x' }, 400, 'RESOLUTION_SIDE_NOT_ALLOWED', undefined],
      ['unknown side', { path: 'a.txt', hunk: 0, side: 'union' }, 400, 'VALIDATION_FAILED', undefined],
      // Text over 1 MiB cannot fit the body limit: refused at the edge, with its own code.
      ['text over 1 MiB', { path: 'a.txt', hunk: 0, side: 'manual', text: 'x'.repeat(1024 * 1024 + 1) }, 413, 'PAYLOAD_TOO_LARGE', undefined],
    ];
    for (const [name, choice, status, code, reason] of refusals) {
      const answer = await resolve([choice]);
      expect([name, answer.status, answer.body?.error?.code], JSON.stringify(answer.body).slice(0, 400)).toEqual([name, status, code]);
      if (reason) expect(answer.body.error.data?.reason, name).toBe(reason);
    }
    expect(await logState(rt, sid), 'a refused resolution appends nothing').toEqual(before);
    expect(git(repo, 'rev-parse', `session/${sid}/task/${report.taskId}`)).toBe(report.theirs);

    const text = 'from-first and from-second, merged — by hand\nand one more line';
    const resolved = await resolve([{ path: 'a.txt', hunk: 0, side: 'manual', text }]);
    expect(resolved.status, JSON.stringify(resolved.body).slice(0, 800)).toBe(200);
    const expected = `line1\n${text}\nline3\n`;
    expect(blob(repo, `${resolved.body.commit}:a.txt`)).toBe(expected);
    git(repo, 'fsck', '--strict', '--no-progress');
    // The log carries the choice as made, text included.
    const events = (await rt.api('GET', `/api/sessions/${sid}/events?taskId=${report.taskId}`)).body.events as Array<{ type: string; data: { resolutions?: unknown } }>;
    expect(events.find((entry) => entry.type === 'TASK.CONFLICT_RESOLVED')?.data.resolutions).toEqual([{ path: 'a.txt', hunk: 0, side: 'manual', text }]);
    // Replay equals live, before and after a restart (which replays the whole log).
    expect(await checkRuntime(rt, [sid])).toEqual([]);
    await rt.restart();
    expect(await checkRuntime(rt, [sid])).toEqual([]);

    expect((await rt.api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
    const view = await settle(rt, sid);
    expect(view.lastSave.result.status, JSON.stringify(view.lastSave.result).slice(0, 800)).toBe('published');
    expect(blob(repo, 'main:a.txt')).toBe(expected);
    git(repo, 'fsck', '--strict', '--no-progress');
    expect(await checkRuntime(rt, [sid])).toEqual([]);
  }, 180_000);

  it('takes both sides of a hunk: ours, then theirs', async () => {
    const { sid, repo, report } = await conflictedSession(rt, 'both-sides');
    const resolved = await rt.api('POST', `/api/sessions/${sid}/conflicts/resolve`, { taskId: report.taskId, resolutions: [{ path: 'a.txt', hunk: 0, side: 'both' }] });
    expect(resolved.status, JSON.stringify(resolved.body).slice(0, 800)).toBe(200);
    expect(blob(repo, `${resolved.body.commit}:a.txt`)).toBe('line1\nfrom-first\nfrom-second\nline3\n');
    expect(await checkRuntime(rt, [sid])).toEqual([]);
  }, 120_000);
});
