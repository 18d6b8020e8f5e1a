import path from 'node:path';
import type { Logger } from 'pino';
import type { PromotionResult } from '../../contracts/index.js';
import type { RollbackResult, SaveResult as SessionSaveResult, SessionEffects, SessionEvent } from '../../actors/index.js';
import type { AdapterRegistry, AgentRun } from '../../adapters/index.js';
import { buildPrompt } from '../../adapters/index.js';
import type { GateSpawner, GitEngine } from '../../git-engine/index.js';
import type { ActorRef } from '../log/log-entry.js';
import { SYSTEM_ACTOR } from '../log/log-entry.js';
import { isCommandAgent } from './agent-kinds.js';
import { pruneAfterSave } from './branch-pruning.js';
import type { BranchRetention } from './branch-retention.js';
import { removeRunFile, writeRunFile } from './run-files.js';
import type { RunTable } from './run-table.js';
import type { SessionHost } from './session-host.js';
import type { AcpSteering } from './acp-steering.js';
import type { Clock } from '../clock.js';
import type { SaveOutputStreams } from './save-output.js';
import type { TaskPorts } from '../previews/task-ports.js';
import { repoTarget } from './session-meta.js';
import { runTaskSetup } from './task-setup.js';
import { inBatches } from './event-batches.js';
import { describeMissing, missingStatuses } from '../ci/required-statuses.js';

export interface EffectDeps {
  engine: GitEngine;
  adapters: AdapterRegistry;
  dataDir: string;
  /**
   * Cluster mode: the epoch of this node's lease on the session (null once lost). A Save carries
   * it into the engine's journal and does not publish once the lease moved (git-engine/save.ts).
   */
  leaseEpoch?: (sessionId: string) => number | null;
  /** Cluster mode: asks Redis whether this node still holds the session at that epoch (not its memory: it may have been paused). */
  holdsLease?: (sessionId: string, epoch: number) => Promise<boolean>;
  /** Root of the worktrees (config.worktreeDir); `<dataDir>/worktrees` when not given. */
  worktreeDir?: string;
  logger: Logger;
  /** The session's shared memory (from the shared Yjs document) handed to every agent run. */
  sharedMemory?: (sessionId: string) => Promise<string>;
  onAgentOutcome?: (agent: string, outcome: string, usage: { inputTokens: number; outputTokens: number; costUsd: number | null }) => void;
  onSaveFinished?: (outcome: string, seconds: number) => void;
  /** Gate output of a running Save, as it is written (the runtime streams it to watchers). */
  saveOutput?: SaveOutputStreams;
  /** A free port per running task for the dev server it may start (THALOGOS_TASK_PORT, PORT). */
  ports?: TaskPorts;
  /** The runtime's clock for every timestamp an effect result carries. */
  now: () => Date;
  /**
   * How a task's `setup` commands start (sandboxed and recorded, see setup-spawner.ts) and their
   * environment (the agents'). Without it a repository with setup commands fails its tasks with
   * SANDBOX_UNAVAILABLE rather than running them unconfined.
   */
  setup?: { spawner: GateSpawner; env: NodeJS.ProcessEnv };
  /** The event log's head, written into each checkpoint tag so git can vouch for the log. */
  logHead?: () => { seq: number; hash: string };
  /** Retention of ended tasks' branches, applied after each published Save (default: none pruned). */
  branchRetention?: BranchRetention;
  /** People's messages and permission answers for live ACP runs (without it ACP requests are denied). */
  steering?: AcpSteering;
}

/** What all sessions' effects share: live runs, pending timers, and whether the process is stopping. */
export interface EffectsRuntime {
  runs: RunTable;
  timers: Set<unknown>;
  /** Schedules retries and timeouts (the system's timers unless a test injects its own). */
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Once set, no new work starts: what was in flight is recovered on the next start. */
  closing: boolean;
}

/** The worktrees' root: cluster nodes share it (config.worktreeDir), one node keeps it in its data dir. */
function worktreeRoot(deps: Pick<EffectDeps, 'dataDir' | 'worktreeDir'>): string {
  return deps.worktreeDir ?? path.join(deps.dataDir, 'worktrees');
}

export function worktreePathFor(deps: Pick<EffectDeps, 'dataDir' | 'worktreeDir'>, sessionId: string, taskId: string): string {
  return path.join(worktreeRoot(deps), sessionId, taskId);
}

export function integrationWorktreePathFor(deps: Pick<EffectDeps, 'dataDir' | 'worktreeDir'>, sessionId: string): string {
  return path.join(worktreeRoot(deps), sessionId, '_integration');
}

type AgentExited = Extract<SessionEvent, { type: 'AGENT.EXITED' }>;

/** Agent events appended together at most: a group commit stays small, the reader never far ahead. */
const MAX_EVENT_BATCH = 256;

/**
 * The real side effects behind the machines' actions. Each one starts work and returns at once
 * (actions run inside a transition); its result comes back as a new event through `host.submit`,
 * which logs it before the actor sees it.
 */
export function createSessionEffects(host: SessionHost, deps: EffectDeps, runtime: EffectsRuntime): SessionEffects {
  const { runs, timers } = runtime;
  const log = deps.logger.child({ sessionId: host.id });
  // The repository and the session's base branch, for every git-engine call.
  const target = repoTarget(host.meta);
  const record = (event: SessionEvent, actor: ActorRef = SYSTEM_ACTOR): Promise<void> => {
    // Agent output can quote the child's environment; the adapters redact it, and so does every
    // event here before it reaches the log, the live documents or the logs (defence in depth).
    const safe = actor.kind === 'agent' ? deps.adapters.redactor.value(event) : event;
    return host.submit(safe, { actor, command: false }).then(
      () => undefined,
      (error: unknown) => {
        // After shutdown began the host refuses; the next start recovers from the log instead.
        if (!runtime.closing) log.error({ err: error, event: event.type }, 'could not record an effect result');
      },
    );
  };
  const recordBatch = (events: SessionEvent[], actor: ActorRef): Promise<void> =>
    host.submitBatch(events.map((event) => deps.adapters.redactor.value(event)), { actor }).then(
      ({ refused }) => {
        for (const { event, error } of refused) log.error({ err: error, event: event.type }, 'could not record an effect result');
      },
      (error: unknown) => {
        if (!runtime.closing) log.error({ err: error, events: events.length }, 'could not record a batch of effect results');
      },
    );
  const errorOf = (error: unknown): { code: string; message: string } => ({
    code: typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
  });
  // Task releases in flight (commit what a run left, remove the worktree): the pruning after a
  // Save waits for them, so it sees each worktree either still in use or already gone.
  const releasing = new Set<Promise<void>>();
  const later = (ms: number, fire: () => void): void => {
    if (runtime.closing) return;
    const timer = runtime.clock.setTimeout(() => {
      timers.delete(timer);
      if (!runtime.closing) fire();
    }, ms);
    timers.add(timer);
  };
  const exited = (taskId: string, runId: string, outcome: AgentExited['outcome'], error: AgentExited['error']): AgentExited => ({
    type: 'AGENT.EXITED', taskId, runId, outcome, exitCode: null, finalMessage: null, error, at: deps.now().toISOString(),
  });

  /** A language-model agent gets the task, the session's shared memory and any hand-off. */
  const composePrompt = async (
    taskId: string,
    prompt: string,
    handoff: { fromAgent: string; finalMessage: string | null; reason: string } | null,
  ): Promise<string> => {
    const sharedMemory = deps.sharedMemory ? await deps.sharedMemory(host.id).catch(() => '') : '';
    // The branch diff holds what earlier runs committed; what the failed run left uncommitted is
    // still in the worktree the fallback run works in.
    const diff = handoff ? await deps.engine.taskDiff({ ...target, sessionId: host.id, taskId }).then((d) => d.unified).catch(() => null) : null;
    return buildPrompt({
      task: prompt,
      sharedMemory,
      handoff: handoff ? { fromAgent: handoff.fromAgent, finalMessage: handoff.finalMessage, diff, reason: handoff.reason } : null,
    });
  };

  /** Streams one started run into the log, then records how it ended. */
  const followRun = async (run: AgentRun, taskId: string, runId: string, agent: string, prompt: string, agentActor: ActorRef) => {
    const started = await run.started.catch(() => ({ cliVersion: null, pid: null }));
    if (started.pid !== null) writeRunFile(deps.dataDir, { runId, sessionId: host.id, taskId, pid: started.pid });
    // The pid lets a restart stop an orphaned process group; the prompt makes the run auditable.
    await record({ type: 'AGENT.STARTED', taskId, runId, cliVersion: started.cliVersion, pid: started.pid, resumeToken: null, prompt, at: deps.now().toISOString() }, agentActor);
    // The CLI's conversation id is logged as soon as it is known: a crash later can resume it.
    const resumable = run.resumeToken.then((token) =>
      token ? record({ type: 'AGENT.RESUMABLE', taskId, runId, resumeToken: token }, agentActor) : undefined,
    );
    // In batches: one durable append and one queue turn for whatever the run printed meanwhile
    // (a chatty run costs one fsync per batch, not per line); bounded, so a producer faster than
    // the disk is slowed to its pace.
    await inBatches(run.events, (batch) => recordBatch(batch.map((event) => ({ type: 'AGENT.EVENT', taskId, runId, event })), agentActor), MAX_EVENT_BATCH);
    const outcome = await run.done;
    await resumable;
    deps.onAgentOutcome?.(agent, outcome.status, outcome.usage);
    await record({
      type: 'AGENT.EXITED', taskId, runId, outcome: outcome.status, exitCode: outcome.exitCode,
      finalMessage: outcome.finalMessage, error: outcome.error, resumeToken: outcome.resumeToken, cliVersion: outcome.cliVersion,
      at: deps.now().toISOString(),
    }, agentActor);
  };

  /** Best effort: a branch left in place is retried after the next published Save. */
  const pruneBranches = async (saveId: string): Promise<void> => {
    const policy = deps.branchRetention;
    if (!policy || runtime.closing) return;
    try {
      // The merged tasks' releases were started by the SAVE.COMPLETED just applied.
      await Promise.allSettled([...releasing]);
      if (runtime.closing) return;
      await pruneAfterSave(host, { engine: deps.engine, policy, now: deps.now, logger: log }, saveId);
    } catch (error) {
      if (!runtime.closing) log.warn({ err: error, saveId }, 'could not prune task branches; they are left in place');
    }
  };

  // Setup commands get the agents' environment (API keys included) and may print it: their output
  // is redacted like an agent's before it reaches the log or the live stream.
  const recordSetup = (event: SessionEvent): Promise<void> => record(deps.adapters.redactor.value(event));
  const setupFailed = (taskId: string, error: { code: string; message: string }, failed?: { index: number; command: string; exitCode: number | null; timedOut: boolean; output: string }) =>
    recordSetup({
      type: 'TASK.SETUP_FAILED', taskId, error,
      command: failed?.command ?? null, index: failed?.index ?? null, exitCode: failed?.exitCode ?? null,
      timedOut: failed?.timedOut ?? false, output: failed?.output ?? '', at: deps.now().toISOString(),
    });

  /**
   * `.thalogos.json`'s `copy` and `setup` for a new worktree (read from the task's start commit).
   * True when the agent may start; otherwise the failure is recorded (or the task was cancelled).
   */
  const prepareTask = async (taskId: string, ready: { worktreePath: string; baseCommit: string }, signal: AbortSignal): Promise<boolean> => {
    let files;
    try {
      files = await deps.engine.prepareTaskFiles({ ...target, sessionId: host.id, taskId, worktreePath: ready.worktreePath, commit: ready.baseCommit });
    } catch (error) {
      await setupFailed(taskId, errorOf(error));
      return false;
    }
    if (files.setup.length === 0 && files.copied.length === 0 && files.skipped.length === 0) return true;
    await recordSetup({ type: 'TASK.SETUP_STARTED', taskId, commands: files.setup, copied: files.copied, skipped: files.skipped, at: deps.now().toISOString() });
    if (files.setup.length === 0) return true;
    if (!deps.setup) {
      await setupFailed(taskId, { code: 'SANDBOX_UNAVAILABLE', message: 'this runtime has no sandbox to run setup commands in' });
      return false;
    }
    let outcome;
    try {
      outcome = await runTaskSetup({
        commands: files.setup, cwd: ready.worktreePath, timeoutMs: files.setupTimeoutMs, env: deps.setup.env, spawner: deps.setup.spawner,
        clock: runtime.clock, signal,
        emit: (chunk) => recordSetup({ type: 'TASK.SETUP_OUTPUT', taskId, ...chunk, at: deps.now().toISOString() }),
      });
    } catch (error) {
      // E.g. SANDBOX_UNAVAILABLE from the spawner: the command never started.
      await setupFailed(taskId, errorOf(error));
      return false;
    }
    if (outcome.ok) return !signal.aborted;
    if (outcome.cancelled) return false;
    const what = outcome.timedOut ? `timed out after ${files.setupTimeoutMs} ms (setupTimeoutMs)` : `exited with ${outcome.exitCode ?? 'a signal'}`;
    await setupFailed(taskId, { code: 'SETUP_FAILED', message: `setup command ${outcome.index + 1} of ${files.setup.length} (${outcome.command}) ${what}` }, outcome);
    return false;
  };

  return {
    prepareWorktree: ({ sessionId, taskId }) => {
      if (runtime.closing) return;
      const worktreePath = worktreePathFor(deps, sessionId, taskId);
      // Registered like a run, before any await: a cancel, a shutdown or a lost lease stops the
      // setup's commands, and releaseTask waits for them before it removes the worktree.
      const setupRunId = `${taskId}-setup`;
      const abort = new AbortController();
      runs.reserve(setupRunId, taskId);
      runs.attach(setupRunId, { cancel: () => abort.abort() });
      void (async () => {
        let ready;
        try {
          // A planned task starts from its dependencies' work: their branches merged into its start point.
          const dependsOn = host.view().tasks.find((task) => task.id === taskId)?.dependsOn ?? [];
          const base = dependsOn.length > 0 ? (await deps.engine.mergeStartPoint({ ...target, sessionId, taskId, dependencies: dependsOn })).commit : undefined;
          ready = await deps.engine.createWorktree({ ...target, sessionId, taskId, worktreePath, ...(base ? { base } : {}) });
        } catch (error) {
          await record({ type: 'TASK.WORKTREE_FAILED', taskId, error: errorOf(error) });
          return;
        }
        if (abort.signal.aborted) return; // cancelled meanwhile: nothing to copy or run
        if (await prepareTask(taskId, ready, abort.signal)) await record({ type: 'TASK.WORKTREE_READY', taskId, ...ready });
      })()
        .catch((error: unknown) => log.error({ err: error, taskId }, 'preparing a task worktree failed'))
        .finally(() => runs.finish(setupRunId));
    },

    startRun: ({ sessionId, taskId, runId, agent, prompt, handoff, resume }) => {
      if (runtime.closing) return;
      const agentActor: ActorRef = { kind: 'agent', id: runId, name: agent };
      // Reserved before any await, so a cancel arriving while the prompt is composed is not lost.
      runs.reserve(runId, taskId);
      void (async () => {
        try {
          if (!deps.adapters.isAvailable(agent)) {
            const reason = deps.adapters.unavailableReason(agent) ?? 'not available';
            await record(exited(taskId, runId, 'failed', { code: 'ADAPTER_UNAVAILABLE', message: `${agent} is ${reason}`, transient: false }), agentActor);
            return;
          }
          const view = host.view().tasks.find((task) => task.id === taskId);
          const cwd = view?.worktreePath ?? worktreePathFor(deps, sessionId, taskId);
          const fullPrompt = isCommandAgent(agent) ? prompt : await composePrompt(taskId, prompt, handoff);
          const cancelled = runs.cancelledBeforeStart(runId);
          if (cancelled !== null || runtime.closing) {
            if (cancelled !== null) await record(exited(taskId, runId, 'cancelled', { code: 'AGENT_CANCELLED', message: cancelled, transient: false }), agentActor);
            return;
          }
          const port = (await deps.ports?.reserve(sessionId, taskId)) ?? null;
          const env = port === null ? undefined : { THALOGOS_TASK_PORT: String(port), PORT: String(port) };
          let run: AgentRun;
          try {
            const askPermission = deps.steering?.asker(host.id, taskId, runId, (event, actor) => record(event, actor ?? agentActor));
            run = deps.adapters.run(agent, { runId, cwd, prompt: fullPrompt, resumeToken: resume?.resumeToken ?? null, ...(env ? { env } : {}), ...(askPermission ? { askPermission } : {}) });
          } catch (error) {
            await record(exited(taskId, runId, 'failed', { ...errorOf(error), transient: false }), agentActor);
            return;
          }
          runs.attach(runId, run);
          if (run.control) deps.steering?.register({ sessionId: host.id, taskId, runId, control: run.control, record });
          await followRun(run, taskId, runId, agent, fullPrompt, agentActor);
        } finally {
          deps.steering?.unregister(runId);
          removeRunFile(deps.dataDir, runId);
          runs.finish(runId);
          // The run's process group is gone: so is whatever listened on the task's port.
          deps.ports?.release(sessionId, taskId);
        }
      })().catch((error: unknown) => log.error({ err: error, taskId, runId }, 'agent run wiring failed'));
    },

    cancelRun: ({ runId, reason }) => {
      runs.cancel(runId, reason);
    },

    armTimeout: ({ taskId, runId, timeoutMs }) => {
      later(timeoutMs, () => {
        if (runs.has(runId)) void record({ type: 'AGENT.TIMEOUT', taskId, runId });
      });
    },

    commitWork: ({ sessionId, taskId, agent }) => {
      if (runtime.closing) return;
      const view = host.view().tasks.find((task) => task.id === taskId);
      const worktreePath = view?.worktreePath ?? worktreePathFor(deps, sessionId, taskId);
      deps.engine
        .commitWorktree({ ...target, sessionId, taskId, worktreePath, agent, message: commitMessage(view?.prompt ?? taskId) })
        .then(async (result) => {
          // Line counts for the board come from the branch's diff against main.
          const diff = result.commit ? await deps.engine.taskDiff({ ...target, sessionId, taskId }) : null;
          const changes = {
            filesChanged: diff?.stats.files ?? 0,
            insertions: diff?.stats.additions ?? 0,
            deletions: diff?.stats.deletions ?? 0,
            files: diff?.files.map((file) => file.path) ?? [],
          };
          await record({ type: 'TASK.COMMITTED', taskId, commit: result.commit, changes });
        })
        .catch((error: unknown) => record({ type: 'TASK.COMMIT_FAILED', taskId, error: errorOf(error) }));
    },

    scheduleRetry: ({ taskId, delayMs }) => {
      later(delayMs, () => void record({ type: 'TASK.RETRY_DUE', taskId }));
    },

    releaseTask: ({ sessionId, taskId, outcome }) => {
      // Keep the branch (it is history); drop the checkout once no process of the task is left
      // writing in it (a cancelled agent may still be winding down). Whatever a cancelled or
      // failed run left uncommitted is committed to the task branch first: nothing is lost.
      const worktreePath = worktreePathFor(deps, sessionId, taskId);
      // A task cancelled while its setup runs: the setup's commands are stopped first.
      runs.cancel(`${taskId}-setup`, `task ${outcome}`);
      const release = runs
        .settledForTask(taskId)
        .then(async () => {
          if (outcome !== 'merged') {
            try {
              const kept = await deps.engine.commitWorktree({
                ...target, sessionId, taskId, worktreePath, agent: 'thalogos', message: `Keep the uncommitted work of a ${outcome} task`,
              });
              if (kept.commit) log.info({ taskId, outcome, commit: kept.commit }, 'kept uncommitted work on the task branch');
            } catch (error) {
              // A task closed before its worktree existed has nothing to keep or remove.
              if ((error as { code?: string }).code === 'WORKTREE_NOT_FOUND') return;
              throw error;
            }
          }
          await deps.engine.removeWorktree({ ...target, sessionId, taskId, worktreePath }).catch((error: unknown) => {
            // Gone already: a branch pruning removed it (it removes only clean worktrees).
            if ((error as { code?: string }).code !== 'WORKTREE_NOT_FOUND') throw error;
          });
        })
        .catch((error: unknown) => log.warn({ err: error, taskId, outcome }, 'could not release a task worktree; it is left in place'))
        .finally(() => releasing.delete(release));
      releasing.add(release);
    },

    startSave: ({ sessionId, saveId, taskIds }) => {
      if (runtime.closing) return;
      // Every task the Save waited for ended without work to merge: nothing to do, nothing moved.
      if (taskIds.length === 0) {
        void record({ type: 'SAVE.COMPLETED', saveId, result: { status: 'nothing_to_save' }, at: deps.now().toISOString() });
        return;
      }
      const startedAt = process.hrtime.bigint();
      // Required CI statuses are checked again now: tasks that became ready while the Save waited
      // were not there when it was asked for.
      const statusCheck = deps.engine
        .repoConfig(target)
        .then((config) => missingStatuses(host.view(), taskIds, config.ci.requiredStatuses), () => [])
        .then((missing): SessionSaveResult | null => missing.length === 0 ? null : {
          status: 'error', error: { code: 'STATUS_REQUIRED', message: `a required CI status is missing: ${describeMissing(missing)}` },
        });
      const epoch = deps.leaseEpoch?.(sessionId) ?? null;
      void statusCheck.then((refused) => refused ? refused : deps.engine
        .save({
          ...target, sessionId, saveId, taskIds,
          ...(epoch === null ? {} : { leaseEpoch: epoch, mayPublish: () => deps.holdsLease?.(sessionId, epoch) ?? Promise.resolve(true) }),
          ...(deps.logHead ? { logHead: deps.logHead() } : {}),
          integrationWorktreePath: integrationWorktreePathFor(deps, sessionId),
          onProgress: (phase, detail) => void record({ type: 'SAVE.PROGRESS', saveId, phase, ...(detail?.gate ? { gate: detail.gate } : {}) }),
          onGateOutput: (run, stream, text) => deps.saveOutput?.write(sessionId, saveId, run, stream, text),
        })
        .then((result): SessionSaveResult => ({ ...result }))
        .catch((error: unknown): SessionSaveResult => ({ status: 'error', error: errorOf(error) })))
        .then(async (result) => {
          deps.onSaveFinished?.(String(result.status), Number(process.hrtime.bigint() - startedAt) / 1e9);
          deps.saveOutput?.flush({ sessionId, saveId });
          await record({ type: 'SAVE.COMPLETED', saveId, result, at: deps.now().toISOString() });
          if (result.status === 'published') await pruneBranches(saveId);
        });
    },

    startRollback: ({ sessionId, rollbackId, checkpoint, mode }) => {
      if (runtime.closing) return;
      // One worktree per checkpoint, as the engine names its branch and worktree: a second branch
      // rollback to the same checkpoint reuses them instead of colliding (WORKTREE_EXISTS).
      const worktreePath = path.join(worktreeRoot(deps), sessionId, `_rollback-${checkpoint.replace(/[^A-Za-z0-9._-]/g, '-')}`);
      deps.engine
        .rollback({ ...target, sessionId, checkpoint, mode, worktreePath })
        .then((result): RollbackResult => ({ ...result, status: 'completed' }))
        .catch((error: unknown): RollbackResult => ({ status: 'error', error: errorOf(error) }))
        .then((result) => record({ type: 'ROLLBACK.COMPLETED', rollbackId, result, at: deps.now().toISOString() }));
    },

    startPromotion: ({ sessionId, promotionId, checkpoint, environment }) => {
      if (runtime.closing) return;
      // The environment's gates run in the engine's sandboxed gate spawner, in this detached checkout.
      const worktreePath = path.join(worktreeRoot(deps), sessionId, '_promotion');
      deps.engine
        .promote({ ...target, sessionId, checkpoint, environment, worktreePath })
        .then((result): PromotionResult => result)
        .catch((error: unknown): PromotionResult => ({ status: 'error', error: errorOf(error) }))
        // Gate output (bounded by the engine) is as untrusted as a setup command's: redacted before the log.
        .then((result) => record(deps.adapters.redactor.value({ type: 'PROMOTION.COMPLETED', promotionId, result, at: deps.now().toISOString() })));
    },
  };
}

function commitMessage(prompt: string): string {
  const firstLine = prompt.split('\n')[0]?.trim() ?? '';
  const subject = firstLine.length > 72 ? `${firstLine.slice(0, 69)}...` : firstLine;
  return subject.length > 0 ? subject : 'Agent changes';
}
