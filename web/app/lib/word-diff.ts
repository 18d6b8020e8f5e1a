/** A piece of a line, marked when the other side does not have it. */
export interface WordPiece {
  text: string;
  changed: boolean;
}

/** Longest lines compared word by word; past this, the whole line is marked (cost is n*m). */
const MAX_TOKENS = 400;

function tokens(line: string): string[] {
  return line.match(/\w+|\s+|[^\w\s]/g) ?? [];
}

/**
 * `line` split into words, each marked `changed` unless it is part of the longest common
 * subsequence with `other`: the words a person must compare between two sides of a conflict.
 */
export function wordDiff(line: string, other: string | undefined): WordPiece[] {
  if (other === undefined) return line ? [{ text: line, changed: true }] : [];
  const a = tokens(line);
  const b = tokens(other);
  if (a.length > MAX_TOKENS || b.length > MAX_TOKENS) return [{ text: line, changed: line !== other }];
  // lcs[i][j]: common length of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const pieces: WordPiece[] = [];
  const push = (text: string, changed: boolean) => {
    const last = pieces[pieces.length - 1];
    if (last && last.changed === changed) last.text += text;
    else pieces.push({ text, changed });
  };
  let i = 0;
  let j = 0;
  while (i < a.length) {
    if (j < b.length && a[i] === b[j]) {
      push(a[i]!, false);
      i += 1;
      j += 1;
    } else if (j < b.length && lcs[i + 1]![j]! < lcs[i]![j + 1]!) {
      j += 1;
    } else {
      // Whitespace alone is not worth a mark.
      push(a[i]!, !/^\s+$/.test(a[i]!));
      i += 1;
    }
  }
  return pieces;
}
