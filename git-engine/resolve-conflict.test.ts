import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, GitEngineError, type ConflictReport, type GitEngine } from './index.js';
import { fsckProblems, git, makeRepo, refsSnapshot, removeDir, tempDir, write, signingKeyFixture } from './test-support.js';

// A clock that advances on every read: the second Save rebuilds the earlier tasks' merge commits
// with other oids, so the follow-up merge cannot lean on an identical candidate.
let tick = 0;
const now = () => new Date(Date.UTC(2026, 2, 4, 5, 6, 7) + 1000 * tick++);
let engine: GitEngine;
let signed: GitEngine;
let gnupg: string;
const roots: string[] = [];

beforeAll(async () => {
  engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now });
  const key = await signingKeyFixture();
  gnupg = key.gnupg;
  signed = createGitEngine({ orchestratorVersion: '0.1.0-test', now, signingKey: { armoredPrivateKey: key.privateKey } });
});
afterAll(async () => { await engine.close(); await signed.close(); removeDir(gnupg); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

interface Ctx { root: string; repo: string }
const LINES = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
const text = (lines: string[]) => `${lines.join('\n')}\n`;
const edit = (at: Record<number, string>) => text(LINES.map((l, i) => at[i] ?? l));

function setup(extra: Record<string, string> = {}): Ctx {
  const r = makeRepo({ 'README.md': 'hello\n', 'src/a.txt': text(LINES), ...extra });
  roots.push(r.root);
  return r;
}

const wtOf = (c: Ctx, taskId: string) => path.join(c.root, `wt-${taskId}`);

async function task(c: Ctx, taskId: string, change: (wt: string) => void, e: GitEngine = engine): Promise<string> {
  const wt = wtOf(c, taskId);
  await e.createWorktree({ repoPath: c.repo, sessionId: 's1', taskId, worktreePath: wt });
  change(wt);
  return (await e.commitWorktree({ repoPath: c.repo, sessionId: 's1', taskId, worktreePath: wt, agent: 'codex', message: `work of ${taskId}` })).head;
}

const save = (c: Ctx, saveId: string, e: GitEngine = engine) =>
  e.save({ repoPath: c.repo, sessionId: 's1', saveId, taskIds: ['t1', 't2'], integrationWorktreePath: path.join(c.root, 'integration') });

async function conflictOf(c: Ctx, e: GitEngine = engine): Promise<ConflictReport> {
  const res = await save(c, 'save1', e);
  if (res.status !== 'conflict') throw new Error(`expected a conflict, got ${JSON.stringify(res)}`);
  expect(res.report.taskId).toBe('t2');
  return res.report;
}

async function refusal(p: Promise<unknown>): Promise<GitEngineError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(GitEngineError);
  return err as GitEngineError;
}

/** The follow-up Save publishes; main has the expected file; history and worktree are as git expects. */
async function expectPublished(c: Ctx, report: ConflictReport, commit: string, files: Record<string, string | null>): Promise<void> {
  const res = await save(c, 'save2');
  if (res.status !== 'published') throw new Error(JSON.stringify(res));
  expect(git(c.repo, ['rev-parse', 'main'])).toBe(res.commit);
  for (const [p, content] of Object.entries(files)) {
    if (content === null) expect(git(c.repo, ['ls-tree', '--name-only', 'main', p])).toBe('');
    else expect(git(c.repo, ['show', `main:${p}`])).toBe(content.replace(/\n$/, ''));
  }
  expect(fsckProblems(c.repo)).toEqual([]);
  expect(git(c.repo, ['log', '-1', '--format=%P', commit])).toBe(`${report.theirs} ${report.ours}`);
  expect(git(c.repo, ['merge-base', '--is-ancestor', commit, 'main']).length).toBe(0);
  // The task's worktree followed its branch: same files as the commit, nothing to report.
  const wt = wtOf(c, 't2');
  expect(git(wt, ['rev-parse', 'HEAD'])).toBe(commit);
  expect(git(wt, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
  for (const [p, content] of Object.entries(files)) {
    if (content === null) expect(fs.existsSync(path.join(wt, p))).toBe(false);
    else expect(fs.readFileSync(path.join(wt, p), 'utf8')).toBe(content);
  }
}

/** Native git's own resolution of every conflict to one side (`git merge-file --ours/--theirs`). */
function gitMergeFile(c: Ctx, report: ConflictReport, p: string, side: 'ours' | 'theirs'): string {
  const dir = tempDir('thalogos-mf-');
  try {
    const base = git(c.repo, ['merge-base', report.ours, report.theirs]);
    for (const [name, rev] of [['base', base], ['ours', report.ours], ['theirs', report.theirs]] as const) {
      fs.writeFileSync(path.join(dir, name), git(c.repo, ['show', `${rev}:${p}`]) + '\n');
    }
    const r = spawnSync('git', ['merge-file', '-p', `--${side}`, 'ours', 'base', 'theirs'], { cwd: dir, encoding: 'utf8' });
    return r.stdout;
  } finally {
    removeDir(dir);
  }
}

describe('resolveConflict', () => {
  it('a same-line conflict resolved theirs: signed merge commit with trailers, then Save publishes the chosen line', async () => {
    const c = setup();
    await task(c, 't1', (wt) => write(wt, 'src/a.txt', edit({ 1: 'two from t1' })), signed);
    const theirs = await task(c, 't2', (wt) => write(wt, 'src/a.txt', edit({ 1: 'two from t2' })), signed);
    const report = await conflictOf(c, signed);
    expect(report.files.map((f) => [f.path, f.kind, f.hunks.length])).toEqual([['src/a.txt', 'content', 1]]);
    expect(report.theirs).toBe(theirs);

    const out = await signed.resolveConflict({
      repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs,
      resolutions: [{ path: 'src/a.txt', hunk: 0, side: 'theirs' }],
    });
    expect(out.branch).toBe('session/s1/task/t2');
    expect(out.files).toEqual(['src/a.txt']);
    expect(git(c.repo, ['rev-parse', out.branch])).toBe(out.commit);
    expect(git(c.repo, ['log', '-1', '--format=%s', out.commit])).toBe('Resolve conflicts with the integration of session s1');
    expect(git(c.repo, ['log', '-1', '--format=%(trailers:only,unfold)', out.commit]).split('\n')).toEqual([
      'Agent: person', 'Session: s1', 'Task: t2', 'Orchestrator-Version: 0.1.0-test', 'Resolved-Hunks: 1',
    ]);
    const verify = spawnSync('git', ['verify-commit', out.commit], { cwd: c.repo, env: { ...process.env, GNUPGHOME: gnupg }, encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    const expected = edit({ 1: 'two from t2' });
    expect(gitMergeFile(c, report, 'src/a.txt', 'theirs')).toBe(expected);
    expect(git(c.repo, ['show', `${out.commit}:src/a.txt`])).toBe(expected.trimEnd());
    await expectPublished(c, report, out.commit, { 'src/a.txt': expected });
  });

  it('a same-line conflict resolved ours keeps the integration line (named resolver in the Agent trailer)', async () => {
    const c = setup();
    await task(c, 't1', (wt) => write(wt, 'src/a.txt', edit({ 1: 'two from t1' })));
    await task(c, 't2', (wt) => { write(wt, 'src/a.txt', edit({ 1: 'two from t2' })); write(wt, 'new.txt', 'added by t2\n'); });
    const report = await conflictOf(c);
    const out = await engine.resolveConflict({
      repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs,
      resolutions: [{ path: 'src/a.txt', hunk: 0, side: 'ours' }], resolvedBy: 'Ada Lovelace',
    });
    expect(git(c.repo, ['log', '-1', '--format=%(trailers:key=Agent,valueonly)', out.commit])).toBe('Ada Lovelace');
    const expected = edit({ 1: 'two from t1' });
    expect(gitMergeFile(c, report, 'src/a.txt', 'ours')).toBe(expected);
    // The task's other work survives the resolution.
    await expectPublished(c, report, out.commit, { 'src/a.txt': expected, 'new.txt': 'added by t2\n' });
  });

  it('two conflict hunks of one file resolved differently; clean regions and adjacent edits merge as in Save', async () => {
    const c = setup();
    await task(c, 't1', (wt) => write(wt, 'src/a.txt', edit({ 1: 'two/t1', 8: 'nine/t1' })));
    await task(c, 't2', (wt) => write(wt, 'src/a.txt', edit({ 1: 'two/t2', 5: 'six/t2', 8: 'nine/t2' })));
    const report = await conflictOf(c);
    const file = report.files[0];
    expect(file?.hunks.map((h) => [h.baseStart, h.ours, h.theirs])).toEqual([[2, ['two/t1'], ['two/t2']], [9, ['nine/t1'], ['nine/t2']]]);
    const out = await engine.resolveConflict({
      repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs,
      resolutions: [{ path: 'src/a.txt', hunk: 1, side: 'theirs' }, { path: 'src/a.txt', hunk: 0, side: 'ours' }],
    });
    expect(git(c.repo, ['log', '-1', '--format=%(trailers:key=Resolved-Hunks,valueonly)', out.commit])).toBe('2');
    await expectPublished(c, report, out.commit, { 'src/a.txt': edit({ 1: 'two/t1', 5: 'six/t2', 8: 'nine/t2' }) });
  });

  it('modify/delete resolved to the deleting side removes the file', async () => {
    const c = setup({ 'gone.txt': 'keep me\n' });
    await task(c, 't1', (wt) => fs.rmSync(path.join(wt, 'gone.txt')));
    await task(c, 't2', (wt) => write(wt, 'gone.txt', 'keep me, changed\n'));
    const report = await conflictOf(c);
    expect(report.files.map((f) => [f.path, f.kind, f.hunks.length])).toEqual([['gone.txt', 'modify_delete', 0]]);
    const out = await engine.resolveConflict({
      repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs,
      resolutions: [{ path: 'gone.txt', side: 'ours' }],
    });
    await expectPublished(c, report, out.commit, { 'gone.txt': null, 'src/a.txt': text(LINES) });
  });

  it('modify/delete resolved to the modifying side keeps its version', async () => {
    const c = setup({ 'gone.txt': 'keep me\n' });
    await task(c, 't1', (wt) => write(wt, 'gone.txt', 'changed on t1\n'));
    await task(c, 't2', (wt) => fs.rmSync(path.join(wt, 'gone.txt')));
    const report = await conflictOf(c);
    const out = await engine.resolveConflict({
      repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs,
      resolutions: [{ path: 'gone.txt', side: 'ours' }],
    });
    await expectPublished(c, report, out.commit, { 'gone.txt': 'changed on t1\n' });
  });

  it('a binary add/add resolved theirs takes their blob', async () => {
    const c = setup();
    await task(c, 't1', (wt) => fs.writeFileSync(path.join(wt, 'img.bin'), Buffer.from([0, 1, 2, 3])));
    await task(c, 't2', (wt) => fs.writeFileSync(path.join(wt, 'img.bin'), Buffer.from([0, 9, 9, 9])));
    const report = await conflictOf(c);
    expect(report.files.map((f) => [f.path, f.kind])).toEqual([['img.bin', 'binary']]);
    const out = await engine.resolveConflict({
      repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs,
      resolutions: [{ path: 'img.bin', side: 'theirs' }],
    });
    await save(c, 'save2');
    expect(git(c.repo, ['rev-parse', 'main:img.bin'])).toBe(report.files[0]?.theirs.oid);
    expect(git(c.repo, ['rev-parse', `${out.commit}^2`])).toBe(report.ours);
  });

  it('whole-file choices for rename/delete and file/directory conflicts', async () => {
    const c = setup({ 'doc/old.txt': 'a\nb\nc\nd\ne\n' });
    await task(c, 't1', (wt) => { git(wt, ['mv', 'doc/old.txt', 'doc/new.txt']); write(wt, 'x', 'file x\n'); });
    await task(c, 't2', (wt) => { fs.rmSync(path.join(wt, 'doc/old.txt')); write(wt, 'x/y', 'inside x\n'); });
    const report = await conflictOf(c);
    expect(report.files.map((f) => [f.path, f.kind])).toEqual([['doc/old.txt', 'rename'], ['x', 'file_directory']]);
    const out = await engine.resolveConflict({
      repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs,
      resolutions: [{ path: 'x', side: 'theirs' }, { path: 'doc/old.txt', side: 'ours' }],
    });
    expect(out.files).toEqual(['doc/old.txt', 'x']);
    await expectPublished(c, report, out.commit, { 'doc/new.txt': 'a\nb\nc\nd\ne\n', 'doc/old.txt': null, 'x/y': 'inside x\n' });
    expect(git(c.repo, ['ls-tree', '-r', '--name-only', 'main'])).toBe(['README.md', 'doc/new.txt', 'src/a.txt', 'x/y'].join('\n'));
  });

  it('refuses stale, incomplete, invalid and dirty resolutions without changing any ref or the worktree', async () => {
    const c = setup({ 'gone.txt': 'keep me\n' });
    await task(c, 't1', (wt) => { write(wt, 'src/a.txt', edit({ 1: 'two/t1', 8: 'nine/t1' })); fs.rmSync(path.join(wt, 'gone.txt')); });
    await task(c, 't2', (wt) => { write(wt, 'src/a.txt', edit({ 1: 'two/t2', 8: 'nine/t2' })); write(wt, 'gone.txt', 'changed\n'); });
    const report = await conflictOf(c);
    const refs = refsSnapshot(c.repo);
    const wt = wtOf(c, 't2');
    const base = { repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs };
    const all = [
      { path: 'gone.txt', side: 'theirs' as const },
      { path: 'src/a.txt', hunk: 0, side: 'ours' as const },
      { path: 'src/a.txt', hunk: 1, side: 'theirs' as const },
    ];
    const cases: Array<[string, Parameters<GitEngine['resolveConflict']>[0], string, unknown]> = [
      ['nothing chosen', { ...base, resolutions: [] }, 'UNRESOLVED_CONFLICT',
        { missing: [{ path: 'gone.txt', kind: 'modify_delete' }, { path: 'src/a.txt', kind: 'content', hunks: [0, 1] }] }],
      ['one hunk missing', { ...base, resolutions: all.slice(0, 2) }, 'UNRESOLVED_CONFLICT',
        { missing: [{ path: 'src/a.txt', kind: 'content', hunks: [1] }] }],
      ['not a conflict', { ...base, resolutions: [...all, { path: 'README.md', side: 'ours' }] }, 'INVALID_RESOLUTION', { path: 'README.md', reason: 'not_a_conflict' }],
      ['no such hunk', { ...base, resolutions: [...all, { path: 'src/a.txt', hunk: 2, side: 'ours' }] }, 'INVALID_RESOLUTION', { reason: 'no_such_hunk', hunks: 2 }],
      ['whole file for hunks', { ...base, resolutions: [...all, { path: 'src/a.txt', side: 'ours' }] }, 'INVALID_RESOLUTION', { reason: 'hunk_required' }],
      ['hunk for a whole-file conflict', { ...base, resolutions: [...all, { path: 'gone.txt', hunk: 0, side: 'ours' }] }, 'INVALID_RESOLUTION', { reason: 'whole_file_only' }],
      ['duplicate', { ...base, resolutions: [...all, { path: 'src/a.txt', hunk: 0, side: 'theirs' }] }, 'INVALID_RESOLUTION', { reason: 'duplicate' }],
      ['bad side', { ...base, resolutions: [{ path: 'src/a.txt', hunk: 0, side: 'mine' as 'ours' }] }, 'INVALID_RESOLUTION', { reason: 'shape' }],
      ['bad task id', { ...base, taskId: '../t2', resolutions: all }, 'INVALID_NAME', undefined],
      ['bad commit id', { ...base, ours: 'HEAD', resolutions: all }, 'INVALID_NAME', undefined],
      ['bad resolver', { ...base, resolvedBy: 'a\nb', resolutions: all }, 'INVALID_NAME', undefined],
      ['ours equal to theirs (no conflict)', { ...base, ours: report.theirs, resolutions: all }, 'INVALID_RESOLUTION', { reason: 'no_conflict' }],
      // A MergeError from the worker keeps its own code instead of WORKER_FAILED.
      ['unknown commit', { ...base, ours: 'f'.repeat(40), resolutions: all }, 'OBJECT_NOT_FOUND', undefined],
    ];
    for (const [name, params, code, data] of cases) {
      const err = await refusal(engine.resolveConflict(params));
      expect([name, err.code], err.message).toEqual([name, code]);
      if (data !== undefined) expect(err.data, name).toMatchObject(data as object);
      expect(refsSnapshot(c.repo), name).toBe(refs);
    }

    // Local edits in the task worktree that the resolution would overwrite: WORKTREE_DIRTY.
    write(wt, 'src/a.txt', 'uncommitted\n');
    const dirty = await refusal(engine.resolveConflict({ ...base, resolutions: all }));
    expect(dirty.code).toBe('WORKTREE_DIRTY');
    expect(dirty.data).toMatchObject({ workdir: wt, paths: ['src/a.txt'] });
    expect(refsSnapshot(c.repo)).toBe(refs);
    expect(fs.readFileSync(path.join(wt, 'src/a.txt'), 'utf8')).toBe('uncommitted\n');
    git(wt, ['checkout', '--', 'src/a.txt']);

    // The agent committed after the report: STALE_CONFLICT.
    write(wt, 'later.txt', 'later\n');
    await engine.commitWorktree({ repoPath: c.repo, sessionId: 's1', taskId: 't2', worktreePath: wt, agent: 'codex', message: 'later' });
    const refsLater = refsSnapshot(c.repo);
    const stale = await refusal(engine.resolveConflict({ ...base, resolutions: all }));
    expect(stale.code).toBe('STALE_CONFLICT');
    expect(stale.data).toMatchObject({ expected: report.theirs, actual: git(c.repo, ['rev-parse', 'session/s1/task/t2']) });
    expect(refsSnapshot(c.repo)).toBe(refsLater);
    expect(fsckProblems(c.repo)).toEqual([]);
  });

  it('works without a task worktree (the branch alone moves)', async () => {
    const c = setup();
    await task(c, 't1', (wt) => write(wt, 'src/a.txt', edit({ 1: 'two from t1' })));
    await task(c, 't2', (wt) => write(wt, 'src/a.txt', edit({ 1: 'two from t2' })));
    const report = await conflictOf(c);
    await engine.removeWorktree({ repoPath: c.repo, sessionId: 's1', taskId: 't2', worktreePath: wtOf(c, 't2') });
    const out = await engine.resolveConflict({
      repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs,
      resolutions: [{ path: 'src/a.txt', hunk: 0, side: 'theirs' }],
    });
    const res = await save(c, 'save2');
    expect(res.status).toBe('published');
    expect(git(c.repo, ['show', 'main:src/a.txt'])).toBe(edit({ 1: 'two from t2' }).trimEnd());
    expect(git(c.repo, ['rev-list', '--count', `${out.commit}..main`])).not.toBe('0');
    expect(fsckProblems(c.repo)).toEqual([]);
  });
});

/** A blob's exact bytes as native git reads them (no trimming: line breaks matter here). */
const blob = (c: Ctx, spec: string): string => spawnSync('git', ['cat-file', 'blob', spec], { cwd: c.repo, encoding: 'utf8' }).stdout;

describe('resolveConflict: both sides and hand-written hunks', () => {
  it('both sides of a hunk follow git merge-file --union (ours, then theirs)', async () => {
    const c = setup();
    await task(c, 't1', (wt) => write(wt, 'src/a.txt', edit({ 1: 'two from t1' })));
    await task(c, 't2', (wt) => write(wt, 'src/a.txt', edit({ 1: 'two from t2' })));
    const report = await conflictOf(c);
    const out = await engine.resolveConflict({
      repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs,
      resolutions: [{ path: 'src/a.txt', hunk: 0, side: 'both' }],
    });
    const union = spawnSync('git', ['merge-file', '-p', '--union', 'ours', 'base', 'theirs'], { cwd: unionDir(c, report, 'src/a.txt'), encoding: 'utf8' }).stdout;
    expect(union).toBe(text(['1', 'two from t1', 'two from t2', ...LINES.slice(2)]));
    expect(blob(c, `${out.commit}:src/a.txt`)).toBe(union);
    expect(fsckProblems(c.repo)).toEqual([]);
    await expectPublished(c, report, out.commit, { 'src/a.txt': union });
  });

  it('one hunk takes both sides, another a hand-written text (UTF-8, a line break added), clean regions merged between', async () => {
    const c = setup();
    await task(c, 't1', (wt) => write(wt, 'src/a.txt', edit({ 1: 'two/t1', 8: 'nine/t1' })));
    await task(c, 't2', (wt) => write(wt, 'src/a.txt', edit({ 1: 'two/t2', 5: 'six/t2', 8: 'nine/t2' })));
    const report = await conflictOf(c);
    const out = await engine.resolveConflict({
      repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs,
      resolutions: [{ path: 'src/a.txt', hunk: 0, side: 'both' }, { path: 'src/a.txt', hunk: 1, side: 'manual', text: 'neuf — écrit à la main\nnine, by hand' }],
    });
    const expected = text(['1', 'two/t1', 'two/t2', '3', '4', '5', 'six/t2', '7', '8', 'neuf — écrit à la main', 'nine, by hand', '10', '11', '12']);
    expect(blob(c, `${out.commit}:src/a.txt`)).toBe(expected);
    expect(git(c.repo, ['log', '-1', '--format=%(trailers:key=Resolved-Hunks,valueonly)', out.commit])).toBe('2');
    expect(fsckProblems(c.repo)).toEqual([]);
    await expectPublished(c, report, out.commit, { 'src/a.txt': expected });
  });

  it('a hand-written hunk at the end of a file without a final line break stays exact; an empty text drops the lines', async () => {
    const c = setup({ 'end.txt': 'keep\nlast' , 'drop.txt': 'a\nb\nc\n' });
    await task(c, 't1', (wt) => { write(wt, 'end.txt', 'keep\nlast/t1'); write(wt, 'drop.txt', 'a\nb/t1\nc\n'); });
    await task(c, 't2', (wt) => { write(wt, 'end.txt', 'keep\nlast/t2'); write(wt, 'drop.txt', 'a\nb/t2\nc\n'); });
    const report = await conflictOf(c);
    expect(report.files.map((f) => f.path)).toEqual(['drop.txt', 'end.txt']);
    const out = await engine.resolveConflict({
      repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs,
      resolutions: [{ path: 'end.txt', hunk: 0, side: 'manual', text: 'last, by hand' }, { path: 'drop.txt', hunk: 0, side: 'manual', text: '' }],
    });
    expect(blob(c, `${out.commit}:end.txt`)).toBe('keep\nlast, by hand');
    expect(blob(c, `${out.commit}:drop.txt`)).toBe('a\nc\n');
    expect(fsckProblems(c.repo)).toEqual([]);
  });

  it('refuses bad text and both/manual for whole-file conflicts with typed errors, changing nothing', async () => {
    const c = setup({ 'gone.txt': 'keep me\n' });
    await task(c, 't1', (wt) => {
      write(wt, 'src/a.txt', edit({ 1: 'two/t1' })); fs.rmSync(path.join(wt, 'gone.txt'));
      fs.writeFileSync(path.join(wt, 'img.bin'), Buffer.from([0, 1, 2])); fs.symlinkSync('target-one', path.join(wt, 'link'));
    });
    await task(c, 't2', (wt) => {
      write(wt, 'src/a.txt', edit({ 1: 'two/t2' })); write(wt, 'gone.txt', 'changed\n');
      fs.writeFileSync(path.join(wt, 'img.bin'), Buffer.from([0, 9, 9])); fs.symlinkSync('target-two', path.join(wt, 'link'));
    });
    const report = await conflictOf(c);
    expect(report.files.map((f) => [f.path, f.kind, f.hunks.length])).toEqual([
      ['gone.txt', 'modify_delete', 0], ['img.bin', 'binary', 0], ['link', 'add_add', 1], ['src/a.txt', 'content', 1],
    ]);
    const refs = refsSnapshot(c.repo);
    const base = { repoPath: c.repo, sessionId: 's1', taskId: 't2', ours: report.ours, theirs: report.theirs };
    const rest = [{ path: 'gone.txt', side: 'ours' as const }, { path: 'img.bin', side: 'theirs' as const }, { path: 'link', side: 'ours' as const }];
    const hunk = (choice: object) => ({ ...base, resolutions: [...rest, { path: 'src/a.txt', hunk: 0, ...choice }] as Parameters<GitEngine['resolveConflict']>[0]['resolutions'] });
    const cases: Array<[string, Parameters<GitEngine['resolveConflict']>[0], string, unknown]> = [
      ['manual without text', hunk({ side: 'manual' }), 'RESOLUTION_TEXT_INVALID', { reason: 'missing', path: 'src/a.txt', hunk: 0 }],
      ['text not a string', hunk({ side: 'manual', text: 42 }), 'RESOLUTION_TEXT_INVALID', { reason: 'type' }],
      ['text with NUL', hunk({ side: 'manual', text: 'a\0b' }), 'RESOLUTION_TEXT_INVALID', { reason: 'nul' }],
      ['text over 1 MiB', hunk({ side: 'manual', text: 'é'.repeat(512 * 1024 + 1) }), 'RESOLUTION_TEXT_INVALID', { reason: 'too_large', bytes: 1024 * 1024 + 2 }],
      ['lone surrogate', hunk({ side: 'manual', text: 'a\uD800b' }), 'RESOLUTION_TEXT_INVALID', { reason: 'encoding' }],
      ['text with side ours', hunk({ side: 'ours', text: 'x' }), 'RESOLUTION_TEXT_INVALID', { reason: 'unexpected' }],
      ['unknown side', hunk({ side: 'union' }), 'INVALID_RESOLUTION', { reason: 'shape' }],
      ['both for modify/delete', { ...base, resolutions: [{ path: 'gone.txt', side: 'both' }] }, 'RESOLUTION_SIDE_NOT_ALLOWED', { path: 'gone.txt', side: 'both' }],
      ['manual for a binary file', { ...base, resolutions: [{ path: 'img.bin', side: 'manual', text: 'x' }] }, 'RESOLUTION_SIDE_NOT_ALLOWED', { path: 'img.bin', side: 'manual' }],
      ['both for a symlink target', { ...base, resolutions: [rest[0]!, rest[1]!, { path: 'link', hunk: 0, side: 'both' }, { path: 'src/a.txt', hunk: 0, side: 'ours' }] }, 'RESOLUTION_SIDE_NOT_ALLOWED', { path: 'link', side: 'both' }],
    ];
    for (const [name, params, code, data] of cases) {
      const err = await refusal(engine.resolveConflict(params));
      expect([name, err.code], err.message).toEqual([name, code]);
      expect(err.data, name).toMatchObject(data as object);
      expect(refsSnapshot(c.repo), name).toBe(refs);
    }
    // The same file resolved well: exactly 1 MiB of text is accepted.
    const big = `${'x'.repeat(1024 * 1024 - 1)}\n`;
    const out = await engine.resolveConflict(hunk({ side: 'manual', text: big }));
    expect(blob(c, `${out.commit}:src/a.txt`)).toBe(`1\n${big}${LINES.slice(2).join('\n')}\n`);
    expect(fsckProblems(c.repo)).toEqual([]);
  });
});

/** base/ours/theirs of `p` in a scratch directory, for git merge-file. */
function unionDir(c: Ctx, report: ConflictReport, p: string): string {
  const dir = tempDir('thalogos-union-');
  roots.push(dir);
  const base = git(c.repo, ['merge-base', report.ours, report.theirs]);
  for (const [name, rev] of [['base', base], ['ours', report.ours], ['theirs', report.theirs]] as const) fs.writeFileSync(path.join(dir, name), blob(c, `${rev}:${p}`));
  return dir;
}
