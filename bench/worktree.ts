/**
 * Benchmark (not a test): creating a task worktree through the git engine versus native
 * `git worktree add`, on the same generated repository, in the same run.
 *
 *   npx tsx bench/worktree.ts [--files 10000] [--reps 5]
 *
 * The repository (made with `git fast-import`, so its objects are in one pack, like a cloned
 * repository) has 10,000 files in 100 x 7 nested directories, 1 in 50 executable and 1 in 100 a
 * symlink. Each repetition creates a fresh worktree of `main` with the engine (a new task, so a new
 * branch + full checkout + index) and with `git worktree add -b` (the same work natively), then
 * checks `git status --porcelain` is empty in both. Engine and native alternate (and alternate
 * which goes first) so that load from other processes hits both alike; medians are printed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGitEngine } from '../git-engine/index.js';
import { positiveIntArg } from './args.js';


const files = positiveIntArg('files', 10_000);
const reps = positiveIntArg('reps', 5);
const env = {
  ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@localhost',
};
const git = (cwd: string, args: string[]): string => execFileSync('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const ms = (x: number): string => `${x.toFixed(0)} ms`;

function generate(repo: string): void {
  git(repo, ['init', '-q', '-b', 'main']);
  const chunks: string[] = ['commit refs/heads/main\ncommitter Bench <bench@localhost> 1700000000 +0000\ndata 4\nbase\n'];
  const data = (s: string): string => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const name = (i: number): string => `src/d${String(i % 100).padStart(3, '0')}/sub${i % 7}/file${i}`;
  for (let i = 0; i < files; i++) {
    if (i % 100 === 99) chunks.push(`M 120000 inline ${name(i)}.link\n${data(`file${i - 1}.txt`)}`);
    else if (i % 50 === 7) chunks.push(`M 100755 inline ${name(i)}.sh\n${data(`#!/bin/sh\necho ${i}\n`)}`);
    else chunks.push(`M 100644 inline ${name(i)}.txt\n${data(Array.from({ length: 20 }, (_, l) => `file ${i} line ${l}`).join('\n') + '\n')}`);
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: chunks.join(''), env, maxBuffer: 256 * 1024 * 1024 });
  // HEAD parks on an orphan branch with one file, so the main worktree stays tiny and `main` is
  // checked out nowhere (any worktree may take it).
  git(repo, ['checkout', '-q', '--orphan', 'parking']);
  git(repo, ['rm', '-rq', '--cached', '.']);
  fs.writeFileSync(path.join(repo, 'PARKING'), 'parked\n');
  git(repo, ['add', 'PARKING']);
  git(repo, ['commit', '-qm', 'parking']);
  for (const e of fs.readdirSync(repo)) if (e !== '.git' && e !== 'PARKING') fs.rmSync(path.join(repo, e), { recursive: true, force: true });
}

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-worktree-')));
try {
  const repo = path.join(root, 'repo');
  fs.mkdirSync(repo);
  let t = performance.now();
  generate(repo);
  console.log(`repository: ${files} files (generated in ${ms(performance.now() - t)}), ${reps} repetitions each`);

  const engine = createGitEngine({ orchestratorVersion: 'bench', minThreads: 1, maxThreads: 2 });
  const engineMs: number[] = [];
  const nativeMs: number[] = [];
  let clean = true;
  try {
    await engine.inspectRepository(repo); // pool warm-up outside the measured window
    for (let r = 0; r < reps; r++) {
      const wtEngine = path.join(root, `engine-${r}`);
      const wtNative = path.join(root, `native-${r}`);
      const runEngine = async (): Promise<void> => {
        const t0 = performance.now();
        await engine.createWorktree({ repoPath: repo, sessionId: 'bench', taskId: `t${r}`, worktreePath: wtEngine });
        engineMs.push(performance.now() - t0);
      };
      const runNative = (): void => {
        const t0 = performance.now();
        git(repo, ['worktree', 'add', '-q', '-b', `native/t${r}`, wtNative, 'main']);
        nativeMs.push(performance.now() - t0);
      };
      // Alternate which goes first, so that neither always follows the other's disk writes.
      if (r % 2 === 0) { await runEngine(); runNative(); } else { runNative(); await runEngine(); }

      for (const wt of [wtEngine, wtNative]) if (git(wt, ['status', '--porcelain']) !== '') clean = false;
      console.log(`  rep ${r + 1}: engine ${ms(engineMs[r] as number)}, native ${ms(nativeMs[r] as number)}`);
      // Worktrees are kept until the end: ext4 allocates inodes slowly right after many deletes
      // (it skips recently freed ones), which would make each repetition slower than the last.
    }
  } finally {
    await engine.close();
  }
  const e = median(engineMs);
  const n = median(nativeMs);
  console.log(`\nmachine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`engine.createWorktree median: ${ms(e)} (min ${ms(Math.min(...engineMs))}, max ${ms(Math.max(...engineMs))})`);
  console.log(`git worktree add      median: ${ms(n)} (min ${ms(Math.min(...nativeMs))}, max ${ms(Math.max(...nativeMs))})`);
  console.log(`ratio engine / native: ${(e / n).toFixed(2)}x`);
  console.log(`git status clean in every worktree: ${clean}`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
