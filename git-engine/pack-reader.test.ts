// The pack reader, whole and positional, against `git cat-file`: every object of a packed
// repository with delta chains (ofs and ref deltas), an incompressible blob larger than a zlib
// stored block, and an object only loose; an unknown id is null; a damaged pack is PACK_CORRUPT.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { PackReader } from './pack-reader.js';
import { git, makeRepo, removeDir, write } from './test-support.js';

const roots: string[] = [];
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

function raw(repo: string, type: string, oid: string): Buffer {
  return execFileSync('git', ['cat-file', type, oid], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
}

function packedRepo(refDeltas: boolean): { repo: string; oids: Array<{ oid: string; type: string }> } {
  const { root, repo } = makeRepo({ 'README.md': 'hello\n' });
  roots.push(root);
  const lines = Array.from({ length: 400 }, (_, i) => `line ${i} of a file that changes a little in every commit`);
  for (let c = 0; c < 12; c++) {
    lines[(c * 37) % lines.length] = `changed in commit ${c}`;
    write(repo, 'big.txt', `${lines.join('\n')}\n`);
    write(repo, `dir${c % 3}/f.txt`, `version ${c}\n`);
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-q', '-m', `commit ${c}`]);
  }
  fs.writeFileSync(path.join(repo, 'random.bin'), crypto.randomBytes(200_000));
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', 'random']);
  git(repo, ['tag', '-a', '-m', 'a tag', 'v1']);
  // Ref-deltas (no ofs-delta) as old git or some servers write them, or the usual ofs-deltas.
  git(repo, ['-c', `repack.useDeltaBaseOffset=${!refDeltas}`, 'repack', '-adfq', '--depth=50', '--window=50']);
  const list = git(repo, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)']).split('\n');
  return { repo, oids: list.map((l) => { const [oid, type] = l.split(' '); return { oid: oid as string, type: type as string }; }) };
}

describe('pack reader', () => {
  for (const refDeltas of [false, true]) {
    it(`reads every object like git cat-file, whole and positional (${refDeltas ? 'ref' : 'ofs'} deltas)`, async () => {
      const { repo, oids } = packedRepo(refDeltas);
      expect(fs.readdirSync(path.join(repo, '.git/objects/pack')).filter((f) => f.endsWith('.pack'))).toHaveLength(1);
      const deltas = git(repo, ['verify-pack', '-v', ...fs.readdirSync(path.join(repo, '.git/objects/pack')).filter((f) => f.endsWith('.idx')).map((f) => path.join(repo, '.git/objects/pack', f))]);
      expect(deltas).toMatch(/chain length = [1-9]/);
      // One object only loose.
      write(repo, 'loose.txt', 'only loose\n');
      const loose = git(repo, ['hash-object', '-w', 'loose.txt']);
      for (const positional of [false, true]) {
        const reader = await PackReader.open(path.join(repo, '.git'), { positional });
        {
          for (const { oid, type } of [...oids, { oid: loose, type: 'blob' }]) {
            const obj = await reader.read(oid);
            expect(obj?.type, oid).toBe(type);
            expect(Buffer.compare(obj?.content as Buffer, raw(repo, type, oid)), `${oid} ${type}`).toBe(0);
          }
          expect(await reader.read('0'.repeat(40))).toBeNull();
        }
      }
    });
  }

  it('a damaged pack is PACK_CORRUPT, never wrong content', async () => {
    const { repo, oids } = packedRepo(false);
    const pack = fs.readdirSync(path.join(repo, '.git/objects/pack')).find((f) => f.endsWith('.pack')) as string;
    const file = path.join(repo, '.git/objects/pack', pack);
    const original = fs.readFileSync(file);
    fs.chmodSync(file, 0o644);
    // Many damage patterns, not one: the pack differs on every run (random content, commit
    // times), and one pattern once hit an ofs-delta header whose base pointed before the pack's
    // start (a RangeError from the read, not PACK_CORRUPT). Whole and positional reads.
    let corrupt = 0;
    for (const stride of [97, 89, 61, 13]) {
      for (let start = 12; start < 12 + stride; start += Math.max(1, Math.floor(stride / 4))) {
        const buf = Buffer.from(original);
        for (let i = start; i < buf.length - 40; i += stride) buf[i] = (buf[i] as number) ^ 0xff;
        fs.writeFileSync(file, buf);
        for (const positional of [true, false]) {
          const reader = await PackReader.open(path.join(repo, '.git'), { positional });
          for (const { oid, type } of oids) {
            try {
              const obj = await reader.read(oid);
              // Whatever is read is what git has (the oid is verified).
              expect(obj?.type, oid).toBe(type);
            } catch (err) {
              expect((err as { code?: string }).code, `stride ${stride} start ${start}: ${(err as Error).message}`).toBe('PACK_CORRUPT');
              corrupt += 1;
            }
          }
        }
      }
    }
    expect(corrupt).toBeGreaterThan(0);
  });
});

describe('pack reader on a crafted pack', () => {
  /** A v2 index for `entries` (oid hex, pack offset); checksums are not read by the reader. */
  function indexFor(entries: Array<{ oid: string; offset: number }>): Buffer {
    const sorted = [...entries].sort((a, b) => a.oid.localeCompare(b.oid));
    const fanout = Buffer.alloc(256 * 4);
    for (let i = 0; i < 256; i++) fanout.writeUInt32BE(sorted.filter((e) => parseInt(e.oid.slice(0, 2), 16) <= i).length, i * 4);
    const offsets = Buffer.alloc(sorted.length * 4);
    sorted.forEach((e, i) => offsets.writeUInt32BE(e.offset, i * 4));
    return Buffer.concat([Buffer.from([0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2]), fanout, ...sorted.map((e) => Buffer.from(e.oid, 'hex')), Buffer.alloc(sorted.length * 4), offsets, Buffer.alloc(40)]);
  }

  it('two ref-deltas naming each other as base are PACK_CORRUPT, not an endless loop', async () => {
    const root = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'pack-cycle-'));
    roots.push(root);
    const packDir = path.join(root, 'objects/pack');
    fs.mkdirSync(packDir, { recursive: true });
    const a = 'aa'.repeat(20);
    const b = 'bb'.repeat(20);
    // A ref-delta object: kind 7, size 2 (a delta of base size 0 and result size 0), the base id, the deflated delta.
    const refDelta = (base: string): Buffer => Buffer.concat([Buffer.from([(7 << 4) | 2]), Buffer.from(base, 'hex'), zlib.deflateSync(Buffer.from([0, 0]))]);
    const header = Buffer.from([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, 0, 0, 0, 2]);
    const first = refDelta(b);
    const pack = Buffer.concat([header, first, refDelta(a), Buffer.alloc(20)]);
    fs.writeFileSync(path.join(packDir, 'pack-x.pack'), pack);
    fs.writeFileSync(path.join(packDir, 'pack-x.idx'), indexFor([{ oid: a, offset: 12 }, { oid: b, offset: 12 + first.length }]));
    for (const positional of [true, false]) {
      const reader = await PackReader.open(root, { positional });
      await expect(reader.read(a)).rejects.toMatchObject({ code: 'PACK_CORRUPT' });
    }
  });
});
