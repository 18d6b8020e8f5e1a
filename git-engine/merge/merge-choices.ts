/**
 * A person's choices for the conflicts of one merge, looked up by path while the merge runs.
 * Only the real merge (depth 0) consults them: virtual merge bases follow git, untouched.
 * Every choice that is applied is recorded, so callers can check that each one was used.
 */
import { MergeError } from './merge-error.js';
import type { ConflictChoice } from './merge-types.js';

export type ChosenSide = 'ours' | 'theirs';

export interface ChoiceTable {
  /** The side chosen for the whole file at `path`, if any (recorded as applied). */
  whole(path: string): ChosenSide | undefined;
  /** The side chosen for conflict hunk `index` of `path`, if any (recorded as applied). */
  hunk(path: string, index: number): ChosenSide | undefined;
  /** The choices applied so far, in input order. */
  applied(): ConflictChoice[];
}

/** Shape checks only; whether a choice names a real conflict is the caller's business. */
export function createChoiceTable(choices: readonly ConflictChoice[] | undefined): ChoiceTable | null {
  if (choices === undefined) return null;
  if (!Array.isArray(choices)) throw new MergeError('INVALID_INPUT', 'choices must be an array');
  const byKey = new Map<string, { side: ChosenSide; order: number }>();
  choices.forEach((c, order) => {
    const ok = c !== null && typeof c === 'object' && typeof c.path === 'string' && c.path !== ''
      && (c.side === 'ours' || c.side === 'theirs')
      && (c.hunk === undefined || (Number.isSafeInteger(c.hunk) && c.hunk >= 0));
    if (!ok) throw new MergeError('INVALID_INPUT', 'a choice needs a path, a side ours|theirs and an optional hunk index >= 0', { index: order });
    const key = keyOf(c.path, c.hunk);
    if (byKey.has(key)) throw new MergeError('INVALID_INPUT', `duplicate choice for ${c.path}${c.hunk === undefined ? '' : ` hunk ${c.hunk}`}`, { index: order });
    byKey.set(key, { side: c.side, order });
  });
  const used = new Set<number>();
  const take = (key: string): ChosenSide | undefined => {
    const c = byKey.get(key);
    if (c === undefined) return undefined;
    used.add(c.order);
    return c.side;
  };
  return {
    whole: (path) => take(keyOf(path, undefined)),
    hunk: (path, index) => take(keyOf(path, index)),
    applied: () => [...used].sort((a, b) => a - b).map((i) => choices[i] as ConflictChoice),
  };
}

function keyOf(path: string, hunk: number | undefined): string {
  return hunk === undefined ? `${path}\0*` : `${path}\0${hunk}`;
}
