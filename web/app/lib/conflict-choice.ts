import type { ConflictHunk } from './api-types.js';

/**
 * What a person chose for one conflict of the report: a side; for a hunk of lines also both sides
 * (ours, then theirs) or their own text. Mirrors the runtime's resolve body (`side`, `text`).
 */
export type Choice = { side: 'ours' | 'theirs' | 'both' } | { side: 'manual'; text: string };

/** The text an Edit starts from: both sides, ours first, as `both` would apply them. */
export function prefill(hunk: ConflictHunk): string {
  return [...hunk.ours, ...hunk.theirs].join('\n');
}

/**
 * The lines the choice puts in place of the hunk, as the merge commit will hold them. A hand
 * written text is split at its line breaks; a final break only ends the last line (the runtime
 * adds one when it is missing, so `a\nb` and `a\nb\n` apply the same two lines).
 */
export function resultLines(choice: Choice, hunk: ConflictHunk): string[] {
  if (choice.side !== 'manual') {
    if (choice.side === 'ours') return hunk.ours;
    if (choice.side === 'theirs') return hunk.theirs;
    return [...hunk.ours, ...hunk.theirs];
  }
  if (choice.text === '') return [];
  const lines = choice.text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** One entry of the resolve request. */
export function toResolution(path: string, hunk: number | undefined, choice: Choice): { path: string; hunk?: number; side: Choice['side']; text?: string } {
  return { path, ...(hunk === undefined ? {} : { hunk }), side: choice.side, ...(choice.side === 'manual' ? { text: choice.text } : {}) };
}
