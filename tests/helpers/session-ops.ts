import { SeededRandom } from './seeded-random.js';

/** What a generated task's shell command does to the repository. */
export type TaskFlavor =
  | 'disjoint' // writes a file of its own: merges cleanly with everything
  | 'same_line' // rewrites line 2 of a.txt: two of these conflict at Save
  | 'slow' // sleeps first, so a kill or a Save can land while it runs
  | 'failing'; // exits non-zero: the task fails

/** One step of a generated sequence. Runtime-dependent choices (which task) are indexes taken modulo what exists. */
export type SessionOp =
  | { kind: 'add'; flavor: TaskFlavor; sleepMs: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'reject'; pick: number }
  | { kind: 'save'; settleFirst: boolean; then: 'wait' | 'continue' | 'kill'; killAfterMs: number }
  | { kind: 'resolve'; sides: number[]; thenKill: boolean }
  | { kind: 'delegate' }
  | { kind: 'rollback'; pick: number; mode: 'restore_commit' | 'branch' }
  | { kind: 'resume' }
  | { kind: 'settle' }
  | { kind: 'kill'; afterMs: number };

export function describeOp(op: SessionOp): string {
  switch (op.kind) {
    case 'add': return op.flavor === 'slow' ? `add(slow ${op.sleepMs}ms)` : `add(${op.flavor})`;
    case 'cancel': return `cancel(#${op.pick})`;
    case 'reject': return `reject(#${op.pick})`;
    case 'save': return `save(${op.settleFirst ? 'settled, ' : ''}${op.then === 'kill' ? `kill after ${op.killAfterMs}ms` : op.then})`;
    case 'resolve': return `resolve(${op.sides.map((side) => (side ? 'theirs' : 'ours')).join(',')}${op.thenKill ? ', then kill' : ''})`;
    case 'delegate': return 'delegate';
    case 'rollback': return `rollback(#${op.pick}, ${op.mode})`;
    case 'resume': return 'resume';
    case 'settle': return 'settle';
    case 'kill': return `kill -9 after ${op.afterMs}ms`;
  }
}

/**
 * A short random sequence (5-12 ops). The generator keeps a rough idea of the session (how many
 * tasks rewrite the same line since the last Save, whether a Save may have stopped on a conflict)
 * so that conflicts, their resolution and kills right after it come up often, not by luck.
 */
export function generateOps(rng: SeededRandom): SessionOp[] {
  const length = rng.int(5, 12);
  const ops: SessionOp[] = [];
  let sameLine = 0;
  let saves = 0;
  // A Save right after a Save has nothing left to merge: possible, but not half the time.
  let addsSinceSave = 0;
  let conflictMaybeOpen = false;
  // A restart costs seconds on a small machine: about half the sequences get one kill -9, a few two.
  let kills: number = rng.weighted([[12, 0], [8, 1], [1, 2]] as const);
  const killNow = (probability: number): boolean => {
    if (kills === 0 || !rng.chance(probability)) return false;
    kills -= 1;
    return true;
  };
  const add = (flavor: TaskFlavor): SessionOp => {
    addsSinceSave += 1;
    if (flavor === 'same_line') sameLine += 1;
    return { kind: 'add', flavor, sleepMs: flavor === 'slow' ? rng.int(300, 1500) : 0 };
  };
  while (ops.length < length) {
    if (ops.length === 0) {
      ops.push(add(rng.pick(['disjoint', 'same_line'] as const)));
      continue;
    }
    if (conflictMaybeOpen) {
      const choice = rng.weighted([[5, 'resolve'], [2, 'delegate'], [1, 'reject'], [1, 'resume'], [kills > 0 ? 1 : 0, 'kill'], [1, 'add']] as const);
      conflictMaybeOpen = false;
      if (choice === 'resolve') ops.push({ kind: 'resolve', sides: Array.from({ length: 4 }, () => rng.int(0, 1)), thenKill: killNow(0.6) });
      else if (choice === 'delegate') ops.push({ kind: 'delegate' });
      else if (choice === 'reject') ops.push({ kind: 'reject', pick: rng.int(0, 99) });
      else if (choice === 'resume') ops.push({ kind: 'resume' });
      else if (choice === 'kill') {
        ops.push({ kind: 'kill', afterMs: rng.int(0, 200) });
        kills -= 1;
      }
      else ops.push(add(rng.pick(['disjoint', 'same_line'] as const)));
      continue;
    }
    const choice = rng.weighted([
      [6, 'add'], [addsSinceSave > 0 ? 4 : 0.5, 'save'], [1, 'cancel'], [1, 'reject'], [saves > 0 ? 1.5 : 0.3, 'rollback'], [0.7, 'resume'],
      [kills > 0 ? 1.2 : 0, 'kill'], [0.4, 'resolve'], [0.4, 'delegate'], [0.5, 'settle'],
    ] as const);
    switch (choice) {
      case 'add':
        ops.push(add(rng.weighted([[4, 'disjoint'], [4, 'same_line'], [2, 'slow'], [1, 'failing']] as const)));
        break;
      case 'save': {
        const settleFirst = rng.chance(0.8);
        const then = killNow(0.3) ? 'kill' : rng.weighted([[7, 'wait'], [1, 'continue']] as const);
        ops.push({ kind: 'save', settleFirst, then, killAfterMs: rng.int(0, 400) });
        saves += 1;
        addsSinceSave = 0;
        if (settleFirst && sameLine >= 2 && then === 'wait') conflictMaybeOpen = true;
        sameLine = 0;
        break;
      }
      case 'cancel': ops.push({ kind: 'cancel', pick: rng.int(0, 99) }); break;
      case 'reject': ops.push({ kind: 'reject', pick: rng.int(0, 99) }); break;
      case 'rollback': ops.push({ kind: 'rollback', pick: rng.int(0, 99), mode: rng.pick(['restore_commit', 'branch'] as const) }); break;
      case 'resume': ops.push({ kind: 'resume' }); break;
      case 'kill': ops.push({ kind: 'kill', afterMs: rng.int(0, 300) }); kills -= 1; break;
      case 'resolve': ops.push({ kind: 'resolve', sides: [rng.int(0, 1)], thenKill: killNow(0.3) }); break;
      case 'delegate': ops.push({ kind: 'delegate' }); break;
      case 'settle': ops.push({ kind: 'settle' }); break;
    }
  }
  return ops;
}

/** The shell command of a task; `n` makes its content unique within the session. */
export function taskPrompt(op: Extract<SessionOp, { kind: 'add' }>, n: number): string {
  switch (op.flavor) {
    case 'disjoint': return `printf 'v${n}\\n' > f${n}.txt`;
    case 'same_line': return `printf 'line1\\nL${n}\\nline3\\n' > a.txt`;
    case 'slow': return `sleep ${(op.sleepMs / 1000).toFixed(2)}; printf 's${n}\\n' > s${n}.txt`;
    case 'failing': return `echo 'no luck ${n}' >&2; exit 3`;
  }
}
