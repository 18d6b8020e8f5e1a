import { describe, expect, it } from 'vitest';
import { classifyBothSided, normaliseWhitespace, rangesCompete, whitespaceEquivalent } from './merge-policy.js';
import { mergeText } from './text-merge.js';
import { diffLines, internLines } from './line-diff.js';

const o = (aStart: number, aEnd: number) => ({ side: 'ours' as const, aStart, aEnd });
const t = (aStart: number, aEnd: number) => ({ side: 'theirs' as const, aStart, aEnd });
const policy = { policy: true, markers: { ours: 'ours', theirs: 'theirs', size: 7 } };
const lines = (...ls: string[]): string => ls.map((l) => `${l}\n`).join('');

describe('rangesCompete', () => {
  it('touching ranges do not compete, shared lines do', () => {
    expect(rangesCompete(o(1, 3), t(3, 5))).toBe(false);
    expect(rangesCompete(o(1, 4), t(3, 5))).toBe(true);
    expect(rangesCompete(o(3, 3), t(3, 5))).toBe(false); // insertion right before the replaced range
    expect(rangesCompete(o(5, 5), t(3, 5))).toBe(false); // insertion right after it
    expect(rangesCompete(o(4, 4), t(3, 5))).toBe(true); // insertion inside it
    expect(rangesCompete(o(4, 4), t(4, 4))).toBe(true); // two insertions at one place
  });
});

describe('whitespace rule', () => {
  it('uses --ignore-space-change semantics', () => {
    expect(normaliseWhitespace('a \t b  \r\n')).toBe('a b');
    expect(whitespaceEquivalent(['\tx = 1\n'], ['    x = 1\n'])).toBe(true);
    expect(whitespaceEquivalent(['x\n'], ['  x\n'])).toBe(false); // blanks where there were none
    expect(whitespaceEquivalent(['x\n'], ['x\n', '\n'])).toBe(false); // line counts differ
  });

  it('classifies in order identical, adjacent, whitespace, else conflict', () => {
    expect(classifyBothSided([o(1, 2), t(1, 2)], ['a'], ['a'], true)).toBe('identical_change');
    expect(classifyBothSided([o(1, 2), t(2, 3)], ['a', 'b'], ['c', 'd'], true)).toBe('adjacent_hunks');
    expect(classifyBothSided([o(1, 2), t(2, 3)], ['a', 'b'], ['c', 'd'], false)).toBeNull();
    expect(classifyBothSided([o(1, 2), t(1, 2)], ['a  b'], ['a b'], true)).toBe('whitespace_only');
    expect(classifyBothSided([o(1, 2), t(1, 2)], ['a'], ['b'], true)).toBeNull();
  });
});

describe('mergeText', () => {
  const base = lines('1', '2', '3', '4', '5');

  it('applies an insertion before a replacement that starts at the same base line', () => {
    const r = mergeText(base, lines('1', '2', 'ins', '3', '4', '5'), lines('1', '2', 'THREE', '4', '5'), policy);
    expect(r.clean).toBe(true);
    expect(r.content).toBe(lines('1', '2', 'ins', 'THREE', '4', '5'));
    expect(r.resolutions.map((x) => x.rule)).toEqual(['adjacent_hunks']);
  });

  it('keeps two different insertions at the same place as a conflict with its hunk', () => {
    const r = mergeText(base, lines('1', '2', 'A', '3', '4', '5'), lines('1', '2', 'B', '3', '4', '5'), policy);
    expect(r.clean).toBe(false);
    expect(r.hunks).toEqual([{ baseStart: 2, base: [], ours: ['A\n'], theirs: ['B\n'] }]);
  });

  it('whitespace-only: keeps ours', () => {
    const r = mergeText(base, lines('1', 'two  2', '3', '4', '5'), lines('1', 'two 2 ', '3', '4', '5'), policy);
    expect(r.content).toBe(lines('1', 'two  2', '3', '4', '5'));
    expect(r.resolutions.map((x) => x.rule)).toEqual(['whitespace_only']);
  });

  it('renders virtual-base conflicts like xdiff (refined, markers sized per level)', () => {
    const r = mergeText(base, lines('1', 'x', '3', 'y', '5'), lines('1', 'X', '3', 'Y', '5'),
      { policy: false, markers: { ours: 'Temporary merge branch 1', theirs: 'Temporary merge branch 2', size: 9 } });
    expect(r.clean).toBe(false);
    // Conflicts separated by at most 3 unchanged lines fuse into one block.
    expect(r.content).toBe(lines('1', '<<<<<<<<< Temporary merge branch 1', 'x', '3', 'y', '=========', 'X', '3', 'Y',
      '>>>>>>>>> Temporary merge branch 2', '5'));
  });
});

describe('diffLines', () => {
  it('slides an ambiguous insertion down like xdiff', () => {
    const table = new Map<string, number>();
    const a = internLines(table, ['a', '', 'b']);
    const b = internLines(table, ['a', '', '', 'b']);
    expect(diffLines(a, b)).toEqual([{ aStart: 2, aEnd: 2, bStart: 2, bEnd: 3 }]);
  });
});
