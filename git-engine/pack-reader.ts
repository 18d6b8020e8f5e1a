// A read-only object reader for bulk reads (a checkout reads every blob of a tree): pack indexes
// (v2) are parsed once into a map, each pack is read once, objects are inflated with node's
// native zlib and deltas (ofs and ref) applied here. isomorphic-git's readBlob does the same with
// a JavaScript inflate and per-call setup, ~4x the CPU per blob. Every object read is verified
// against its oid. Whatever this reader does not know (an object newer than its listing, a v1
// index) is reported as `null`, and the caller reads it through isomorphic-git instead.
import { createHash } from 'node:crypto';
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

interface Pack { file: string; offsets: Map<string, number>; data: Promise<Buffer> | null }

export class PackCorruptError extends Error {
  readonly code = 'PACK_CORRUPT';
  constructor(message: string, readonly data: Record<string, unknown> = {}) { super(message); this.name = 'PackCorruptError'; }
  toJSON(): Record<string, unknown> { return { name: this.name, code: this.code, message: this.message, data: this.data }; }
}

function parseIndexV2(buf: Buffer, file: string): Map<string, number> | null {
  if (buf.length < 8 + 256 * 4 || buf.readUInt32BE(0) !== 0xff744f63 || buf.readUInt32BE(4) !== 2) return null;
  const count = buf.readUInt32BE(8 + 255 * 4);
  const oids = 8 + 256 * 4;
  const offs = oids + count * 20 + count * 4;
  const large = offs + count * 4;
  if (buf.length < large + 40) throw new PackCorruptError(`${file}: truncated pack index`, { file });
  const out = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    let off = buf.readUInt32BE(offs + i * 4);
    // MSB set: the offset is in the 64-bit table (packs over 2 GiB).
    if (off & 0x80000000) off = Number(buf.readBigUInt64BE(large + (off & 0x7fffffff) * 8));
    out.set(buf.toString('hex', oids + i * 20, oids + i * 20 + 20), off);
  }
  return out;
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

  private constructor(private readonly packs: Pack[], private readonly objectsDir: string) {}

  /** Lists and parses the pack indexes of `gitdir` (a snapshot: later packs are not seen). */
  static async open(gitdir: string): Promise<PackReader> {
    const objectsDir = path.join(gitdir, 'objects');
    const packDir = path.join(objectsDir, 'pack');
    let names: string[] = [];
    try { names = await fs.readdir(packDir); } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; }
    const packs: Pack[] = [];
    for (const n of names.filter((x) => x.endsWith('.idx')).sort()) {
      const file = path.join(packDir, n.replace(/\.idx$/, '.pack'));
      const offsets = parseIndexV2(await fs.readFile(path.join(packDir, n)), n);
      if (offsets) packs.push({ file, offsets, data: null });
    }
    return new PackReader(packs, objectsDir);
  }

  /** The object, or null when it is in none of the listed packs nor loose. */
  async read(oid: string): Promise<GitObject | null> {
    for (const pack of this.packs) {
      const off = pack.offsets.get(oid);
      if (off === undefined) continue;
      pack.data ??= fs.readFile(pack.file);
      const obj = await this.at(pack, await pack.data, off);
      return this.verified(oid, obj);
    }
    return this.readLoose(oid);
  }

  private async readLoose(oid: string): Promise<GitObject | null> {
    let raw: Buffer;
    try {
      raw = inflateSync(await fs.readFile(path.join(this.objectsDir, oid.slice(0, 2), oid.slice(2))));
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

  private async at(pack: Pack, data: Buffer, offset: number): Promise<GitObject> {
    const key = `${pack.file}:${offset}`;
    const cached = this.bases.get(key);
    if (cached) return cached;
    let p = offset;
    let b = data[p++] as number;
    const kind = (b >> 4) & 7;
    let size = b & 15;
    let shift = 4;
    while (b & 0x80) { b = data[p++] as number; size += (b & 0x7f) * 2 ** shift; shift += 7; }
    let base: GitObject | null = null;
    if (kind === OFS_DELTA) {
      b = data[p++] as number;
      let back = b & 0x7f;
      while (b & 0x80) { b = data[p++] as number; back = (back + 1) * 128 + (b & 0x7f); }
      const baseOffset = offset - back;
      base = await this.at(pack, data, baseOffset);
      // A base is likely to be the base of its chain's neighbours too.
      this.remember(`${pack.file}:${baseOffset}`, base);
    } else if (kind === REF_DELTA) {
      const baseOid = data.toString('hex', p, p + 20);
      p += 20;
      base = await this.read(baseOid);
      if (!base) throw new PackCorruptError(`missing delta base ${baseOid}`, { pack: pack.file, offset });
    } else if (!TYPES[kind]) {
      throw new PackCorruptError(`unknown object kind ${kind}`, { pack: pack.file, offset });
    }
    const inflated = inflateSync(data.subarray(p));
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
