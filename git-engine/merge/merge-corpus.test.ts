/**
 * Oracle corpus: every scenario is built with native git (base, branch A, branch B) and merged
 * both by `git merge-tree --write-tree` and by mergeCommits (in-process, real object store).
 *  - expect 'git': git's verdict must be reproduced: the same tree oid when git merges cleanly,
 *    a conflict (on the same paths unless listed as a documented difference) when it does not.
 *  - expect 'policy': git reports a conflict that the Save policy calls trivial; the resolved
 *    content and the recorded rule are asserted explicitly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergeCommits } from './index.js';
import type { MergeOutcome } from './index.js';
import { checkout, commit, git, lines, makeRepo, nativeMergeTree, text } from './git-fixture.js';
import type { FileOp } from './git-fixture.js';

interface Scenario {
  name: string;
  base: FileOp[];
  ours: FileOp[];
  theirs: FileOp[];
  /** Custom history instead of base/ours/theirs; returns the two commits to merge. */
  build?: (repo: string) => { ours: string; theirs: string };
  expect:
    | { kind: 'git'; conflictPaths?: string[]; conflictKinds?: string[] }
    | { kind: 'policy'; rule: string; files: Record<string, string> };
}

const w = (p: string, content: string | Buffer, exec = false): FileOp => ({ op: 'write', path: p, content, exec });
const rm = (p: string): FileOp => ({ op: 'rm', path: p });
const mv = (from: string, to: string): FileOp => ({ op: 'mv', from, to });
const L20 = lines(20);
const edit = (ls: string[], changes: Record<number, string | string[]>): string => {
  const out: string[] = [];
  ls.forEach((l, i) => {
    const c = changes[i + 1];
    if (c === undefined) out.push(l);
    else if (Array.isArray(c)) out.push(...c);
    else out.push(c);
  });
  return text(out);
};
const binary = (seed: number): Buffer => Buffer.from(Array.from({ length: 300 }, (_, i) => (i * seed) % 256).map((b, i) => (i % 50 === 0 ? 0 : b)));
/** Rewrites the first `n` lines completely. */
const rewrite = (content: string, n: number): string =>
  content.split('\n').map((l, i) => (i < n ? `rewritten line ${i} with different words entirely` : l)).join('\n');
const prose = (n: number, tag: string): string => text(Array.from({ length: n }, (_, i) => `${tag} sentence number ${i + 1} with enough words to be recognisable`));

const scenarios: Scenario[] = [
  // --- clean merges: identical tree to git --------------------------------------------------
  { name: 'different files', base: [w('a.txt', text(L20)), w('b.txt', text(L20))],
    ours: [w('a.txt', edit(L20, { 3: 'ours 3' }))], theirs: [w('b.txt', edit(L20, { 3: 'theirs 3' }))], expect: { kind: 'git' } },
  { name: 'same file, distant hunks', base: [w('a.txt', text(L20))],
    ours: [w('a.txt', edit(L20, { 2: 'ours 2' }))], theirs: [w('a.txt', edit(L20, { 15: 'theirs 15' }))], expect: { kind: 'git' } },
  { name: 'same file, hunks two lines apart', base: [w('a.txt', text(L20))],
    ours: [w('a.txt', edit(L20, { 5: 'ours 5' }))], theirs: [w('a.txt', edit(L20, { 7: 'theirs 7' }))], expect: { kind: 'git' } },
  { name: 'identical change plus distinct edits', base: [w('a.txt', text(L20))],
    ours: [w('a.txt', edit(L20, { 1: 'ours 1', 10: 'both 10' }))], theirs: [w('a.txt', edit(L20, { 10: 'both 10', 20: 'theirs 20' }))], expect: { kind: 'git' } },
  { name: 'nested directories', base: [w('src/a/b/c.txt', text(L20)), w('docs/x.md', text(L20)), w('src/z.txt', 'z\n')],
    ours: [w('src/a/b/c.txt', edit(L20, { 4: 'ours' })), w('src/a/b/new.txt', 'new\n')],
    theirs: [w('src/a/d/e.txt', 'e\n'), w('docs/x.md', edit(L20, { 9: 'theirs' })), rm('src/z.txt')], expect: { kind: 'git' } },
  { name: 'add/add identical', base: [w('a.txt', 'a\n')], ours: [w('new.txt', 'same\n')], theirs: [w('new.txt', 'same\n'), w('a.txt', 'A\n')], expect: { kind: 'git' } },
  { name: 'delete/delete', base: [w('a.txt', 'a\n'), w('old.txt', 'old\n')], ours: [rm('old.txt')], theirs: [rm('old.txt'), w('a.txt', 'A\n')], expect: { kind: 'git' } },
  { name: 'delete on one side only', base: [w('a.txt', 'a\n'), w('x.txt', 'x\n')], ours: [rm('x.txt')], theirs: [w('a.txt', 'A\n')], expect: { kind: 'git' } },
  { name: 'executable bit on one side, content on the other', base: [w('run.sh', text(['#!/bin/sh', ...L20]))],
    ours: [{ op: 'chmod', path: 'run.sh', exec: true }], theirs: [w('run.sh', text(['#!/bin/sh', ...lines(19), 'echo done']))], expect: { kind: 'git' } },
  { name: 'executable bit on both sides, content on one', base: [w('run.sh', text(L20))],
    ours: [w('run.sh', edit(L20, { 1: 'first' }), true)], theirs: [{ op: 'chmod', path: 'run.sh', exec: true }], expect: { kind: 'git' } },
  { name: 'executable bit removed on one side, edits on both', base: [w('run.sh', text(L20), true)],
    ours: [w('run.sh', edit(L20, { 2: 'ours' }), false)], theirs: [w('run.sh', edit(L20, { 18: 'theirs' }), true)], expect: { kind: 'git' } },
  { name: 'symlink added on one side', base: [w('target.txt', 't\n')], ours: [{ op: 'link', path: 'link', target: 'target.txt' }], theirs: [w('target.txt', 'T\n')], expect: { kind: 'git' } },
  { name: 'symlink retargeted on one side', base: [w('a.txt', 'a\n'), w('b.txt', 'b\n'), { op: 'link', path: 'l', target: 'a.txt' }],
    ours: [{ op: 'link', path: 'l', target: 'b.txt' }], theirs: [w('a.txt', 'A\n')], expect: { kind: 'git' } },
  { name: 'binary changed on one side', base: [w('img.bin', binary(3)), w('a.txt', 'a\n')], ours: [w('img.bin', binary(5))], theirs: [w('a.txt', 'A\n')], expect: { kind: 'git' } },
  { name: 'binary changed identically on both sides', base: [w('img.bin', binary(3))], ours: [w('img.bin', binary(7))], theirs: [w('img.bin', binary(7))], expect: { kind: 'git' } },
  { name: 'rename on one side, modify on the other', base: [w('a.txt', prose(20, 'alpha'))],
    ours: [mv('a.txt', 'b.txt')], theirs: [w('a.txt', prose(20, 'alpha').replace('number 3 ', 'number three '))], expect: { kind: 'git' } },
  { name: 'rename with edit vs modify', base: [w('lib/a.txt', prose(30, 'beta'))],
    ours: [rm('lib/a.txt'), w('lib/b.txt', prose(30, 'beta').replace('number 1 ', 'number one '))],
    theirs: [w('lib/a.txt', prose(30, 'beta').replace('number 29 ', 'number twenty-nine '))], expect: { kind: 'git' } },
  { name: 'rename with a third of the lines rewritten vs modify (similar enough)', base: [w('a.txt', prose(30, 'theta'))],
    ours: [rm('a.txt'), w('b.txt', rewrite(prose(30, 'theta'), 10))], theirs: [w('a.txt', prose(30, 'theta').replace('number 29 ', 'number twenty-nine '))], expect: { kind: 'git' } },
  { name: 'rename with most lines rewritten vs modify (not a rename for git)', base: [w('a.txt', prose(30, 'iota'))],
    ours: [rm('a.txt'), w('b.txt', rewrite(prose(30, 'iota'), 20))], theirs: [w('a.txt', prose(30, 'iota').replace('number 29 ', 'number twenty-nine '))],
    expect: { kind: 'git', conflictKinds: ['modify_delete'] } },
  { name: 'rename to the same path on both sides', base: [w('a.txt', prose(20, 'gamma'))],
    ours: [rm('a.txt'), w('b.txt', prose(20, 'gamma').replace('number 2 ', 'number two '))],
    theirs: [rm('a.txt'), w('b.txt', prose(20, 'gamma').replace('number 19 ', 'number nineteen '))], expect: { kind: 'git' } },
  { name: 'move into a new directory vs modify', base: [w('lib/x.ts', prose(15, 'delta')), w('lib/y.ts', 'y\n')],
    ours: [mv('lib/x.ts', 'src/lib/x.ts')], theirs: [w('lib/x.ts', prose(15, 'delta').replace('number 7 ', 'number seven '))], expect: { kind: 'git' } },
  { name: 'theirs renames, ours modifies', base: [w('a.txt', prose(20, 'eps'))],
    ours: [w('a.txt', prose(20, 'eps').replace('number 5 ', 'number five '))], theirs: [mv('a.txt', 'docs/a.txt')], expect: { kind: 'git' } },
  { name: 'file replaced by directory on one side', base: [w('x', 'file\n'), w('a.txt', 'a\n')],
    ours: [rm('x'), w('x/y.txt', 'inside\n')], theirs: [w('a.txt', 'A\n')], expect: { kind: 'git' } },
  { name: 'directory deleted on one side', base: [w('d/1.txt', '1\n'), w('d/2.txt', '2\n'), w('d/e/3.txt', '3\n'), w('a.txt', 'a\n')],
    ours: [rm('d')], theirs: [w('a.txt', 'A\n')], expect: { kind: 'git' } },
  { name: 'no newline at end of file', base: [w('a.txt', `${L20.join('\n')}`)],
    ours: [w('a.txt', `${edit(L20, { 1: 'first' }).slice(0, -1)}`)], theirs: [w('a.txt', `${L20.join('\n')}\nline 21`)], expect: { kind: 'git' } },
  { name: 'CRLF file, distant edits', base: [w('win.txt', `${L20.join('\r\n')}\r\n`)],
    ours: [w('win.txt', `${edit(L20, { 2: 'ours' }).replace(/\n/g, '\r\n')}`)], theirs: [w('win.txt', `${edit(L20, { 17: 'theirs' }).replace(/\n/g, '\r\n')}`)], expect: { kind: 'git' } },
  { name: 'many files in many directories', base: Array.from({ length: 60 }, (_, i) => w(`p${i % 6}/q${i % 4}/f${i}.txt`, text(lines(10, `f${i}`)))),
    ours: Array.from({ length: 10 }, (_, i) => w(`p${(i * 2) % 6}/q${(i * 2) % 4}/f${i * 2}.txt`, text(lines(10, `ours${i}`)))),
    theirs: Array.from({ length: 10 }, (_, i) => w(`p${(i * 2 + 1) % 6}/q${(i * 2 + 1) % 4}/f${i * 2 + 1}.txt`, text(lines(10, `theirs${i}`)))), expect: { kind: 'git' } },
  { name: 'tree order: a, a.txt, a-b and a/ side by side', base: [w('a.txt', '1\n'), w('a-b', '2\n'), w('a/x', '3\n'), w('a0', '4\n')],
    ours: [w('a/y', 'y\n'), w('a.txt', 'one\n')], theirs: [rm('a-b'), w('a-b/z', 'z\n'), w('a0', 'four\n')], expect: { kind: 'git' } },
  { name: 'non-ASCII names (trees ordered by UTF-8 bytes)', base: [w('a.txt', 'a\n'), w('é/x.txt', 'x\n')],
    ours: [w('\u{1F600}.txt', 'smile\n'), w('\uFB00.txt', 'ff\n'), w('é/y.txt', 'y\n')], theirs: [w('a.txt', 'A\n'), w('é/z.txt', 'z\n')], expect: { kind: 'git' } },
  { name: 'repeated lines (blank lines and braces)', base: [w('code.c', text(['int f() {', '  return 1;', '}', '', 'int g() {', '  return 2;', '}', '', 'int h() {', '  return 3;', '}']))],
    ours: [w('code.c', text(['int f() {', '  return 1;', '}', '', 'int f2() {', '  return 12;', '}', '', 'int g() {', '  return 2;', '}', '', 'int h() {', '  return 3;', '}']))],
    theirs: [w('code.c', text(['int f() {', '  return 1;', '}', '', 'int g() {', '  return 2;', '}', '', 'int h() {', '  return 33;', '}']))], expect: { kind: 'git' } },
  { name: 'criss-cross, bases merge cleanly', base: [], ours: [], theirs: [], build: crissCrossClean, expect: { kind: 'git' } },
  { name: 'criss-cross, bases conflict, both sides keep their resolution', base: [], ours: [], theirs: [], build: crissCrossConflict,
    expect: { kind: 'git', conflictPaths: ['f.txt'] } },
  { name: 'criss-cross, bases conflict, later edits elsewhere', base: [], ours: [], theirs: [], build: crissCrossSettled, expect: { kind: 'git' } },

  { name: 'whole directory moved vs a file modified inside', base: [w('old/a.txt', prose(10, 'aa')), w('old/b.txt', prose(10, 'bb')), w('old/sub/c.txt', prose(10, 'cc'))],
    ours: [mv('old', 'new')], theirs: [w('old/b.txt', prose(10, 'bb').replace('number 4 ', 'number four '))], expect: { kind: 'git' } },
  { name: 'directory deleted on both sides', base: [w('d/1.txt', '1\n'), w('d/2.txt', '2\n'), w('e.txt', 'e\n')], ours: [rm('d')], theirs: [rm('d'), w('e.txt', 'E\n')], expect: { kind: 'git' } },
  { name: 'rename on one side, executable bit on the other', base: [w('tool.sh', prose(12, 'sh'))], ours: [mv('tool.sh', 'bin/tool.sh')], theirs: [{ op: 'chmod', path: 'tool.sh', exec: true }], expect: { kind: 'git' } },
  { name: 'three merge bases', base: [], ours: [], theirs: [], build: threeBases, expect: { kind: 'git' } },
  { name: 'criss-cross, same resolution on both sides, then a distant edit', base: [], ours: [], theirs: [], build: crissCrossSameResolution, expect: { kind: 'git' } },

  // --- conflicts git reports and the policy keeps -----------------------------------------
  { name: 'directory deleted vs file modified inside it', base: [w('d/1.txt', text(L20)), w('d/2.txt', '2\n')], ours: [rm('d')], theirs: [w('d/1.txt', edit(L20, { 1: 'x' }))],
    expect: { kind: 'git', conflictKinds: ['modify_delete'] } },
  { name: 'directory renamed vs file added in the old directory', base: [w('old/a.txt', prose(10, 'a')), w('old/b.txt', prose(10, 'b'))], ours: [mv('old', 'new')], theirs: [w('old/d.txt', 'new file\n')],
    expect: { kind: 'git', conflictKinds: ['rename'], conflictPaths: ['new/d.txt'] } },
  { name: 'same-line conflict', base: [w('a.txt', text(L20))], ours: [w('a.txt', edit(L20, { 8: 'ours 8' }))], theirs: [w('a.txt', edit(L20, { 8: 'theirs 8' }))],
    expect: { kind: 'git', conflictKinds: ['content'] } },
  { name: 'overlapping multi-line conflict with clean hunks around', base: [w('a.txt', text(L20))],
    ours: [w('a.txt', edit(L20, { 1: 'o1', 8: 'o8', 9: 'o9' }))], theirs: [w('a.txt', edit(L20, { 9: 't9', 10: 't10', 20: 't20' }))],
    expect: { kind: 'git', conflictKinds: ['content'] } },
  { name: 'two insertions at the same place', base: [w('a.txt', text(L20))],
    ours: [w('a.txt', edit(L20, { 10: ['line 10', 'ours inserted'] }))], theirs: [w('a.txt', edit(L20, { 10: ['line 10', 'theirs inserted'] }))],
    expect: { kind: 'git', conflictKinds: ['content'] } },
  { name: 'add/add different', base: [w('a.txt', 'a\n')], ours: [w('new.txt', 'ours\n')], theirs: [w('new.txt', 'theirs\n')], expect: { kind: 'git', conflictKinds: ['add_add'] } },
  { name: 'modify/delete', base: [w('a.txt', text(L20))], ours: [w('a.txt', edit(L20, { 3: 'x' }))], theirs: [rm('a.txt')], expect: { kind: 'git', conflictKinds: ['modify_delete'] } },
  { name: 'delete/modify', base: [w('a.txt', text(L20))], ours: [rm('a.txt')], theirs: [w('a.txt', edit(L20, { 3: 'x' }))], expect: { kind: 'git', conflictKinds: ['modify_delete'] } },
  { name: 'binary changed on both sides', base: [w('img.bin', binary(3))], ours: [w('img.bin', binary(5))], theirs: [w('img.bin', binary(7))], expect: { kind: 'git', conflictKinds: ['binary'] } },
  { name: 'symlink retargeted on both sides', base: [w('a', 'a\n'), w('b', 'b\n'), w('c', 'c\n'), { op: 'link', path: 'l', target: 'a' }],
    ours: [{ op: 'link', path: 'l', target: 'b' }], theirs: [{ op: 'link', path: 'l', target: 'c' }], expect: { kind: 'git', conflictKinds: ['content'] } },
  { name: 'file vs directory', base: [w('a.txt', 'a\n')], ours: [w('d', 'file\n')], theirs: [w('d/x.txt', 'in dir\n')], expect: { kind: 'git', conflictKinds: ['file_directory'] } },
  { name: 'file turned into symlink vs edited', base: [w('a.txt', text(L20)), w('t', 't\n')], ours: [{ op: 'link', path: 'a.txt', target: 't' }], theirs: [w('a.txt', edit(L20, { 2: 'x' }))],
    expect: { kind: 'git', conflictKinds: ['mode'] } },
  { name: 'rename/rename to different paths', base: [w('a.txt', prose(10, 'zeta'))], ours: [mv('a.txt', 'b.txt')], theirs: [mv('a.txt', 'c.txt')],
    expect: { kind: 'git', conflictKinds: ['rename'], conflictPaths: ['a.txt'] } },
  { name: 'rename/delete', base: [w('a.txt', prose(10, 'eta'))], ours: [mv('a.txt', 'b.txt')], theirs: [rm('a.txt')],
    expect: { kind: 'git', conflictKinds: ['rename'], conflictPaths: ['a.txt'] } },
  { name: 'whitespace vs content change on the same line', base: [w('a.txt', text(L20))], ours: [w('a.txt', edit(L20, { 4: '   line 4' }))], theirs: [w('a.txt', edit(L20, { 4: 'line four' }))],
    expect: { kind: 'git', conflictKinds: ['content'] } },

  // --- git conflicts the policy resolves (content asserted) --------------------------------
  { name: 'adjacent-line edits', base: [w('a.txt', text(L20))], ours: [w('a.txt', edit(L20, { 5: 'ours 5' }))], theirs: [w('a.txt', edit(L20, { 6: 'theirs 6' }))],
    expect: { kind: 'policy', rule: 'adjacent_hunks', files: { 'a.txt': edit(L20, { 5: 'ours 5', 6: 'theirs 6' }) } } },
  { name: 'insertion next to a modification', base: [w('a.txt', text(L20))], ours: [w('a.txt', edit(L20, { 4: ['line 4', 'ours inserted'] }))], theirs: [w('a.txt', edit(L20, { 5: 'theirs 5' }))],
    expect: { kind: 'policy', rule: 'adjacent_hunks', files: { 'a.txt': edit(L20, { 4: ['line 4', 'ours inserted'], 5: 'theirs 5' }) } } },
  { name: 'alternating adjacent edits', base: [w('a.txt', text(L20))], ours: [w('a.txt', edit(L20, { 10: 'o10', 12: 'o12' }))], theirs: [w('a.txt', edit(L20, { 11: 't11', 13: 't13' }))],
    expect: { kind: 'policy', rule: 'adjacent_hunks', files: { 'a.txt': edit(L20, { 10: 'o10', 11: 't11', 12: 'o12', 13: 't13' }) } } },
  { name: 'whitespace-only conflict (inner spaces, trailing blanks)', base: [w('a.txt', text(L20))],
    ours: [w('a.txt', edit(L20, { 7: 'call(a, b);' }))], theirs: [w('a.txt', edit(L20, { 7: 'call(a,  b);   ' }))],
    expect: { kind: 'policy', rule: 'whitespace_only', files: { 'a.txt': edit(L20, { 7: 'call(a, b);' }) } } },
  { name: 'whitespace-only conflict (tabs vs spaces re-indent)', base: [w('a.py', text(['def f():', 'x = 1', 'y = 2', 'return x']))],
    ours: [w('a.py', text(['def f():', '\tx = 1', '\ty = 2', 'return x']))], theirs: [w('a.py', text(['def f():', '    x = 1', '    y = 2', 'return x']))],
    expect: { kind: 'policy', rule: 'whitespace_only', files: { 'a.py': text(['def f():', '\tx = 1', '\ty = 2', 'return x']) } } },
  { name: 'add/add differing only in whitespace', base: [w('a.txt', 'a\n')], ours: [w('n.txt', text(['alpha beta', 'gamma']))], theirs: [w('n.txt', text(['alpha  beta', 'gamma  ']))],
    expect: { kind: 'policy', rule: 'whitespace_only', files: { 'n.txt': text(['alpha beta', 'gamma']) } } },
];

function crissCrossClean(repo: string): { ours: string; theirs: string } {
  const base = commit(repo, [w('f.txt', text(L20)), w('g.txt', text(L20))], 'base');
  checkout(repo, 'A', base);
  const a1 = commit(repo, [w('f.txt', edit(L20, { 2: 'A1' }))], 'A1');
  checkout(repo, 'B', base);
  const b1 = commit(repo, [w('f.txt', edit(L20, { 18: 'B1' }))], 'B1');
  checkout(repo, 'A');
  git(repo, ['merge', '-q', '--no-ff', '-m', 'A2', b1]);
  commit(repo, [w('g.txt', edit(L20, { 5: 'A3' }))], 'A3');
  checkout(repo, 'B');
  git(repo, ['merge', '-q', '--no-ff', '-m', 'B2', a1]);
  commit(repo, [w('g.txt', edit(L20, { 15: 'B3' }))], 'B3');
  return { ours: git(repo, ['rev-parse', 'A']).trim(), theirs: git(repo, ['rev-parse', 'B']).trim() };
}

/** Bases A1/B1 conflict on line 10; A resolves to A's line, B to B's line: git conflicts. */
function crissCrossConflict(repo: string): { ours: string; theirs: string } { return crissCross(repo, false); }
function crissCrossSettled(repo: string): { ours: string; theirs: string } { return crissCross(repo, true); }

function crissCross(repo: string, later: boolean): { ours: string; theirs: string } {
  const base = commit(repo, [w('f.txt', text(L20)), w('g.txt', text(L20))], 'base');
  checkout(repo, 'A', base);
  const a1 = commit(repo, [w('f.txt', edit(L20, { 10: 'A1' }))], 'A1');
  checkout(repo, 'B', base);
  const b1 = commit(repo, [w('f.txt', edit(L20, { 10: 'B1' }))], 'B1');
  checkout(repo, 'A');
  git(repo, ['merge', '-q', '-s', 'ours', '--no-ff', '-m', 'A2 keeps A1', b1]);
  if (later) commit(repo, [w('g.txt', edit(L20, { 3: 'A3' }))], 'A3');
  checkout(repo, 'B');
  git(repo, ['merge', '-q', '-s', 'ours', '--no-ff', '-m', 'B2 keeps B1', a1]);
  if (later) {
    // B adopts A's resolution: f.txt equal on both tips, so only g.txt differs.
    commit(repo, [w('f.txt', edit(L20, { 10: 'A1' })), w('g.txt', edit(L20, { 17: 'B3' }))], 'B3');
  }
  return { ours: git(repo, ['rev-parse', 'A']).trim(), theirs: git(repo, ['rev-parse', 'B']).trim() };
}

/** X, Y, Z off one base, merged by both sides in different orders: three merge bases. */
function threeBases(repo: string): { ours: string; theirs: string } {
  const base = commit(repo, [w('x.txt', text(L20)), w('y.txt', text(L20)), w('z.txt', text(L20)), w('f.txt', text(L20))], 'base');
  const tips: string[] = [];
  for (const name of ['x', 'y', 'z']) {
    checkout(repo, name.toUpperCase(), base);
    tips.push(commit(repo, [w(`${name}.txt`, edit(L20, { 5: `${name} changed` }))], name));
  }
  checkout(repo, 'A', tips[0]);
  git(repo, ['merge', '-q', '--no-ff', '-m', 'A merges', tips[1] as string, tips[2] as string]);
  commit(repo, [w('f.txt', edit(L20, { 2: 'A' }))], 'A edits');
  checkout(repo, 'B', tips[2]);
  git(repo, ['merge', '-q', '--no-ff', '-m', 'B merges', tips[1] as string, tips[0] as string]);
  commit(repo, [w('f.txt', edit(L20, { 18: 'B' }))], 'B edits');
  const ours = git(repo, ['rev-parse', 'A']).trim();
  const theirs = git(repo, ['rev-parse', 'B']).trim();
  expect(git(repo, ['merge-base', '--all', ours, theirs]).trim().split('\n')).toHaveLength(3);
  return { ours, theirs };
}

/** Bases conflict; both sides resolve to the same content, theirs then edits a distant line. */
function crissCrossSameResolution(repo: string): { ours: string; theirs: string } {
  const base = commit(repo, [w('f.txt', text(L20))], 'base');
  checkout(repo, 'A', base);
  const a1 = commit(repo, [w('f.txt', edit(L20, { 10: 'A1' }))], 'A1');
  checkout(repo, 'B', base);
  const b1 = commit(repo, [w('f.txt', edit(L20, { 10: 'B1' }))], 'B1');
  checkout(repo, 'A');
  git(repo, ['merge', '-q', '-s', 'ours', '--no-ff', '-m', 'A2', b1]);
  commit(repo, [w('f.txt', edit(L20, { 10: 'AB' }))], 'A3');
  checkout(repo, 'B');
  git(repo, ['merge', '-q', '-s', 'ours', '--no-ff', '-m', 'B2', a1]);
  commit(repo, [w('f.txt', edit(L20, { 10: 'AB', 19: 'B4' }))], 'B3');
  return { ours: git(repo, ['rev-parse', 'A']).trim(), theirs: git(repo, ['rev-parse', 'B']).trim() };
}

let root: string;
beforeAll(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-corpus-')); });
afterAll(() => { fs.rmSync(root, { recursive: true, force: true }); });

function build(s: Scenario): { repo: string; ours: string; theirs: string } {
  const repo = makeRepo(root);
  if (s.build) return { repo, ...s.build(repo) };
  const base = commit(repo, [...s.base, w('.keep', 'keep\n')], 'base');
  checkout(repo, 'A', base);
  const ours = commit(repo, s.ours, 'ours');
  checkout(repo, 'B', base);
  const theirs = commit(repo, s.theirs, 'theirs');
  return { repo, ours, theirs };
}

async function runMerge(repo: string, ours: string, theirs: string): Promise<MergeOutcome> {
  return mergeCommits({ fs, gitdir: path.join(repo, '.git'), cache: {}, ours, theirs, labels: { ours: 'A', theirs: 'B' } });
}

describe('merge corpus against git merge-tree', () => {
  it('has at least 30 scenarios', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
  });

  for (const s of scenarios) {
    it(s.name, async () => {
      const { repo, ours, theirs } = build(s);
      const native = nativeMergeTree(repo, ours, theirs);
      const mine = await runMerge(repo, ours, theirs);
      if (s.expect.kind === 'git') {
        if (native.clean) {
          expect(mine).toMatchObject({ clean: true });
          if (mine.clean) expect(mine.tree).toBe(native.tree);
          // What isomorphic-git wrote is valid for native git.
          expect(git(repo, ['fsck', '--strict', '--no-dangling']).trim()).toBe('');
        } else {
          expect(mine.clean).toBe(false);
          if (!mine.clean) {
            const paths = [...new Set(mine.conflicts.map((c) => c.path))].sort();
            // git parks one side of a file/directory or type conflict at `path~<oid>`: same path for us.
            const nativePaths = [...new Set(native.paths.map((p) => p.replace(/~[0-9a-f]{40}$/, '')))].sort();
            expect(paths).toEqual(s.expect.conflictPaths ?? nativePaths);
            if (s.expect.conflictKinds) expect(mine.conflicts.map((c) => c.kind)).toEqual(s.expect.conflictKinds);
            for (const c of mine.conflicts) expect(c.summary.length).toBeGreaterThan(0);
          }
        }
      } else {
        expect(native.clean).toBe(false);
        expect(mine.clean).toBe(true);
        if (!mine.clean) return;
        expect(mine.autoResolved.map((r) => r.rule)).toContain(s.expect.rule);
        for (const [file, content] of Object.entries(s.expect.files)) {
          expect(git(repo, ['cat-file', 'blob', `${mine.tree}:${file}`])).toBe(content);
        }
        expect(git(repo, ['fsck', '--strict', '--no-dangling']).trim()).toBe('');
      }
    });
  }
});
