import type { AgentRun } from '../../adapters/index.js';

/** What the table needs of a run: a way to stop it (an agent run, or a task's setup commands). */
export type CancellableRun = Pick<AgentRun, 'cancel'>;

interface RunEntry {
  taskId: string;
  run: CancellableRun | null;
  /** Set when a cancel arrived; a run attached later is cancelled at once. */
  cancelReason: string | null;
  settled: Promise<void>;
  settle: () => void;
}

/**
 * Agent runs (and task setups) of this process, from the moment `startRun` begins (before any await) until the
 * process has exited. Reserving first closes the window in which a cancel would find nothing to
 * cancel and the run would start anyway, unsupervised.
 */
export class RunTable {
  private readonly entries = new Map<string, RunEntry>();

  reserve(runId: string, taskId: string): void {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    this.entries.set(runId, { taskId, run: null, cancelReason: null, settled, settle });
  }

  /** Attaches the started run; returns false (and cancels it) when a cancel came first. */
  attach(runId: string, run: CancellableRun): boolean {
    const entry = this.entries.get(runId);
    if (!entry) {
      run.cancel('no longer wanted');
      return false;
    }
    entry.run = run;
    if (entry.cancelReason !== null) {
      run.cancel(entry.cancelReason);
      return false;
    }
    return true;
  }

  /** The reason a reserved run was cancelled before it could start, if it was. */
  cancelledBeforeStart(runId: string): string | null {
    return this.entries.get(runId)?.cancelReason ?? null;
  }

  cancel(runId: string, reason: string): void {
    const entry = this.entries.get(runId);
    if (!entry) return;
    entry.cancelReason ??= reason;
    entry.run?.cancel(reason);
  }

  finish(runId: string): void {
    const entry = this.entries.get(runId);
    if (!entry) return;
    this.entries.delete(runId);
    entry.settle();
  }

  has(runId: string): boolean {
    return this.entries.has(runId);
  }

  /** Resolves once no run of this task is alive (so its worktree can be removed safely). */
  async settledForTask(taskId: string): Promise<void> {
    await Promise.all([...this.entries.values()].filter((entry) => entry.taskId === taskId).map((entry) => entry.settled));
  }

  /** Cancels the runs of these tasks (a session this node no longer owns, in cluster mode). */
  cancelForTasks(taskIds: Set<string>, reason: string): void {
    for (const [runId, entry] of this.entries) if (taskIds.has(entry.taskId)) this.cancel(runId, reason);
  }

  /** Cancels everything and waits (bounded) for the processes to be gone. */
  async cancelAll(reason: string, waitMs: number): Promise<void> {
    const waiting = [...this.entries.keys()].map((runId) => {
      this.cancel(runId, reason);
      return this.entries.get(runId)?.settled;
    });
    let timer: NodeJS.Timeout | undefined;
    // A ref'd timer keeps the process alive while the adapters escalate SIGTERM to SIGKILL.
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    await Promise.race([Promise.all(waiting), deadline]);
    clearTimeout(timer);
  }

  get size(): number {
    return this.entries.size;
  }
}
