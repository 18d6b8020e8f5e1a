// Environment promotion against real repositories, checked with native git.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, gitStatus, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test' }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

const CONFIG = {
  environments: [
    { name: 'dev' },
    // staging's gate passes only where ok.txt exists (checkpoint 2 adds it).
    { name: 'staging', gates: ['test -f ok.txt && echo staging-gate-ran'] },
    { name: 'prod', approvals: { count: 2, role: 'reviewer' } },
  ],
};

/** main: c0 (config) -> c1 (cp1) -> c2 (cp2, adds ok.txt); `side` branch off c1 with cpSide. */
function repoWithCheckpoints(config: unknown = CONFIG) {
  const r = makeRepo({ 'README.md': 'v0\n', '.thalogos.json': JSON.stringify(config) });
  roots.push(r.root);
  const commitTag = (file: string, tag: string) => {
    write(r.repo, file, `${tag}\n`);
    git(r.repo, ['add', '-A']);
    git(r.repo, ['commit', '-q', '-m', tag]);
    git(r.repo, ['tag', '-a', tag, '-m', `Checkpoint ${tag}`]);
    return git(r.repo, ['rev-parse', 'HEAD']);
  };
  const c1 = commitTag('one.txt', 'checkpoint/2026-03-04-1');
  git(r.repo, ['checkout', '-q', '-b', 'side']);
  const side = commitTag('side.txt', 'checkpoint/2026-03-04-9');
  git(r.repo, ['checkout', '-q', 'main']);
  const c2 = commitTag('ok.txt', 'checkpoint/2026-03-04-2');
  return { ...r, c1, c2, side, cp1: 'checkpoint/2026-03-04-1', cp2: 'checkpoint/2026-03-04-2', cpSide: 'checkpoint/2026-03-04-9' };
}

const revParse = (repo: string, ref: string): string | null => {
  const r = gitStatus(repo, ['rev-parse', '--verify', '-q', `refs/heads/${ref}`]);
  return r.code === 0 ? r.out.trim() : null;
};

describe('environment promotion', () => {
  it('promotes fast-forward only: release/dev follows the checkpoints, an older one is refused and nothing moves', async () => {
    const { root, repo, c1, c2, cp1, cp2 } = repoWithCheckpoints();
    const wt = path.join(root, 'promotion');
    const first = await engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp1, environment: 'dev', worktreePath: wt });
    expect(first).toMatchObject({ status: 'promoted', environment: 'dev', commit: c1, previous: null, gates: [] });
    expect(revParse(repo, 'release/dev')).toBe(c1);
    const second = await engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp2, environment: 'dev', worktreePath: wt });
    expect(second).toMatchObject({ status: 'promoted', commit: c2, previous: c1 });
    expect(revParse(repo, 'release/dev')).toBe(c2);
    const before = refsSnapshot(repo);
    await expect(engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp1, environment: 'dev', worktreePath: wt }))
      .rejects.toMatchObject({ code: 'PROMOTION_NOT_FAST_FORWARD', data: { holds: c2 } });
    expect(refsSnapshot(repo)).toBe(before);
    expect(git(repo, ['reflog', '-1', '--format=%gs', 'refs/heads/release/dev'])).toBe(`thalogos: promote ${cp2}`);
    expect(fsckProblems(repo)).toEqual([]);
  });

  it('refuses a checkpoint that is not on the base branch, and one the previous environment does not hold', async () => {
    const { root, repo, cp1, cp2, cpSide } = repoWithCheckpoints();
    const wt = path.join(root, 'promotion');
    await expect(engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cpSide, environment: 'dev', worktreePath: wt }))
      .rejects.toMatchObject({ code: 'PROMOTION_NOT_ELIGIBLE' });
    await engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp1, environment: 'dev', worktreePath: wt });
    // dev holds cp1: cp2 is not there yet, so staging refuses it.
    await expect(engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp2, environment: 'staging', worktreePath: wt }))
      .rejects.toMatchObject({ code: 'PROMOTION_NOT_ELIGIBLE', data: { source: 'release/dev' } });
    expect(revParse(repo, 'release/staging')).toBeNull();
    await expect(engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp1, environment: 'qa', worktreePath: wt }))
      .rejects.toMatchObject({ code: 'ENVIRONMENT_NOT_FOUND', data: { known: ['dev', 'staging', 'prod'] } });
    await expect(engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp1, environment: 'Dev', worktreePath: wt }))
      .rejects.toMatchObject({ code: 'INVALID_NAME' });
  });

  it("runs the environment's gates in a detached checkout of the checkpoint; a failing gate leaves release/staging unmoved", async () => {
    const { root, repo, c2, cp1, cp2 } = repoWithCheckpoints();
    const wt = path.join(root, 'promotion');
    await engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp2, environment: 'dev', worktreePath: wt });
    const before = refsSnapshot(repo);
    // cp1 is an ancestor of what dev holds (eligible), but has no ok.txt: the gate fails.
    const failed = await engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp1, environment: 'staging', worktreePath: wt });
    expect(failed.status).toBe('gates_failed');
    expect(failed.gates[0]?.exitCode).not.toBe(0);
    expect(revParse(repo, 'release/staging')).toBeNull();
    expect(refsSnapshot(repo)).toBe(before);
    const passed = await engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp2, environment: 'staging', worktreePath: wt });
    expect(passed.status).toBe('promoted');
    expect(passed.gates[0]).toMatchObject({ exitCode: 0 });
    expect(passed.gates[0]?.output).toContain('staging-gate-ran');
    expect(revParse(repo, 'release/staging')).toBe(c2);
    // The checkout is detached at the checkpoint: no branch of the repository is checked out there.
    expect(git(wt, ['rev-parse', 'HEAD'])).toBe(c2);
    expect(gitStatus(wt, ['symbolic-ref', '-q', 'HEAD']).code).not.toBe(0);
    const envs = await engine.listEnvironments({ repoPath: repo });
    expect(envs.map((e) => [e.name, e.head, e.checkpoint])).toEqual([['dev', c2, cp2], ['staging', c2, cp2], ['prod', null, null]]);
    expect(envs[2]?.approvals).toEqual({ count: 2, role: 'reviewer' });
  });

  it('rolls an environment back to an earlier checkpoint it held; main and the tags are untouched', async () => {
    const { root, repo, c1, c2, cp1, cp2 } = repoWithCheckpoints();
    const wt = path.join(root, 'promotion');
    await engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp1, environment: 'dev', worktreePath: wt });
    await engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp2, environment: 'dev', worktreePath: wt });
    const main = git(repo, ['rev-parse', 'main']);
    const res = await engine.rollbackEnvironment({ repoPath: repo, checkpoint: cp1, environment: 'dev' });
    expect(res).toEqual({ environment: 'dev', checkpoint: cp1, commit: c1, previous: c2 });
    expect(revParse(repo, 'release/dev')).toBe(c1);
    expect(git(repo, ['rev-parse', 'main'])).toBe(main);
    // Not earlier than what dev holds now: refused, nothing moves.
    await expect(engine.rollbackEnvironment({ repoPath: repo, checkpoint: cp2, environment: 'dev' })).rejects.toMatchObject({ code: 'PROMOTION_NOT_ELIGIBLE' });
    await expect(engine.rollbackEnvironment({ repoPath: repo, checkpoint: cp1, environment: 'staging' })).rejects.toMatchObject({ code: 'BRANCH_NOT_FOUND' });
    expect(revParse(repo, 'release/dev')).toBe(c1);
    // After the rollback, promotion is fast-forward from there again.
    await engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp2, environment: 'dev', worktreePath: wt });
    expect(revParse(repo, 'release/dev')).toBe(c2);
  });

  it('refuses a malformed environments list with GATE_CONFIG_INVALID naming the key', async () => {
    const { root, repo, cp1 } = repoWithCheckpoints({ environments: [{ name: 'dev' }, { name: 'Prod!' }] });
    await expect(engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp1, environment: 'dev', worktreePath: path.join(root, 'p') }))
      .rejects.toMatchObject({ code: 'GATE_CONFIG_INVALID', data: { issues: [{ path: 'environments.1.name' }] } });
    const { repo: repo2 } = repoWithCheckpoints({ environments: [{ name: 'dev' }, { name: 'dev' }] });
    await expect(engine.listEnvironments({ repoPath: repo2 })).rejects.toMatchObject({ code: 'GATE_CONFIG_INVALID' });
    const { repo: repo3 } = repoWithCheckpoints({ environments: [{ name: 'dev', approvals: { count: 1, role: 'admin' } }] });
    await expect(engine.listEnvironments({ repoPath: repo3 })).rejects.toMatchObject({ code: 'GATE_CONFIG_INVALID' });
    expect(revParse(repo, 'release/dev')).toBeNull();
  });

  it("follows the session's base branch: the config and the eligible checkpoints are those of develop, not main", async () => {
    const r = makeRepo({ 'README.md': 'v0\n' });
    roots.push(r.root);
    git(r.repo, ['checkout', '-q', '-b', 'develop']);
    write(r.repo, '.thalogos.json', JSON.stringify({ environments: [{ name: 'dev' }] }));
    git(r.repo, ['add', '-A']);
    git(r.repo, ['commit', '-q', '-m', 'config on develop']);
    git(r.repo, ['tag', '-a', 'checkpoint/2026-03-04-1', '-m', 'cp']);
    const commit = git(r.repo, ['rev-parse', 'HEAD']);
    const wt = path.join(r.root, 'promotion');
    // main has no environments at all.
    await expect(engine.promote({ repoPath: r.repo, sessionId: 's1', checkpoint: 'checkpoint/2026-03-04-1', environment: 'dev', worktreePath: wt }))
      .rejects.toMatchObject({ code: 'ENVIRONMENT_NOT_FOUND' });
    const res = await engine.promote({ repoPath: r.repo, baseBranch: 'develop', sessionId: 's1', checkpoint: 'checkpoint/2026-03-04-1', environment: 'dev', worktreePath: wt });
    expect(res).toMatchObject({ status: 'promoted', commit });
    expect(revParse(r.repo, 'release/dev')).toBe(commit);
  });

  it('updates a checkout of release/dev like git merge --ff-only, and refuses when its local changes are in the way', async () => {
    const { root, repo, c2, cp1, cp2 } = repoWithCheckpoints();
    const wt = path.join(root, 'promotion');
    await engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp1, environment: 'dev', worktreePath: wt });
    const checkout = path.join(root, 'release-dev');
    git(repo, ['worktree', 'add', '-q', checkout, 'release/dev']);
    await engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp2, environment: 'dev', worktreePath: wt });
    expect(revParse(repo, 'release/dev')).toBe(c2);
    expect(git(checkout, ['status', '--porcelain'])).toBe('');
    expect(git(checkout, ['rev-parse', 'HEAD'])).toBe(c2);
    // A local edit of a file the rollback would change: refused, nothing moves.
    write(checkout, 'ok.txt', 'edited here\n');
    await expect(engine.rollbackEnvironment({ repoPath: repo, checkpoint: cp1, environment: 'dev' })).rejects.toMatchObject({ code: 'WORKTREE_DIRTY' });
    expect(revParse(repo, 'release/dev')).toBe(c2);
  });

  it('moves release/{env} by compare-and-swap: moved by someone else while the gates ran, it is refused with BRANCH_MOVED and left as they set it', async () => {
    // The gate itself stands in for a concurrent writer: it points release/dev at the first commit.
    const { root, repo, c1, cp2 } = repoWithCheckpoints({ environments: [{ name: 'dev', gates: ['git update-ref refs/heads/release/dev HEAD~1'] }] });
    await expect(engine.promote({ repoPath: repo, sessionId: 's1', checkpoint: cp2, environment: 'dev', worktreePath: path.join(root, 'promotion') }))
      .rejects.toMatchObject({ code: 'BRANCH_MOVED' });
    expect(revParse(repo, 'release/dev')).toBe(c1);
  });
});

