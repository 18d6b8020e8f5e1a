// Unified diff of two texts (git's format: 3 lines of context, `\ No newline at end of file`).
// The edit script comes from merge/line-diff.ts (git's histogram diff with xdiff's compaction,
// over interned lines): near-linear on real files, where a full Myers trace was quadratic in time
// and memory (an 8,000-line rewrite took seconds and over a GiB). Used by taskDiff after every
// task commit.
import { diffLines, internLines, type LineEdit } from './merge/line-diff.js';

/** A line without its final newline is marked so that "x" and "x\n" differ, as in git. */
const NOEOL = '\u0000noeol';

function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  else lines[lines.length - 1] = `${lines[lines.length - 1] as string}${NOEOL}`;
  return lines;
}

export interface TextDiff { hunks: string; additions: number; deletions: number }

function range(start: number, count: number): string {
  // git: an empty range names the line before it; a count of 1 is omitted.
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

function emit(out: string[], kind: ' ' | '-' | '+', line: string): void {
  if (line.endsWith(NOEOL)) out.push(`${kind}${line.slice(0, -NOEOL.length)}`, '\\ No newline at end of file');
  else out.push(`${kind}${line}`);
}

export function diffTexts(before: string, after: string, context = 3): TextDiff {
  const a = splitLines(before);
  const b = splitLines(after);
  const table = new Map<string, number>();
  const edits = diffLines(internLines(table, a), internLines(table, b));
  let additions = 0;
  let deletions = 0;
  const out: string[] = [];
  let i = 0;
  while (i < edits.length) {
    // One hunk: edits whose unchanged gap is at most 2*context lines (git's xdl_get_hunk).
    let j = i;
    while (j + 1 < edits.length && (edits[j + 1] as LineEdit).aStart - (edits[j] as LineEdit).aEnd <= 2 * context) j++;
    const first = edits[i] as LineEdit;
    const last = edits[j] as LineEdit;
    const aLo = Math.max(0, first.aStart - context);
    const bLo = first.bStart - (first.aStart - aLo);
    const aHi = Math.min(a.length, last.aEnd + context);
    const bHi = last.bEnd + (aHi - last.aEnd);
    out.push(`@@ -${range(aLo, aHi - aLo)} +${range(bLo, bHi - bLo)} @@`);
    let x = aLo;
    for (let k = i; k <= j; k++) {
      const e = edits[k] as LineEdit;
      for (; x < e.aStart; x++) emit(out, ' ', a[x] as string);
      for (let y = e.aStart; y < e.aEnd; y++) emit(out, '-', a[y] as string);
      for (let y = e.bStart; y < e.bEnd; y++) emit(out, '+', b[y] as string);
      deletions += e.aEnd - e.aStart;
      additions += e.bEnd - e.bStart;
      x = e.aEnd;
    }
    for (; x < aHi; x++) emit(out, ' ', a[x] as string);
    i = j + 1;
  }
  return { hunks: out.length ? `${out.join('\n')}\n` : '', additions, deletions };
}
