/**
 * Line diffs over interned lines: git's histogram diff with xdiff's compaction (what
 * merge-ort uses), and Myers (linear space) as its fallback.
 *
 * Why our own: the merge needs git's notion of "which base lines did a side change" to decide
 * overlap, and the `diff3` package hides its diff (and uses another algorithm). Lines are compared as integers (see
 * `internLines`) so equality is O(1) and the algorithm works on any byte content.
 */

/** A changed region: base lines [aStart, aEnd) were replaced by side lines [bStart, bEnd). */
export interface LineEdit {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

/**
 * Map every distinct line to a small integer. One table is shared by the sequences that will be
 * compared with each other, so equal lines get equal ids.
 */
export function internLines(table: Map<string, number>, lines: readonly string[]): Int32Array {
  const out = new Int32Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    let id = table.get(line);
    if (id === undefined) {
      id = table.size;
      table.set(line, id);
    }
    out[i] = id;
  }
  return out;
}

/**
 * Edit script from `a` to `b` the way git's merge computes it: histogram diff (merge-ort
 * hard-codes it), then xdiff's change compaction, so that the changed base lines, and hence
 * what overlaps in a three-way merge, match git's.
 */
export function diffLines(a: Int32Array, b: Int32Array): LineEdit[] {
  const sa: Side = { recs: a, chg: new Uint8Array(a.length + 2), n: a.length };
  const sb: Side = { recs: b, chg: new Uint8Array(b.length + 2), n: b.length };
  // Views without the sentinels: index i is line i.
  const changedA = sa.chg.subarray(1, a.length + 1);
  const changedB = sb.chg.subarray(1, b.length + 1);
  histogram(a, b, changedA, changedB, 1, a.length, 1, b.length);
  compact(sa, sb);
  compact(sb, sa);
  return collectEdits(changedA, changedB);
}

/** Occurrences beyond which a line is too common to anchor the histogram diff (xdiff: 64). */
const MAX_CHAIN = 64;

interface Region { begin1: number; end1: number; begin2: number; end2: number }

/**
 * Histogram diff (xdiff/xhistogram.c, from JGit): anchor on the longest common run containing the
 * least frequent line of `a`, recurse on both sides of it. Lines are 1-based as in xdiff.
 */
function histogram(
  a: Int32Array, b: Int32Array, changedA: Uint8Array, changedB: Uint8Array,
  line1: number, count1: number, line2: number, count2: number,
): void {
  for (;;) {
    if (count1 <= 0 && count2 <= 0) return;
    if (count1 <= 0) { changedB.fill(1, line2 - 1, line2 - 1 + count2); return; }
    if (count2 <= 0) { changedA.fill(1, line1 - 1, line1 - 1 + count1); return; }
    const lcs = findLcs(a, b, line1, count1, line2, count2);
    if (lcs === 'fallback') {
      markChanges(a, line1 - 1, line1 - 1 + count1, b, line2 - 1, line2 - 1 + count2, changedA, changedB);
      return;
    }
    if (lcs.begin1 === 0 && lcs.begin2 === 0) {
      changedA.fill(1, line1 - 1, line1 - 1 + count1);
      changedB.fill(1, line2 - 1, line2 - 1 + count2);
      return;
    }
    histogram(a, b, changedA, changedB, line1, lcs.begin1 - line1, line2, lcs.begin2 - line2);
    const end1 = line1 + count1 - 1;
    const end2 = line2 + count2 - 1;
    count1 = end1 - lcs.end1;
    line1 = lcs.end1 + 1;
    count2 = end2 - lcs.end2;
    line2 = lcs.end2 + 1;
  }
}

function findLcs(a: Int32Array, b: Int32Array, line1: number, count1: number, line2: number, count2: number): Region | 'fallback' {
  const end1 = line1 + count1 - 1;
  const end2 = line2 + count2 - 1;
  // Per distinct line of a[line1..end1]: first occurrence and count; `next` chains occurrences.
  const records = new Map<number, { ptr: number; cnt: number }>();
  const next = new Int32Array(count1);
  const lineRec: Array<{ ptr: number; cnt: number }> = new Array(count1);
  for (let ptr = end1; ptr >= line1; ptr--) {
    const id = a[ptr - 1] as number;
    let rec = records.get(id);
    if (rec) {
      next[ptr - line1] = rec.ptr;
      rec.ptr = ptr;
      rec.cnt++;
    } else {
      rec = { ptr, cnt: 1 };
      records.set(id, rec);
    }
    lineRec[ptr - line1] = rec;
  }
  const cntOf = (ptr: number): number => (lineRec[ptr - line1] as { cnt: number }).cnt;
  const lcs: Region = { begin1: 0, end1: 0, begin2: 0, end2: 0 };
  let best = MAX_CHAIN + 1;
  let hasCommon = false;
  let bPtr = line2;
  while (bPtr <= end2) {
    let bNext = bPtr + 1;
    const rec = records.get(b[bPtr - 1] as number);
    if (rec) {
      hasCommon = true;
      if (rec.cnt <= best) {
        let as = rec.ptr;
        for (;;) {
          let np = next[as - line1] as number;
          let bs = bPtr;
          let ae = as;
          let be = bs;
          let rc = rec.cnt;
          while (line1 < as && line2 < bs && a[as - 2] === b[bs - 2]) {
            as--; bs--;
            if (rc > 1) rc = Math.min(rc, cntOf(as));
          }
          while (ae < end1 && be < end2 && a[ae] === b[be]) {
            ae++; be++;
            if (rc > 1) rc = Math.min(rc, cntOf(ae));
          }
          if (bNext <= be) bNext = be + 1;
          if (lcs.end1 - lcs.begin1 < ae - as || rc < best) {
            lcs.begin1 = as; lcs.begin2 = bs; lcs.end1 = ae; lcs.end2 = be;
            best = rc;
          }
          if (np === 0) break;
          let stop = false;
          while (np <= ae) {
            np = next[np - line1] as number;
            if (np === 0) { stop = true; break; }
          }
          if (stop) break;
          as = np;
        }
      }
    }
    bPtr = bNext;
  }
  if (hasCommon && best > MAX_CHAIN) return 'fallback';
  return lcs;
}

/** One file of a diff for compaction: line ids and change flags with a 0 sentinel at both ends. */
interface Side { recs: Int32Array; chg: Uint8Array; n: number }
interface Group { start: number; end: number }

const changed = (s: Side, i: number): boolean => s.chg[i + 1] === 1;
const setChanged = (s: Side, i: number, v: 0 | 1): void => { s.chg[i + 1] = v; };

function groupInit(s: Side): Group {
  const g = { start: 0, end: 0 };
  while (changed(s, g.end)) g.end++;
  return g;
}
function groupNext(s: Side, g: Group): boolean {
  if (g.end === s.n) return false;
  g.start = g.end + 1;
  for (g.end = g.start; changed(s, g.end); g.end++);
  return true;
}
function groupPrevious(s: Side, g: Group): boolean {
  if (g.start === 0) return false;
  g.end = g.start - 1;
  for (g.start = g.end; changed(s, g.start - 1); g.start--);
  return true;
}
function slideDown(s: Side, g: Group): boolean {
  if (g.end < s.n && s.recs[g.start] === s.recs[g.end]) {
    setChanged(s, g.start++, 0);
    setChanged(s, g.end++, 1);
    while (changed(s, g.end)) g.end++;
    return true;
  }
  return false;
}
function slideUp(s: Side, g: Group): boolean {
  if (g.start > 0 && s.recs[g.start - 1] === s.recs[g.end - 1]) {
    setChanged(s, --g.start, 1);
    setChanged(s, --g.end, 0);
    while (changed(s, g.start - 1)) g.start--;
    return true;
  }
  return false;
}

/**
 * xdiff's xdl_change_compact without the indent heuristic (merges do not enable it): slide each
 * group of changes up and down to merge it with neighbours, then leave it at the bottom, or
 * aligned with a change group of the other file when it can be.
 */
function compact(xdf: Side, xdfo: Side): void {
  const g = groupInit(xdf);
  const go = groupInit(xdfo);
  for (;;) {
    if (g.end !== g.start) {
      let groupsize: number;
      let earliestEnd: number;
      let endMatchingOther: number;
      do {
        groupsize = g.end - g.start;
        endMatchingOther = -1;
        while (slideUp(xdf, g)) if (!groupPrevious(xdfo, go)) throw new Error('diff group sync broken (up)');
        earliestEnd = g.end;
        if (go.end > go.start) endMatchingOther = g.end;
        for (;;) {
          if (!slideDown(xdf, g)) break;
          if (!groupNext(xdfo, go)) throw new Error('diff group sync broken (down)');
          if (go.end > go.start) endMatchingOther = g.end;
        }
      } while (groupsize !== g.end - g.start);
      if (g.end !== earliestEnd && endMatchingOther !== -1) {
        while (go.end === go.start) {
          if (!slideUp(xdf, g)) throw new Error('diff match disappeared');
          if (!groupPrevious(xdfo, go)) throw new Error('diff group sync broken (match)');
        }
      }
    }
    if (!groupNext(xdf, g)) break;
    if (!groupNext(xdfo, go)) throw new Error('diff group sync broken (next)');
  }
}

/**
 * Recursive divide and conquer (Myers' middle snake). Marks deleted lines of `a` and inserted
 * lines of `b` in the `changed*` arrays.
 */
function markChanges(
  a: Int32Array, aLo: number, aHi: number,
  b: Int32Array, bLo: number, bHi: number,
  changedA: Uint8Array, changedB: Uint8Array,
): void {
  // Iterative trimming of common prefix/suffix keeps the recursion shallow on typical inputs.
  while (aLo < aHi && bLo < bHi && a[aLo] === b[bLo]) { aLo++; bLo++; }
  while (aLo < aHi && bLo < bHi && a[aHi - 1] === b[bHi - 1]) { aHi--; bHi--; }
  if (aLo === aHi) { changedB.fill(1, bLo, bHi); return; }
  if (bLo === bHi) { changedA.fill(1, aLo, aHi); return; }
  const split = middleSnake(a, aLo, aHi, b, bLo, bHi);
  if (split === null) {
    changedA.fill(1, aLo, aHi);
    changedB.fill(1, bLo, bHi);
    return;
  }
  const [x, y] = split;
  markChanges(a, aLo, x, b, bLo, y, changedA, changedB);
  markChanges(a, x, aHi, b, y, bHi, changedA, changedB);
}

/** Returns a split point (x, y) on an optimal path, or null when nothing is in common. */
function middleSnake(
  a: Int32Array, aLo: number, aHi: number,
  b: Int32Array, bLo: number, bHi: number,
): [number, number] | null {
  const n = aHi - aLo;
  const m = bHi - bLo;
  const maxD = Math.ceil((n + m) / 2);
  const offset = maxD;
  const size = 2 * maxD + 2;
  const v1 = new Int32Array(size).fill(-1);
  const v2 = new Int32Array(size).fill(-1);
  v1[offset + 1] = 0;
  v2[offset + 1] = 0;
  const delta = n - m;
  const front = (delta & 1) !== 0;
  let k1start = 0, k1end = 0, k2start = 0, k2end = 0;
  for (let d = 0; d < maxD; d++) {
    for (let k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
      const k1o = offset + k1;
      let x1: number;
      if (k1 === -d || (k1 !== d && (v1[k1o - 1] as number) < (v1[k1o + 1] as number))) x1 = v1[k1o + 1] as number;
      else x1 = (v1[k1o - 1] as number) + 1;
      let y1 = x1 - k1;
      while (x1 < n && y1 < m && a[aLo + x1] === b[bLo + y1]) { x1++; y1++; }
      v1[k1o] = x1;
      if (x1 > n) k1end += 2;
      else if (y1 > m) k1start += 2;
      else if (front) {
        const k2o = offset + delta - k1;
        if (k2o >= 0 && k2o < size && v2[k2o] !== -1) {
          const x2 = n - (v2[k2o] as number);
          if (x1 >= x2) return [aLo + x1, bLo + y1];
        }
      }
    }
    for (let k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
      const k2o = offset + k2;
      let x2: number;
      if (k2 === -d || (k2 !== d && (v2[k2o - 1] as number) < (v2[k2o + 1] as number))) x2 = v2[k2o + 1] as number;
      else x2 = (v2[k2o - 1] as number) + 1;
      let y2 = x2 - k2;
      while (x2 < n && y2 < m && a[aHi - x2 - 1] === b[bHi - y2 - 1]) { x2++; y2++; }
      v2[k2o] = x2;
      if (x2 > n) k2end += 2;
      else if (y2 > m) k2start += 2;
      else if (!front) {
        const k1o = offset + delta - k2;
        if (k1o >= 0 && k1o < size && v1[k1o] !== -1) {
          const x1 = v1[k1o] as number;
          const y1 = offset + x1 - k1o;
          if (x1 >= n - x2) return [aLo + x1, bLo + y1];
        }
      }
    }
  }
  return null;
}

function collectEdits(changedA: Uint8Array, changedB: Uint8Array): LineEdit[] {
  const edits: LineEdit[] = [];
  let i = 0;
  let j = 0;
  const n = changedA.length;
  const m = changedB.length;
  while (i < n || j < m) {
    if (i < n && j < m && !changedA[i] && !changedB[j]) { i++; j++; continue; }
    const aStart = i;
    const bStart = j;
    while (i < n && changedA[i]) i++;
    while (j < m && changedB[j]) j++;
    if (aStart === i && bStart === j) {
      // Unbalanced tail (cannot happen for a valid script); treat the rest as changed.
      i = n; j = m;
    }
    edits.push({ aStart, aEnd: i, bStart, bEnd: j });
  }
  return edits;
}
