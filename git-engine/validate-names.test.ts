import { describe, expect, it } from 'vitest';
import { GitEngineError } from './errors.js';
import fs from 'node:fs';
import path from 'node:path';
import { isGitAliasComponent, isValidRefName, taskBranch, validateCheckpointName, validateId, validateRepoPath, validateWorktreePath } from './validate-names.js';
import { git, gitStatus, removeDir, tempDir } from './test-support.js';

const code = (fn: () => unknown) => { try { fn(); return 'ok'; } catch (e) { return (e as GitEngineError).code; } };

describe('name validation', () => {
  it('accepts ids of the agreed shape only', () => {
    for (const ok of ['a', 'A1', 'task_1-x', 'x'.repeat(64)]) expect(validateId('taskId', ok)).toBe(ok);
    for (const bad of ['', '-a', '_a', 'a.b', 'a/b', '..', 'a b', 'x'.repeat(65), 'é', 42, null]) expect(code(() => validateId('taskId', bad))).toBe('INVALID_NAME');
    expect(taskBranch('s1', 't1')).toBe('session/s1/task/t1');
  });

  it('agrees with native `git check-ref-format` on a corpus', () => {
    const corpus = ['refs/heads/main', 'refs/heads/a..b', 'refs/heads/a.lock', 'refs/heads/.hidden', 'refs/heads/a/', 'refs/heads/a//b',
      'refs/heads/a b', 'refs/heads/a~1', 'refs/heads/a^', 'refs/heads/a:b', 'refs/heads/a?', 'refs/heads/a*', 'refs/heads/a[', 'refs/heads/a\\b',
      'refs/heads/a@{1}', 'refs/heads/@', 'refs/heads/x.', 'refs/heads/session/s/task/t', 'refs/heads/ok-name_1.2', 'refs/heads/a\tb'];
    for (const ref of corpus) {
      const native = gitStatus('/', ['check-ref-format', ref]).code === 0;
      expect([ref, isValidRefName(ref)]).toEqual([ref, native]);
    }
  });

  it('validates worktree paths and repository-relative paths', () => {
    const repo = '/srv/repo';
    const gitdir = '/srv/repo/.git';
    expect(validateWorktreePath('/srv/wt/a', repo, gitdir)).toBe('/srv/wt/a');
    expect(validateWorktreePath('/srv/repo/.thalogos/wt', repo, gitdir)).toBe('/srv/repo/.thalogos/wt');
    for (const bad of ['rel/a', '/srv/wt/../x', '/srv/./x', '/srv/repo', '/srv', '/', '']) expect(code(() => validateWorktreePath(bad, repo, gitdir))).toBe('INVALID_NAME');
    expect(code(() => validateWorktreePath('/srv/repo/.git/x', repo, gitdir))).toBe('PATH_OUTSIDE_REPOSITORY');
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '.git/config', 'sub/.GIT/hooks', './a']) expect(code(() => validateRepoPath(bad))).toBe('PATH_OUTSIDE_REPOSITORY');
    expect(validateRepoPath('src/a.txt')).toBe('src/a.txt');
  });

  it('refuses the path components native git refuses as .git aliases (verify_path, NTFS and HFS+ rules)', () => {
    const repo = tempDir();
    try {
      git(repo, ['init', '-q']);
      fs.writeFileSync(path.join(repo, 'blob'), 'x');
      const oid = git(repo, ['hash-object', '-w', 'blob']);
      const corpus = ['.git', '.GIT', '.Git', 'git~1', 'GIT~1', '.git.', '.git ', '.git. .', '.g\u200cit', '.\ufeffGit', '.git::$INDEX_ALLOCATION', '.git:x',
        '.gitx', 'x.git', '.git~1', 'git~2', 'git~1x', '.gitmodules', '.GITMODULES.', 'git', '.g', 'normal.txt'];
      for (const [i, name] of corpus.entries()) {
        for (const symlink of [false, true]) {
          // Native git decides on a file (or symlink) at `d<i>/<name>`, written straight into the index.
          const rel = `d${i}/${name}`;
          const native = gitStatus(repo, ['-c', 'core.protectHFS=true', '-c', 'core.protectNTFS=true', 'update-index', '--add', '--cacheinfo', `${symlink ? '120000' : '100644'},${oid},${rel}`]).code === 0;
          expect([name, symlink, !isGitAliasComponent(name, symlink)]).toEqual([name, symlink, native]);
          const mode = symlink ? '120000' : '100644';
          expect([rel, code(() => validateRepoPath(rel, mode)) === 'ok']).toEqual([rel, native]);
        }
      }
    } finally {
      removeDir(repo);
    }
  });

  it('parses checkpoint names', () => {
    expect(validateCheckpointName('checkpoint/2026-03-04-12')).toEqual({ tag: 'checkpoint/2026-03-04-12', suffix: '2026-03-04-12' });
    expect(validateCheckpointName('refs/tags/checkpoint/2026-03-04-1').tag).toBe('checkpoint/2026-03-04-1');
    for (const bad of ['checkpoint/2026-03-04-0', 'checkpoint/x', 'main', 'checkpoint/2026-03-04-1/../x']) expect(code(() => validateCheckpointName(bad))).toBe('INVALID_NAME');
  });
});
