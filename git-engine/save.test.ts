import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, gitStatus, makeRepo, refsSnapshot, removeDir, tempDir, write, signingKeyFixture } from './test-support.js';

const NOW = new Date('2026-03-04T05:06:07Z');
let engine: GitEngine;
let signed: GitEngine;
let gnupg: string;
const roots: string[] = [];

beforeAll(async () => {
  engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => NOW });
  const key = await signingKeyFixture();
  gnupg = key.gnupg;
  signed = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => NOW, signingKey: { armoredPrivateKey: key.privateKey } });
});
afterAll(async () => { await engine.close(); await signed.close(); removeDir(gnupg); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

interface Ctx { root: string; repo: string }

function setup(gates: unknown = { gates: ['test -f README.md', 'echo gate-ran'] }): Ctx {
  const files: Record<string, string> = { 'README.md': 'hello\n', 'src/a.txt': '1\n2\n3\n4\n5\n6\n7\n8\n9\n' };
  if (gates !== null) files['.thalogos.json'] = typeof gates === 'string' ? gates : JSON.stringify(gates);
  const r = makeRepo(files);
  roots.push(r.root);
  return r;
}

async function task(e: GitEngine, c: Ctx, taskId: string, edit: (wt: string) => void, sessionId = 's1'): Promise<string> {
  const wt = path.join(c.root, `wt-${sessionId}-${taskId}`);
  await e.createWorktree({ repoPath: c.repo, sessionId, taskId, worktreePath: wt });
  edit(wt);
  const res = await e.commitWorktree({ repoPath: c.repo, sessionId, taskId, worktreePath: wt, agent: 'codex', message: `work of ${taskId}` });
  return res.head;
}

const saveArgs = (c: Ctx, taskIds: string[], extra: Record<string, unknown> = {}) =>
  ({ repoPath: c.repo, sessionId: 's1', saveId: 'save1', taskIds, integrationWorktreePath: path.join(c.root, 'integration'), gateTimeoutMs: 20_000, ...extra });

describe('save', () => {
  it('merges, runs gates, then publishes integration, a signed checkpoint tag and fast-forwards main', async () => {
    const c = setup();
    await task(signed, c, 't1', (wt) => write(wt, 'one.txt', 'one\n'));
    await task(signed, c, 't2', (wt) => write(wt, 'src/a.txt', '1\n2\n3\n4\n5\n6\n7\n8\nnine\n'));
    const phases: string[] = [];
    const res = await signed.save(saveArgs(c, ['t1', 't2'], { onProgress: (p: string) => phases.push(p) }));
    // One `gating` per gate, so people see which gate of how many runs.
    expect(phases).toEqual(['merging', 'gating', 'gating', 'publishing']);
    if (res.status !== 'published') throw new Error(JSON.stringify(res));
    expect(res.tag).toBe('checkpoint/2026-03-04-1');
    expect(res.mergedTaskIds).toEqual(['t1', 't2']);
    expect(res.gates.map((g) => [g.command, g.exitCode, g.timedOut])).toEqual([['test -f README.md', 0, false], ['echo gate-ran', 0, false]]);
    expect(res.gates[1]?.output).toBe('gate-ran\n');
    expect(git(c.repo, ['rev-parse', 'main'])).toBe(res.commit);
    expect(git(c.repo, ['rev-parse', 'session/s1/integration'])).toBe(res.commit);
    expect(git(c.repo, ['rev-parse', 'checkpoint/2026-03-04-1^{commit}'])).toBe(res.commit);
    expect(git(c.repo, ['cat-file', '-t', 'checkpoint/2026-03-04-1'])).toBe('tag');
    const tv = gitStatus(c.repo, ['tag', '-v', 'checkpoint/2026-03-04-1'], { GNUPGHOME: gnupg });
    expect(tv.out).toContain('Good signature');
    expect(tv.code).toBe(0);
    expect(gitStatus(c.repo, ['verify-commit', res.commit], { GNUPGHOME: gnupg }).code).toBe(0);
    expect(git(c.repo, ['tag', '-l', '--format=%(contents:subject)', 'checkpoint/*'])).toBe('Checkpoint checkpoint/2026-03-04-1');
    expect(git(c.repo, ['cat-file', '-p', 'checkpoint/2026-03-04-1'])).toContain('Session s1, save save1: merged t1, t2');
    // Two merge commits with trailers, first-parent chain from the old main.
    expect(git(c.repo, ['log', '--merges', '--format=%(trailers:key=Task,valueonly)', 'main']).split(/\n+/)).toEqual(['t2', 't1']);
    expect(git(c.repo, ['log', '-1', '--format=%(trailers)', 'main'])).toBe('Agent: thalogos\nSession: s1\nTask: t2\nOrchestrator-Version: 0.1.0-test\nSave: save1');
    // Reflogs record the moves, as git's own commands would.
    expect(git(c.repo, ['reflog', '-1', '--format=%gs', 'main'])).toBe('thalogos: save save1 (fast-forward)');
    expect(git(c.repo, ['reflog', '-1', '--format=%gs', 'HEAD'])).toBe('thalogos: save save1 (fast-forward)');
    // The user's main worktree followed like `git merge --ff-only`.
    expect(fs.readFileSync(path.join(c.repo, 'one.txt'), 'utf8')).toBe('one\n');
    expect(git(c.repo, ['status', '--porcelain'])).toBe('');
    // The integration worktree is a detached linked worktree at the candidate.
    expect(git(c.repo, ['worktree', 'list', '--porcelain'])).toContain(`worktree ${path.join(c.root, 'integration')}\nHEAD ${res.commit}\ndetached`);
    expect(git(path.join(c.root, 'integration'), ['status', '--porcelain'])).toBe('');
    expect(fsckProblems(c.repo)).toEqual([]);
    // Next save on the same day gets the next sequence number; listCheckpoints is newest last.
    // Packed refs (after `git pack-refs`) are read and moved correctly.
    git(c.repo, ['pack-refs', '--all']);
    await task(signed, c, 't3', (wt) => write(wt, 'three.txt', '3\n'));
    const res2 = await signed.save(saveArgs(c, ['t1', 't2', 't3'], { saveId: 'save2' }));
    if (res2.status !== 'published') throw new Error(JSON.stringify(res2));
    expect(res2.tag).toBe('checkpoint/2026-03-04-2');
    expect(res2.mergedTaskIds).toEqual(['t3']);
    const cps = await signed.listCheckpoints(c.repo);
    expect(cps.map((x) => [x.tag, x.commit])).toEqual([['checkpoint/2026-03-04-1', res.commit], ['checkpoint/2026-03-04-2', res2.commit]]);
    expect(cps[0]?.date).toBe(NOW.toISOString());
    expect(cps[0]?.message).toContain('Session s1');
    expect(await signed.save(saveArgs(c, ['t1', 't3'], { saveId: 'save3' }))).toEqual({ status: 'nothing_to_save' });
    expect(fsckProblems(c.repo)).toEqual([]);
  });

  it('leaves main untouched when a gate fails, and reports bounded output', async () => {
    const c = setup({ gates: ['echo checking; echo broken >&2; exit 3', 'echo never'] });
    await task(engine, c, 't1', (wt) => write(wt, 'one.txt', 'one\n'));
    const mainBefore = git(c.repo, ['rev-parse', 'main']);
    const res = await engine.save(saveArgs(c, ['t1']));
    if (res.status !== 'gates_failed') throw new Error(JSON.stringify(res));
    expect(res.gates).toHaveLength(1);
    expect(res.gates[0]).toMatchObject({ exitCode: 3, timedOut: false });
    expect(res.gates[0]?.output).toContain('checking');
    expect(res.gates[0]?.output).toContain('broken');
    expect(git(c.repo, ['rev-parse', 'main'])).toBe(mainBefore);
    expect(git(c.repo, ['rev-parse', 'session/s1/integration'])).toBe(res.integrationCommit);
    expect(git(c.repo, ['tag', '-l'])).toBe('');
    expect(fs.existsSync(path.join(c.repo, 'one.txt'))).toBe(false);
    expect(fsckProblems(c.repo)).toEqual([]);
  });

  it('kills a gate that exceeds its timeout (whole process group)', async () => {
    const c = setup({ gates: ['sleep 30 & sleep 30; echo never'] });
    await task(engine, c, 't1', (wt) => write(wt, 'one.txt', 'one\n'));
    const mainBefore = git(c.repo, ['rev-parse', 'main']);
    const res = await engine.save(saveArgs(c, ['t1'], { gateTimeoutMs: 1000 }));
    if (res.status !== 'gates_failed') throw new Error(JSON.stringify(res));
    expect(res.gates[0]).toMatchObject({ timedOut: true, exitCode: null });
    expect(git(c.repo, ['rev-parse', 'main'])).toBe(mainBefore);
  });

  it('stops at a conflict with a report and leaves every ref unchanged', async () => {
    const c = setup();
    await task(engine, c, 't1', (wt) => write(wt, 'src/a.txt', '1\n2\n3\n4\nfive-from-t1\n6\n7\n8\n9\n'));
    await task(engine, c, 't2', (wt) => write(wt, 'src/a.txt', '1\n2\n3\n4\nfive-from-t2\n6\n7\n8\n9\n'));
    const before = refsSnapshot(c.repo);
    const res = await engine.save(saveArgs(c, ['t1', 't2']));
    if (res.status !== 'conflict') throw new Error(JSON.stringify(res));
    expect(res.report).toMatchObject({ sessionId: 's1', taskId: 't2', branch: 'session/s1/task/t2', summary: { files: 1 } });
    expect(res.report.files[0]).toMatchObject({ path: 'src/a.txt', kind: 'content' });
    expect(res.report.files[0]?.hunks[0]).toMatchObject({ ours: ['five-from-t1'], theirs: ['five-from-t2'] });
    expect(refsSnapshot(c.repo)).toBe(before);
    expect(git(c.repo, ['status', '--porcelain'])).toBe('');
    expect(fsckProblems(c.repo)).toEqual([]);
    // Not blocked: saving the non-conflicting task alone works.
    expect((await engine.save(saveArgs(c, ['t1']))).status).toBe('published');
  });

  it('refuses with MAIN_WORKTREE_DIRTY when local changes would be overwritten, keeps unrelated ones', async () => {
    const c = setup();
    await task(engine, c, 't1', (wt) => write(wt, 'src/a.txt', 'changed\n'));
    write(c.repo, 'src/a.txt', 'local edit\n');
    const before = refsSnapshot(c.repo);
    await expect(engine.save(saveArgs(c, ['t1']))).rejects.toMatchObject({ code: 'MAIN_WORKTREE_DIRTY', data: { paths: ['src/a.txt'] } });
    expect(refsSnapshot(c.repo)).toBe(before);
    expect(fs.readFileSync(path.join(c.repo, 'src/a.txt'), 'utf8')).toBe('local edit\n');
    // An untracked file in the way counts too.
    git(c.repo, ['checkout', '--', 'src/a.txt']);
    await task(engine, c, 't2', (wt) => write(wt, 'new.txt', 'from task\n'));
    write(c.repo, 'new.txt', 'untracked local\n');
    await expect(engine.save(saveArgs(c, ['t2']))).rejects.toMatchObject({ code: 'MAIN_WORKTREE_DIRTY' });
    fs.rmSync(path.join(c.repo, 'new.txt'));
    // So does an untracked file where the update needs a directory.
    await task(engine, c, 't3', (wt) => write(wt, 'docs/guide.md', 'guide\n'));
    write(c.repo, 'docs', 'an untracked file named docs\n');
    await expect(engine.save(saveArgs(c, ['t3']))).rejects.toMatchObject({ code: 'MAIN_WORKTREE_DIRTY', data: { paths: ['docs/guide.md'] } });
    expect(fs.readFileSync(path.join(c.repo, 'docs'), 'utf8')).toBe('an untracked file named docs\n');
    fs.rmSync(path.join(c.repo, 'docs'));
    // Unrelated local edits survive the fast-forward, staged or not.
    write(c.repo, 'README.md', 'my local notes\n');
    write(c.repo, 'staged.txt', 'staged\n');
    git(c.repo, ['add', 'staged.txt']);
    const res = await engine.save(saveArgs(c, ['t1', 't2']));
    expect(res.status).toBe('published');
    expect(fs.readFileSync(path.join(c.repo, 'src/a.txt'), 'utf8')).toBe('changed\n');
    expect(gitStatus(c.repo, ['status', '--porcelain']).out.split('\n').filter(Boolean).sort()).toEqual([' M README.md', 'A  staged.txt']);
    expect(fsckProblems(c.repo)).toEqual([]);
  });

  it('fails with MAIN_MOVED when main changes while gates run', async () => {
    const c = setup({ gates: [] });
    await task(engine, c, 't1', (wt) => write(wt, 'one.txt', 'one\n'));
    const gate = `git -C ${JSON.stringify(c.repo)} -c user.name=u -c user.email=u@x commit -q --allow-empty -m concurrent`;
    // The gate config is on main, so the candidate carries it.
    write(c.repo, '.thalogos.json', JSON.stringify({ gates: [gate] }));
    git(c.repo, ['commit', '-q', '-am', 'gates']);
    const res = engine.save(saveArgs(c, ['t1']));
    await expect(res).rejects.toMatchObject({ code: 'MAIN_MOVED' });
    expect(git(c.repo, ['log', '-1', '--format=%s', 'main'])).toBe('concurrent');
    expect(git(c.repo, ['tag', '-l'])).toBe('');
    expect(git(c.repo, ['branch', '--list', 'session/s1/integration'])).toBe('');
    // The journal was dropped: the next Save runs.
    expect(await engine.recoverSave({ repoPath: c.repo, sessionId: 's1' })).toEqual({ state: 'none' });
  });

  it('rejects an invalid .thalogos.json with GATE_CONFIG_INVALID and changes nothing', async () => {
    const c = setup('{"gates": "npm test"}');
    await task(engine, c, 't1', (wt) => write(wt, 'one.txt', 'one\n'));
    const before = refsSnapshot(c.repo);
    await expect(engine.save(saveArgs(c, ['t1']))).rejects.toMatchObject({ code: 'GATE_CONFIG_INVALID' });
    expect(refsSnapshot(c.repo)).toBe(before);
    expect(await engine.recoverSave({ repoPath: c.repo, sessionId: 's1' })).toEqual({ state: 'none' });
  });

  it('rejects bad names with INVALID_NAME and unknown branches with BRANCH_NOT_FOUND', async () => {
    const c = setup();
    const before = refsSnapshot(c.repo);
    for (const taskIds of [['../x'], ['a/b'], ['t1', 't1']]) {
      await expect(engine.save(saveArgs(c, taskIds))).rejects.toMatchObject({ code: 'INVALID_NAME' });
    }
    await expect(engine.save({ ...saveArgs(c, ['t1']), sessionId: 'bad..id' })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(engine.save(saveArgs(c, ['nope']))).rejects.toMatchObject({ code: 'BRANCH_NOT_FOUND' });
    for (const integrationWorktreePath of ['relative', path.join(c.repo, '.git', 'x'), `${c.root}/a/../b`, c.repo]) {
      await expect(engine.save(saveArgs(c, ['t1'], { integrationWorktreePath }))).rejects.toMatchObject({ code: expect.stringMatching(/INVALID_NAME|PATH_OUTSIDE_REPOSITORY/) });
    }
    expect(refsSnapshot(c.repo)).toBe(before);
  });

  it('a gate that rewrites the journal cannot choose what main moves to: JOURNAL_CONFLICT, nothing moves', async () => {
    // The gate points the journal's candidate at the task head (a real commit that skipped the merge).
    const gate = 'f="$(git rev-parse --path-format=absolute --git-common-dir)/thalogos/save-s1.json"; t="$(git rev-parse session/s1/task/t1)"; sed -i "s/\\"candidate\\": \\"[0-9a-f]*\\"/\\"candidate\\": \\"$t\\"/" "$f"';
    const c = setup({ gates: [gate] });
    const head = await task(engine, c, 't1', (wt) => write(wt, 't1.txt', 'x\n'));
    const mainBefore = git(c.repo, ['rev-parse', 'main']);
    await expect(engine.save(saveArgs(c, ['t1']))).rejects.toMatchObject({ code: 'JOURNAL_CONFLICT', data: { actual: { candidate: head } } });
    expect(git(c.repo, ['rev-parse', 'main'])).toBe(mainBefore);
    expect(git(c.repo, ['tag', '-l'])).toBe('');
    expect(fs.existsSync(path.join(c.repo, '.git/thalogos/save-s1.json'))).toBe(false);
  });

  it('refuses a gateTimeoutMs outside 1 s .. 24 h (Node would clamp 2^31 ms to 1 ms) and changes nothing', async () => {
    const c = setup({ gates: ['true'] });
    await task(engine, c, 't1', (wt) => write(wt, 't1.txt', 'x\n'));
    const before = refsSnapshot(c.repo);
    for (const gateTimeoutMs of [2 ** 31, 25 * 60 * 60 * 1000, 999, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(engine.save(saveArgs(c, ['t1'], { gateTimeoutMs }))).rejects.toMatchObject({ code: 'INVALID_NAME', data: { field: 'gateTimeoutMs' } });
    }
    expect(refsSnapshot(c.repo)).toBe(before);
    expect((await engine.save(saveArgs(c, ['t1'], { gateTimeoutMs: 24 * 60 * 60 * 1000 }))).status).toBe('published');
  });
});
