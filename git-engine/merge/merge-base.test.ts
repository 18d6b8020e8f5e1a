// Merge bases against `git merge-base --all` on random histories with many criss-cross merges:
// without a commit-graph (dates only), with one (generation numbers), and with commits newer than
// the graph on top; committer dates partly out of order (clock skew), as real histories have.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommitGraph } from './commit-graph.js';
import { createObjectStore } from './object-store.js';

const roots: string[] = [];
afterEach(() => { for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true }); });
const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (cwd: string, args: string[], input?: string): string => execFileSync('git', args, { cwd, env: ENV, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim();

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

/** `n` commits on `refs/heads/c<i>`, each with 1-3 random earlier parents; returns their ids. */
function randomHistory(repo: string, n: number, seed: number, from: string[] = []): string[] {
  const rnd = lcg(seed);
  const out: string[] = [];
  let time = 1_600_000_000 + from.length * 100;
  const marks: string[] = [];
  const ref = (k: number): string => (k < from.length ? (from[k] as string) : `:${k - from.length + 1}`);
  for (let i = 0; i < n; i++) {
    const total = from.length + i;
    // Mostly recent parents (long lines with merges between them), sometimes far back.
    const pick = (): number => Math.max(0, total - 1 - Math.floor(rnd() < 0.8 ? rnd() * 6 : rnd() * total));
    // Clock skew: now and then a commit dated before its parents.
    time += rnd() < 0.1 ? -500 : 60;
    out.push(`commit refs/heads/c${from.length + i}\nmark :${i + 1}\ncommitter G <g@x> ${time} +0000\ndata 2\nc\n`);
    if (total > 0) {
      const parents = [...new Set(Array.from({ length: 1 + (rnd() < 0.35 ? 1 + Math.floor(rnd() * 2) : 0) }, pick))];
      out.push(`from ${ref(parents[0] as number)}\n`);
      for (const p of parents.slice(1)) out.push(`merge ${ref(p)}\n`);
    }
    out.push(`M 100644 inline f${i % 7}\ndata 4\n${String(i).padStart(3, '0')}\n`);
    marks.push(`c${from.length + i}`);
  }
  git(repo, ['fast-import', '--quiet'], out.join(''));
  return marks.map((m) => git(repo, ['rev-parse', m]));
}

function compareWithGit(repo: string, oids: string[], seed: number, pairs: number): Promise<void> {
  const rnd = lcg(seed);
  return (async () => {
    let multi = 0;
    for (let k = 0; k < pairs; k++) {
      const a = oids[Math.floor(rnd() * oids.length)] as string;
      const b = oids[Math.floor(rnd() * oids.length)] as string;
      const store = createObjectStore(fs, path.join(repo, '.git'), {});
      const ours = (await store.mergeBases(a, b)).sort();
      let theirs: string[];
      try { theirs = git(repo, ['merge-base', '--all', a, b]).split('\n').filter(Boolean).sort(); } catch { theirs = []; }
      expect(ours, `${a} ${b}`).toEqual(theirs);
      if (theirs.length > 1) multi += 1;
    }
    expect(multi).toBeGreaterThan(0); // criss-cross cases were exercised
  })();
}

describe('merge bases like git merge-base --all', () => {
  it('without a commit-graph, with one, and with commits outside it', async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-base-'));
    roots.push(repo);
    git(repo, ['init', '-q', '-b', 'main']);
    const first = randomHistory(repo, 300, 5);
    expect(await CommitGraph.open(fs, path.join(repo, '.git'))).toBeNull();
    await compareWithGit(repo, first, 1, 60);
    git(repo, ['commit-graph', 'write', '--reachable']);
    const graph = await CommitGraph.open(fs, path.join(repo, '.git'));
    expect(graph?.lookup(first[10] as string)?.parents).toEqual(git(repo, ['rev-list', '--parents', '-n1', first[10] as string]).split(' ').slice(1));
    await compareWithGit(repo, first, 2, 60);
    const more = randomHistory(repo, 120, 9, first);
    expect(graph?.lookup(more[5] as string)).toBeNull();
    await compareWithGit(repo, [...first, ...more], 3, 60);
  });
});
