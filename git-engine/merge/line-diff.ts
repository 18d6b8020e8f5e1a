/**
 * Line diff (Myers, linear space) over interned lines.
 *
 * Why our own: the merge needs git's notion of "which base lines did a side change" to decide
 * overlap, and the `diff3` package hides its diff. Lines are compared as integers (see
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

/** Minimal edit script from `a` to `b`, as changed regions in ascending order. */
export function diffLines(a: Int32Array, b: Int32Array): LineEdit[] {
  const changedA = new Uint8Array(a.length);
  const changedB = new Uint8Array(b.length);
  markChanges(a, 0, a.length, b, 0, b.length, changedA, changedB);
  slideDown(a, changedA);
  slideDown(b, changedB);
  return collectEdits(changedA, changedB);
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

/**
 * Slide each group of changed lines as far down as it can go while the diff stays valid (a
 * group [s, e) can move by one when line s equals line e). xdiff does the same compaction
 * without the indent heuristic (which merges do not enable), so ambiguous placements such as
 * an inserted blank line land where git puts them.
 */
function slideDown(lines: Int32Array, changed: Uint8Array): void {
  let i = 0;
  const n = lines.length;
  while (i < n) {
    if (!changed[i]) { i++; continue; }
    let start = i;
    let end = i;
    while (end < n && changed[end]) end++;
    while (end < n && lines[start] === lines[end]) {
      changed[start] = 0;
      changed[end] = 1;
      start++;
      end++;
      // Sliding may run into the next group: absorb it and keep sliding.
      while (end < n && changed[end]) end++;
    }
    i = end;
  }
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
