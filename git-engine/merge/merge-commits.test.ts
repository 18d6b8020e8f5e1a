import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MergeError, mergeCommits } from './index.js';
import { checkout, commit, git, makeRepo } from './git-fixture.js';

let root: string;
let repo: string;
let ours: string;
let theirs: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-commits-'));
  repo = makeRepo(root);
  const base = commit(repo, [{ op: 'write', path: 'a.txt', content: 'a\nb\nc\nd\ne\n' }], 'base');
  checkout(repo, 'A', base);
  ours = commit(repo, [{ op: 'write', path: 'a.txt', content: 'A\nb\nc\nd\ne\n' }], 'ours');
  checkout(repo, 'B', base);
  theirs = commit(repo, [{ op: 'write', path: 'a.txt', content: 'a\nb\nc\nd\nE\n' }], 'theirs');
});
afterAll(() => { fs.rmSync(root, { recursive: true, force: true }); });

const input = (o: string, t: string) => ({ fs, gitdir: path.join(repo, '.git'), cache: {}, ours: o, theirs: t });

async function rejection(p: Promise<unknown>): Promise<MergeError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(MergeError);
  return err as MergeError;
}

describe('mergeCommits', () => {
  it('leaves an object already present as it is, and replaces one a crash cut short', async () => {
    const first = await mergeCommits(input(ours, theirs));
    if (!first.clean) throw new Error('expected a clean merge');
    const file = path.join(repo, '.git', 'objects', first.tree.slice(0, 2), first.tree.slice(2));
    const inode = fs.statSync(file).ino;
    // Present and sound: not written again (git does the same; renaming over it cost ms each).
    const again = await mergeCommits(input(ours, theirs));
    expect(again.clean && again.tree).toBe(first.tree);
    expect(fs.statSync(file).ino).toBe(inode);
    // Cut short (as a crash between write and fsync can leave it): replaced with the whole object.
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 5));
    const repaired = await mergeCommits(input(ours, theirs));
    expect(repaired.clean && repaired.tree).toBe(first.tree);
    expect(git(repo, ['cat-file', '-t', first.tree]).trim()).toBe('tree');
    expect(git(repo, ['fsck', '--strict', '--no-dangling']).trim()).toBe('');
  });


  it('never touches refs, HEAD, the index or the work tree', async () => {
    const snapshot = () => ({
      refs: git(repo, ['for-each-ref', '--format=%(refname) %(objectname)']),
      head: fs.readFileSync(path.join(repo, '.git', 'HEAD'), 'utf8'),
      index: fs.readFileSync(path.join(repo, '.git', 'index')).toString('base64'),
      status: git(repo, ['status', '--porcelain']),
      file: fs.readFileSync(path.join(repo, 'a.txt'), 'utf8'),
    });
    const before = snapshot();
    const out = await mergeCommits(input(ours, theirs));
    expect(out.clean).toBe(true);
    if (out.clean) expect(git(repo, ['cat-file', 'blob', `${out.tree}:a.txt`])).toBe('A\nb\nc\nd\nE\n');
    expect(snapshot()).toEqual(before);
  });

  it('is symmetric for a clean merge and idempotent', async () => {
    const a = await mergeCommits(input(ours, theirs));
    const b = await mergeCommits(input(theirs, ours));
    const c = await mergeCommits(input(ours, theirs));
    expect(a.clean && b.clean && c.clean).toBe(true);
    if (a.clean && b.clean && c.clean) {
      expect(b.tree).toBe(a.tree);
      expect(c.tree).toBe(a.tree);
    }
  });

  it('reads objects from packs and loose files alike', async () => {
    const loose = await mergeCommits(input(ours, theirs));
    git(repo, ['repack', '-a', '-d', '-q']);
    git(repo, ['prune-packed']);
    expect(fs.readdirSync(path.join(repo, '.git', 'objects', 'pack')).some((n) => n.endsWith('.idx'))).toBe(true);
    const packed = await mergeCommits(input(ours, theirs));
    expect(packed).toEqual(loose);
  });

  it('refuses malformed ids, missing objects and non-commits with typed, serialisable errors', async () => {
    const bad = await rejection(mergeCommits(input('HEAD', theirs)));
    expect(bad.code).toBe('INVALID_OID');
    expect(JSON.parse(JSON.stringify(bad))).toMatchObject({ name: 'MergeError', code: 'INVALID_OID' });
    expect((await rejection(mergeCommits(input(ours, '0'.repeat(40))))).code).toBe('OBJECT_NOT_FOUND');
    expect((await rejection(mergeCommits({ ...input(ours, theirs), gitdir: '' }))).code).toBe('INVALID_INPUT');
    const tree = git(repo, ['rev-parse', `${ours}^{tree}`]).trim();
    expect((await rejection(mergeCommits(input(tree, theirs)))).code).toBe('NOT_A_COMMIT');
  });
});
