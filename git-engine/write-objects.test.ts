// Loose objects are written atomically (temp file, fsync, rename) and an object file left
// truncated or empty by a killed writer is repaired instead of being trusted because it exists.
// `git fsck` and `git cat-file` are the oracle.
import { deflateSync } from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { fsckProblems, git, makeRepo, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

const objectFile = (repo: string, oid: string) => path.join(repo, '.git/objects', oid.slice(0, 2), oid.slice(2));

describe('loose object writes', () => {
  it('repairs a truncated or empty object file left by a killed writer, so the commit is sound', async () => {
    const { root, repo } = makeRepo({ 'README.md': 'hello\n', 'src/a.txt': 'a\n' });
    roots.push(root);
    const wt = path.join(root, 'wt');
    await engine.createWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt });
    const big = Array.from({ length: 2000 }, (_, i) => `line ${i} of the new file\n`).join('');
    write(wt, 'src/new.txt', big);
    write(wt, 'src/empty-victim.txt', 'second file\n');
    // The ids the commit will need, computed by native git into a scratch object directory.
    const scratch = path.join(root, 'scratch-objects');
    fs.mkdirSync(scratch);
    const env = { GIT_OBJECT_DIRECTORY: scratch, GIT_ALTERNATE_OBJECT_DIRECTORIES: path.join(repo, '.git/objects'), GIT_INDEX_FILE: path.join(root, 'scratch-index') };
    git(wt, ['add', '-A'], env);
    const tree = git(wt, ['write-tree'], env);
    const srcTree = git(wt, ['rev-parse', `${tree}:src`], env);
    const blob = git(wt, ['hash-object', 'src/new.txt']);
    const victim = git(wt, ['hash-object', 'src/empty-victim.txt']);
    // What a kill -9 in the middle of writing leaves: half a zlib stream, or an empty file.
    const plant = (oid: string, bytes: Buffer) => {
      fs.mkdirSync(path.dirname(objectFile(repo, oid)), { recursive: true });
      fs.writeFileSync(objectFile(repo, oid), bytes, { mode: 0o444 });
    };
    const full = deflateSync(Buffer.concat([Buffer.from(`blob ${Buffer.byteLength(big)}\0`), Buffer.from(big)]));
    plant(blob, full.subarray(0, full.length >> 1));
    plant(victim, Buffer.alloc(0));
    plant(srcTree, Buffer.from([0x78, 0x01]));
    expect(fsckProblems(repo).join('\n')).toMatch(/corrupt|error|missing/i);

    const res = await engine.commitWorktree({ repoPath: repo, sessionId: 's1', taskId: 't1', worktreePath: wt, agent: 'codex', message: 'new files' });
    expect(git(repo, ['rev-parse', `${res.head}^{tree}`])).toBe(tree);
    expect(git(repo, ['cat-file', 'blob', blob])).toBe(big.trimEnd());
    expect(git(repo, ['cat-file', 'blob', victim])).toBe('second file');
    expect(git(repo, ['ls-tree', '--name-only', srcTree])).toBe('a.txt\nempty-victim.txt\nnew.txt');
    expect(fsckProblems(repo)).toEqual([]);
    // No temp files are left in the object directories.
    const leftovers = fs.readdirSync(path.join(repo, '.git/objects'), { recursive: true }).map(String).filter((f) => /tmp/.test(f));
    expect(leftovers).toEqual([]);
  });
});
