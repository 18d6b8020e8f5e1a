// The promotion pipeline as seen from the main thread (like save.ts): plan (worker) -> detached
// checkout of the checkpoint (worker) -> the environment's gates (child processes, through the
// injected spawner) -> release/{env} moved by compare-and-swap (worker). A failing gate leaves the
// environment's branch where it was.
import type { PromotionPlan } from './environments.js';
import { runGates, type GateSpawner } from './gates.js';
import type { GateResult } from './save-types.js';
import { DEFAULT_GATE_TIMEOUT_MS } from './save.js';
import type { WorkerOp } from './worker.js';

export interface PromoteParams {
  repoPath: string;
  sessionId: string;
  checkpoint: string;
  environment: string;
  /** Where the environment's gates run: a detached checkout of the checkpoint (reused per session). */
  worktreePath: string;
  gateTimeoutMs?: number;
  /** Output of gate `index` as it is written. */
  onGateOutput?: (index: number, stream: 'stdout' | 'stderr', text: string) => void;
}

export type PromotionResult =
  | { status: 'promoted'; environment: string; checkpoint: string; commit: string; previous: string | null; gates: GateResult[] }
  | { status: 'gates_failed'; environment: string; checkpoint: string; commit: string; previous: string | null; gates: GateResult[] };

type Call = <T>(op: WorkerOp, args: unknown) => Promise<T>;

export async function runPromotion(call: Call, p: PromoteParams, gateEnv?: NodeJS.ProcessEnv, gateSpawner?: GateSpawner): Promise<PromotionResult> {
  const plan = await call<PromotionPlan>('planPromotion', { checkpoint: p.checkpoint, environment: p.environment });
  const base = { environment: plan.environment, checkpoint: plan.checkpoint, commit: plan.commit, previous: plan.previous };
  let gates: GateResult[] = [];
  if (plan.gates.length > 0) {
    await call('preparePromotionCheckout', { sessionId: p.sessionId, worktreePath: p.worktreePath, commit: plan.commit });
    const run = await runGates(plan.gates, p.worktreePath, p.gateTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS, gateEnv, gateSpawner, {
      onOutput: (index, stream, text) => p.onGateOutput?.(index, stream, text),
    });
    gates = run.results;
    if (!run.passed) return { status: 'gates_failed', ...base, gates };
  }
  await call('publishPromotion', { checkpoint: plan.checkpoint, environment: plan.environment, commit: plan.commit, previous: plan.previous });
  return { status: 'promoted', ...base, gates };
}
