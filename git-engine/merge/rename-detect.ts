/**
 * Rename detection for one side of a merge, after git's diffcore-rename: exact renames (same
 * blob) first, then inexact ones scored like git (content cut in chunks at newlines or every 64
 * bytes, score = bytes in common / size of the larger file, threshold 50%), paired greedily
 * from the best score down, each source and destination used once (merges never detect copies).
 */
import type { Entry, ObjectStore } from './object-store.js';
import { sameEntry } from './merge-context.js';

export interface SideChanges {
  added: Map<string, Entry>;
  deleted: Map<string, Entry>;
}

/** Minimum similarity (percent) for an inexact rename, git's default. */
export const RENAME_THRESHOLD = 0.5;
/** Above this many source x destination pairs only exact renames are looked for. */
const MAX_INEXACT_PAIRS = 250_000;

/** Files added and deleted between two trees, descending only into subtrees that differ. */
export async function diffSide(store: ObjectStore, base: string | null, side: string | null): Promise<SideChanges> {
  const out: SideChanges = { added: new Map(), deleted: new Map() };
  await walk(store, '', base, side, out);
  return out;
}

async function walk(store: ObjectStore, prefix: string, a: string | null, b: string | null, out: SideChanges): Promise<void> {
  if (a === b) return;
  const [ma, mb] = await Promise.all([
    a ? store.readTree(a) : Promise.resolve(new Map<string, Entry>()),
    b ? store.readTree(b) : Promise.resolve(new Map<string, Entry>()),
  ]);
  const jobs: Promise<void>[] = [];
  for (const name of new Set([...ma.keys(), ...mb.keys()])) {
    const ea = ma.get(name);
    const eb = mb.get(name);
    if (sameEntry(ea, eb)) continue;
    const path = prefix + name;
    const ta = ea?.type === 'tree' ? ea.oid : null;
    const tb = eb?.type === 'tree' ? eb.oid : null;
    if (ta !== null || tb !== null) jobs.push(walk(store, `${path}/`, ta, tb, out));
    const fa = ea && ea.type !== 'tree' ? ea : undefined;
    const fb = eb && eb.type !== 'tree' ? eb : undefined;
    if (fa && !fb) out.deleted.set(path, fa);
    if (fb && !fa) out.added.set(path, fb);
  }
  await Promise.all(jobs);
}

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const isRegular = (e: Entry): boolean => e.mode === '100644' || e.mode === '100755';

/** Returns source path -> destination path. */
export async function detectRenames(store: ObjectStore, changes: SideChanges): Promise<Map<string, string>> {
  const renames = new Map<string, string>();
  const usedDst = new Set<string>();
  const byOid = new Map<string, string[]>();
  for (const [path, e] of [...changes.added].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const list = byOid.get(e.oid) ?? [];
    list.push(path);
    byOid.set(e.oid, list);
  }
  const sources = [...changes.deleted].sort(([x], [y]) => (x < y ? -1 : 1));
  for (const [src, e] of sources) {
    const candidates = (byOid.get(e.oid) ?? []).filter((d) => !usedDst.has(d) && changes.added.get(d)?.mode.startsWith('1') === e.mode.startsWith('1'));
    const dst = candidates.find((d) => basename(d) === basename(src)) ?? candidates[0];
    if (dst !== undefined) {
      renames.set(src, dst);
      usedDst.add(dst);
    }
  }
  const restSrc = sources.filter(([p, e]) => !renames.has(p) && isRegular(e));
  const restDst = [...changes.added].filter(([p, e]) => !usedDst.has(p) && isRegular(e));
  if (restSrc.length === 0 || restDst.length === 0 || restSrc.length * restDst.length > MAX_INEXACT_PAIRS) return renames;

  const signatures = new Map<string, { size: number; chunks: Map<string, number> }>();
  const signature = async (oid: string): Promise<{ size: number; chunks: Map<string, number> }> => {
    const known = signatures.get(oid);
    if (known) return known;
    const sig = chunkSignature(await store.readBlob(oid));
    signatures.set(oid, sig);
    return sig;
  };
  const scored: Array<{ score: number; src: string; dst: string }> = [];
  for (const [dst, de] of restDst) {
    const ds = await signature(de.oid);
    if (ds.size === 0) continue;
    for (const [src, se] of restSrc) {
      const ss = await signature(se.oid);
      if (ss.size === 0) continue;
      const max = Math.max(ss.size, ds.size);
      const min = Math.min(ss.size, ds.size);
      if ((max - min) > max * (1 - RENAME_THRESHOLD)) continue;
      let common = 0;
      for (const [chunk, count] of ss.chunks) {
        const other = ds.chunks.get(chunk);
        if (other !== undefined) common += Math.min(count, other);
      }
      const score = common / max;
      if (score >= RENAME_THRESHOLD) scored.push({ score, src, dst });
    }
  }
  scored.sort((x, y) => y.score - x.score
    || Number(basename(y.src) === basename(y.dst)) - Number(basename(x.src) === basename(x.dst))
    || (x.dst < y.dst ? -1 : x.dst > y.dst ? 1 : 0));
  for (const { src, dst } of scored) {
    if (renames.has(src) || usedDst.has(dst)) continue;
    renames.set(src, dst);
    usedDst.add(dst);
  }
  return renames;
}

/** Bytes per chunk, chunks cut after '\n' or at 64 bytes (git's hash_chars); CRLF counts as LF. */
export function chunkSignature(bytes: Uint8Array): { size: number; chunks: Map<string, number> } {
  const chunks = new Map<string, number>();
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let len = 0;
  let acc = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) continue;
    acc += text[i];
    len++;
    if (c === 10 || len >= 64) {
      chunks.set(acc, (chunks.get(acc) ?? 0) + len);
      acc = '';
      len = 0;
    }
  }
  if (len > 0) chunks.set(acc, (chunks.get(acc) ?? 0) + len);
  return { size: bytes.length, chunks };
}
