/**
 * A person's choices for the conflicts of one merge, looked up by path while the merge runs.
 * Only the real merge (depth 0) consults them: virtual merge bases follow git, untouched.
 * Every choice that is applied is recorded, so callers can check that each one was used.
 */
import { MergeError } from './merge-error.js';
import type { ConflictChoice } from './merge-types.js';

/** What a whole-file conflict can take: one side's entry. */
export type ChosenSide = 'ours' | 'theirs';

/** What a conflicting region of lines can take: a side, both sides (ours first), or a person's text. */
export type HunkChoice = { side: ChosenSide | 'both' } | { side: 'manual'; text: string };

export interface ChoiceTable {
  /** The side chosen for the whole file at `path`, if any (recorded as applied). */
  whole(path: string): ChosenSide | undefined;
  /** The choice for conflict hunk `index` of `path`, if any (recorded as applied). */
  hunk(path: string, index: number): HunkChoice | undefined;
  /** The choices applied so far, in input order. */
  applied(): ConflictChoice[];
}

/** Shape checks only; whether a choice names a real conflict is the caller's business. */
export function createChoiceTable(choices: readonly ConflictChoice[] | undefined): ChoiceTable | null {
  if (choices === undefined) return null;
  if (!Array.isArray(choices)) throw new MergeError('INVALID_INPUT', 'choices must be an array');
  const byKey = new Map<string, { choice: HunkChoice; order: number }>();
  choices.forEach((c, order) => {
    const ok = c !== null && typeof c === 'object' && typeof c.path === 'string' && c.path !== ''
      && (c.hunk === undefined || (Number.isSafeInteger(c.hunk) && c.hunk >= 0))
      && (c.side === 'ours' || c.side === 'theirs'
        // Both sides or a person's text only make sense for a region of lines.
        || (c.hunk !== undefined && (c.side === 'both' || (c.side === 'manual' && typeof c.text === 'string'))));
    if (!ok) throw new MergeError('INVALID_INPUT', 'a choice needs a path, a side ours|theirs (or both|manual with text, for a hunk) and an optional hunk index >= 0', { index: order });
    const key = keyOf(c.path, c.hunk);
    if (byKey.has(key)) throw new MergeError('INVALID_INPUT', `duplicate choice for ${c.path}${c.hunk === undefined ? '' : ` hunk ${c.hunk}`}`, { index: order });
    const choice: HunkChoice = c.side === 'manual' ? { side: 'manual', text: c.text as string } : { side: c.side };
    byKey.set(key, { choice, order });
  });
  const used = new Set<number>();
  const take = (key: string): HunkChoice | undefined => {
    const c = byKey.get(key);
    if (c === undefined) return undefined;
    used.add(c.order);
    return c.choice;
  };
  return {
    // A whole-file key only ever holds ours|theirs (checked above).
    whole: (path) => take(keyOf(path, undefined))?.side as ChosenSide | undefined,
    hunk: (path, index) => take(keyOf(path, index)),
    applied: () => [...used].sort((a, b) => a - b).map((i) => choices[i] as ConflictChoice),
  };
}

function keyOf(path: string, hunk: number | undefined): string {
  return hunk === undefined ? `${path}\0*` : `${path}\0${hunk}`;
}
