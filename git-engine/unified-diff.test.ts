// unified-diff.ts: output equal to the previous (Myers) implementation on small cases, hunks equal
// to native `git diff --histogram` (same edit script family as merge/line-diff.ts), and an
// 8,000-line rewrite handled (checked against git and by `git apply`), without asserting times.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitStatus, removeDir, tempDir } from './test-support.js';
import { diffTexts, type TextDiff } from './unified-diff.js';

const roots: string[] = [];
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

/** Outputs of the previous implementation (Myers greedy trace), recorded before the rewrite. */
const BEFORE: Array<[string, string, TextDiff]> = [
  ["", "a\nb\n", {"hunks": "@@ -0,0 +1,2 @@\n+a\n+b\n", "additions": 2, "deletions": 0}],
  ["a\nb\n", "", {"hunks": "@@ -1,2 +0,0 @@\n-a\n-b\n", "additions": 0, "deletions": 2}],
  ["1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n", {"hunks": "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n", "additions": 1, "deletions": 1}],
  ["1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n", "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\ntwenty\n", {"hunks": "@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -17,4 +17,4 @@\n 17\n 18\n 19\n-20\n+twenty\n", "additions": 2, "deletions": 2}],
  ["1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\nTWO\n3\n4\n5\n6\n7\n8\nNINE\n10\n", {"hunks": "@@ -1,10 +1,10 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n 6\n 7\n 8\n-9\n+NINE\n 10\n", "additions": 2, "deletions": 2}],
  ["a\nb", "a\nb\n", {"hunks": "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n", "additions": 1, "deletions": 1}],
  ["a\nb\n", "a\nc", {"hunks": "@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n", "additions": 1, "deletions": 1}],
  ["x\n", "new\nx\n", {"hunks": "@@ -1 +1,2 @@\n+new\n x\n", "additions": 1, "deletions": 0}],
  ["x\ny\nz\n", "x\ny\n", {"hunks": "@@ -1,3 +1,2 @@\n x\n y\n-z\n", "additions": 0, "deletions": 1}],
  ["same\n", "same\n", {"hunks": "", "additions": 0, "deletions": 0}],
  ["a\nb\nc\nd\n", "a\nX\nc\nY\nd\n", {"hunks": "@@ -1,4 +1,5 @@\n a\n-b\n+X\n c\n+Y\n d\n", "additions": 2, "deletions": 1}],
  ["only", "other", {"hunks": "@@ -1 +1 @@\n-only\n\\ No newline at end of file\n+other\n\\ No newline at end of file\n", "additions": 1, "deletions": 1}],
];

/** git's hunks for two texts: everything from the first `@@`, function context after `@@` dropped. */
function gitHunks(dir: string, before: string, after: string): string {
  fs.writeFileSync(path.join(dir, 'a'), before);
  fs.writeFileSync(path.join(dir, 'b'), after);
  const r = gitStatus(dir, ['diff', '--no-index', '--histogram', '-U3', '--no-color', 'a', 'b']);
  const lines = r.out.split('\n');
  const at = lines.findIndex((l) => l.startsWith('@@'));
  if (at < 0) return '';
  return `${lines.slice(at).map((l) => (l.startsWith('@@') ? l.replace(/^(@@ [^@]+ @@).*$/, '$1') : l)).join('\n').replace(/\n$/, '')}\n`;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

describe('unified diff', () => {
  it('equals the previous implementation on small cases', () => {
    for (const [a, b, expected] of BEFORE) expect(diffTexts(a, b)).toEqual(expected);
  });

  it('produces git\'s hunks on random edits of small files', () => {
    const dir = tempDir();
    roots.push(dir);
    const rnd = lcg(7);
    const words = ['a', 'b', 'c', '{', '}', '', 'return x;', 'x = 1;'];
    for (let round = 0; round < 40; round++) {
      const base = Array.from({ length: 5 + Math.floor(rnd() * 40) }, () => words[Math.floor(rnd() * words.length)] as string);
      const side = [...base];
      for (let e = 0; e < 1 + Math.floor(rnd() * 5); e++) {
        const at = Math.floor(rnd() * (side.length + 1));
        const op = rnd();
        if (op < 0.33) side.splice(at, 1);
        else if (op < 0.66) side.splice(at, 0, `new ${round}-${e}`);
        else side[at] = `changed ${round}-${e}`;
      }
      const noEol = rnd() < 0.2;
      const before = `${base.join('\n')}\n`;
      const after = noEol ? side.join('\n') : `${side.join('\n')}\n`;
      const d = diffTexts(before, after);
      expect(d.hunks, `round ${round}`).toBe(gitHunks(dir, before, after));
    }
  });

  it('handles an 8,000-line rewrite: git\'s hunks, counts, and the patch applies', () => {
    const dir = tempDir();
    roots.push(dir);
    const rnd = lcg(11);
    const before: string[] = [];
    const after: string[] = [];
    for (let i = 0; i < 8000; i++) {
      before.push(`line ${i} ${Math.floor(rnd() * 1e9)}`);
      // Most lines rewritten, a few kept so the diff has anchors and many hunks.
      after.push(i % 97 === 0 ? (before[i] as string) : `rewritten ${i} ${Math.floor(rnd() * 1e9)}`);
    }
    const [a, b] = [`${before.join('\n')}\n`, `${after.join('\n')}\n`];
    const d = diffTexts(a, b);
    expect(d.hunks).toBe(gitHunks(dir, a, b));
    const kept = Math.ceil(8000 / 97);
    expect([d.additions, d.deletions]).toEqual([8000 - kept, 8000 - kept]);
    fs.writeFileSync(path.join(dir, 'f'), a);
    fs.writeFileSync(path.join(dir, 'p.patch'), `--- a/f\n+++ b/f\n${d.hunks}`);
    const applied = gitStatus(dir, ['apply', '--unidiff-zero', 'p.patch']);
    expect(applied.code, applied.out).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'f'), 'utf8')).toBe(b);
  });
});
