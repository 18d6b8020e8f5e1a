// Reader (versions 2, 3 and 4) and writer (version 2) for git's index file, so that a worktree's index can
// be written in one pass with real stat data: native `git status` in that worktree is then clean
// without re-hashing. Extensions (cache tree, untracked cache) are dropped on write; git rebuilds
// them on demand.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { Stats, BigIntStats } from 'node:fs';

export interface IndexEntry {
  path: string;
  oid: string;
  /** numeric git mode: 0o100644, 0o100755, 0o120000, 0o160000 */
  mode: number;
  stage: number;
  ctimeSec: number; ctimeNsec: number;
  mtimeSec: number; mtimeNsec: number;
  dev: number; ino: number; uid: number; gid: number; size: number;
}

export function modeToNumber(mode: string): number {
  return parseInt(mode, 8);
}

export function modeToString(mode: number): string {
  return mode.toString(8).padStart(6, '0');
}

const u32 = (n: number | bigint): number => Number(BigInt(n) & 0xffffffffn);

export function entryFromStat(path: string, oid: string, mode: number, st: Pick<BigIntStats, 'ctimeNs' | 'mtimeNs' | 'dev' | 'ino' | 'uid' | 'gid' | 'size'> | null): IndexEntry {
  if (!st) {
    return { path, oid, mode, stage: 0, ctimeSec: 0, ctimeNsec: 0, mtimeSec: 0, mtimeNsec: 0, dev: 0, ino: 0, uid: 0, gid: 0, size: 0 };
  }
  return {
    path, oid, mode, stage: 0,
    ctimeSec: u32(st.ctimeNs / 1_000_000_000n), ctimeNsec: u32(st.ctimeNs % 1_000_000_000n),
    mtimeSec: u32(st.mtimeNs / 1_000_000_000n), mtimeNsec: u32(st.mtimeNs % 1_000_000_000n),
    dev: u32(st.dev), ino: u32(st.ino), uid: u32(st.uid), gid: u32(st.gid), size: u32(st.size),
  };
}

/** True when the file's stat data still matches the entry (git's "stat clean" test). */
export function statMatches(e: IndexEntry, st: BigIntStats | Stats): boolean {
  const b = st as BigIntStats;
  if (typeof b.mtimeNs !== 'bigint') return false;
  return e.mtimeSec === u32(b.mtimeNs / 1_000_000_000n) && e.mtimeNsec === u32(b.mtimeNs % 1_000_000_000n) &&
    e.size === u32(b.size) && e.ino === u32(b.ino);
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export async function readIndex(file: string): Promise<{ entries: IndexEntry[]; mtimeNs: bigint } | null> {
  let buf: Buffer;
  let mtimeNs: bigint;
  try {
    buf = await fs.readFile(file);
    mtimeNs = (await fs.stat(file, { bigint: true })).mtimeNs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') throw new Error(`${file}: not a git index`);
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) throw new Error(`${file}: index version ${version} is not supported`);
  const count = buf.readUInt32BE(8);
  const entries: IndexEntry[] = [];
  let off = 12;
  let prev: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i++) {
    const start = off;
    const r = (k: number) => buf.readUInt32BE(start + k * 4);
    const oid = buf.toString('hex', start + 40, start + 60);
    const flags = buf.readUInt16BE(start + 60);
    let nameStart = start + 62;
    if (version >= 3 && flags & 0x4000) nameStart += 2;
    let name: Buffer;
    let nul: number;
    if (version === 4) {
      // v4: the path is "drop N bytes of the previous path" (git's offset varint) + a NUL-terminated suffix.
      let p = nameStart;
      let byte = buf[p++] as number;
      let drop = byte & 0x7f;
      while (byte & 0x80) { byte = buf[p++] as number; drop = ((drop + 1) << 7) | (byte & 0x7f); }
      nul = buf.indexOf(0, p);
      name = Buffer.concat([prev.subarray(0, prev.length - drop), buf.subarray(p, nul)]);
      off = nul + 1;
    } else {
      nul = buf.indexOf(0, nameStart);
      name = buf.subarray(nameStart, nul);
      off = start + ((nameStart - start + name.length + 8) & ~7);
    }
    prev = name;
    entries.push({
      path: name.toString('utf8'), oid, mode: r(6), stage: (flags >> 12) & 3,
      ctimeSec: r(0), ctimeNsec: r(1), mtimeSec: r(2), mtimeNsec: r(3), dev: r(4), ino: r(5), uid: r(7), gid: r(8), size: r(9),
    });
  }
  return { entries, mtimeNs };
}

export async function writeIndex(file: string, entries: IndexEntry[]): Promise<void> {
  const sorted = [...entries].sort((a, b) => compareBytes(a.path, b.path) || a.stage - b.stage);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write('DIRC', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(sorted.length, 8);
  parts.push(header);
  for (const e of sorted) {
    const name = Buffer.from(e.path, 'utf8');
    const len = (62 + name.length + 8) & ~7;
    const b = Buffer.alloc(len);
    const vals = [e.ctimeSec, e.ctimeNsec, e.mtimeSec, e.mtimeNsec, e.dev, e.ino, e.mode, e.uid, e.gid, e.size];
    vals.forEach((v, k) => b.writeUInt32BE(u32(v), k * 4));
    b.write(e.oid, 40, 'hex');
    b.writeUInt16BE(((e.stage & 3) << 12) | Math.min(name.length, 0xfff), 60);
    name.copy(b, 62);
    parts.push(b);
  }
  const body = Buffer.concat(parts);
  const sum = createHash('sha1').update(body).digest();
  // Write beside and rename: a reader never sees a half-written index.
  const tmp = `${file}.thalogos-tmp`;
  await fs.writeFile(tmp, Buffer.concat([body, sum]));
  await fs.rename(tmp, file);
}
