/**
 * Benchmark (not a test): replay the merges of a repository's history with the engine's merge
 * (`mergeCommits`, one cache per merge as in a Save) against `git merge-tree --write-tree` (one
 * process per merge), trees compared.
 *
 *   npx tsx bench/merge-history.ts [--rounds 700] [--files 3000] [--merges 60]
 *   npx tsx bench/merge-history.ts --repo /path/to/repo [--merges 60]
 *
 * Without --repo a repository is generated (bench/history-fixture.ts: `rounds` topic merges,
 * ~5 commits per round, one pack and a commit-graph after `git gc`). With --repo, the merge
 * commits reachable from HEAD are used (the repository gets the merge results' blobs and trees as
 * loose objects, like `git merge-tree --write-tree` writes them; nothing else changes).
 * Up to --merges merge commits, evenly spread over history, are replayed: the two parents of each.
 * Printed: per-merge median and spread for both, the ratio of the medians, the merge-base time
 * (engine vs `git merge-base --all`), and agreement: identical trees where both are clean,
 * conflicts where git conflicts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergeCommits } from '../git-engine/merge/index.js';
import { createObjectStore } from '../git-engine/merge/object-store.js';
import { positiveIntArg } from './args.js';
import { generateHistoryRepo } from './history-fixture.js';

const repoArg = process.argv.includes('--repo') ? process.argv[process.argv.indexOf('--repo') + 1] : undefined;
const maxMerges = positiveIntArg('merges', 60);
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-history-'));
const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (cwd: string, args: string[]): string => execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

function stats(xs: number[]): { median: number; min: number; max: number; p90: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  return { median: at(0.5), min: s[0] as number, max: s[s.length - 1] as number, p90: at(0.9) };
}

try {
  let repo: string;
  if (repoArg) {
    if (!path.isAbsolute(repoArg)) throw new Error('--repo must be an absolute path');
    repo = repoArg;
  } else {
    const t = performance.now();
    const g = generateHistoryRepo(tmp, { files: positiveIntArg('files', 3000), rounds: positiveIntArg('rounds', 700) });
    repo = g.repo;
    console.log(`generated: ${g.commits} commits, ${g.merges} merges, ${positiveIntArg('files', 3000)} files, in ${(performance.now() - t).toFixed(0)} ms`);
  }
  const gitdir = path.resolve(repo, git(repo, ['rev-parse', '--git-common-dir']).trim());
  const packs = fs.readdirSync(path.join(gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.pack'));
  const commitGraph = fs.existsSync(path.join(gitdir, 'objects', 'info', 'commit-graph')) || fs.existsSync(path.join(gitdir, 'objects', 'info', 'commit-graphs'));
  const all = git(repo, ['rev-list', '--merges', '--parents', 'HEAD']).trim().split('\n').filter(Boolean)
    .map((l) => l.split(' ')).filter((p) => p.length === 3) as Array<[string, string, string]>;
  const step = Math.max(1, all.length / maxMerges);
  const picked: Array<[string, string, string]> = [];
  for (let i = 0; i < all.length && picked.length < maxMerges; i += step) picked.push(all[Math.floor(i)] as [string, string, string]);
  console.log(`repository: ${git(repo, ['rev-list', '--count', 'HEAD']).trim()} commits, ${all.length} two-parent merges, ${packs.length} pack(s), commit-graph: ${commitGraph}; replaying ${picked.length}`);

  const engineMs: number[] = [];
  const gitMs: number[] = [];
  const engineBaseMs: number[] = [];
  const gitBaseMs: number[] = [];
  let sameClean = 0;
  let bothConflict = 0;
  let engineResolvedByPolicy = 0;
  const mismatches: string[] = [];
  for (const [merge, ours, theirs] of picked) {
    let t = performance.now();
    const out = await mergeCommits({ fs, gitdir, cache: {}, ours, theirs });
    engineMs.push(performance.now() - t);
    t = performance.now();
    const r = spawnSync('git', ['merge-tree', '--write-tree', '--no-messages', ours, theirs], { cwd: repo, env: ENV, encoding: 'utf8' });
    gitMs.push(performance.now() - t);
    const gitClean = r.status === 0;
    const gitTree = r.stdout.split('\n')[0] ?? '';
    if (r.status !== 0 && r.status !== 1) throw new Error(`git merge-tree failed for ${merge}: ${r.stderr}`);
    if (out.clean && gitClean) {
      if (out.tree === gitTree) sameClean += 1;
      else mismatches.push(`${merge}: engine tree ${out.tree}, git ${gitTree}`);
    } else if (!out.clean && !gitClean) bothConflict += 1;
    else if (out.clean && !gitClean) engineResolvedByPolicy += 1; // the engine's auto-resolution policy (see merge/README.md)
    else if (!out.clean) mismatches.push(`${merge}: engine conflicts where git merges cleanly (${out.conflicts.map((c) => c.path).slice(0, 3).join(', ')})`);
    // Merge base alone: the engine's object store vs git merge-base --all.
    const store = createObjectStore(fs, gitdir, {});
    t = performance.now();
    const bases = await store.mergeBases(ours, theirs);
    engineBaseMs.push(performance.now() - t);
    t = performance.now();
    const gitBases = git(repo, ['merge-base', '--all', ours, theirs]).trim().split('\n').sort();
    gitBaseMs.push(performance.now() - t);
    if ([...bases].sort().join() !== gitBases.join()) mismatches.push(`${merge}: merge bases ${bases.join(',')} vs git ${gitBases.join(',')}`);
  }
  const e = stats(engineMs);
  const g = stats(gitMs);
  const row = (label: string, value: string): void => console.log(`  ${label.padEnd(52)} ${value}`);
  console.log(`\nmachine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${git(repo, ['--version']).trim()}, ${new Date().toISOString()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`per merge, median (min-max, p90) over ${picked.length} merges:`);
  row('engine mergeCommits (fresh cache per merge)', `${ms(e.median)} (${e.min.toFixed(0)}-${e.max.toFixed(0)}, p90 ${e.p90.toFixed(0)})`);
  row('git merge-tree --write-tree (one process per merge)', `${ms(g.median)} (${g.min.toFixed(0)}-${g.max.toFixed(0)}, p90 ${g.p90.toFixed(0)})`);
  row('ratio of the medians engine / git', `${(e.median / g.median).toFixed(2)}x`);
  row('merge base alone: engine / git merge-base --all', `${ms(stats(engineBaseMs).median)} / ${ms(stats(gitBaseMs).median)}`);
  row('both clean, identical trees', `${sameClean}`);
  row('both conflict', `${bothConflict}`);
  row('git conflicts, engine policy auto-resolves', `${engineResolvedByPolicy}`);
  row('mismatches', `${mismatches.length}`);
  for (const m of mismatches.slice(0, 10)) console.log(`    ${m}`);
  if (mismatches.length > 0) process.exitCode = 1;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
