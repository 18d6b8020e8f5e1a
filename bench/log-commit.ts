/**
 * What the head journal costs a group commit: the event log alone (one LevelDB batch with fsync
 * per group) against the log with its head journal (plus one fdatasync'd line per group), one
 * appender at a time (every append is its own group) and with concurrent appenders (groups fill).
 *
 *   npx tsx bench/log-commit.ts [--appends 400] [--concurrency 16] [--dir /path/on/the/real/disk]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Level } from 'level';
import { EventLog } from '../runtime/log/event-log.js';
import { HeadJournal } from '../runtime/log/head-journal.js';
import { SYSTEM_ACTOR } from '../runtime/log/log-entry.js';
import { positiveIntArg } from './args.js';

const appends = positiveIntArg('appends', 400);
const concurrency = positiveIntArg('concurrency', 16);
const dirArg = process.argv.indexOf('--dir');
const base = dirArg >= 0 ? (process.argv[dirArg + 1] as string) : os.tmpdir();

async function run(withJournal: boolean, parallel: number): Promise<{ perAppendMs: number; p50: number; p99: number }> {
  const dir = await mkdtemp(path.join(base, 'thalogos-bench-log-'));
  const db = new Level<string, unknown>(path.join(dir, 'db'), { valueEncoding: 'json' });
  await db.open();
  const journal = withJournal ? await HeadJournal.open(path.join(dir, 'log-head.journal')) : null;
  const log = await EventLog.open(db, () => new Date(), journal);
  const latencies: number[] = [];
  const entry = (i: number) => ({ actor: SYSTEM_ACTOR, sessionId: 's', type: 'TASK.ADD', data: { i, prompt: 'x'.repeat(200) } });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < appends) {
        const i = next++;
        const t0 = performance.now();
        await log.appendOne(entry(i));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const total = performance.now() - started;
  await journal?.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perAppendMs: total / appends, p50: at(0.5), p99: at(0.99) };
}

const fmt = (n: number) => n.toFixed(2).padStart(7);
console.log(`${appends} appends in ${base}`);
for (const parallel of [1, concurrency]) {
  // Alternate the two runs so drift in the disk's behaviour hits both alike.
  const without = await run(false, parallel);
  const withJournal = await run(true, parallel);
  for (const [label, r] of [['LevelDB only   ', without], ['+ head journal ', withJournal]] as const) {
    console.log(`${parallel === 1 ? 'sequential' : `${parallel} appenders`.padEnd(10)}  ${label} wall/append ${fmt(r.perAppendMs)} ms  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms`);
  }
}
