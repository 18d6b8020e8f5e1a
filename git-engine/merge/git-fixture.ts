/**
 * Test and benchmark support (not exported from index.ts): build real repositories with native
 * git, which is the oracle. Deterministic identities and dates so that oids are reproducible.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import isogit from 'isomorphic-git';
import { mergeCommits } from './merge-commits.js';

export type FileOp =
  | { op: 'write'; path: string; content: string | Buffer; exec?: boolean }
  | { op: 'link'; path: string; target: string }
  | { op: 'rm'; path: string }
  | { op: 'mv'; from: string; to: string }
  | { op: 'chmod'; path: string; exec: boolean };

let clock = 1_700_000_000;

function gitEnv(): NodeJS.ProcessEnv {
  clock += 60;
  const date = `${clock} +0000`;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: os.tmpdir(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Fixture', GIT_AUTHOR_EMAIL: 'fixture@localhost', GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: 'Fixture', GIT_COMMITTER_EMAIL: 'fixture@localhost', GIT_COMMITTER_DATE: date,
  };
}

export function git(cwd: string, args: string[], input?: string | Buffer): string {
  return execFileSync('git', args, { cwd, env: gitEnv(), input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

export function gitResult(cwd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd, env: gitEnv(), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function makeRepo(parent?: string): string {
  const dir = fs.mkdtempSync(path.join(parent ?? os.tmpdir(), 'merge-repo-'));
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'core.autocrlf', 'false']);
  return dir;
}

export function applyOps(repo: string, ops: readonly FileOp[]): void {
  for (const o of ops) {
    if (o.op === 'write' || o.op === 'link') {
      const file = path.join(repo, o.path);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.rmSync(file, { force: true, recursive: true });
      if (o.op === 'link') fs.symlinkSync(o.target, file);
      else {
        fs.writeFileSync(file, o.content);
        fs.chmodSync(file, o.exec ? 0o755 : 0o644);
      }
    } else if (o.op === 'rm') {
      fs.rmSync(path.join(repo, o.path), { recursive: true, force: true });
    } else if (o.op === 'mv') {
      fs.mkdirSync(path.dirname(path.join(repo, o.to)), { recursive: true });
      fs.renameSync(path.join(repo, o.from), path.join(repo, o.to));
    } else {
      fs.chmodSync(path.join(repo, o.path), o.exec ? 0o755 : 0o644);
    }
  }
}

/** Apply ops to the work tree and commit everything on the current branch; returns the oid. */
export function commit(repo: string, ops: readonly FileOp[], message: string): string {
  applyOps(repo, ops);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '--allow-empty', '-m', message]);
  return git(repo, ['rev-parse', 'HEAD']).trim();
}

export function checkout(repo: string, branch: string, create?: string): void {
  git(repo, create === undefined ? ['checkout', '-q', branch] : ['checkout', '-q', '-b', branch, create]);
}

/** Native oracle: `git merge-tree --write-tree`; clean with a tree, or the conflicted paths. */
export function nativeMergeTree(repo: string, ours: string, theirs: string):
  { clean: true; tree: string } | { clean: false; tree: string; paths: string[] } {
  const r = gitResult(repo, ['merge-tree', '--write-tree', '--name-only', ours, theirs]);
  const lines = r.stdout.split('\n');
  const tree = (lines[0] ?? '').trim();
  if (r.code === 0) return { clean: true, tree };
  if (r.code !== 1) throw new Error(`git merge-tree failed (${r.code}): ${r.stderr}`);
  const paths: string[] = [];
  for (const l of lines.slice(1)) {
    if (l === '') break;
    paths.push(l);
  }
  return { clean: false, tree, paths };
}

/** Numbered lines, handy for line-oriented scenarios. */
export function lines(n: number, prefix = 'line'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);
}

export function text(ls: readonly string[]): string {
  return `${ls.join('\n')}\n`;
}

export interface LargeRepoOptions {
  files: number;
  dirs: number;
  branches: number;
  perBranch: number;
  linesPerFile?: number;
  /** Branch name of the i-th branch (0-based); default `task{i+1}`. */
  branchName?: (i: number) => string;
  /**
   * Check `main` out in the work tree (slow: writing 10,000 files costs ~10 s on the CI disks).
   * When false, HEAD is parked on a one-file orphan branch `parking`, so main is checked out
   * nowhere and moving it touches no work tree.
   */
  checkoutMain?: boolean;
}

/**
 * A repository of `files` files over `dirs` directories built with `git fast-import` (about a
 * second for 10,000 files), plus branches off main that each change `perBranch` distinct files
 * (one line in the middle of each). Returns the main commit and the branch tips.
 */
export function generateLargeRepo(parent: string, opts: LargeRepoOptions):
  { repo: string; main: string; branches: Array<{ name: string; head: string; changed: string[] }> } {
  const repo = makeRepo(parent);
  const linesPerFile = opts.linesPerFile ?? 20;
  const branchName = opts.branchName ?? ((i: number) => `task${i + 1}`);
  const fileName = (i: number): string => `src/d${String(i % opts.dirs).padStart(3, '0')}/sub${i % 7}/file${i}.txt`;
  const content = (i: number, tag: string): string =>
    Array.from({ length: linesPerFile }, (_, l) => (l === linesPerFile / 2 ? `file ${i} line ${l} ${tag}` : `file ${i} line ${l}`)).join('\n') + '\n';
  const chunks: string[] = [];
  const blob = (data: string): string => `data ${Buffer.byteLength(data)}\n${data}\n`;
  let mark = 0;
  let time = 1_700_000_000;
  const commitHeader = (ref: string, msg: string): string => {
    time += 60;
    return `commit ${ref}\nmark :${++mark}\ncommitter Fixture <fixture@localhost> ${time} +0000\n${blob(msg)}`;
  };
  chunks.push(commitHeader('refs/heads/main', 'base'));
  for (let i = 0; i < opts.files; i++) chunks.push(`M 100644 inline ${fileName(i)}\n${blob(content(i, 'base'))}`);
  const baseMark = mark;
  const branches: Array<{ name: string; changed: string[] }> = [];
  for (let b = 0; b < opts.branches; b++) {
    const name = branchName(b);
    chunks.push(commitHeader(`refs/heads/${name}`, `change ${opts.perBranch} files on ${name}`));
    chunks.push(`from :${baseMark}\n`);
    const changed: string[] = [];
    for (let k = 0; k < opts.perBranch; k++) {
      // j -> j * 7919 mod files is a bijection (7919 is prime and does not divide the usual
      // sizes), so no two branches share a file and each branch's files spread over the tree.
      const idx = ((b * opts.perBranch + k) * 7919) % opts.files;
      changed.push(fileName(idx));
      chunks.push(`M 100644 inline ${fileName(idx)}\n${blob(content(idx, `changed by ${name}`))}`);
    }
    branches.push({ name, changed });
  }
  if (opts.checkoutMain === false) {
    chunks.push(commitHeader('refs/heads/parking', 'parking'));
    chunks.push(`M 100644 inline PARKING\n${blob('HEAD parks here so that main is checked out nowhere\n')}`);
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: chunks.join(''), env: gitEnv(), maxBuffer: 64 * 1024 * 1024 });
  if (opts.checkoutMain === false) git(repo, ['symbolic-ref', 'HEAD', 'refs/heads/parking']);
  git(repo, ['reset', '-q', '--hard']);
  const main = git(repo, ['rev-parse', 'main']).trim();
  return {
    repo, main,
    branches: branches.map((b) => ({ ...b, head: git(repo, ['rev-parse', `refs/heads/${b.name}`]).trim() })),
  };
}

/** Native oracle for a Save: merge `heads` one after another with merge-tree + commit-tree. */
export function nativeMergeChain(repo: string, start: string, heads: readonly string[]): { commit: string; tree: string } {
  let head = start;
  for (const theirs of heads) {
    const r = nativeMergeTree(repo, head, theirs);
    if (!r.clean) throw new Error(`native merge of ${theirs} into ${head} conflicts`);
    head = git(repo, ['commit-tree', r.tree, '-p', head, '-p', theirs, '-m', `merge ${theirs}`]).trim();
  }
  return { commit: head, tree: git(repo, ['rev-parse', `${head}^{tree}`]).trim() };
}

/** The same chain with mergeCommits in this thread (one cache), committing with isomorphic-git. */
export async function inProcessMergeChain(gitdir: string, start: string, heads: readonly string[]): Promise<{ commit: string; tree: string }> {
  const cache = {};
  const sig = { name: 'Fixture', email: 'fixture@localhost', timestamp: 1_700_000_000, timezoneOffset: 0 };
  let head = start;
  let tree = '';
  for (const theirs of heads) {
    const out = await mergeCommits({ fs, gitdir, cache, ours: head, theirs });
    if (!out.clean) throw new Error(`mergeCommits of ${theirs} into ${head} conflicts`);
    tree = out.tree;
    head = await isogit.writeCommit({ fs, gitdir, commit: { message: `merge ${theirs}\n`, tree, parent: [head, theirs], author: sig, committer: sig } });
  }
  return { commit: head, tree };
}
