/**
 * Merge of one path whose three versions are files (regular, executable, symlink, gitlink):
 * modes, types, binary detection and the text merge.
 */
import { MergeError } from './merge-error.js';
import type { Entry } from './object-store.js';
import type { MergeContext } from './merge-context.js';
import { sameEntry, wholeChoice } from './merge-context.js';
import type { ConflictFile, ConflictHunk, ConflictKind, ConflictSide } from './merge-types.js';
import { mergeText } from './text-merge.js';
import type { TextConflictHunk } from './text-merge.js';

type FileType = 'file' | 'link' | 'gitlink';

function fileType(mode: string): FileType {
  if (mode === '120000') return 'link';
  if (mode === '160000') return 'gitlink';
  return 'file';
}

/** git's buffer_is_binary: a NUL byte in the first 8000 bytes. */
export function isBinary(content: Uint8Array): boolean {
  const n = Math.min(content.length, 8000);
  for (let i = 0; i < n; i++) if (content[i] === 0) return true;
  return false;
}

export function side(e: Entry | undefined): ConflictSide {
  return e ? { oid: e.oid, mode: e.mode } : { oid: null, mode: null };
}

export function recordConflict(
  ctx: MergeContext, path: string, kind: ConflictKind,
  base: Entry | undefined, ours: Entry | undefined, theirs: Entry | undefined,
  summary: string, hunks: ConflictHunk[] = [],
): void {
  const file: ConflictFile = { path, kind, base: side(base), ours: side(ours), theirs: side(theirs), hunks, summary };
  ctx.conflicts.push(file);
}

/**
 * A conflict that a person may have decided (conflict resolution): returns the chosen side's entry
 * (null when that side has no file there: a deletion), else records the conflict and returns null.
 * A one-hunk conflict that is not a text merge (a symlink target) also accepts its hunk 0 choice.
 */
export function chooseOrRecord(
  ctx: MergeContext, path: string, kind: ConflictKind,
  base: Entry | undefined, ours: Entry | undefined, theirs: Entry | undefined,
  summary: string, hunks: ConflictHunk[] = [],
): Entry | null {
  const chosen = wholeChoice(ctx, path) ?? (hunks.length === 1 && ctx.depth === 0 ? ctx.choices?.hunk(path, 0)?.side : undefined);
  if (chosen === 'both' || chosen === 'manual') {
    // Not lines of text (a symlink target): one side's entry or the other (the caller checks first).
    throw new MergeError('INVALID_INPUT', `${path}: a ${kind} conflict takes ours or theirs, not ${chosen}`);
  }
  if (chosen !== undefined) return (chosen === 'ours' ? ours : theirs) ?? null;
  recordConflict(ctx, path, kind, base, ours, theirs, summary, hunks);
  return null;
}

/**
 * Three-way merge of file entries that are not trivially resolvable (callers handle
 * same/unchanged sides). Returns the merged entry, or null when the path ends up absent
 * (only at depth 0 on conflict; at depth > 0 a conflict still yields a best-effort entry).
 */
export async function mergeFilePresent(
  ctx: MergeContext, path: string, base: Entry | undefined, ours: Entry, theirs: Entry,
): Promise<Entry | null> {
  const addAdd = base === undefined;
  const ot = fileType(ours.mode);
  const tt = fileType(theirs.mode);
  const virtualFallback = (): Entry => base ?? ours;
  if (ot !== tt) {
    if (ctx.depth > 0) return virtualFallback();
    return chooseOrRecord(ctx, path, 'mode', base, ours, theirs,
      `distinct types: ${describeType(ot)} on ${ctx.labels.ours}, ${describeType(tt)} on ${ctx.labels.theirs}`);
  }
  // A base of another type carries no useful ancestry for the content (git treats it so too).
  const b = base && fileType(base.mode) === ot ? base : undefined;

  if (ot !== 'file') {
    if (ctx.depth > 0) return virtualFallback();
    const what = ot === 'link' ? 'symlink target' : 'submodule commit';
    const hunks: ConflictHunk[] = ot === 'link'
      ? [{ baseStart: 1, base: b ? [await readUtf8(ctx, b.oid)] : [], ours: [await readUtf8(ctx, ours.oid)], theirs: [await readUtf8(ctx, theirs.oid)] }]
      : [];
    return chooseOrRecord(ctx, path, addAdd ? 'add_add' : 'content', base, ours, theirs,
      `both sides changed the ${what} differently (${ctx.labels.ours} vs ${ctx.labels.theirs})`, hunks);
  }

  const mode = mergeModes(b?.mode, ours.mode, theirs.mode);
  let oid: string | null;
  let contentClean = true;
  if (ours.oid === theirs.oid) oid = ours.oid;
  else if (b && b.oid === ours.oid) oid = theirs.oid;
  else if (b && b.oid === theirs.oid) oid = ours.oid;
  else {
    const [bc, oc, tc] = await Promise.all([
      b ? ctx.store.readBlob(b.oid) : Promise.resolve(new Uint8Array(0)),
      ctx.store.readBlob(ours.oid),
      ctx.store.readBlob(theirs.oid),
    ]);
    if (isBinary(bc) || isBinary(oc) || isBinary(tc)) {
      if (ctx.depth > 0) return virtualFallback();
      return chooseOrRecord(ctx, path, 'binary', base, ours, theirs,
        `binary file changed on both sides (${ctx.labels.ours} and ${ctx.labels.theirs}); choose one version`);
    }
    const text = mergeText(latin1(bc), latin1(oc), latin1(tc), {
      policy: ctx.depth === 0,
      markers: { ours: ctx.labels.ours, theirs: ctx.labels.theirs, size: 7 + 2 * ctx.depth },
      ...(ctx.depth === 0 && ctx.choices ? { choose: (i: number) => ctx.choices?.hunk(path, i) } : {}),
    });
    if (!text.clean && ctx.depth === 0) {
      contentClean = false;
      const hunks = text.hunks.map(toConflictHunk);
      recordConflict(ctx, path, addAdd ? 'add_add' : 'content', base, ours, theirs,
        `${addAdd ? 'added on both sides' : 'changed on both sides'} with ${hunks.length} conflicting region${hunks.length === 1 ? '' : 's'} (${hunks.map(describeHunk).join(', ')})`,
        hunks);
    }
    if (ctx.depth === 0) {
      for (const r of text.resolutions) {
        ctx.autoResolved.push({ path, rule: r.rule, detail: describeResolution(r.rule, r.baseStart, r.baseLines, ctx.labels.ours) });
      }
    }
    oid = contentClean ? await ctx.store.writeBlob(Buffer.from(text.content, 'latin1')) : null;
  }
  if (!contentClean || oid === null) return null;
  if (mode === null) {
    if (ctx.depth > 0) return { mode: ours.mode, oid, type: 'blob' };
    return chooseOrRecord(ctx, path, 'mode', base, ours, theirs,
      `added on both sides with different modes (${ours.mode} on ${ctx.labels.ours}, ${theirs.mode} on ${ctx.labels.theirs})`);
  }
  return { mode, oid, type: 'blob' };
}

/** File mode merge (executable bit): a side that kept the base mode yields to the other. */
export function mergeModes(base: string | undefined, ours: string, theirs: string): string | null {
  if (ours === theirs) return ours;
  if (base === ours) return theirs;
  if (base === theirs) return ours;
  return null;
}

/**
 * Convenience for callers holding any triple of file entries: applies the trivial rules first.
 */
export async function mergeFileTriple(
  ctx: MergeContext, path: string, base: Entry | undefined, ours: Entry | undefined, theirs: Entry | undefined,
): Promise<Entry | null> {
  if (sameEntry(ours, theirs)) return ours ?? null;
  if (sameEntry(base, ours)) return theirs ?? null;
  if (sameEntry(base, theirs)) return ours ?? null;
  if (!ours || !theirs) {
    if (ctx.depth > 0) return base ?? ours ?? theirs ?? null;
    const deleted = ours ? ctx.labels.theirs : ctx.labels.ours;
    const modified = ours ? ctx.labels.ours : ctx.labels.theirs;
    return chooseOrRecord(ctx, path, 'modify_delete', base, ours, theirs, `deleted on ${deleted}, modified on ${modified}`);
  }
  return mergeFilePresent(ctx, path, base, ours, theirs);
}

function describeType(t: FileType): string {
  return t === 'file' ? 'a regular file' : t === 'link' ? 'a symlink' : 'a submodule';
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

async function readUtf8(ctx: MergeContext, oid: string): Promise<string> {
  const bytes = await ctx.store.readBlob(oid);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** Lines for people: decoded as UTF-8, without their line terminator. */
function humanLines(lines: string[]): string[] {
  return lines.map((l) => Buffer.from(l, 'latin1').toString('utf8').replace(/\r?\n$/, ''));
}

function toConflictHunk(h: TextConflictHunk): ConflictHunk {
  return { baseStart: h.baseStart + 1, base: humanLines(h.base), ours: humanLines(h.ours), theirs: humanLines(h.theirs) };
}

function describeHunk(h: ConflictHunk): string {
  if (h.base.length === 0) return `insertions at line ${h.baseStart}`;
  return h.base.length === 1 ? `line ${h.baseStart}` : `lines ${h.baseStart}-${h.baseStart + h.base.length - 1}`;
}

function describeResolution(rule: string, baseStart: number, baseLines: number, oursLabel: string): string {
  const where = baseLines === 0 ? `at base line ${baseStart + 1}` : baseLines === 1 ? `base line ${baseStart + 1}` : `base lines ${baseStart + 1}-${baseStart + baseLines}`;
  if (rule === 'adjacent_hunks') return `${where}: the sides edited adjacent lines; both edits applied`;
  if (rule === 'whitespace_only') return `${where}: the sides differ only in whitespace; kept ${oursLabel}`;
  return `${where}: both sides made the same change`;
}
