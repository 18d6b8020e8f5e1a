// The pack reader, whole and positional, against `git cat-file`: every object of a packed
// repository with delta chains (ofs and ref deltas), an incompressible blob larger than a zlib
// stored block, and an object only loose; an unknown id is null; a damaged pack is PACK_CORRUPT.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
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
    const buf = fs.readFileSync(file);
    for (let i = 200; i < buf.length - 40; i += 97) buf[i] = (buf[i] as number) ^ 0xff;
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, buf);
    const reader = await PackReader.open(path.join(repo, '.git'), { positional: true });
    let corrupt = 0;
    for (const { oid } of oids) {
      try {
        await reader.read(oid);
      } catch (err) {
        expect((err as { code?: string }).code).toBe('PACK_CORRUPT');
        corrupt += 1;
      }
    }
    expect(corrupt).toBeGreaterThan(0);
  });
});
