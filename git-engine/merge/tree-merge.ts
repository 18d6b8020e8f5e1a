/**
 * Three-way merge of trees on the object store.
 *
 * Speed comes from never reading what cannot matter: a subtree whose oid is the same on two of
 * the three sides is resolved by oid alone (taken whole), so only directories on the paths of
 * changed files are read. Renames are looked for only when a deletion needs explaining.
 */
import type { Entry } from './object-store.js';
import type { MergeContext, Pending } from './merge-context.js';
import { sameEntry, wholeChoice } from './merge-context.js';
import { chooseOrRecord, mergeFilePresent, mergeFileTriple, recordConflict } from './file-merge.js';
import { detectRenames, diffSide } from './rename-detect.js';

/** An expanded directory of the result; children are entries (taken whole) or expanded dirs. */
export class DirNode {
  readonly children = new Map<string, Entry | DirNode>();
}

export interface TreeMergeInput {
  base: string | null;
  ours: string | null;
  theirs: string | null;
}

/** Merge and write the result tree. Returns null when conflicts were recorded (depth 0). */
export async function mergeTrees(ctx: MergeContext, input: TreeMergeInput): Promise<string | null> {
  const root = await mergeDir(ctx, '', input.base, input.ours, input.theirs);
  if (ctx.depth === 0) await resolveDeferred(ctx, root, input);
  if (ctx.depth === 0 && ctx.conflicts.length > 0) return null;
  return (await writeDir(ctx, root)) ?? (await ctx.store.writeTree(new Map()));
}

const emptyTree = new Map<string, Entry>();

async function mergeDir(ctx: MergeContext, prefix: string, b: string | null, o: string | null, t: string | null): Promise<DirNode> {
  const [bm, om, tm] = await Promise.all([
    b ? ctx.store.readTree(b) : emptyTree,
    o ? ctx.store.readTree(o) : emptyTree,
    t ? ctx.store.readTree(t) : emptyTree,
  ]);
  const node = new DirNode();
  const names = new Set([...bm.keys(), ...om.keys(), ...tm.keys()]);
  const jobs: Array<Promise<void>> = [];
  for (const name of [...names].sort()) {
    const eb = bm.get(name);
    const eo = om.get(name);
    const et = tm.get(name);
    if (sameEntry(eo, et)) {
      if (eo) node.children.set(name, eo);
      // Gone on both sides: harmless unless a side renamed it elsewhere (checked later).
      else if (eb) ctx.bothDeleted.push({ path: prefix + name, base: eb, ours: undefined, theirs: undefined });
      continue;
    }
    if (sameEntry(eb, eo)) { if (et) node.children.set(name, et); continue; }
    if (sameEntry(eb, et)) { if (eo) node.children.set(name, eo); continue; }
    jobs.push(mergeName(ctx, prefix + name, eb, eo, et).then((r) => { if (r) node.children.set(name, r); }));
  }
  await Promise.all(jobs);
  return node;
}

const asTree = (e: Entry | undefined): Entry | undefined => (e?.type === 'tree' ? e : undefined);
const asFile = (e: Entry | undefined): Entry | undefined => (e && e.type !== 'tree' ? e : undefined);

/**
 * A name changed on both sides. Like git, the file at `path` and the directory `path/` are
 * merged as two separate things; both surviving is a file/directory conflict.
 */
async function mergeName(
  ctx: MergeContext, path: string, eb: Entry | undefined, eo: Entry | undefined, et: Entry | undefined,
): Promise<Entry | DirNode | null> {
  const [tb, to, tt] = [asTree(eb), asTree(eo), asTree(et)];
  const [fb, fo, ft] = [asFile(eb), asFile(eo), asFile(et)];
  let dir: Entry | DirNode | null = null;
  if (tb || to || tt) {
    if (sameEntry(to, tt)) dir = to ?? null;
    else if (sameEntry(tb, to)) dir = tt ?? null;
    else if (sameEntry(tb, tt)) dir = to ?? null;
    else {
      // A directory one side removed entirely may have been renamed (directory rename, below).
      if (tb && !to && tt) ctx.goneDirs.push({ path, gone: 'ours' });
      if (tb && to && !tt) ctx.goneDirs.push({ path, gone: 'theirs' });
      const sub = await mergeDir(ctx, `${path}/`, tb?.oid ?? null, to?.oid ?? null, tt?.oid ?? null);
      dir = sub.children.size > 0 ? sub : null;
    }
  }
  let file: Entry | null = null;
  if (fb || fo || ft) file = await mergeFileName(ctx, path, fb, fo, ft);
  if (file && dir) {
    if (ctx.depth > 0) return dir;
    // A person's choice takes that side's entry at the name whole (its file or its directory).
    return chooseOrRecord(ctx, path, 'file_directory', fb ?? tb, eo, et,
      `a file and a directory both want ${path} (${ctx.labels.ours}: ${kindOf(eo)}, ${ctx.labels.theirs}: ${kindOf(et)})`);
  }
  return file ?? dir;
}

function kindOf(e: Entry | undefined): string {
  return e === undefined ? 'absent' : e.type === 'tree' ? 'directory' : 'file';
}

/** File part of a name: trivial rules, else defer or merge. */
async function mergeFileName(
  ctx: MergeContext, path: string, b: Entry | undefined, o: Entry | undefined, t: Entry | undefined,
): Promise<Entry | null> {
  const pending: Pending = { path, base: b, ours: o, theirs: t };
  if (sameEntry(o, t)) {
    if (!o && b) ctx.bothDeleted.push(pending);
    return o ?? null;
  }
  if (sameEntry(b, o)) return t ?? null;
  if (sameEntry(b, t)) return o ?? null;
  if (!o || !t) {
    // In a virtual base git keeps the base version of a modify/delete.
    if (ctx.depth > 0) return b ?? null;
    ctx.modifyDelete.push(pending);
    return null;
  }
  if (!b && ctx.depth === 0) { ctx.addAdd.push(pending); return null; }
  return mergeFilePresent(ctx, path, b, o, t);
}

/**
 * Second pass: explain deletions by renames (git detects renames in merges), then merge the
 * add/add paths that are not rename targets. Only at depth 0 (see README: virtual bases).
 */
async function resolveDeferred(ctx: MergeContext, root: DirNode, input: TreeMergeInput): Promise<void> {
  if (ctx.modifyDelete.length === 0 && ctx.bothDeleted.length === 0 && ctx.goneDirs.length === 0) {
    await mergeAddAdd(ctx, root, new Set());
    return;
  }
  const changes = { ours: await diffSide(ctx.store, input.base, input.ours), theirs: await diffSide(ctx.store, input.base, input.theirs) };
  // A directory deleted on both sides stands for every file in it.
  const bothDeleted: Pending[] = [];
  for (const p of ctx.bothDeleted) {
    if (p.base?.type !== 'tree') { bothDeleted.push(p); continue; }
    for (const [file, e] of changes.ours.deleted) {
      if (file.startsWith(`${p.path}/`) && changes.theirs.deleted.has(file)) bothDeleted.push({ path: file, base: e, ours: undefined, theirs: undefined });
    }
  }
  const deletedOn = (side: 'ours' | 'theirs'): boolean =>
    bothDeleted.length > 0 || ctx.modifyDelete.some((p) => p[side] === undefined) || ctx.goneDirs.some((d) => d.gone === side);
  const renames = {
    ours: deletedOn('ours') ? await detectRenames(ctx.store, changes.ours) : new Map<string, string>(),
    theirs: deletedOn('theirs') ? await detectRenames(ctx.store, changes.theirs) : new Map<string, string>(),
  };
  const handledTargets = new Set<string>();
  for (const p of ctx.modifyDelete) {
    const deleter = p.ours === undefined ? 'ours' : 'theirs';
    const keeper = deleter === 'ours' ? 'theirs' : 'ours';
    const target = renames[deleter].get(p.path);
    if (target === undefined) {
      const chosen = chooseOrRecord(ctx, p.path, 'modify_delete', p.base, p.ours, p.theirs,
        `deleted on ${ctx.labels[deleter]}, modified on ${ctx.labels[keeper]}`);
      // Only a kept file is put back: a null (deletion chosen, or recorded) leaves the name as is.
      if (chosen) await setPath(ctx, root, p.path, chosen);
      continue;
    }
    // The deleter renamed the file: carry the other side's modification to the new path.
    const renamed = await entryAt(ctx, input[deleter], target);
    const keeperAtTarget = await entryAt(ctx, input[keeper], target);
    if (keeperAtTarget !== undefined) {
      const chosen = chooseOrRecord(ctx, target, 'rename', p.base, deleter === 'ours' ? renamed : keeperAtTarget, deleter === 'ours' ? keeperAtTarget : renamed,
        `${p.path} was renamed to ${target} on ${ctx.labels[deleter]}, where ${ctx.labels[keeper]} added another file`);
      if (chosen) await setPath(ctx, root, target, chosen);
      handledTargets.add(target);
      continue;
    }
    const ours = deleter === 'ours' ? renamed : p.ours;
    const theirs = deleter === 'theirs' ? renamed : p.theirs;
    const merged = await mergeFileTriple(ctx, target, p.base, ours, theirs);
    await setPath(ctx, root, target, merged);
  }
  for (const p of bothDeleted) {
    const ro = renames.ours.get(p.path);
    const rt = renames.theirs.get(p.path);
    if (ro === undefined && rt === undefined) continue;
    if (ro !== undefined && rt !== undefined && ro === rt) {
      // Renamed identically on both sides: merge the contents with the true base.
      const [ours, theirs] = await Promise.all([entryAt(ctx, input.ours, ro), entryAt(ctx, input.theirs, rt)]);
      handledTargets.add(ro);
      const merged = await mergeFileTriple(ctx, ro, p.base, ours, theirs);
      await setPath(ctx, root, ro, merged);
      continue;
    }
    if (ro !== undefined && rt !== undefined) {
      // Each side's target is in the result already (a one-sided add); a choice drops the other.
      const chosen = wholeChoice(ctx, p.path);
      if (chosen !== undefined) await setPath(ctx, root, chosen === 'ours' ? rt : ro, null);
      else {
        recordConflict(ctx, p.path, 'rename', p.base, await entryAt(ctx, input.ours, ro), await entryAt(ctx, input.theirs, rt),
          `rename/rename: ${p.path} renamed to ${ro} on ${ctx.labels.ours} and to ${rt} on ${ctx.labels.theirs}`);
      }
      continue;
    }
    const renamer = ro !== undefined ? 'ours' : 'theirs';
    const target = (ro ?? rt) as string;
    const chosen = wholeChoice(ctx, p.path);
    // The renamed file is in the result already; choosing the deleting side removes it.
    if (chosen !== undefined) {
      if (chosen !== renamer) await setPath(ctx, root, target, null);
      continue;
    }
    const renamed = await entryAt(ctx, input[renamer], target);
    recordConflict(ctx, p.path, 'rename', p.base, renamer === 'ours' ? renamed : undefined, renamer === 'theirs' ? renamed : undefined,
      `rename/delete: ${p.path} renamed to ${target} on ${ctx.labels[renamer]}, deleted on ${ctx.labels[renamer === 'ours' ? 'theirs' : 'ours']}`);
  }
  await mergeAddAdd(ctx, root, handledTargets);
  await reportDirectoryRenames(ctx, root, renames, changes);
}

/**
 * git's default for directory renames in merges is "conflict": when one side moved a whole
 * directory and the other added files to the old one, each such file is a conflict reported at
 * the location the rename suggests ("CONFLICT (file location)").
 */
async function reportDirectoryRenames(
  ctx: MergeContext,
  root: DirNode,
  renames: Record<'ours' | 'theirs', Map<string, string>>,
  changes: Record<'ours' | 'theirs', { added: Map<string, Entry> }>,
): Promise<void> {
  const reported = new Set<string>();
  for (const gone of ctx.goneDirs) {
    const other = gone.gone === 'ours' ? 'theirs' : 'ours';
    const dirMap = directoryRenames(renames[gone.gone]);
    let from: string | undefined;
    for (const k of dirMap.keys()) {
      if ((gone.path === k || gone.path.startsWith(`${k}/`)) && (from === undefined || k.length > from.length)) from = k;
    }
    if (from === undefined) continue;
    const to = dirMap.get(from) as string;
    for (const [added, entry] of changes[other].added) {
      if (!added.startsWith(`${gone.path}/`) || reported.has(added)) continue;
      reported.add(added);
      const suggested = `${to}${added.slice(from.length)}`;
      // A choice: the adding side keeps the file where it added it; the renaming side moves it.
      const chosen = wholeChoice(ctx, suggested);
      if (chosen !== undefined) {
        if (chosen === gone.gone) { await setPath(ctx, root, added, null); await setPath(ctx, root, suggested, entry); }
        continue;
      }
      recordConflict(ctx, suggested, 'rename', undefined, other === 'ours' ? entry : undefined, other === 'theirs' ? entry : undefined,
        `file location: ${added} was added on ${ctx.labels[other]} inside ${from}/, which ${ctx.labels[gone.gone]} renamed to ${to}/; it should perhaps move to ${suggested}`);
    }
  }
}

/** Directory renames implied by file renames: majority vote per source directory, as in git. */
function directoryRenames(renames: Map<string, string>): Map<string, string> {
  const dirname = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
  const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
  const votes = new Map<string, Map<string, number>>();
  for (const [src, dst] of renames) {
    let s = dirname(src);
    let d = dirname(dst);
    // Strip the common trailing directories: old/x/a -> new/x/a renames old to new.
    while (s && d && base(s) === base(d)) { s = dirname(s); d = dirname(d); }
    if (s === d || s === '') continue;
    const m = votes.get(s) ?? new Map<string, number>();
    m.set(d, (m.get(d) ?? 0) + 1);
    votes.set(s, m);
  }
  const out = new Map<string, string>();
  for (const [s, m] of votes) {
    const ranked = [...m].sort((x, y) => y[1] - x[1]);
    const [first, second] = ranked;
    if (first && (!second || second[1] < first[1])) out.set(s, first[0]);
  }
  return out;
}

/** Paths added on both sides (no base): a two-way merge, skipping paths renames took care of. */
async function mergeAddAdd(ctx: MergeContext, root: DirNode, handled: ReadonlySet<string>): Promise<void> {
  for (const p of ctx.addAdd) {
    if (handled.has(p.path)) continue;
    const merged = await mergeFilePresent(ctx, p.path, undefined, p.ours as Entry, p.theirs as Entry);
    if (merged) await setPath(ctx, root, p.path, merged);
  }
}

/** The entry at a file path inside a tree (reading only the directories on the way). */
async function entryAt(ctx: MergeContext, tree: string | null, path: string): Promise<Entry | undefined> {
  let current = tree;
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) {
    if (current === null) return undefined;
    const e = (await ctx.store.readTree(current)).get(parts[i] as string);
    if (e === undefined) return undefined;
    if (i === parts.length - 1) return e;
    if (e.type !== 'tree') return undefined;
    current = e.oid;
  }
  return undefined;
}

/** Put (or remove) a file at `path` in the result, expanding subtrees taken whole on the way. */
async function setPath(ctx: MergeContext, root: DirNode, path: string, entry: Entry | null): Promise<void> {
  const parts = path.split('/');
  let node = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const name = parts[i] as string;
    const child = node.children.get(name);
    if (child instanceof DirNode) { node = child; continue; }
    const expanded = new DirNode();
    if (child !== undefined && child.type === 'tree') {
      for (const [n, e] of await ctx.store.readTree(child.oid)) expanded.children.set(n, e);
    }
    node.children.set(name, expanded);
    node = expanded;
  }
  const leaf = parts[parts.length - 1] as string;
  if (entry) node.children.set(leaf, entry);
  else node.children.delete(leaf);
}

/** Write expanded directories bottom-up; empty directories vanish as in git. */
async function writeDir(ctx: MergeContext, node: DirNode): Promise<string | null> {
  const entries = new Map<string, Entry>();
  const names = [...node.children.keys()];
  const written = await Promise.all(names.map(async (name) => {
    const child = node.children.get(name) as Entry | DirNode;
    if (!(child instanceof DirNode)) return child;
    const oid = await writeDir(ctx, child);
    return oid === null ? null : ({ mode: '40000', oid, type: 'tree' } satisfies Entry);
  }));
  names.forEach((name, i) => { const e = written[i]; if (e) entries.set(name, e); });
  if (entries.size === 0) return null;
  return ctx.store.writeTree(entries);
}
