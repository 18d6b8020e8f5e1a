// Unified diff of two texts (git's format: 3 lines of context, `\ No newline at end of file`),
// built on a plain O(ND) Myers line diff. Used by taskDiff for the console.

interface Op { kind: ' ' | '-' | '+'; line: string; a: number; b: number }

function splitKeepEol(text: string): { lines: string[]; missingEol: boolean } {
  if (text.length === 0) return { lines: [], missingEol: false };
  const missingEol = !text.endsWith('\n');
  const lines = text.split('\n');
  if (!missingEol) lines.pop();
  return { lines, missingEol };
}

/** Myers' greedy shortest edit script, returned as a full op list. */
function myers(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && (v[k - 1 + max] as number) < (v[k + 1 + max] as number))) x = v[k + 1 + max] as number;
      else x = (v[k - 1 + max] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x++; y++; }
      v[k + max] = x;
      if (x >= n && y >= m) break outer;
    }
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vv = trace[d] as Int32Array;
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && (vv[k - 1 + max] as number) < (vv[k + 1 + max] as number))) prevK = k + 1;
    else prevK = k - 1;
    const prevX = d === 0 ? 0 : (vv[prevK + max] as number);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) { x--; y--; ops.push({ kind: ' ', line: a[x] as string, a: x, b: y }); }
    if (d > 0) {
      if (x === prevX) { y--; ops.push({ kind: '+', line: b[y] as string, a: x, b: y }); }
      else { x--; ops.push({ kind: '-', line: a[x] as string, a: x, b: y }); }
    }
  }
  return ops.reverse();
}

export interface TextDiff { hunks: string; additions: number; deletions: number }

export function diffTexts(before: string, after: string, context = 3): TextDiff {
  const A = splitKeepEol(before);
  const B = splitKeepEol(after);
  // Mark the last line specially when it lacks a newline, so "x" vs "x\n" is a change (as in git).
  const a = A.lines.map((l, i) => (A.missingEol && i === A.lines.length - 1 ? `${l}\u0000noeol` : l));
  const b = B.lines.map((l, i) => (B.missingEol && i === B.lines.length - 1 ? `${l}\u0000noeol` : l));
  const ops = myers(a, b);
  let additions = 0;
  let deletions = 0;
  const out: string[] = [];
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && (ops[i] as Op).kind === ' ') i++;
    if (i >= ops.length) break;
    const start = Math.max(0, i - context);
    let end = i;
    // Extend while the next change is within 2*context lines.
    let lastChange = i;
    while (end < ops.length) {
      if ((ops[end] as Op).kind !== ' ') lastChange = end;
      else if (end - lastChange > 2 * context) break;
      end++;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const slice = ops.slice(start, end);
    const first = slice[0] as Op;
    const aCount = slice.filter((o) => o.kind !== '+').length;
    const bCount = slice.filter((o) => o.kind !== '-').length;
    const aStart = aCount === 0 ? first.a : first.a + 1;
    const bStart = bCount === 0 ? first.b : first.b + 1;
    out.push(`@@ -${aStart}${aCount === 1 ? '' : `,${aCount}`} +${bStart}${bCount === 1 ? '' : `,${bCount}`} @@`);
    for (const o of slice) {
      if (o.kind === '+') additions++;
      if (o.kind === '-') deletions++;
      const noeol = o.line.endsWith('\u0000noeol');
      out.push(`${o.kind}${noeol ? o.line.slice(0, -'\u0000noeol'.length) : o.line}`);
      if (noeol) out.push('\\ No newline at end of file');
    }
    i = end;
  }
  return { hunks: out.length ? `${out.join('\n')}\n` : '', additions, deletions };
}
