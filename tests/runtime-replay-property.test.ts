// Property test against the real runtime (a child process, LevelDB, real git, the `command` agent):
// random sequences of task add, cancel, reject, Save (clean and conflicting), conflict resolve and
// delegate, rollback and resume, with kill -9 at random points (mid-Save and right after a conflict
// resolution among them). After every restart the server serves, every session's replay equals its
// live view field by field, the audit chain verifies and `git fsck --strict` is clean on every
// repository; each lane ends with one more restart and the real `thalogos replay` CLI.
//
// Seeds: THALOGOS_PROPTEST_SEED fixes the run (sequence i uses seed + i). A failure prints its
// sequence's seed and ops; THALOGOS_PROPTEST_SEED=<that seed> THALOGOS_PROPTEST_SEQUENCES=1 runs
// the same op sequence alone (timing still varies: kills land where they land).
// THALOGOS_PROPTEST_SEQUENCES (default 50) and THALOGOS_PROPTEST_LANES (servers side by side,
// default 2) size the run; THALOGOS_PROPTEST_TRACE=1 prints every op with its duration.
import { afterAll, describe, expect, it } from 'vitest';
import { deepDiff, formatDifferences } from './helpers/deep-diff.js';
import { checkRuntime, cliReplay, compareLiveWithReplay } from './helpers/replay-oracle.js';
import { RuntimeUnderTest } from './helpers/runtime-under-test.js';
import { SeededRandom, deriveSeed, seedFromEnv } from './helpers/seeded-random.js';
import { SequenceFailure, runSequence } from './helpers/sequence-runner.js';
import { describeOp, generateOps, type SessionOp } from './helpers/session-ops.js';

const { seed: MASTER_SEED, fromEnv } = seedFromEnv('THALOGOS_PROPTEST_SEED');
const SEQUENCES = Number(process.env.THALOGOS_PROPTEST_SEQUENCES ?? 50);
const LANES = Math.max(1, Math.min(SEQUENCES, Number(process.env.THALOGOS_PROPTEST_LANES ?? 2)));

const TRACE = process.env.THALOGOS_PROPTEST_TRACE === '1';
const trace = (line: string) => TRACE && process.stderr.write(`${line}\n`);
const sequenceSeed = (index: number) => (MASTER_SEED + index) >>> 0;
const opsFor = (index: number) => generateOps(new SeededRandom(deriveSeed(sequenceSeed(index), 0)));

function report(index: number, ops: readonly SessionOp[], sessionId: string, where: string, problems: string[]): string {
  const seed = sequenceSeed(index);
  return [
    `seed ${seed} (sequence #${index} of master seed ${MASTER_SEED}), session ${sessionId}, ${where}:`,
    ...problems.map((problem) => `  ${problem.split('\n').join('\n    ')}`),
    `  ops: ${ops.map((op, i) => `${i}:${describeOp(op)}`).join(' ')}`,
    `  reproduce: THALOGOS_PROPTEST_SEED=${seed} THALOGOS_PROPTEST_SEQUENCES=1 npx vitest run tests/runtime-replay-property.test.ts`,
  ].join('\n');
}

describe(`runtime replay property (master seed ${MASTER_SEED}${fromEnv ? ' from THALOGOS_PROPTEST_SEED' : ''}, ${SEQUENCES} sequences)`, () => {
  const failures: string[] = [];
  const runtimes = new Set<RuntimeUnderTest>();
  const started = Date.now();
  let ran = 0;

  afterAll(async () => {
    for (const rt of runtimes) await rt.dispose();
    console.log(`runtime replay property: master seed ${MASTER_SEED}, ${ran}/${SEQUENCES} sequences run, ${failures.length} failure reports, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  const fresh = async (): Promise<RuntimeUnderTest> => {
    const rt = await RuntimeUnderTest.create();
    runtimes.add(rt);
    await rt.start();
    return rt;
  };
  const drop = async (rt: RuntimeUnderTest): Promise<void> => {
    await rt.dispose();
    runtimes.delete(rt);
  };

  for (let lane = 0; lane < LANES; lane += 1) {
    const indexes = Array.from({ length: SEQUENCES }, (_, i) => i).filter((i) => i % LANES === lane);
    // Lanes run side by side, each on its own server and data dir; within a lane the sessions
    // accumulate, so every restart checks every earlier session again.
    it.concurrent(`lane ${lane}: sequences ${indexes.join(',')} on one server with kill -9 and restarts`, async () => {
      const laneFailures: string[] = [];
      let mark = Date.now();
      const lap = (what: string) => {
        trace(`[lane ${lane}] ${what}: ${Date.now() - mark}ms`);
        mark = Date.now();
      };
      let rt = await fresh();
      lap('first start');
      let sessions: string[] = [];
      for (const index of indexes) {
        const ops = opsFor(index);
        ran += 1;
        mark = Date.now();
        try {
          const outcome = await runSequence(rt, ops, `seq${index}`, sessions);
          if (outcome.violations.length > 0) laneFailures.push(report(index, ops, outcome.sessionId, 'wrong answers', outcome.violations));
        } catch (error) {
          const located = error instanceof SequenceFailure ? error : null;
          const where = !located ? 'outside any op' : located.opIndex >= ops.length ? 'after the last op' : located.opIndex < 0 ? 'creating the session' : `op #${located.opIndex} ${describeOp(ops[located.opIndex]!)}`;
          laneFailures.push(report(index, ops, located?.sessionId ?? '?', where, [...(located?.violations ?? []), (error as Error).message]));
          // A failed runtime can poison later sequences (a server that never starts, a session that
          // never replays): the rest of the lane starts afresh on a new data dir.
          await drop(rt);
          rt = await fresh();
          sessions = [];
        }
        lap(`sequence ${index}`);
      }
      if (sessions.length > 0) {
        const problems: string[] = [];
        try {
          await rt.restart();
          lap('final restart');
          problems.push(...(await checkRuntime(rt, sessions)));
          lap('final checks');
          const sid = sessions[sessions.length - 1]!;
          const replayed = await cliReplay(rt, sid);
          lap('CLI replay');
          const live = (await rt.api('GET', `/api/sessions/${sid}`)).body;
          const differences = deepDiff(replayed.state, live);
          if (differences.length > 0) problems.push(`session ${sid}: \`thalogos replay\` (CLI, seq ${replayed.seq}) differs from the live view:\n${formatDifferences(differences, 'replay', 'live')}`);
          const again = await compareLiveWithReplay(rt, sid);
          if (again.differences) problems.push(`session ${sid}: replay differs from the live view:\n${again.differences}`);
        } catch (error) {
          problems.push(`final restart: ${(error as Error).message.slice(-3000)}`);
        }
        if (problems.length > 0) laneFailures.push(`lane ${lane} (master seed ${MASTER_SEED}), final kill -9 and restart with sessions ${sessions.join(', ')}:\n  ${problems.join('\n  ')}`);
      }
      await drop(rt);
      failures.push(...laneFailures);
      expect(laneFailures, laneFailures.join('\n\n')).toEqual([]);
    }, 900_000);
  }
});
