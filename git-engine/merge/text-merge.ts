/**
 * Three-way merge of text (diff3 over line diffs), with git's grouping rules and the policy.
 *
 * Content is handled as latin1 strings: one char per byte, so splitting, comparing and joining
 * are byte-exact for any encoding and the result re-encodes to the very bytes git would write.
 */
import { diffLines, internLines } from './line-diff.js';
import type { LineEdit } from './line-diff.js';
import { classifyBothSided } from './merge-policy.js';
import type { PolicyRule, SideRange } from './merge-policy.js';
import type { HunkChoice } from './merge-choices.js';

export interface TextConflictHunk {
  /** 0-based index of the first base line of the region. */
  baseStart: number;
  base: string[];
  ours: string[];
  theirs: string[];
}

export interface TextResolution {
  rule: PolicyRule;
  baseStart: number;
  baseLines: number;
}

export interface TextMergeOptions {
  /** Apply the Save policy (outer merges). Off for virtual merge bases, which follow git. */
  policy: boolean;
  /** Conflict marker labels and size, used to render conflicts into the content. */
  markers: { ours: string; theirs: string; size: number };
  /**
   * Conflict resolution: the choice for the conflicting region with this 0-based index (in
   * order, counting every conflicting region), or undefined to leave it a conflict.
   */
  choose?: (index: number) => HunkChoice | undefined;
}

export interface TextMergeResult {
  clean: boolean;
  /** The merged content (latin1); conflicts rendered with markers git-style. */
  content: string;
  hunks: TextConflictHunk[];
  resolutions: TextResolution[];
  /** Conflicting regions resolved by `choose`. */
  chosen: number;
}

type Segment =
  | { t: 'same'; lines: string[] }
  | { t: 'change'; lines: string[] }
  | { t: 'conflict'; baseStart: number; base: string[]; ours: string[]; theirs: string[] };

interface SideEdit extends SideRange {
  lines: string[];
}

/** Split keeping line terminators, so a missing final newline is a difference like in git. */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) break;
    out.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

export function mergeText(base: string, ours: string, theirs: string, options: TextMergeOptions): TextMergeResult {
  const baseL = splitLines(base);
  const oursL = splitLines(ours);
  const theirsL = splitLines(theirs);
  const table = new Map<string, number>();
  const ib = internLines(table, baseL);
  const io = internLines(table, oursL);
  const it = internLines(table, theirsL);
  const edits: SideEdit[] = [
    ...toSideEdits('ours', diffLines(ib, io), oursL),
    ...toSideEdits('theirs', diffLines(ib, it), theirsL),
  ].sort((x, y) => x.aStart - y.aStart || x.aEnd - y.aEnd);

  const segments: Segment[] = [];
  const resolutions: TextResolution[] = [];
  let conflictIndex = 0;
  let chosen = 0;
  let pos = 0;
  let i = 0;
  while (i < edits.length) {
    const first = edits[i] as SideEdit;
    const group: SideEdit[] = [first];
    let end = first.aEnd;
    i++;
    // git (xdl_append_merge) chains changes that overlap or merely touch in base coordinates.
    while (i < edits.length && (edits[i] as SideEdit).aStart <= end) {
      const e = edits[i] as SideEdit;
      group.push(e);
      end = Math.max(end, e.aEnd);
      i++;
    }
    const start = first.aStart;
    if (pos < start) segments.push({ t: 'same', lines: baseL.slice(pos, start) });
    pos = end;
    const oursEdits = group.filter((e) => e.side === 'ours');
    const theirsEdits = group.filter((e) => e.side === 'theirs');
    if (oursEdits.length === 0 || theirsEdits.length === 0) {
      segments.push({ t: 'change', lines: applyEdits(baseL, group, start, end) });
      continue;
    }
    const oursR = applyEdits(baseL, oursEdits, start, end);
    const theirsR = applyEdits(baseL, theirsEdits, start, end);
    const rule = classifyBothSided(group, oursR, theirsR, options.policy);
    if (rule === null) {
      const choice = options.choose?.(conflictIndex);
      conflictIndex++;
      if (choice !== undefined) {
        chosen++;
        segments.push({ t: 'change', lines: chosenLines(choice, oursR, theirsR) });
        continue;
      }
      segments.push({ t: 'conflict', baseStart: start, base: baseL.slice(start, end), ours: oursR, theirs: theirsR });
      continue;
    }
    resolutions.push({ rule, baseStart: start, baseLines: end - start });
    const lines = rule === 'adjacent_hunks' ? applyEdits(baseL, group, start, end) : oursR;
    segments.push({ t: 'change', lines });
  }
  if (pos < baseL.length) segments.push({ t: 'same', lines: baseL.slice(pos) });

  const hunks: TextConflictHunk[] = [];
  for (const s of segments) {
    if (s.t === 'conflict') hunks.push({ baseStart: s.baseStart, base: s.base, ours: s.ours, theirs: s.theirs });
  }
  const content = render(simplifyConflicts(refineConflicts(segments)), options.markers);
  return { clean: hunks.length === 0, content, hunks, resolutions, chosen };
}

/**
 * The lines a person's choice puts in place of a conflicting region. `both` is git's union order:
 * ours, a line break if ours' last line has none, then theirs. `manual` text (UTF-8) is taken as
 * is, except that a missing final line break is added when a side's region ends with one: the
 * text never runs into the line after it, and a file that ended without a line break still does.
 */
export function chosenLines(choice: HunkChoice, oursR: string[], theirsR: string[]): string[] {
  if (choice.side !== 'manual') {
    if (choice.side === 'ours') return oursR;
    if (choice.side === 'theirs') return theirsR;
    return [...withFinalBreak(oursR, theirsR.length > 0), ...theirsR];
  }
  const text = Buffer.from(choice.text, 'utf8').toString('latin1');
  const lines = splitLines(text);
  // A side whose region is empty (it deleted those lines) says nothing about the line ending.
  const lasts = [oursR.at(-1), theirsR.at(-1)].filter((last): last is string => last !== undefined);
  const sidesBreak = lasts.length === 0 || lasts.some((last) => last.endsWith('\n'));
  return withFinalBreak(lines, sidesBreak);
}

function withFinalBreak(lines: string[], wanted: boolean): string[] {
  const last = lines.at(-1);
  if (!wanted || last === undefined || last.endsWith('\n')) return lines;
  return [...lines.slice(0, -1), `${last}\n`];
}

function toSideEdits(side: 'ours' | 'theirs', edits: LineEdit[], lines: string[]): SideEdit[] {
  return edits.map((e) => ({ side, aStart: e.aStart, aEnd: e.aEnd, lines: lines.slice(e.bStart, e.bEnd) }));
}

/**
 * Apply non-competing edits to base[start, end). Sorted by start then length, so an insertion
 * at a point comes before a replacement starting there (the only order that keeps both).
 */
function applyEdits(baseL: string[], edits: readonly SideEdit[], start: number, end: number): string[] {
  const sorted = [...edits].sort((x, y) => x.aStart - y.aStart || (x.aEnd - x.aStart) - (y.aEnd - y.aStart));
  const out: string[] = [];
  let cursor = start;
  for (const e of sorted) {
    for (let k = cursor; k < e.aStart; k++) out.push(baseL[k] as string);
    for (const l of e.lines) out.push(l);
    cursor = Math.max(cursor, e.aEnd);
  }
  for (let k = cursor; k < end; k++) out.push(baseL[k] as string);
  return out;
}

/**
 * xdiff's ZEALOUS refinement: inside a conflict, lines both sides agree on are not conflicted.
 * Only affects rendered content (virtual merge bases), never whether a region conflicts.
 */
function refineConflicts(segments: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    if (s.t !== 'conflict') { out.push(s); continue; }
    const table = new Map<string, number>();
    const a = internLines(table, s.ours);
    const b = internLines(table, s.theirs);
    const edits = diffLines(a, b);
    let ia = 0;
    for (const e of edits) {
      if (ia < e.aStart) out.push({ t: 'same', lines: s.ours.slice(ia, e.aStart) });
      out.push({ t: 'conflict', baseStart: s.baseStart, base: [], ours: s.ours.slice(e.aStart, e.aEnd), theirs: s.theirs.slice(e.bStart, e.bEnd) });
      ia = e.aEnd;
    }
    if (ia < s.ours.length) out.push({ t: 'same', lines: s.ours.slice(ia) });
  }
  return out;
}

/** xdiff's xdl_simplify_non_conflicts: conflicts separated by at most 3 unchanged lines fuse. */
function simplifyConflicts(segments: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    const prev = out[out.length - 1];
    const prev2 = out[out.length - 2];
    if (s.t === 'conflict' && prev && prev.t === 'same' && prev.lines.length <= 3 && prev2 && prev2.t === 'conflict') {
      out.pop();
      out[out.length - 1] = {
        t: 'conflict', baseStart: prev2.baseStart, base: [],
        ours: [...prev2.ours, ...prev.lines, ...s.ours], theirs: [...prev2.theirs, ...prev.lines, ...s.theirs],
      };
      continue;
    }
    if (s.t === 'conflict' && prev && prev.t === 'conflict') {
      out[out.length - 1] = { ...prev, ours: [...prev.ours, ...s.ours], theirs: [...prev.theirs, ...s.theirs] };
      continue;
    }
    if (s.t === 'same' && prev && prev.t === 'same') {
      out[out.length - 1] = { t: 'same', lines: [...prev.lines, ...s.lines] };
      continue;
    }
    out.push(s);
  }
  return out;
}

function render(segments: Segment[], markers: TextMergeOptions['markers']): string {
  const parts: string[] = [];
  const eol = (lines: string[]): void => {
    const last = lines[lines.length - 1];
    if (last !== undefined && !last.endsWith('\n')) parts.push('\n');
  };
  for (const s of segments) {
    if (s.t !== 'conflict') { parts.push(...s.lines); continue; }
    parts.push(`${'<'.repeat(markers.size)} ${markers.ours}\n`, ...s.ours);
    eol(s.ours);
    parts.push(`${'='.repeat(markers.size)}\n`, ...s.theirs);
    eol(s.theirs);
    parts.push(`${'>'.repeat(markers.size)} ${markers.theirs}\n`);
  }
  return parts.join('');
}

