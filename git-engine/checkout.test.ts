// A full checkout of a few thousand files (packed with deltas and loose objects, executable files,
// symlinks, deep directories, empty files, names git sorts byte-wise) against native git: the same
// index entries as `git worktree add`, stat data git trusts without re-hashing, a clean status.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, GIT_ENV, removeDir, tempDir, write } from './test-support.js';

const FILES = 3000;
let root: string;
let repo: string;
let engine: GitEngine;

function buildRepo(dir: string): void {
  git(dir, ['init', '-q', '-b', 'main']);
  const chunks: string[] = ['commit refs/heads/main\ncommitter T <t@localhost> 1700000000 +0000\ndata 4\nbase\n'];
  const data = (s: string): string => `data ${Buffer.byteLength(s)}\n${s}\n`;
  for (let i = 0; i < FILES; i++) {
    const dir = `src/m${i % 10}/d${i % 30}/${i % 3 ? `deep/er/x${i % 4}` : 'flat'}`;
    if (i % 97 === 5) chunks.push(`M 120000 inline ${dir}/link${i}\n${data(i % 2 ? `../target${i}.txt` : `/abs/outside/${i}`)}`);
    else if (i % 41 === 3) chunks.push(`M 100755 inline ${dir}/run${i}.sh\n${data(`#!/bin/sh\necho ${i}\n`)}`);
    else if (i % 211 === 7) chunks.push(`M 100644 inline ${dir}/empty${i}\n${data('')}`);
    // Similar contents, so that a repack stores most blobs as deltas.
    else chunks.push(`M 100644 inline ${dir}/f${i}.txt\n${data(Array.from({ length: 30 }, (_, l) => `line ${l} of a file${l === 15 ? ` ${i}` : ''}`).join('\n') + '\n')}`);
  }
  // Names whose byte order differs from a naive sort: 'a-b' < 'a.b' < 'a/b' < 'a0' in git's order.
  for (const n of ['a-b', 'a.b', 'a/b', 'a0', 'sp ace.txt', 'ünï.txt']) chunks.push(`M 100644 inline odd/${n}\n${data(`${n}\n`)}`);
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: chunks.join(''), env: GIT_ENV, maxBuffer: 64 * 1024 * 1024 });
  git(dir, ['repack', '-adfq', '--depth=20']);
  // A second commit whose changes stay loose objects (not repacked).
  git(dir, ['checkout', '-q', 'main']);
  write(dir, 'src/m6/d6/flat/f6.txt', 'changed, loose\n');
  write(dir, 'new/dir/tool.sh', '#!/bin/sh\n', 0o755);
  fs.symlinkSync('../../src', path.join(dir, 'new/dir/src-link'));
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-qm', 'loose changes']);
  // Park HEAD elsewhere so that main may be checked out by the worktrees.
  git(dir, ['checkout', '-q', '--detach']);
}

beforeAll(() => {
  root = tempDir();
  repo = path.join(root, 'repo');
  fs.mkdirSync(repo);
  buildRepo(repo);
  engine = createGitEngine({ orchestratorVersion: '0.1.0-test' });
}, 120_000);
afterAll(async () => { await engine?.close(); if (root) removeDir(root); });

/** `git ls-files --debug`: per path, the stat data git recorded. */
function debugStat(wt: string): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  let cur: Record<string, number> | null = null;
  for (const line of git(wt, ['-c', 'core.quotePath=false', 'ls-files', '--debug']).split('\n')) {
    const m = /^\s+(ctime|mtime|dev|uid|size): *(\d+)(?::(\d+))?\s*(?:(ino|gid|flags): *(\d+))?/.exec(line);
    if (!m) { cur = {}; out.set(line, cur); continue; }
    if (!cur) continue;
    cur[m[1] as string] = Number(m[2]);
    if (m[3] !== undefined) cur[`${m[1]}Nsec`] = Number(m[3]);
    if (m[4] !== undefined) cur[m[4]] = Number(m[5]);
  }
  return out;
}

describe('full checkout of a large tree', () => {
  it('writes what git worktree add writes, with stat data git trusts', async () => {
    const wt = path.join(root, 'engine-wt');
    const res = await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 'big', worktreePath: wt });
    const native = path.join(root, 'native-wt');
    git(repo, ['worktree', 'add', '-q', '--detach', native, res.baseCommit]);

    // Same paths, modes and oids as native git's index for the same commit.
    const lsFiles = (dir: string): string => git(dir, ['-c', 'core.quotePath=false', 'ls-files', '-s']);
    const ours = lsFiles(wt);
    expect(ours.split('\n')).toHaveLength(FILES + 6 + 2);
    expect(ours).toBe(lsFiles(native));
    expect(ours).toMatch(/^100755 [0-9a-f]{40} 0\tnew\/dir\/tool\.sh$/m);
    expect(ours).toMatch(/^120000 [0-9a-f]{40} 0\tnew\/dir\/src-link$/m);

    // Stat-clean: `diff-files` compares the index's stat data with lstat and does not re-hash, so a
    // wrong ctime/mtime/ino/size/mode would list the path. Then the user-facing view.
    expect(git(wt, ['diff-files', '--name-only'])).toBe('');
    expect(git(wt, ['status', '--porcelain'])).toBe('');
    expect(git(wt, ['diff', '--stat'])).toBe('');
    expect(git(wt, ['diff', '--cached', '--stat'])).toBe('');

    // Every entry's recorded stat data is the file's own (lstat, not following symlinks).
    const stats = debugStat(wt);
    expect(stats.size).toBe(FILES + 6 + 2);
    for (const [rel, e] of stats) {
      const st = fs.lstatSync(path.join(wt, rel), { bigint: true });
      expect({ rel, mtime: e.mtime, mtimeNsec: e.mtimeNsec, ctime: e.ctime, ctimeNsec: e.ctimeNsec, ino: e.ino, size: e.size, dev: e.dev }).toEqual({
        rel,
        mtime: Number(st.mtimeNs / 1_000_000_000n), mtimeNsec: Number(st.mtimeNs % 1_000_000_000n),
        ctime: Number(st.ctimeNs / 1_000_000_000n), ctimeNsec: Number(st.ctimeNs % 1_000_000_000n),
        ino: Number(st.ino & 0xffffffffn), size: Number(st.size), dev: Number(st.dev & 0xffffffffn),
      });
    }

    // Contents, modes and links on disk match native git's checkout byte for byte.
    for (const rel of ['src/m6/d6/flat/f6.txt', 'odd/ünï.txt', 'odd/a/b', 'new/dir/tool.sh']) {
      expect(fs.readFileSync(path.join(wt, rel))).toEqual(fs.readFileSync(path.join(native, rel)));
      expect(fs.lstatSync(path.join(wt, rel)).mode).toBe(fs.lstatSync(path.join(native, rel)).mode);
    }
    expect(fs.readlinkSync(path.join(wt, 'new/dir/src-link'))).toBe('../../src');
    expect(fsckProblems(repo)).toEqual([]);
  }, 180_000);

  it('replaces files, symlinks and directories in the way when re-checking out a partial worktree', async () => {
    const wt = path.join(root, 'engine-wt');
    const admin = path.join(repo, '.git/worktrees/s1.big');
    // An interrupted creation: admin dir still locked, files missing or of the wrong kind.
    fs.writeFileSync(path.join(admin, 'locked'), 'initializing\n');
    fs.rmSync(path.join(wt, 'src/m2'), { recursive: true });
    fs.rmSync(path.join(wt, 'odd/a.b'));
    fs.mkdirSync(path.join(wt, 'odd/a.b'));
    fs.writeFileSync(path.join(wt, 'odd/a.b/inside'), 'x\n');
    fs.rmSync(path.join(wt, 'new/dir'), { recursive: true });
    fs.symlinkSync(root, path.join(wt, 'new/dir')); // must be replaced, never followed
    fs.rmSync(path.join(admin, 'index'));
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 'big', worktreePath: wt });
    expect(fs.existsSync(path.join(admin, 'locked'))).toBe(false);
    expect(fs.lstatSync(path.join(wt, 'new/dir')).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(root, 'tool.sh'))).toBe(false);
    expect(git(wt, ['diff-files', '--name-only'])).toBe('');
    expect(git(wt, ['status', '--porcelain'])).toBe('');
    expect(git(wt, ['ls-files', '-s'])).toBe(git(path.join(root, 'native-wt'), ['ls-files', '-s']));
  }, 180_000);
});
