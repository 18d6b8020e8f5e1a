import fs from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, gitStatus, makeRepo, removeDir, tempDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

async function setup(files?: Record<string, string>) {
  const r = makeRepo(files);
  roots.push(r.root);
  const wt = path.join(r.root, 'wt');
  await engine.createWorktree({ repoPath: r.repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
  return { ...r, wt };
}

const commitArgs = (repo: string, wt: string) => ({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt, agent: 'codex', message: 'Implement the thing' });

describe('commitWorktree', () => {
  it('snapshots new, modified, deleted, exec-bit and symlink changes; git status is clean afterwards', async () => {
    const { repo, wt } = await setup({ 'README.md': 'hello\n', 'src/a.txt': 'a\n', 'gone.txt': 'bye\n', 'tool.sh': 'echo\n', 'l': 'x' });
    write(wt, 'src/a.txt', 'a2\n');
    write(wt, 'src/deep/new.txt', 'new\n');
    fs.rmSync(path.join(wt, 'gone.txt'));
    fs.chmodSync(path.join(wt, 'tool.sh'), 0o755);
    fs.rmSync(path.join(wt, 'l'));
    fs.symlinkSync('README.md', path.join(wt, 'l'));
    fs.symlinkSync('src/a.txt', path.join(wt, 'newlink'));
    const res = await engine.commitWorktree(commitArgs(repo, wt));
    expect(res.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(res.changes).toEqual([
      { path: 'gone.txt', kind: 'deleted' },
      { path: 'l', kind: 'symlink' },
      { path: 'newlink', kind: 'added' },
      { path: 'src/a.txt', kind: 'modified' },
      { path: 'src/deep/new.txt', kind: 'added' },
      { path: 'tool.sh', kind: 'mode' },
    ]);
    expect(git(repo, ['rev-parse', 'session/s1/task/t1'])).toBe(res.commit);
    expect(git(repo, ['rev-parse', `${res.commit}^`])).toBe(git(repo, ['rev-parse', 'main']));
    expect(git(wt, ['status', '--porcelain'])).toBe('');
    expect(git(repo, ['ls-tree', '-r', res.commit as string])).toMatch(/100755 blob \w+\ttool\.sh/);
    expect(git(repo, ['ls-tree', '-r', res.commit as string])).toMatch(/120000 blob \w+\tnewlink/);
    expect(git(repo, ['log', '-1', '--format=%(trailers)', res.commit as string])).toBe(
      'Agent: codex\nSession: s1\nTask: t1\nOrchestrator-Version: 0.1.0-test',
    );
    expect(git(repo, ['log', '-1', '--format=%ct %cn <%ce>', res.commit as string])).toBe(`${Date.parse('2026-03-04T05:06:07Z') / 1000} Thalogos <thalogos@localhost>`);
    expect(fsckProblems(repo)).toEqual([]);
    // Nothing changed now: no commit.
    const again = await engine.commitWorktree(commitArgs(repo, wt));
    expect(again).toEqual({ commit: null, head: res.commit, changes: [] });
  });

  it('makes the tree native git makes of the same changes, leaves no temp object or lock, and fsck is clean, commit after commit', async () => {
    const { repo, wt } = await setup({ 'README.md': 'hello\n', 'src/a.txt': 'a\n', 'src/b.txt': 'b\n', 'gone.txt': 'bye\n' });
    // The oracle: a native worktree at the same start, given the same changes, `git add -A`.
    const native = path.join(path.dirname(wt), 'native');
    git(repo, ['worktree', 'add', '-q', '--detach', native, 'main']);
    const steps: Array<(dir: string) => void> = [
      (dir) => { write(dir, 'src/a.txt', 'a2\n'); write(dir, 'src/deep/new.txt', 'new\n'); fs.rmSync(path.join(dir, 'gone.txt')); },
      (dir) => { fs.chmodSync(path.join(dir, 'src/b.txt'), 0o755); write(dir, 'top.txt', 'top\n'); },
      (dir) => { fs.rmSync(path.join(dir, 'src/deep'), { recursive: true }); fs.symlinkSync('README.md', path.join(dir, 'link')); },
    ];
    for (const step of steps) {
      step(wt);
      step(native);
      const res = await engine.commitWorktree(commitArgs(repo, wt));
      git(native, ['add', '-A']);
      expect(git(repo, ['rev-parse', `${res.commit}^{tree}`])).toBe(git(native, ['write-tree']));
      expect(git(repo, ['rev-parse', 'session/s1/task/t1'])).toBe(res.commit);
    }
    const leftovers = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => /tmp_obj_|\.lock$/.test(name));
    expect(leftovers(path.join(repo, '.git'))).toEqual([]);
    expect(fsckProblems(repo)).toEqual([]);
  });

  it('respects root and nested .gitignore (with negation) and keeps tracked ignored files', async () => {
    const { root, repo } = makeRepo({ 'README.md': 'x\n', '.gitignore': '*.log\nbuild/\n', 'pkg/.gitignore': 'tmp/\n!keep.log\n' });
    roots.push(root);
    write(repo, 'tracked.log', 'tracked\n');
    git(repo, ['add', '-f', 'tracked.log']);
    git(repo, ['commit', '-q', '-m', 'force-track an ignored file']);
    const wt = path.join(root, 'wt');
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    write(wt, 'a.log', 'ignored\n');
    write(wt, 'build/out.js', 'ignored\n');
    write(wt, 'pkg/tmp/x', 'ignored\n');
    write(wt, 'pkg/keep.log', 'kept\n');
    write(wt, 'pkg/other.log', 'ignored\n');
    write(wt, 'tracked.log', 'tracked and changed\n');
    const res = await engine.commitWorktree(commitArgs(repo, wt));
    expect(res.changes).toEqual([{ path: 'pkg/keep.log', kind: 'added' }, { path: 'tracked.log', kind: 'modified' }]);
    expect(git(wt, ['status', '--porcelain'])).toBe('');
    expect(git(wt, ['status', '--porcelain', '--ignored'])).toContain('!! a.log');
  });

  it('keeps commits the agent made with native git as parents', async () => {
    const { repo, wt } = await setup();
    write(wt, 'by-agent.txt', 'native\n');
    git(wt, ['add', 'by-agent.txt']);
    git(wt, ['commit', '-q', '-m', 'agent commit']);
    const agentCommit = git(wt, ['rev-parse', 'HEAD']);
    write(wt, 'after.txt', 'after\n');
    const res = await engine.commitWorktree(commitArgs(repo, wt));
    expect(git(repo, ['rev-parse', `${res.commit}^`])).toBe(agentCommit);
    expect(res.changes).toEqual([{ path: 'after.txt', kind: 'added' }]);
    expect(git(wt, ['status', '--porcelain'])).toBe('');
    expect(fsckProblems(repo)).toEqual([]);
  });

  it('refuses files that escape the worktree through symlinks with SYMLINK_ESCAPE', async () => {
    const { root, repo, wt } = await setup();
    write(root, 'secret.txt', 'secret\n');
    fs.symlinkSync('../secret.txt', path.join(wt, 'escape'));
    const before = git(repo, ['rev-parse', 'session/s1/task/t1']);
    await expect(engine.commitWorktree(commitArgs(repo, wt))).rejects.toMatchObject({ code: 'SYMLINK_ESCAPE' });
    fs.rmSync(path.join(wt, 'escape'));
    fs.symlinkSync('/etc', path.join(wt, 'abs'));
    await expect(engine.commitWorktree(commitArgs(repo, wt))).rejects.toMatchObject({ code: 'SYMLINK_ESCAPE' });
    expect(git(repo, ['rev-parse', 'session/s1/task/t1'])).toBe(before);
  });

  it('rejects bad trailers and unknown worktrees', async () => {
    const { repo, wt } = await setup();
    await expect(engine.commitWorktree({ ...commitArgs(repo, wt), extraTrailers: { Task: 'x' } })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(engine.commitWorktree({ ...commitArgs(repo, wt), extraTrailers: { 'Co-Author': 'a\nInjected: yes' } })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(engine.commitWorktree({ ...commitArgs(repo, wt), taskId: 'other' })).rejects.toMatchObject({ code: 'WORKTREE_NOT_FOUND' });
  });

  it('refuses a file name that is not valid UTF-8 with INVALID_NAME naming it hex-escaped; commits nothing', async () => {
    const { repo, wt } = await setup();
    const head = git(repo, ['rev-parse', 'session/s1/task/t1']);
    fs.writeFileSync(Buffer.concat([Buffer.from(`${wt}/src/f`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]), 'latin-1 name\n');
    // Native git sees it (as bytes); the engine cannot record it faithfully and says so.
    expect(git(wt, ['status', '--porcelain'])).toBe('?? "src/f\\377\\376.txt"');
    await expect(engine.commitWorktree(commitArgs(repo, wt))).rejects.toMatchObject({ code: 'INVALID_NAME', data: { path: 'src/f\\xff\\xfe.txt', reason: 'not_utf8' } });
    expect(git(repo, ['rev-parse', 'session/s1/task/t1'])).toBe(head);
  });

  it('refuses when a tracked directory became a repository of its own (git init in it) instead of deleting its files', async () => {
    const { repo, wt } = await setup({ 'README.md': 'hello\n', 'src/a.txt': 'a\n', 'src/deep/b.txt': 'b\n' });
    const head = git(repo, ['rev-parse', 'session/s1/task/t1']);
    write(wt, 'src/a.txt', 'edited\n');
    git(path.join(wt, 'src'), ['init', '-q']);
    // For native git the files are still tracked, not deleted.
    expect(git(wt, ['ls-files', 'src'])).toBe('src/a.txt\nsrc/deep/b.txt');
    expect(gitStatus(wt, ['status', '--porcelain']).out).not.toMatch(/^ D/m);
    await expect(engine.commitWorktree(commitArgs(repo, wt))).rejects.toMatchObject({ code: 'INVALID_NAME', data: { path: 'src', reason: 'tracked_directory_is_a_repository' } });
    expect(git(repo, ['rev-parse', 'session/s1/task/t1'])).toBe(head);
    expect(git(repo, ['ls-tree', '-r', '--name-only', head, 'src'])).toBe('src/a.txt\nsrc/deep/b.txt');
  });

  it('refuses names that alias .git (as native git add does) with INVALID_NAME naming the path; commits nothing', async () => {
    const { repo, wt } = await setup();
    const head = git(repo, ['rev-parse', 'session/s1/task/t1']);
    const cases: Array<[string, (abs: string) => void]> = [
      ['.GIT/config', (abs) => write(wt, abs, '[core]\n')],
      ['sub/.Git/hooks/post-checkout', (abs) => write(wt, abs, '#!/bin/sh\n')],
      ['git~1/config', (abs) => write(wt, abs, 'x\n')],
      ['.git./config', (abs) => write(wt, abs, 'x\n')],
      ['.git /config', (abs) => write(wt, abs, 'x\n')],
      ['.g\u200cit/config', (abs) => write(wt, abs, 'x\n')],
      ['.gitmodules', (abs) => fs.symlinkSync('README.md', path.join(wt, abs))],
    ];
    for (const [rel, make] of cases) {
      make(rel);
      // The oracle: native git refuses to add it too.
      expect(gitStatus(wt, ['-c', 'core.protectHFS=true', 'add', '--', rel]).code).not.toBe(0);
      const err = await engine.commitWorktree(commitArgs(repo, wt)).catch((e: unknown) => e);
      const top = rel.split('/').slice(0, rel.startsWith('sub/') ? 2 : 1).join('/');
      expect([rel, err]).toMatchObject([rel, { code: 'INVALID_NAME', data: { path: top } }]);
      expect(git(repo, ['rev-parse', 'session/s1/task/t1'])).toBe(head);
      fs.rmSync(path.join(wt, rel.startsWith('sub/') ? 'sub' : top), { recursive: true });
    }
    // Names that merely look similar are fine.
    write(wt, '.gitx/a', 'a\n');
    write(wt, 'x.git', 'b\n');
    write(wt, 'git~2', 'c\n');
    const res = await engine.commitWorktree(commitArgs(repo, wt));
    expect(res.changes.map((c) => c.path)).toEqual(['.gitx/a', 'git~2', 'x.git']);
    expect(fsckProblems(repo)).toEqual([]);
  });
});

describe('signed commits', () => {
  it('are accepted by native git verify-commit', async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', userIDs: [{ name: 'Thalogos Test', email: 'thalogos@localhost' }], format: 'armored' });
    const signing = createGitEngine({ orchestratorVersion: '0.1.0-test', signingKey: { armoredPrivateKey: privateKey } });
    try {
      const { root, repo, wt } = await setup();
      const gnupg = tempDir('thalogos-gpg-');
      roots.push(gnupg);
      fs.chmodSync(gnupg, 0o700);
      fs.writeFileSync(path.join(root, 'pub.asc'), publicKey);
      const env = { GNUPGHOME: gnupg };
      expect(gitStatus(root, ['-c', 'gpg.program=gpg', 'version'], env).code).toBe(0);
      const imp = (await import('node:child_process')).spawnSync('gpg', ['--batch', '--import', path.join(root, 'pub.asc')], { env: { ...process.env, ...env } });
      expect(imp.status).toBe(0);
      write(wt, 'signed.txt', 'signed\n');
      const res = await signing.commitWorktree(commitArgs(repo, wt));
      const v = gitStatus(repo, ['verify-commit', '-v', res.commit as string], env);
      expect(v.out).toContain('Good signature');
      expect(v.code).toBe(0);
      expect(fsckProblems(repo)).toEqual([]);
      // A tampered copy of the commit does not verify.
      const raw = git(repo, ['cat-file', 'commit', res.commit as string]).replace('Implement the thing', 'Implement another thing');
      const forged = (await import('node:child_process')).execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: repo, input: `${raw}\n`, encoding: 'utf8' }).trim();
      expect(gitStatus(repo, ['verify-commit', forged], env).code).not.toBe(0);
    } finally {
      await signing.close();
    }
  });
});
