// createGitEngine: the public object the runtime calls. It validates every external name on the
// main thread, then hands the work to the worker pool; Save is sequenced here (see save.ts).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { GitEngineError } from './errors.js';
import { ENVIRONMENT_NAME_RE } from './gate-config.js';
import type { Checkpoint } from './checkpoints.js';
import type { EnvironmentRollbackResult, EnvironmentState, PromotionPlan } from './environments.js';
import { runPromotion, type PromoteParams, type PromotionResult } from './promote.js';
import type { GateSpawner } from './gates.js';
import type { TaskDiff } from './inspect.js';
import { locateRepository } from './locate-repo.js';
import { GitWorkerPool } from './pool.js';
import type { RollbackResult } from './rollback.js';
import type { ReapplyResult } from './reapply.js';
import type { SavePreview } from './save-preview.js';
import { validateResolveConflict, type ResolveConflictParams, type ResolveConflictResult } from './resolve-conflict-params.js';
import { assertNotClosed, RepoMutex, runSave, type SaveParams } from './save.js';
import type { EngineContext } from './save-ops.js';
import type { PruneResult, PruneTaskCandidate } from './prune-branches.js';
import type { PendingSave, RecoverSaveResult } from './save-recovery.js';
import type { SaveResult } from './save-types.js';
import type { Change } from './snapshot-commit.js';
import type { SigningKey } from './signing.js';
import type { GateConfig } from './gate-config.js';
import type { TaskFilesResult } from './task-files.js';
import { validateBranchName, validateCheckpointName, validateId } from './validate-names.js';
import type { WorkerOp } from './worker.js';

export interface GitEngineOptions {
  orchestratorVersion: string;
  /**
   * Environment of gate commands (default: this process's). A task branch can change
   * `.thalogos.json`, so gates are as untrusted as agents: the runtime passes the agents' env.
   */
  gateEnv?: NodeJS.ProcessEnv;
  /** Starts each gate process (default: unconfined `sh -c`); the runtime sandboxes and records gates. */
  gateSpawner?: GateSpawner;
  minThreads?: number;
  maxThreads?: number;
  committer?: { name: string; email: string };
  signingKey?: SigningKey;
  now?: () => Date;
}

/**
 * The branch a session works from and publishes to, in place of main/master: task branches start
 * from it, Save fast-forwards it, rollback restores it. Absent: main, or master.
 */
export interface OnBranch { baseBranch?: string }

export interface GitEngine {
  /** `mainBranch`: the base branch (or main/master), `head` its commit; `headBranch`: the branch HEAD names, if any. */
  inspectRepository(repoPath: string, baseBranch?: string): Promise<{ repoPath: string; gitdir: string; mainBranch: string; head: string; headBranch: string | null }>;
  createWorktree(p: { repoPath: string; sessionId: string; taskId: string; worktreePath: string; base?: string } & OnBranch): Promise<{ worktreePath: string; branch: string; baseCommit: string }>;
  /**
   * A dependent task's start commit: the base branch with each dependency's task branch merged in
   * (in order, Save's merge policy). START_POINT_CONFLICT when one conflicts. Writes objects only.
   */
  mergeStartPoint(p: { repoPath: string; sessionId: string; taskId: string; dependencies: string[] } & OnBranch): Promise<{ commit: string; merged: string[] }>;
  /**
   * Reads `.thalogos.json` from `commit` (the task's start commit) and copies its `copy` files
   * from the main worktree into the task's worktree; returns the `setup` commands to run there.
   * Copied files stay out of every commit of the task. GATE_CONFIG_INVALID for a malformed file.
   */
  prepareTaskFiles(p: { repoPath: string; sessionId: string; taskId: string; worktreePath: string; commit: string } & OnBranch): Promise<TaskFilesResult>;
  commitWorktree(p: { repoPath: string; sessionId: string; taskId: string; worktreePath: string; agent: string; message: string; extraTrailers?: Record<string, string> } & OnBranch):
    Promise<{ commit: string | null; head: string; changes: Change[] }>;
  /** Refuses with WORKTREE_DIRTY while the worktree holds uncommitted work, unless `force`. */
  removeWorktree(p: { repoPath: string; sessionId: string; taskId: string; worktreePath: string; deleteBranch?: boolean; force?: boolean } & OnBranch): Promise<void>;
  save(p: SaveParams & OnBranch): Promise<SaveResult>;
  /**
   * Finishes (main moved, or can still move) or rolls back (nothing published) the session's
   * unfinished Save; a no-op `{state:'none'}` when there is none. Refuses SAVE_IN_PROGRESS while
   * the journal's writer is alive in another process, unless `force`.
   */
  recoverSave(p: { repoPath: string; sessionId: string; force?: boolean; leaseEpoch?: number } & OnBranch): Promise<RecoverSaveResult>;
  /** The session's unfinished Save as recoverSave would see it, or null; reads only. */
  pendingSave(p: { repoPath: string; sessionId: string; leaseEpoch?: number } & OnBranch): Promise<PendingSave | null>;
  rollback(p: { repoPath: string; sessionId: string; checkpoint: string; mode: 'restore_commit' | 'branch'; worktreePath?: string } & OnBranch): Promise<RollbackResult>;
  listCheckpoints(repoPath: string): Promise<Checkpoint[]>;
  /**
   * Tags main as it is now as the session's start checkpoint (listCheckpoints shows it with
   * `sessionStart`), so the session's first Save can be rolled back. Idempotent per session.
   */
  recordSessionStart(p: { repoPath: string; sessionId: string } & OnBranch): Promise<{ tag: string; commit: string }>;
  /** `.thalogos.json` as the base branch holds it now (defaults when absent); GATE_CONFIG_INVALID when malformed. */
  repoConfig(p: { repoPath: string } & OnBranch): Promise<GateConfig>;
  listSessionBranches(repoPath: string, sessionId: string, baseBranch?: string): Promise<Array<{ branch: string; head: string; ahead: number; behind: number }>>;
  /**
   * `base`: the commit the task started from; default: the merge base of the branch and main.
   * `headIfPruned`: the task's last commit, diffed when its branch was pruned after a Save.
   */
  taskDiff(p: { repoPath: string; sessionId: string; taskId: string; base?: string; headIfPruned?: string } & OnBranch): Promise<TaskDiff>;
  /**
   * Applies a person's choices to a Save's conflict report: a merge commit (parents theirs, ours)
   * on the task branch, so the next Save merges the task cleanly. See resolve-conflict.ts.
   */
  resolveConflict(p: ResolveConflictParams & OnBranch): Promise<ResolveConflictResult>;
  /**
   * What a Save of `taskIds` would merge now, without moving anything (no ref, journal or
   * worktree): the combined diff, the tree a clean Save publishes, the first conflict (save-preview.ts).
   */
  savePreview(p: { repoPath: string; sessionId: string; taskIds: string[] } & OnBranch): Promise<SavePreview>;
  /**
   * A task's changes (`base..head`) re-applied onto the base branch's head, committed on the task
   * branch (moved forward only); REAPPLY_CONFLICT when they no longer apply cleanly (reapply.ts).
   */
  reapplyTask(p: { repoPath: string; sessionId: string; taskId: string; base: string; head: string } & OnBranch): Promise<ReapplyResult>;
  /**
   * Deletes the task branches of `tasks` marked `prune` whose head is reachable from main or a
   * checkpoint tag, with their clean linked worktrees; reports what it pruned and every other
   * existing branch of `tasks` it kept, with the reason (see prune-branches.ts).
   */
  pruneTaskBranches(p: { repoPath: string; sessionId: string; tasks: PruneTaskCandidate[] } & OnBranch): Promise<PruneResult>;
  /** The environments of `.thalogos.json` on the base branch's head, in order, with what each `release/{name}` holds. */
  listEnvironments(p: { repoPath: string } & OnBranch): Promise<EnvironmentState[]>;
  /** Checks a promotion (environment, eligibility, fast-forward) without changing anything. */
  planPromotion(p: { repoPath: string; checkpoint: string; environment: string } & OnBranch): Promise<PromotionPlan>;
  /**
   * Promotes a checkpoint to an environment under the repository's mutex: plan, the environment's
   * gates in a detached checkout, then `release/{env}` moved by compare-and-swap (see promote.ts).
   */
  promote(p: PromoteParams & OnBranch): Promise<PromotionResult>;
  /** Moves `release/{env}` back to an earlier checkpoint it held (no gates: it held it before). */
  rollbackEnvironment(p: { repoPath: string; checkpoint: string; environment: string } & OnBranch): Promise<EnvironmentRollbackResult>;
  close(): Promise<void>;
}

/** Gate timeout bounds: 1 s .. 24 h. */
export const MIN_GATE_TIMEOUT_MS = 1000;
export const MAX_GATE_TIMEOUT_MS = 24 * 60 * 60 * 1000;

const IDENTITY_RE = /^[^<>\n\r\0]{1,200}$/;

function validateRepoPathArg(repoPath: unknown): string {
  if (typeof repoPath !== 'string' || !path.isAbsolute(repoPath) || repoPath.split(/[\\/]/).includes('..')) {
    throw new GitEngineError('INVALID_NAME', 'repoPath must be an absolute path without ..', { value: String(repoPath).slice(0, 200) });
  }
  return repoPath;
}

/**
 * The mutex key: the repository's common gitdir, so one repository is one key however its path is
 * spelled (`/r`, `/r/`, `/r/.git`, a subdirectory, a linked worktree, a symlink). A path that is
 * no repository gets its own key; the worker then refuses it with NOT_A_REPOSITORY.
 */
async function repoKey(repoPath: string): Promise<string> {
  const resolved = path.resolve(validateRepoPathArg(repoPath));
  return locateRepository(resolved).then((l) => l.gitdir, () => resolved);
}

const LOG_HASH_RE = /^[0-9a-f]{16,128}$/;

/** A session's base branch: a valid branch name, and not one of the branches Thalogos writes itself. */
export function validateBaseBranch(branch: unknown): string | undefined {
  if (branch === undefined) return undefined;
  const name = validateBranchName(branch);
  if (name.startsWith('session/')) {
    throw new GitEngineError('INVALID_NAME', `the base branch cannot be ${name}: session/ branches are Thalogos's own`, { branch: name });
  }
  return name;
}

/** `logHead`: the event log's last seq (a non-negative integer) and its entry hash (hex). */
function validateLogHead(h: unknown): void {
  const o = h as { seq?: unknown; hash?: unknown } | null;
  if (typeof o !== 'object' || o === null || !Number.isSafeInteger(o.seq) || (o.seq as number) < 0 || typeof o.hash !== 'string' || !LOG_HASH_RE.test(o.hash)) {
    throw new GitEngineError('INVALID_NAME', 'logHead must be { seq: non-negative integer, hash: 16-128 lowercase hex digits }', { field: 'logHead' });
  }
}

/** A checkpoint tag and an environment name (a lowercase word), refused with INVALID_NAME otherwise. */
function validatePromotionArgs(p: { checkpoint: unknown; environment: unknown }): { checkpoint: string; environment: string } {
  const { tag } = validateCheckpointName(p.checkpoint);
  if (typeof p.environment !== 'string' || !ENVIRONMENT_NAME_RE.test(p.environment)) {
    throw new GitEngineError('INVALID_NAME', 'environment must be a lowercase word', { field: 'environment', value: String(p.environment).slice(0, 100) });
  }
  return { checkpoint: tag, environment: p.environment };
}

function validateOptions(o: GitEngineOptions): void {
  if (typeof o.orchestratorVersion !== 'string' || !/^[^\r\n\0]{1,100}$/.test(o.orchestratorVersion)) {
    throw new GitEngineError('INVALID_NAME', 'orchestratorVersion must be a single short line');
  }
  if (o.committer && (!IDENTITY_RE.test(o.committer.name) || !IDENTITY_RE.test(o.committer.email))) {
    throw new GitEngineError('INVALID_NAME', 'committer name/email must not contain <, > or newlines');
  }
}

export function createGitEngine(options: GitEngineOptions): GitEngine {
  validateOptions(options);
  const pool = new GitWorkerPool({ ...(options.minThreads !== undefined ? { minThreads: options.minThreads } : {}), ...(options.maxThreads !== undefined ? { maxThreads: options.maxThreads } : {}) });
  const mutex = new RepoMutex();
  // Journals name their writer by this id: a journal of this engine seen outside one of its Saves is stale.
  const engineId = randomUUID();
  // `<repo key>\0<sessionId>` of the Saves running now (pendingSave reports them as running).
  const running = new Set<string>();
  let closed = false;
  const ctx = (): EngineContext => ({
    committer: options.committer ?? { name: 'Thalogos', email: 'thalogos@localhost' },
    nowMs: (options.now ?? (() => new Date()))().getTime(),
    signingKey: options.signingKey,
    orchestratorVersion: options.orchestratorVersion,
    agent: 'thalogos',
    engineId,
  });
  // async: a refusal (closed engine, bad repoPath) is a rejected promise, never a synchronous throw.
  const call = async <T>(op: WorkerOp, repoPath: string, args: unknown, baseBranch?: string): Promise<T> => {
    assertNotClosed(closed);
    const branch = validateBaseBranch(baseBranch);
    return pool.run<T>({ op, repoPath: validateRepoPathArg(repoPath), ctx: ctx(), args, ...(branch ? { baseBranch: branch } : {}) });
  };
  const ids = (p: { sessionId: unknown; taskId?: unknown }) => {
    validateId('sessionId', p.sessionId);
    if ('taskId' in p) validateId('taskId', p.taskId);
  };

  return {
    inspectRepository: (repoPath, baseBranch) => call('inspectRepository', repoPath, {}, baseBranch),
    async createWorktree(p) {
      ids(p);
      return call('createWorktree', p.repoPath, { sessionId: p.sessionId, taskId: p.taskId, worktreePath: p.worktreePath, base: p.base }, p.baseBranch);
    },
    async mergeStartPoint(p) {
      ids(p);
      if (!Array.isArray(p.dependencies)) throw new GitEngineError('INVALID_NAME', 'dependencies must be task ids');
      for (const dep of p.dependencies) validateId('taskId', dep);
      return call('mergeStartPoint', p.repoPath, { sessionId: p.sessionId, taskId: p.taskId, dependencies: [...p.dependencies] }, p.baseBranch);
    },
    async prepareTaskFiles(p) {
      ids(p);
      return call('prepareTaskFiles', p.repoPath, { sessionId: p.sessionId, taskId: p.taskId, worktreePath: p.worktreePath, commit: p.commit }, p.baseBranch);
    },
    async commitWorktree(p) {
      ids(p);
      if (typeof p.agent !== 'string' || !/^[^\r\n\0]{1,200}$/.test(p.agent)) throw new GitEngineError('INVALID_NAME', 'agent must be a single line');
      return call('commitWorktree', p.repoPath, { ...p }, p.baseBranch);
    },
    async removeWorktree(p) {
      ids(p);
      return call('removeWorktree', p.repoPath, { ...p }, p.baseBranch);
    },
    async save(p) {
      ids(p);
      validateId('saveId', p.saveId);
      if (!Array.isArray(p.taskIds)) throw new GitEngineError('INVALID_NAME', 'taskIds must be an array');
      if (p.taskIds.length === 0) throw new GitEngineError('NOTHING_TO_SAVE', 'no task to save', { sessionId: p.sessionId });
      for (const t of p.taskIds) validateId('taskId', t);
      if (new Set(p.taskIds).size !== p.taskIds.length) throw new GitEngineError('INVALID_NAME', 'taskIds must be unique');
      // Node clamps timers above 2^31-1 ms to 1 ms: an out-of-range timeout would kill every gate at once.
      if (p.gateTimeoutMs !== undefined && !(typeof p.gateTimeoutMs === 'number' && Number.isFinite(p.gateTimeoutMs) && p.gateTimeoutMs >= MIN_GATE_TIMEOUT_MS && p.gateTimeoutMs <= MAX_GATE_TIMEOUT_MS)) {
        throw new GitEngineError('INVALID_NAME', `gateTimeoutMs must be between ${MIN_GATE_TIMEOUT_MS} and ${MAX_GATE_TIMEOUT_MS}`, { field: 'gateTimeoutMs', value: String(p.gateTimeoutMs).slice(0, 50), min: MIN_GATE_TIMEOUT_MS, max: MAX_GATE_TIMEOUT_MS });
      }
      if (p.gateBlameBudgetMs !== undefined && !(typeof p.gateBlameBudgetMs === 'number' && Number.isFinite(p.gateBlameBudgetMs) && p.gateBlameBudgetMs >= 0 && p.gateBlameBudgetMs <= MAX_GATE_TIMEOUT_MS)) {
        throw new GitEngineError('INVALID_NAME', `gateBlameBudgetMs must be between 0 and ${MAX_GATE_TIMEOUT_MS}`, { field: 'gateBlameBudgetMs', value: String(p.gateBlameBudgetMs).slice(0, 50), min: 0, max: MAX_GATE_TIMEOUT_MS });
      }
      if (p.logHead !== undefined) validateLogHead(p.logHead);
      validateLeaseEpoch(p.leaseEpoch);
      validateRepoPathArg(p.repoPath);
      validateBaseBranch(p.baseBranch);
      assertNotClosed(closed);
      const key = await repoKey(p.repoPath);
      return mutex.run(key, async () => {
        running.add(`${key}\0${p.sessionId}`);
        try {
          return await runSave(pool, ctx, p, options.gateEnv, options.gateSpawner);
        } finally {
          running.delete(`${key}\0${p.sessionId}`);
        }
      });
    },
    async recoverSave(p) {
      ids(p);
      if (p.force !== undefined && typeof p.force !== 'boolean') throw new GitEngineError('INVALID_NAME', 'force must be a boolean');
      validateLeaseEpoch(p.leaseEpoch);
      return mutex.run(await repoKey(p.repoPath), () => call('recoverSave', p.repoPath, { sessionId: p.sessionId, force: p.force === true, ...(p.leaseEpoch === undefined ? {} : { leaseEpoch: p.leaseEpoch }) }, p.baseBranch));
    },
    async pendingSave(p) {
      ids(p);
      const key = await repoKey(p.repoPath);
      validateLeaseEpoch(p.leaseEpoch);
      const pending = await call<PendingSave | null>('pendingSave', p.repoPath, { sessionId: p.sessionId, ...(p.leaseEpoch === undefined ? {} : { leaseEpoch: p.leaseEpoch }) }, p.baseBranch);
      if (!pending || !running.has(`${key}\0${p.sessionId}`)) return pending;
      return { ...pending, running: true, action: 'wait' };
    },
    async rollback(p) {
      ids(p);
      validateCheckpointName(p.checkpoint);
      if (p.mode !== 'restore_commit' && p.mode !== 'branch') throw new GitEngineError('INVALID_NAME', "mode must be 'restore_commit' or 'branch'");
      return mutex.run(await repoKey(p.repoPath), () => call('rollback', p.repoPath, { ...p }, p.baseBranch));
    },
    listCheckpoints: (repoPath) => call('listCheckpoints', repoPath, {}),
    async recordSessionStart(p) {
      ids(p);
      // Under the repository's mutex: a Save picks checkpoint names too.
      return mutex.run(await repoKey(p.repoPath), () => call('recordSessionStart', p.repoPath, { sessionId: p.sessionId }, p.baseBranch));
    },
    repoConfig: (p) => call('repoConfig', p.repoPath, {}, p.baseBranch),
    async listSessionBranches(repoPath, sessionId, baseBranch) {
      validateId('sessionId', sessionId);
      return call('listSessionBranches', repoPath, { sessionId }, baseBranch);
    },
    async taskDiff(p) {
      ids(p);
      return call('taskDiff', p.repoPath, { sessionId: p.sessionId, taskId: p.taskId, ...(p.base ? { base: p.base } : {}), ...(p.headIfPruned ? { headIfPruned: p.headIfPruned } : {}) }, p.baseBranch);
    },
    async savePreview(p) {
      ids(p);
      if (!Array.isArray(p.taskIds)) throw new GitEngineError('INVALID_NAME', 'taskIds must be an array');
      for (const t of p.taskIds) validateId('taskId', t);
      return call('savePreview', p.repoPath, { sessionId: p.sessionId, taskIds: p.taskIds }, p.baseBranch);
    },
    async reapplyTask(p) {
      ids(p);
      for (const field of ['base', 'head'] as const) {
        if (typeof p[field] !== 'string' || !/^[0-9a-f]{40}$/.test(p[field])) throw new GitEngineError('INVALID_NAME', `${field} must be a full commit id`, { field });
      }
      // Under the repository's mutex: it reads the base branch and moves a task branch.
      return mutex.run(await repoKey(p.repoPath), () => call('reapplyTask', p.repoPath, { sessionId: p.sessionId, taskId: p.taskId, base: p.base, head: p.head }, p.baseBranch));
    },
    async resolveConflict(p) {
      ids(p);
      const args = validateResolveConflict(p);
      return mutex.run(await repoKey(p.repoPath), () => call('resolveConflict', p.repoPath, args, p.baseBranch));
    },
    async pruneTaskBranches(p) {
      ids(p);
      if (!Array.isArray(p.tasks)) throw new GitEngineError('INVALID_NAME', 'tasks must be an array', { field: 'tasks' });
      const tasks = p.tasks.map((t: PruneTaskCandidate) => {
        if (typeof t !== 'object' || t === null || typeof t.prune !== 'boolean') {
          throw new GitEngineError('INVALID_NAME', 'each task must be { taskId, prune: boolean }', { field: 'tasks' });
        }
        return { taskId: validateId('taskId', t.taskId), prune: t.prune };
      });
      // Under the repository's mutex: a Save running meanwhile could be merging one of these branches.
      return mutex.run(await repoKey(p.repoPath), () => call('pruneTaskBranches', p.repoPath, { sessionId: p.sessionId, tasks }, p.baseBranch));
    },
    listEnvironments: (p) => call('listEnvironments', p.repoPath, {}, p.baseBranch),
    async planPromotion(p) {
      const args = validatePromotionArgs(p);
      return call('planPromotion', p.repoPath, args, p.baseBranch);
    },
    async promote(p) {
      ids(p);
      validatePromotionArgs(p);
      if (p.gateTimeoutMs !== undefined && !(typeof p.gateTimeoutMs === 'number' && Number.isFinite(p.gateTimeoutMs) && p.gateTimeoutMs >= MIN_GATE_TIMEOUT_MS && p.gateTimeoutMs <= MAX_GATE_TIMEOUT_MS)) {
        throw new GitEngineError('INVALID_NAME', `gateTimeoutMs must be between ${MIN_GATE_TIMEOUT_MS} and ${MAX_GATE_TIMEOUT_MS}`, { field: 'gateTimeoutMs' });
      }
      validateRepoPathArg(p.repoPath);
      const branch = validateBaseBranch(p.baseBranch);
      assertNotClosed(closed);
      return mutex.run(await repoKey(p.repoPath), () => runPromotion(
        (op, args) => pool.run({ op, repoPath: p.repoPath, ctx: ctx(), args, ...(branch ? { baseBranch: branch } : {}) }),
        p, options.gateEnv, options.gateSpawner,
      ));
    },
    async rollbackEnvironment(p) {
      const args = validatePromotionArgs(p);
      return mutex.run(await repoKey(p.repoPath), () => call('rollbackEnvironment', p.repoPath, args, p.baseBranch));
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.close();
    },
  };
}

/** Cluster mode's session lease epoch (save journals record it): a non-negative integer when given. */
function validateLeaseEpoch(epoch: unknown): void {
  if (epoch !== undefined && !(typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch >= 0)) {
    throw new GitEngineError('INVALID_NAME', 'leaseEpoch must be a non-negative integer', { field: 'leaseEpoch', value: String(epoch).slice(0, 50) });
  }
}
