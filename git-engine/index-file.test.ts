import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readIndex, writeIndex } from './index-file.js';
import { git, makeRepo, removeDir, write } from './test-support.js';

const roots: string[] = [];
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

describe('git index file', () => {
  for (const version of [2, 3, 4]) {
    it(`reads what native git writes (version ${version}) and writes a v2 index git accepts`, async () => {
      const files: Record<string, string> = {};
      for (let i = 0; i < 30; i++) files[`dir${i % 3}/sub/file-with-a-long-name-${i}.txt`] = `${i}\n`;
      const { root, repo } = makeRepo(files);
      roots.push(root);
      write(repo, 'intent.txt', 'x\n');
      git(repo, ['add', '-N', 'intent.txt']); // sets the extended flag (v3+)
      git(repo, ['update-index', '--index-version', String(version)]);
      const idx = await readIndex(path.join(repo, '.git/index'));
      const native = git(repo, ['ls-files', '-s']).split('\n').map((l) => {
        const [meta, p] = l.split('\t');
        const [mode, oid] = (meta as string).split(' ');
        return [p, oid, parseInt(mode as string, 8)];
      });
      expect(idx?.entries.map((e) => [e.path, e.oid, e.mode])).toEqual(native);
      if (version === 2) return; // add -N forces at least v3
      await writeIndex(path.join(repo, '.git/index'), (idx?.entries ?? []).filter((e) => e.path !== 'intent.txt'));
      expect(git(repo, ['ls-files', '-s']).split('\n')).toHaveLength(30);
      expect(git(repo, ['status', '--porcelain'])).toBe('?? intent.txt');
    });
  }
});
