// The Save pipeline as seen from the main thread: merge (worker) -> integration worktree (worker)
// -> gates (child processes) -> publish or record the failure (worker). The main thread only
// sequences; all git work happens in the pool.
import { GitEngineError } from './errors.js';
import { blameGateFailure } from './gate-blame.js';
import { GATE_OUTPUT_LIMIT, runGate, runGates, type GateSpawner } from './gates.js';
import type { AutoResolution } from './merge/index.js';
import type { GitWorkerPool } from './pool.js';
import type { EngineContext, LogHead } from './save-ops.js';
import type { GateBlame, GateResult, MergePhaseResult, SaveResult } from './save-types.js';

export interface SaveParams {
  /** The session's base branch (main/master when absent): what the Save merges onto and fast-forwards. */
  baseBranch?: string;
  repoPath: string; sessionId: string; saveId: string; taskIds: string[]; integrationWorktreePath: string;
  gateTimeoutMs?: number;
  /**
   * The stage the Save is in. `gating` comes once per gate with `{ gate: { index, total, command } }`;
   * `blaming` once when a failed gate is being re-run along the merges to find the task that broke it.
   */
  onProgress?: (phase: SavePhase, detail?: SaveProgressDetail) => void;
  /**
   * Gate output as it is written. `run` names the process: `gate-{index}` for the Save's gates,
   * `blame-{n}` for the re-runs that find which task broke one.
   */
  onGateOutput?: (run: string, stream: 'stdout' | 'stderr', text: string) => void;
  /** Longest the blame re-runs may take together. Default 10 minutes; 0 turns blame off. */
  gateBlameBudgetMs?: number;
  /**
   * The session's event log head when the Save was asked for: written into the checkpoint tag's
   * message as the trailer `Log-Head: <seq> <hash>`, so a rewritten log is detectable against git.
   */
  logHead?: LogHead;
  /**
   * Cluster mode: the epoch of the session lease this node holds. The journal records it, a
   * journal of a lower epoch is settled as stale, and one of another epoch is never published
   * or dropped by this Save (another node took the session over).
   */
  leaseEpoch?: number;
  /** Cluster mode: false once this node lost the session's lease; checked before publishing. */
  mayPublish?: () => boolean | Promise<boolean>;
}

export type SavePhase = 'merging' | 'gating' | 'blaming' | 'publishing';
export interface SaveProgressDetail {
  taskIds?: string[];
  candidate?: string;
  gate?: { index: number; total: number; command: string };
}

export const DEFAULT_GATE_TIMEOUT_MS = 10 * 60 * 1000;
export const DEFAULT_GATE_BLAME_BUDGET_MS = 10 * 60 * 1000;

export async function runSave(pool: GitWorkerPool, ctx: () => EngineContext, p: SaveParams, gateEnv?: NodeJS.ProcessEnv, gateSpawner?: GateSpawner): Promise<SaveResult> {
  const call = <T>(op: Parameters<GitWorkerPool['run']>[0]['op'], args: unknown) => pool.run<T>({ op, repoPath: p.repoPath, ctx: ctx(), args, ...(p.baseBranch ? { baseBranch: p.baseBranch } : {}) });
  p.onProgress?.('merging', { taskIds: p.taskIds });
  const epoch = p.leaseEpoch === undefined ? {} : { leaseEpoch: p.leaseEpoch };
  const merged = await call<MergePhaseResult>('saveMerge', { sessionId: p.sessionId, saveId: p.saveId, taskIds: p.taskIds, integrationWorktreePath: p.integrationWorktreePath, ...epoch });
  if (merged.status !== 'merged') return merged;
  let gates;
  let blame: GateBlame | undefined;
  let lostSession = false;
  try {
    // A checkout exists only for the gates to run in: with none configured, skip it (on a large
    // repository it costs far more than the merges themselves).
    if (merged.gates.length > 0) {
      await call('prepareIntegration', { sessionId: p.sessionId, worktreePath: p.integrationWorktreePath, commit: merged.candidate });
    }
    const timeoutMs = p.gateTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS;
    gates = await runGates(merged.gates, p.integrationWorktreePath, timeoutMs, gateEnv, gateSpawner, {
      onStart: (index, command) => p.onProgress?.('gating', { candidate: merged.candidate, gate: { index, total: merged.gates.length, command } }),
      onOutput: (index, stream, text) => p.onGateOutput?.(`gate-${index}`, stream, text),
    });
    // A gate killed because this node lost the session (cluster mode) is no verdict on the work,
    // and blaming would check commits out in the integration worktree the new owner now uses.
    if (!gates.passed && p.mayPublish && !(await p.mayPublish())) lostSession = true;
    else if (!gates.passed) {
      const failed = gates.results[gates.results.length - 1] as GateResult;
      let blameRun = 0;
      p.onProgress?.('blaming', { candidate: merged.candidate });
      blame = await blameGateFailure({
        mainBefore: merged.mainBefore,
        steps: merged.steps,
        failed,
        budgetMs: p.gateBlameBudgetMs ?? DEFAULT_GATE_BLAME_BUDGET_MS,
        passesAt: async (commit) => {
          const run = `blame-${blameRun++}`;
          await call('prepareIntegration', { sessionId: p.sessionId, worktreePath: p.integrationWorktreePath, commit });
          const rerun = await runGate(failed.command, p.integrationWorktreePath, timeoutMs, gateEnv, GATE_OUTPUT_LIMIT, gateSpawner, (stream, text) => p.onGateOutput?.(run, stream, text));
          return !rerun.timedOut && rerun.exitCode === 0;
        },
      });
    }
  } catch (err) {
    // Nothing was published; drop the journal so the next Save is not blocked.
    await call('abortSave', { sessionId: p.sessionId, ...epoch }).catch(() => undefined);
    throw err;
  }
  if (lostSession) {
    // Like a lost lease before publishing (below): the new owner settles the journal.
    throw new GitEngineError('SESSION_FENCED', 'this node lost the session while the gates ran', { sessionId: p.sessionId });
  }
  if (!gates.passed) {
    await call('recordGateFailure', { sessionId: p.sessionId, candidate: merged.candidate, mainBefore: merged.mainBefore, ...epoch });
    return { status: 'gates_failed', integrationCommit: merged.candidate, mergedTaskIds: merged.mergedTaskIds, gates: gates.results, ...(blame ? { blame } : {}) };
  }
  if (p.mayPublish && !(await p.mayPublish())) {
    // The node that took the session over settles the journal and runs the Save again.
    throw new GitEngineError('SESSION_FENCED', 'this node lost the session before publishing its Save', { sessionId: p.sessionId });
  }
  p.onProgress?.('publishing', { candidate: merged.candidate });
  const autoResolved: AutoResolution[] = merged.autoResolved;
  // candidate/mainBefore come from the merge step, not from the journal the gates could reach.
  return call<SaveResult>('publishSave', { sessionId: p.sessionId, candidate: merged.candidate, mainBefore: merged.mainBefore, mergedTaskIds: merged.mergedTaskIds, autoResolved, gates: gates.results, ...(p.logHead ? { logHead: p.logHead } : {}), ...epoch });
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
