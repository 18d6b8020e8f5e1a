// A read-only object reader: pack indexes (v2) are binary-searched in place, objects inflated
// with node's native zlib and deltas (ofs and ref) applied here. isomorphic-git's readBlob does
// the same with a JavaScript inflate and per-call setup, ~4x the CPU per blob. Two ways to read a
// pack: whole (each pack read once: a checkout reads every blob of a tree) or positional (one
// `read` per object at its offset: a merge reads a few hundred objects of a pack that may weigh
// hundreds of MB). Every object read is verified against its oid. Whatever this reader does not
// know (an object newer than its listing, a v1 index) is reported as `null`, and the caller reads
// it through isomorphic-git instead.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { inflateSync } from 'node:zlib';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';
export interface GitObject { type: ObjectType; content: Buffer }

const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
const REF_DELTA = 7;
/** Resolved delta bases kept per reader (bytes); chains in one pack share bases. */
const BASE_CACHE_BYTES = 32 * 1024 * 1024;

interface Pack {
  file: string;
  /** The v2 `.idx` file as read (binary-searched in place). */
  idx: Buffer;
  count: number;
  data: Promise<Buffer> | null;
  /** Positional mode: the open pack file's descriptor, closed again once idle (see IDLE_CLOSE_MS). */
  fd: number | null;
  /** The pack file's size when it was opened (positional mode). */
  size: number;
  timer: NodeJS.Timeout | null;
}

/** A positional reader's pack file is closed this long after its last read. */
const IDLE_CLOSE_MS = 200;

export interface PackReaderOptions {
  /** Read objects at their offsets instead of reading each pack whole (default false). */
  positional?: boolean;
}

export class PackCorruptError extends Error {
  readonly code = 'PACK_CORRUPT';
  constructor(message: string, readonly data: Record<string, unknown> = {}) { super(message); this.name = 'PackCorruptError'; }
  toJSON(): Record<string, unknown> { return { name: this.name, code: this.code, message: this.message, data: this.data }; }
}

const IDX_HEADER = 8 + 256 * 4;
/** "PACK", the version and the object count. */
const PACK_HEADER = 12;
/** Past this an object's claimed size is damage: no buffer that large can be made. */
const MAX_OBJECT_BYTES = 2 ** 32 - 1;
/** Longer delta chains than this are damage (git's default depth is 50, its maximum 4095). */
const MAX_DELTA_DEPTH = 10_000;

function closeQuietly(fd: number): void {
  try { closeSync(fd); } catch { /* already closed: nothing holds it */ }
}

/** A v2 index's object count, or null for another version; throws when it is truncated. */
function indexCount(buf: Buffer, file: string): number | null {
  if (buf.length < IDX_HEADER || buf.readUInt32BE(0) !== 0xff744f63 || buf.readUInt32BE(4) !== 2) return null;
  const count = buf.readUInt32BE(8 + 255 * 4);
  if (buf.length < IDX_HEADER + count * 28 + 40) throw new PackCorruptError(`${file}: truncated pack index`, { file });
  return count;
}

/** The pack offset of `oid` from a v2 index (fan-out, then binary search), or undefined. */
function indexOffset(idx: Buffer, count: number, oid: string): number | undefined {
  const key = Buffer.from(oid, 'hex');
  if (key.length !== 20) return undefined;
  const first = key[0] as number;
  let lo = first === 0 ? 0 : idx.readUInt32BE(8 + (first - 1) * 4);
  let hi = idx.readUInt32BE(8 + first * 4);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = IDX_HEADER + mid * 20;
    const c = idx.compare(key, 0, 20, at, at + 20);
    if (c === 0) {
      const offs = IDX_HEADER + count * 24;
      let off = idx.readUInt32BE(offs + mid * 4);
      // MSB set: the offset is in the 64-bit table (packs over 2 GiB).
      if (off & 0x80000000) off = Number(idx.readBigUInt64BE(offs + count * 4 + (off & 0x7fffffff) * 8));
      return off;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return undefined;
}

function applyDelta(delta: Buffer, base: Buffer): Buffer {
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    let b: number;
    do { b = delta[p++] as number; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return v;
  };
  if (varint() !== base.length) throw new PackCorruptError('delta base size mismatch');
  const size = varint();
  if (size > MAX_OBJECT_BYTES) throw new PackCorruptError(`delta result size ${size} out of range`);
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  while (p < delta.length) {
    const op = delta[p++] as number;
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      for (let k = 0; k < 4; k++) if (op & (1 << k)) off += (delta[p++] as number) * 2 ** (8 * k);
      for (let k = 0; k < 3; k++) if (op & (0x10 << k)) len += (delta[p++] as number) << (8 * k);
      if (len === 0) len = 0x10000;
      if (off + len > base.length || o + len > size) throw new PackCorruptError('delta copy out of range');
      base.copy(out, o, off, off + len);
      o += len;
    } else if (op) {
      if (o + op > size || p + op > delta.length) throw new PackCorruptError('delta insert out of range');
      delta.copy(out, o, p, p + op);
      o += op;
      p += op;
    } else {
      throw new PackCorruptError('delta opcode 0');
    }
  }
  if (o !== size) throw new PackCorruptError('delta result size mismatch');
  return out;
}

export class PackReader {
  private readonly bases = new Map<string, GitObject>();
  private baseBytes = 0;

  private constructor(private readonly packs: Pack[], private readonly objectsDir: string, private readonly positional: boolean) {}

  /** Lists and reads the pack indexes of `gitdir` (a snapshot: later packs are not seen). */
  static async open(gitdir: string, opts: PackReaderOptions = {}): Promise<PackReader> {
    const objectsDir = path.join(gitdir, 'objects');
    const packDir = path.join(objectsDir, 'pack');
    let names: string[] = [];
    try { names = await fs.readdir(packDir); } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; }
    const packs: Pack[] = [];
    for (const n of names.filter((x) => x.endsWith('.idx')).sort()) {
      const file = path.join(packDir, n.replace(/\.idx$/, '.pack'));
      const idx = await fs.readFile(path.join(packDir, n));
      const count = indexCount(idx, n);
      if (count !== null) packs.push({ file, idx, count, data: null, fd: null, size: 0, timer: null });
    }
    return new PackReader(packs, objectsDir, opts.positional === true);
  }

  /**
   * `length` bytes of the pack from `offset` (fewer at its end). Positional reads are synchronous
   * `pread`s: they run on a pool worker (never the server's event loop), hit the page cache and
   * take microseconds, where a thread-pool hop per object cost more than the read itself, and far
   * more on a loaded machine (a merge reads hundreds of objects). The pack stays open while reads
   * come and is closed IDLE_CLOSE_MS after the last one (the timer does not hold the process).
   */
  private async bytes(pack: Pack, offset: number, length: number): Promise<Buffer> {
    if (!this.positional) {
      pack.data ??= fs.readFile(pack.file);
      return (await pack.data).subarray(offset, offset + length);
    }
    if (pack.timer) { clearTimeout(pack.timer); pack.timer = null; }
    if (pack.fd === null) {
      pack.fd = openSync(pack.file, 'r');
      pack.size = fstatSync(pack.fd).size;
    }
    const fd = pack.fd;
    try {
      // A damaged header can claim any size: never read (or allocate) past the pack's end.
      length = Math.max(0, Math.min(length, pack.size - offset));
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const bytesRead = readSync(fd, buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    } catch (err) {
      pack.fd = null;
      closeQuietly(fd);
      throw err;
    } finally {
      if (pack.fd === fd) {
        pack.timer = setTimeout(() => {
          pack.timer = null;
          if (pack.fd === fd) { pack.fd = null; closeQuietly(fd); }
        }, IDLE_CLOSE_MS);
        pack.timer.unref();
      }
    }
  }

  /** The object, or null when it is in none of the listed packs nor loose. */
  async read(oid: string): Promise<GitObject | null> {
    return this.readAtDepth(oid, 0);
  }

  private async readAtDepth(oid: string, depth: number): Promise<GitObject | null> {
    for (const pack of this.packs) {
      const off = indexOffset(pack.idx, pack.count, oid);
      if (off === undefined) continue;
      return this.verified(oid, await this.at(pack, off, depth));
    }
    return this.readLoose(oid);
  }

  private async readLoose(oid: string): Promise<GitObject | null> {
    let raw: Buffer;
    try {
      // Synchronous for the reason `bytes` is: one small file, read on a pool worker.
      raw = inflateSync(readFileSync(path.join(this.objectsDir, oid.slice(0, 2), oid.slice(2))));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const nul = raw.indexOf(0);
    const [type, len] = raw.toString('latin1', 0, nul).split(' ');
    const content = raw.subarray(nul + 1);
    if (!Object.values(TYPES).includes(type as ObjectType) || Number(len) !== content.length) {
      throw new PackCorruptError(`loose object ${oid} has a bad header`, { oid });
    }
    return this.verified(oid, { type: type as ObjectType, content });
  }

  private verified(oid: string, obj: GitObject): GitObject {
    const h = createHash('sha1').update(`${obj.type} ${obj.content.length}\0`).update(obj.content).digest('hex');
    if (h !== oid) throw new PackCorruptError(`object ${oid} hashes to ${h}`, { oid });
    return obj;
  }

  private async at(pack: Pack, offset: number, depth: number): Promise<GitObject> {
    // Ref-deltas can name each other in a cycle; git's own chains stay far below this.
    if (depth > MAX_DELTA_DEPTH) throw new PackCorruptError('delta chain too deep (a cycle?)', { pack: pack.file, offset });
    const key = `${pack.file}:${offset}`;
    const cached = this.bases.get(key);
    if (cached) return cached;
    // The header (type and size varint, then an ofs-delta's varint or a ref-delta's base id, at
    // most 32 bytes) and, in the same read, the start of the deflated data.
    const head = await this.bytes(pack, offset, 4096);
    let p = 0;
    let b = head[p++] as number;
    const kind = (b >> 4) & 7;
    let size = b & 15;
    let shift = 4;
    while (b & 0x80) { b = head[p++] as number; size += (b & 0x7f) * 2 ** shift; shift += 7; }
    let base: GitObject | null = null;
    if (kind === OFS_DELTA) {
      b = head[p++] as number;
      let back = b & 0x7f;
      while (b & 0x80) { b = head[p++] as number; back = (back + 1) * 128 + (b & 0x7f); }
      const baseOffset = offset - back;
      // A base lies after the 12-byte pack header and before its delta; a damaged varint can
      // point anywhere (before the start, or at the delta itself: endless recursion).
      if (back === 0 || baseOffset < PACK_HEADER) throw new PackCorruptError(`delta base offset ${baseOffset} out of range`, { pack: pack.file, offset });
      base = await this.at(pack, baseOffset, depth + 1);
      // A base is likely to be the base of its chain's neighbours too.
      this.remember(`${pack.file}:${baseOffset}`, base);
    } else if (kind === REF_DELTA) {
      const baseOid = head.toString('hex', p, p + 20);
      p += 20;
      base = await this.readAtDepth(baseOid, depth + 1);
      if (!base) throw new PackCorruptError(`missing delta base ${baseOid}`, { pack: pack.file, offset });
    } else if (!TYPES[kind]) {
      throw new PackCorruptError(`unknown object kind ${kind}`, { pack: pack.file, offset });
    }
    if (p > head.length) throw new PackCorruptError('truncated object header', { pack: pack.file, offset });
    if (size > MAX_OBJECT_BYTES) throw new PackCorruptError(`object size ${size} out of range`, { pack: pack.file, offset });
    // zlib's worst case: 5 bytes per stored block (at most 64 KiB) plus its 6-byte frame; the
    // inflater stops at the end of the stream, whatever follows.
    const need = size + 5 * Math.ceil((size + 1) / 16_384) + 64;
    const deflated = p + need <= head.length ? head.subarray(p) : await this.bytes(pack, offset + p, need);
    let inflated: Buffer;
    try {
      inflated = inflateSync(deflated);
    } catch (err) {
      throw new PackCorruptError(`cannot inflate the object at ${offset}: ${(err as Error).message}`, { pack: pack.file, offset });
    }
    if (inflated.length !== size) throw new PackCorruptError('inflated size mismatch', { pack: pack.file, offset });
    if (!base) return { type: TYPES[kind] as ObjectType, content: inflated };
    return { type: base.type, content: applyDelta(inflated, base.content) };
  }

  private remember(key: string, obj: GitObject): void {
    if (this.bases.has(key)) return;
    if (this.baseBytes + obj.content.length > BASE_CACHE_BYTES) { this.bases.clear(); this.baseBytes = 0; }
    this.bases.set(key, obj);
    this.baseBytes += obj.content.length;
  }
}
