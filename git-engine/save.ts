// The Save pipeline as seen from the main thread: merge (worker) -> integration worktree (worker)
// -> gates (child processes) -> publish or record the failure (worker). The main thread only
// sequences; all git work happens in the pool.
import { GitEngineError } from './errors.js';
import { runGates, type GateSpawner } from './gates.js';
import type { AutoResolution } from './merge/index.js';
import type { GitWorkerPool } from './pool.js';
import type { EngineContext, LogHead } from './save-ops.js';
import type { MergePhaseResult, SaveResult } from './save-types.js';

export interface SaveParams {
  repoPath: string; sessionId: string; saveId: string; taskIds: string[]; integrationWorktreePath: string;
  gateTimeoutMs?: number; onProgress?: (phase: 'merging' | 'gating' | 'publishing', detail?: unknown) => void;
  /**
   * The session's event log head when the Save was asked for: written into the checkpoint tag's
   * message as the trailer `Log-Head: <seq> <hash>`, so a rewritten log is detectable against git.
   */
  logHead?: LogHead;
}

export const DEFAULT_GATE_TIMEOUT_MS = 10 * 60 * 1000;

export async function runSave(pool: GitWorkerPool, ctx: () => EngineContext, p: SaveParams, gateEnv?: NodeJS.ProcessEnv, gateSpawner?: GateSpawner): Promise<SaveResult> {
  const call = <T>(op: Parameters<GitWorkerPool['run']>[0]['op'], args: unknown) => pool.run<T>({ op, repoPath: p.repoPath, ctx: ctx(), args });
  p.onProgress?.('merging', { taskIds: p.taskIds });
  const merged = await call<MergePhaseResult>('saveMerge', { sessionId: p.sessionId, saveId: p.saveId, taskIds: p.taskIds, integrationWorktreePath: p.integrationWorktreePath });
  if (merged.status !== 'merged') return merged;
  let gates;
  try {
    // A checkout exists only for the gates to run in: with none configured, skip it (on a large
    // repository it costs far more than the merges themselves).
    if (merged.gates.length > 0) {
      await call('prepareIntegration', { sessionId: p.sessionId, worktreePath: p.integrationWorktreePath, commit: merged.candidate });
    }
    p.onProgress?.('gating', { gates: merged.gates, candidate: merged.candidate });
    gates = await runGates(merged.gates, p.integrationWorktreePath, p.gateTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS, gateEnv, gateSpawner);
  } catch (err) {
    // Nothing was published; drop the journal so the next Save is not blocked.
    await call('abortSave', { sessionId: p.sessionId }).catch(() => undefined);
    throw err;
  }
  if (!gates.passed) {
    await call('recordGateFailure', { sessionId: p.sessionId, candidate: merged.candidate, mainBefore: merged.mainBefore });
    return { status: 'gates_failed', integrationCommit: merged.candidate, mergedTaskIds: merged.mergedTaskIds, gates: gates.results };
  }
  p.onProgress?.('publishing', { candidate: merged.candidate });
  const autoResolved: AutoResolution[] = merged.autoResolved;
  // candidate/mainBefore come from the merge step, not from the journal the gates could reach.
  return call<SaveResult>('publishSave', { sessionId: p.sessionId, candidate: merged.candidate, mainBefore: merged.mainBefore, mergedTaskIds: merged.mergedTaskIds, autoResolved, gates: gates.results, ...(p.logHead ? { logHead: p.logHead } : {}) });
}

/** One Save/rollback at a time per repository inside this process (journals guard across processes). */
export class RepoMutex {
  private readonly tails = new Map<string, Promise<unknown>>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.tails.set(key, next.catch(() => undefined));
    return next;
  }
}

export function assertNotClosed(closed: boolean): void {
  if (closed) throw new GitEngineError('ENGINE_CLOSED', 'the git engine is closed');
}
