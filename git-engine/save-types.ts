// Result types of Save: the engine's result is defined once in contracts/save.ts (the actors,
// the runtime and the console read the same shape).
import type { AutoResolution, ConflictReport } from './merge/index.js';

export type { EngineSaveResult as SaveResult, GateBlame, GateResult } from '../contracts/index.js';

/** What the merge phase hands to the gate phase. */
export type MergePhaseResult =
  | { status: 'conflict'; report: ConflictReport }
  | { status: 'nothing_to_save' }
  | {
    status: 'merged'; mainBefore: string; candidate: string; mergedTaskIds: string[]; autoResolved: AutoResolution[]; gates: string[];
    /** The candidate after each task's merge, in order (the last is `candidate`): what a failed gate is bisected over. */
    steps: Array<{ taskId: string; commit: string }>;
  };
