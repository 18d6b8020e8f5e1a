import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCommit, type CommitPerson } from './commit-object.js';
import { openRepo } from './repo.js';
import { fsckProblems, git as nativeGit, gitStatus, makeRepo, removeDir, signingKeyFixture } from './test-support.js';
import { writeCommit } from './write-objects.js';

// The engine renders commits itself (isomorphic-git's commit() cost 10-40 ms per call in ref
// lookups). Same inputs must give the very object isomorphic-git wrote before, byte for byte.
describe('commit objects rendered by the engine', () => {
  let c: { root: string; repo: string };
  let key: { privateKey: string; gnupg: string };
  beforeAll(async () => {
    c = makeRepo();
    key = await signingKeyFixture();
  });
  afterAll(() => {
    removeDir(c.root);
    removeDir(key.gnupg);
  });

  const person = (timestamp: number, timezoneOffset: number): CommitPerson => ({ name: 'Ada Lovelace', email: 'ada@example.org', timestamp, timezoneOffset });
  const messages = [
    'plain subject\n',
    'no trailing newline',
    '\n\nleading newlines\n\n\n',
    'crlf\r\nbody line\r\n',
    'Merge session/s1/task/t1 into session/s1/integration\n\nAgent: x\nSave: s-1\n',
    'unicode — ünïcødé ✓\n',
  ];
  const offsets = [0, -60, 330, -345];

  it('gives the object id isomorphic-git gives, for every message shape and time zone', async () => {
    const head = nativeGit(c.repo, ['rev-parse', 'HEAD']);
    const tree = nativeGit(c.repo, ['rev-parse', 'HEAD^{tree}']);
    const gitdir = path.join(c.repo, '.git');
    for (const message of messages) {
      for (const offset of offsets) {
        const author = person(1_700_000_000, offset);
        const committer = person(1_700_000_123, -offset);
        const text = await renderCommit({ tree, parents: [head, head], author, committer, message });
        const expected = await git.writeCommit({ fs, gitdir, commit: { tree, parent: [head, head], author, committer, message } });
        expect(nativeHashCommit(c.repo, Buffer.from(text, 'utf8')), `message ${JSON.stringify(message)} offset ${offset}`).toBe(expected);
      }
    }
  });

  it('writes commits native git reads, fscks and (signed) verifies', async () => {
    const repo = await openRepo(c.repo);
    const head = nativeGit(c.repo, ['rev-parse', 'HEAD']);
    const tree = nativeGit(c.repo, ['rev-parse', 'HEAD^{tree}']);
    const ctx = { committer: { name: 'Thalogos', email: 'thalogos@localhost' }, nowMs: 1_700_000_000_000 };
    const unsigned = await writeCommit(repo, ctx, { tree, parents: [head], message: 'unsigned\r\n\r\nbody\n\n' });
    const signed = await writeCommit(repo, { ...ctx, signingKey: { armoredPrivateKey: key.privateKey } }, { tree, parents: [head], message: 'signed\n' });
    expect(nativeGit(c.repo, ['log', '-1', '--format=%s|%b|%an|%at', unsigned])).toBe('unsigned|body\n|Thalogos|1700000000');
    expect(nativeGit(c.repo, ['cat-file', '-t', signed])).toBe('commit');
    const verify = gitStatus(c.repo, ['verify-commit', signed], { GNUPGHOME: key.gnupg });
    expect(verify.code, verify.out).toBe(0);
    expect(fsckProblems(c.repo)).toEqual([]);
  });
});

/** The id native git gives these bytes as a commit (without writing it). */
function nativeHashCommit(repo: string, raw: Buffer): string {
  const out = spawnSync('git', ['hash-object', '-t', 'commit', '--stdin'], { cwd: repo, input: raw, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  return out.stdout.trim();
}
