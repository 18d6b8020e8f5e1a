// Agent-event ingestion: a `command` task printing `seq 1 20000`, from POST to the moment every
// event of its run is logged (AGENT.EXITED is appended after the run's last event), against the
// same command run directly (its output read through a pipe), in the same run.
//
//   npx tsx bench/ingest.ts [--runs 7] [--lines 20000]
//
// The command adapter streams the first 500 lines live (one event each) and the whole output in
// its final event, so a run logs ~500 agent events: each is durable before anyone sees it.
// Also printed: the stretch from the run's first agent event to its exit being logged, which is
// the ingestion proper (no checkout, no sandbox start).
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { positiveIntArg } from './args.js';
import { fmtStats, startTaskHarness, stats } from './task-harness.js';

const run = promisify(execFile);
const runs = positiveIntArg('runs', 7);
const lines = positiveIntArg('lines', 20_000);
const command = `seq 1 ${lines}`;

const harness = await startTaskHarness('thalogos-bench-ingest-');

async function ours(): Promise<{ total: number; ingest: number; events: number }> {
  const t0 = performance.now();
  const taskId = await harness.postTask(command);
  const exited = await harness.whenLogged(taskId, 'AGENT.EXITED');
  const entries = harness.entriesOf(taskId);
  const events = entries.filter((entry) => entry.type === 'AGENT.EVENT');
  const firstAt = harness.loggedAt(events[0]?.seq ?? exited.entry.seq);
  // Every event must be there, in order: the bench is worthless otherwise.
  const seqs = events.map((entry) => (entry.data as { event: { seq: number } }).event.seq);
  if (seqs.some((seq, index) => seq !== index)) throw new Error(`agent events out of order or missing: ${seqs.slice(0, 20).join(',')}...`);
  await harness.whenLogged(taskId, 'TASK.COMMITTED'); // let the task finish before the next one
  return { total: exited.at - t0, ingest: exited.at - firstAt, events: events.length };
}

async function native(): Promise<number> {
  const t0 = performance.now();
  await run('sh', ['-c', command], { maxBuffer: 64 * 1024 * 1024 });
  return performance.now() - t0;
}

const total: number[] = [];
const ingest: number[] = [];
const nativeMs: number[] = [];
let events = 0;
for (let i = 0; i <= runs; i++) {
  const a = await ours();
  const b = await native();
  if (i === 0) continue; // warm-up
  total.push(a.total);
  ingest.push(a.ingest);
  nativeMs.push(b);
  events = a.events;
  console.log(`  run ${i}: POST -> all events logged ${a.total.toFixed(1)} ms (first event -> exit logged ${a.ingest.toFixed(1)} ms, ${a.events} events), command alone ${b.toFixed(1)} ms`);
}
await harness.close();
const t = stats(total);
const n = stats(nativeMs);
console.log(`\`${command}\` as a command task, ${runs} runs (median, min-max), ${events} agent events per run`);
console.log(`  POST -> all events logged        ${fmtStats(t)}`);
console.log(`  first event -> AGENT.EXITED      ${fmtStats(stats(ingest))}`);
console.log(`  the command alone                ${fmtStats(n)}`);
console.log(`  difference of the medians        +${(t.median - n.median).toFixed(1)} ms (target <= +100 ms)`);
