/**
 * A generated repository with a long merge history, for bench/merge-history.ts: `rounds` topic
 * branches, each forked from main, 1-3 commits editing lines 0-9 of a few files (and sometimes
 * adding one), while main gets 1-2 commits editing lines 10-19 of a few files; then the topic is
 * merged into main (`--no-ff`; the merged tree is computed here: the sides touch different lines,
 * so git merges every one cleanly). Written with `git fast-import`, then `git gc` (one pack and a
 * commit-graph, as a real repository has after gc).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface HistoryOptions { files: number; rounds: number; seed?: number }

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

const LINES = 20;

export function generateHistoryRepo(parent: string, o: HistoryOptions): { repo: string; commits: number; merges: number } {
  const repo = fs.mkdtempSync(path.join(parent, 'history-'));
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: os.tmpdir() };
  execFileSync('git', ['init', '-q', '-b', 'main', repo], { env });
  const rnd = lcg(o.seed ?? 1);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const name = (i: number): string => `src/d${String(i % 60).padStart(2, '0')}/file${i}.txt`;
  const main = new Map<string, string[]>();
  for (let i = 0; i < o.files; i++) main.set(name(i), Array.from({ length: LINES }, (_, l) => `file ${i} line ${l}`));
  const out: string[] = [];
  const data = (s: string): string => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const text = (ls: string[]): string => `${ls.join('\n')}\n`;
  let mark = 0;
  let time = 1_600_000_000;
  let commits = 0;
  const header = (ref: string, msg: string): number => {
    time += 37;
    commits += 1;
    out.push(`commit ${ref}\nmark :${++mark}\nauthor Gen <gen@localhost> ${time} +0000\ncommitter Gen <gen@localhost> ${time} +0000\n${data(msg)}`);
    return mark;
  };
  let mainTip = header('refs/heads/main', 'base');
  for (const [p, ls] of main) out.push(`M 100644 inline ${p}\n${data(text(ls))}`);
  const paths = [...main.keys()];
  for (let r = 0; r < o.rounds; r++) {
    // The topic: copies of the files it touches, edits on lines 0-9.
    const topic = new Map<string, string[]>();
    let topicTip = mainTip;
    for (let c = 0, n = 1 + pick(3); c < n; c++) {
      const parentMark = topicTip;
      topicTip = header('refs/heads/topic', `topic ${r} commit ${c}`);
      out.push(`from :${parentMark}\n`);
      for (let f = 0, k = 1 + pick(4); f < k; f++) {
        const p = paths[pick(paths.length)] as string;
        const ls = topic.get(p) ?? [...(main.get(p) as string[])];
        ls[pick(LINES / 2)] = `topic ${r}.${c} edit ${f}`;
        topic.set(p, ls);
        out.push(`M 100644 inline ${p}\n${data(text(ls))}`);
      }
      if (rnd() < 0.15) {
        const p = `added/r${r}/c${c}.txt`;
        topic.set(p, [`added in round ${r}`]);
        out.push(`M 100644 inline ${p}\n${data(text([`added in round ${r}`]))}`);
      }
    }
    // Main moves meanwhile: edits on lines 10-19.
    for (let c = 0, n = 1 + pick(2); c < n; c++) {
      const prev = mainTip;
      mainTip = header('refs/heads/main', `main ${r} commit ${c}`);
      out.push(`from :${prev}\n`);
      for (let f = 0, k = 1 + pick(4); f < k; f++) {
        const p = paths[pick(paths.length)] as string;
        const ls = main.get(p) as string[];
        ls[LINES / 2 + pick(LINES / 2)] = `main ${r}.${c} edit ${f}`;
        out.push(`M 100644 inline ${p}\n${data(text(ls))}`);
      }
    }
    // The merge: main's lines 10-19 with the topic's lines 0-9 (what git's merge gives).
    const prev = mainTip;
    mainTip = header('refs/heads/main', `Merge topic ${r}`);
    out.push(`from :${prev}\nmerge :${topicTip}\n`);
    for (const [p, ls] of topic) {
      const cur = main.get(p);
      const merged = cur ? ls.map((l, i) => (i < LINES / 2 ? l : (cur[i] as string))) : ls;
      if (!cur) paths.push(p);
      main.set(p, merged);
      out.push(`M 100644 inline ${p}\n${data(text(merged))}`);
    }
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: out.join(''), env, maxBuffer: 256 * 1024 * 1024 });
  execFileSync('git', ['update-ref', '-d', 'refs/heads/topic'], { cwd: repo, env });
  execFileSync('git', ['-c', 'gc.writeCommitGraph=true', 'gc', '-q', '--prune=now'], { cwd: repo, env });
  return { repo, commits, merges: o.rounds };
}
