/**
 * Randomised oracle test: seeded random edits on both sides of a file, merged by native
 * `git merge-tree` and by mergeCommits. Whenever git merges cleanly the tree must be identical;
 * whenever git conflicts we must either conflict too or have resolved it by a recorded policy
 * rule (never silently). Deterministic (fixed seeds), so a failure is reproducible.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergeCommits } from './index.js';
import { makeRepo, nativeMergeTree } from './git-fixture.js';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random edits: replace, delete or insert runs of lines; `vocab` small means repeated lines. */
function mutate(rand: () => number, base: string[], tag: string, vocab: number): string[] {
  const out = [...base];
  const edits = 1 + Math.floor(rand() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (out.length + 1));
    const len = Math.floor(rand() * 3);
    const kind = rand();
    const fresh = (k: number): string => (vocab > 0 ? `v${Math.floor(rand() * vocab)}` : `${tag}${e}-${k}`);
    if (kind < 0.4) out.splice(at, len || 1, ...Array.from({ length: 1 + Math.floor(rand() * 2) }, (_, k) => fresh(k)));
    else if (kind < 0.7) out.splice(at, len || 1);
    else out.splice(at, 0, ...Array.from({ length: 1 + Math.floor(rand() * 2) }, (_, k) => fresh(k)));
  }
  return out;
}

let root: string;
beforeAll(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-fuzz-')); });
afterAll(() => { fs.rmSync(root, { recursive: true, force: true }); });


async function fuzz(seed: number, cases: number, vocab: number): Promise<{ gitClean: number; gitConflict: number; resolvedByPolicy: number }> {
  const repo = makeRepo(root);
  const rand = prng(seed);
  const stream: string[] = [];
  const data = (s: string): string => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let mark = 0;
  const commitMarks: Array<{ base: number; a: number; b: number }> = [];
  for (let c = 0; c < cases; c++) {
    const n = 4 + Math.floor(rand() * 12);
    const base = Array.from({ length: n }, (_, i) => (vocab > 0 ? `v${Math.floor(rand() * vocab)}` : `base ${i}`));
    const a = mutate(rand, base, 'a', vocab);
    const b = mutate(rand, base, 'b', vocab);
    const marks: number[] = [];
    for (const [ref, content, parent] of [[`refs/heads/c${c}base`, base, null], [`refs/heads/c${c}a`, a, 'base'], [`refs/heads/c${c}b`, b, 'base']] as const) {
      mark++;
      marks.push(mark);
      stream.push(`commit ${ref}\nmark :${mark}\ncommitter F <f@localhost> ${1_700_000_000 + mark} +0000\n${data(ref)}`);
      if (parent) stream.push(`from :${marks[0]}\n`);
      stream.push(`M 100644 inline f.txt\n${data(content.length ? `${content.join('\n')}\n` : '')}`);
    }
    commitMarks.push({ base: marks[0] as number, a: marks[1] as number, b: marks[2] as number });
  }
  execFileSync('git', ['fast-import', '--quiet', `--export-marks=${path.join(repo, 'marks')}`], { cwd: repo, input: stream.join('') });
  const markOid = new Map(fs.readFileSync(path.join(repo, 'marks'), 'utf8').trim().split('\n').map((l) => {
    const [m, oid] = l.split(' ');
    return [Number((m as string).slice(1)), oid as string];
  }));
  const cache = {};
  const stats = { gitClean: 0, gitConflict: 0, resolvedByPolicy: 0 };
  for (const [c, m] of commitMarks.entries()) {
    const ours = markOid.get(m.a) as string;
    const theirs = markOid.get(m.b) as string;
    const native = nativeMergeTree(repo, ours, theirs);
    const mine = await mergeCommits({ fs, gitdir: path.join(repo, '.git'), cache, ours, theirs });
    const where = `seed ${seed} case ${c}`;
    if (native.clean) {
      stats.gitClean++;
      expect(mine.clean, where).toBe(true);
      if (mine.clean) expect(mine.tree, where).toBe(native.tree);
    } else {
      stats.gitConflict++;
      if (mine.clean) {
        stats.resolvedByPolicy++;
        expect(mine.autoResolved.some((r) => r.rule === 'adjacent_hunks' || r.rule === 'whitespace_only'), where).toBe(true);
      }
    }
  }
  return stats;
}

describe('randomised merges against git merge-tree', () => {
  it('unique lines: 150 random merges', async () => {
    const stats = await fuzz(1, 150, 0);
    // The generator must exercise all three outcomes, or the test proves little.
    expect(stats.gitClean).toBeGreaterThan(10);
    expect(stats.gitConflict).toBeGreaterThan(10);
    expect(stats.resolvedByPolicy).toBeGreaterThan(0);
  });

  // Few distinct lines make diffs ambiguous: this checks the histogram diff and compaction.
  it('repeated lines (3-word vocabulary): 150 random merges', async () => {
    const stats = await fuzz(2, 150, 3);
    expect(stats.gitClean).toBeGreaterThan(10);
    expect(stats.gitConflict).toBeGreaterThan(10);
  });

  it('repeated lines (6-word vocabulary): 150 random merges', async () => {
    const stats = await fuzz(3, 150, 6);
    expect(stats.gitClean).toBeGreaterThan(10);
  });
});
