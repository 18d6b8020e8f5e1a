/**
 * The Save policy: which both-sided changes are "trivial" and resolved without a person.
 *
 * Native git (merge-ort, xdiff at level ZEALOUS) resolves only identical changes; it calls a
 * conflict whenever the changed base ranges of the two sides overlap OR TOUCH (adjacent lines,
 * or two insertions at the same place). Thalogos merges many agents' small edits, so the policy
 * additionally resolves:
 *  - `adjacent_hunks`: the sides touch but no base line is changed by both and no two
 *    insertions compete for the same position. Both edits are applied in base order; the result
 *    is unique (there is exactly one way to apply both).
 *  - `whitespace_only`: both sides changed the same lines and their results differ only in
 *    whitespace (git's `--ignore-space-change` notion: trailing whitespace ignored, runs of
 *    blanks equal). The OURS side is taken. In a Save, ours is the integration branch, i.e.
 *    `main` plus the tasks merged before: the formatting already accepted stays, each later task
 *    cannot reformat it behind the reviewer's back, and the outcome only depends on the task
 *    order, which Save fixes.
 *  - `identical_change`: both sides produced the same lines (git agrees; recorded for the report).
 * Anything else is a conflict for people.
 */

export type PolicyRule = 'whitespace_only' | 'adjacent_hunks' | 'identical_change';

/** The side kept by the whitespace rule (see module comment for why). */
export const WHITESPACE_RULE_KEEPS: 'ours' = 'ours';

/** One side's change of base lines [aStart, aEnd). */
export interface SideRange {
  side: 'ours' | 'theirs';
  aStart: number;
  aEnd: number;
}

/**
 * True when an ours range and a theirs range really compete: they share a base line, an
 * insertion falls strictly inside the other's replaced range, or both insert at the same spot.
 * Touching ranges ([1,3) and [3,5), or an insertion at an end point) do not compete.
 */
export function rangesCompete(o: SideRange, t: SideRange): boolean {
  const oEmpty = o.aStart === o.aEnd;
  const tEmpty = t.aStart === t.aEnd;
  if (oEmpty && tEmpty) return o.aStart === t.aStart;
  if (oEmpty) return t.aStart < o.aStart && o.aStart < t.aEnd;
  if (tEmpty) return o.aStart < t.aStart && t.aStart < o.aEnd;
  return o.aStart < t.aEnd && t.aStart < o.aEnd;
}

export function anyCompeting(ranges: readonly SideRange[]): boolean {
  for (const o of ranges) {
    if (o.side !== 'ours') continue;
    for (const t of ranges) {
      if (t.side === 'theirs' && rangesCompete(o, t)) return true;
    }
  }
  return false;
}

/** git `-b` semantics: trailing whitespace (and the line end) dropped, inner blank runs equal. */
export function normaliseWhitespace(line: string): string {
  return line.replace(/[ \t\r\n\v\f]+$/, '').replace(/[ \t\r\v\f]+/g, ' ');
}

export function whitespaceEquivalent(ours: readonly string[], theirs: readonly string[]): boolean {
  if (ours.length !== theirs.length) return false;
  for (let i = 0; i < ours.length; i++) {
    if (normaliseWhitespace(ours[i] as string) !== normaliseWhitespace(theirs[i] as string)) return false;
  }
  return true;
}

export function sameLines(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Decide a region both sides changed. `ranges` are the edits of the region, `ours`/`theirs`
 * the region's lines on each side. Returns the rule that resolves it, or null (a conflict).
 */
export function classifyBothSided(
  ranges: readonly SideRange[],
  ours: readonly string[],
  theirs: readonly string[],
  policy: boolean,
): PolicyRule | null {
  if (sameLines(ours, theirs)) return 'identical_change';
  if (!policy) return null;
  if (!anyCompeting(ranges)) return 'adjacent_hunks';
  if (whitespaceEquivalent(ours, theirs)) return 'whitespace_only';
  return null;
}
