// Result types of Save (the agreed contract in git-engine/index.ts).
import type { AutoResolution, ConflictReport } from './merge/index.js';

export interface GateResult { command: string; exitCode: number | null; timedOut: boolean; durationMs: number; output: string }

export type SaveResult =
  | { status: 'published'; commit: string; tag: string; integrationCommit: string; mergedTaskIds: string[]; autoResolved: AutoResolution[]; gates: GateResult[] }
  | { status: 'conflict'; report: ConflictReport }
  | { status: 'gates_failed'; integrationCommit: string; mergedTaskIds: string[]; gates: GateResult[] }
  | { status: 'nothing_to_save' };

/** What the merge phase hands to the gate phase. */
export type MergePhaseResult =
  | { status: 'conflict'; report: ConflictReport }
  | { status: 'nothing_to_save' }
  | { status: 'merged'; mainBefore: string; candidate: string; mergedTaskIds: string[]; autoResolved: AutoResolution[]; gates: string[] };
