// Piscina worker entry: every repository operation (tree walks, hashing, diffs, merges, checkouts)
// runs here, off the runtime's event loop. Results and errors cross the boundary as plain data:
// Piscina strips name/code/data from thrown errors, so nothing is thrown out of this function.
import { serializeError, type SerializedGitEngineError } from './errors.js';
import { listCheckpoints } from './checkpoints.js';
import { listEnvironments, planPromotion, preparePromotionCheckout, publishPromotion, rollbackEnvironment } from './environments.js';
import { listSessionBranches, taskDiff } from './inspect.js';
import { mustReadBranch } from './refs.js';
import { pruneTaskBranches } from './prune-branches.js';
import { readGateConfig } from './gate-config.js';
import { headBranchOf, openRepo } from './repo.js';
import { resolveConflict } from './resolve-conflict.js';
import { rollback } from './rollback.js';
import { recordSessionStart } from './session-start.js';
import { reapplyTask } from './reapply.js';
import { savePreview } from './save-preview.js';
import { abortSave, prepareIntegrationWorktree, publishSave, recordGateFailure, saveMerge, type EngineContext } from './save-ops.js';
import { describePending, recoverSave } from './save-recovery.js';
import { prepareTaskFiles } from './task-files.js';
import { mergeStartPoint } from './start-point.js';
import { commitTaskWorktree, createTaskWorktree, removeTaskWorktree } from './worktree-ops.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- arguments were validated on the main thread */
const OPS = {
  inspectRepository: async (repo) => ({ repoPath: repo.repoPath, gitdir: repo.gitdir, mainBranch: repo.mainBranch, head: await mustReadBranch(repo, repo.mainBranch), headBranch: await headBranchOf(repo) }),
  createWorktree: (repo, _ctx, a) => createTaskWorktree(repo, a),
  mergeStartPoint: (repo, ctx, a) => mergeStartPoint(repo, ctx, a),
  commitWorktree: (repo, ctx, a) => commitTaskWorktree(repo, ctx, a),
  prepareTaskFiles: (repo, _ctx, a) => prepareTaskFiles(repo, a),
  removeWorktree: (repo, _ctx, a) => removeTaskWorktree(repo, a),
  saveMerge: (repo, ctx, a) => saveMerge(repo, ctx, a),
  prepareIntegration: (repo, _ctx, a) => prepareIntegrationWorktree(repo, a),
  publishSave: (repo, ctx, a) => publishSave(repo, ctx, a),
  recordGateFailure: (repo, _ctx, a) => recordGateFailure(repo, a),
  abortSave: (repo, _ctx, a) => abortSave(repo, a),
  recoverSave: (repo, ctx, a) => recoverSave(repo, ctx.engineId, a),
  pendingSave: (repo, ctx, a) => describePending(repo, a.sessionId, ctx.engineId, a.leaseEpoch),
  rollback: (repo, ctx, a) => rollback(repo, ctx, a),
  resolveConflict: (repo, ctx, a) => resolveConflict(repo, ctx, a),
  listCheckpoints: (repo) => listCheckpoints(repo),
  recordSessionStart: (repo, ctx, a) => recordSessionStart(repo, ctx, a),
  listSessionBranches: (repo, _ctx, a) => listSessionBranches(repo, a.sessionId),
  // `.thalogos.json` as the base branch holds it now (CI settings, gates).
  repoConfig: async (repo) => readGateConfig(repo, await mustReadBranch(repo, repo.mainBranch)),
  taskDiff: (repo, _ctx, a) => taskDiff(repo, a),
  savePreview: (repo, ctx, a) => savePreview(repo, ctx, a),
  reapplyTask: (repo, ctx, a) => reapplyTask(repo, ctx, a),
  pruneTaskBranches: (repo, _ctx, a) => pruneTaskBranches(repo, a),
  listEnvironments: (repo) => listEnvironments(repo),
  planPromotion: (repo, _ctx, a) => planPromotion(repo, a),
  preparePromotionCheckout: (repo, _ctx, a) => preparePromotionCheckout(repo, a),
  publishPromotion: (repo, _ctx, a) => publishPromotion(repo, a),
  rollbackEnvironment: (repo, _ctx, a) => rollbackEnvironment(repo, a),
} satisfies Record<string, (repo: Awaited<ReturnType<typeof openRepo>>, ctx: EngineContext, args: any) => Promise<unknown>>;

export type WorkerOp = keyof typeof OPS;
/** `baseBranch`: the session's branch, validated on the main thread; the operation's `repo.mainBranch`. */
export interface WorkerTask { op: WorkerOp; repoPath: string; ctx: EngineContext; args: unknown; baseBranch?: string }
export type WorkerReply = { ok: true; value: unknown } | { ok: false; error: SerializedGitEngineError };

export default async function run(task: WorkerTask): Promise<WorkerReply> {
  try {
    const fn = OPS[task.op] as (repo: Awaited<ReturnType<typeof openRepo>>, ctx: EngineContext, args: unknown) => Promise<unknown>;
    if (!fn) throw new Error(`unknown operation ${String(task.op)}`);
    const repo = await openRepo(task.repoPath, task.baseBranch);
    if (task.ctx?.committer) repo.reflog = { ...task.ctx.committer, nowMs: task.ctx.nowMs };
    return { ok: true, value: await fn(repo, task.ctx, task.args) };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}

