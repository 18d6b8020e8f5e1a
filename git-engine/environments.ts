// Environment promotion: each environment of `.thalogos.json`'s `environments` (read from the base
// branch's head, so what counts is what was published) is a branch `release/{name}`. A checkpoint
// moves into an environment by fast-forward only; the first environment takes any checkpoint on
// the base branch, each later one only the commit its predecessor holds or an ancestor of it (so
// nothing reaches prod that staging never had). Rollback moves `release/{env}` back to an earlier
// checkpoint it held; the base branch's history is never touched.
import { isAncestor } from './ancestry.js';
import { moveBranch } from './branch-move.js';
import { checkpointCommit, listCheckpoints } from './checkpoints.js';
import { GitEngineError } from './errors.js';
import { readGateConfig, type EnvironmentConfig } from './gate-config.js';
import { mustReadBranch, readRef, writeRefAtomic } from './refs.js';
import type { Repo } from './repo.js';
import { validateCheckpointName, validateWorktreePath } from './validate-names.js';
import { ensureLinkedWorktree, resetDetachedWorktree } from './worktree.js';

export const releaseBranch = (environment: string): string => `release/${environment}`;

export interface EnvironmentState {
  name: string;
  branch: string;
  /** The commit `release/{name}` holds, or null before its first promotion. */
  head: string | null;
  /** The newest checkpoint tag naming `head`, or null. */
  checkpoint: string | null;
  gates: string[];
  approvals: { count: number; role: 'reviewer' | 'operator' } | null;
}

export interface PromotionPlan {
  environment: string;
  /** Position in the promotion order (0: first). */
  index: number;
  checkpoint: string;
  /** The checkpoint's commit: what `release/{environment}` will hold. */
  commit: string;
  /** What `release/{environment}` holds now (null: the branch does not exist yet). */
  previous: string | null;
  gates: string[];
  approvals: EnvironmentState['approvals'];
}

async function environmentsOf(repo: Repo): Promise<EnvironmentConfig[]> {
  return (await readGateConfig(repo, await mustReadBranch(repo, repo.mainBranch))).environments;
}

async function findEnvironment(repo: Repo, name: string): Promise<{ list: EnvironmentConfig[]; index: number }> {
  const list = await environmentsOf(repo);
  const index = list.findIndex((e) => e.name === name);
  if (index < 0) {
    throw new GitEngineError('ENVIRONMENT_NOT_FOUND', `no environment ${name} in .thalogos.json on ${repo.mainBranch}`, { environment: name, known: list.map((e) => e.name) });
  }
  return { list, index };
}

export async function listEnvironments(repo: Repo): Promise<EnvironmentState[]> {
  const list = await environmentsOf(repo);
  const checkpoints = list.length > 0 ? await listCheckpoints(repo) : [];
  const out: EnvironmentState[] = [];
  for (const env of list) {
    const head = await readRef(repo, `refs/heads/${releaseBranch(env.name)}`);
    const holding = head ? checkpoints.filter((c) => c.commit === head) : [];
    out.push({
      name: env.name, branch: releaseBranch(env.name), head,
      checkpoint: holding[holding.length - 1]?.tag ?? null,
      gates: env.gates, approvals: env.approvals ?? null,
    });
  }
  return out;
}

/**
 * Checks a promotion without changing anything: the environment exists, the checkpoint is eligible
 * for it (PROMOTION_NOT_ELIGIBLE) and its commit descends from what the environment holds
 * (PROMOTION_NOT_FAST_FORWARD).
 */
export async function planPromotion(repo: Repo, p: { checkpoint: string; environment: string }): Promise<PromotionPlan> {
  const { tag } = validateCheckpointName(p.checkpoint);
  const { list, index } = await findEnvironment(repo, p.environment);
  const env = list[index] as EnvironmentConfig;
  const commit = await checkpointCommit(repo, tag);
  const source = index === 0 ? repo.mainBranch : releaseBranch((list[index - 1] as EnvironmentConfig).name);
  const sourceHead = await readRef(repo, `refs/heads/${source}`);
  if (!sourceHead || !(await isAncestor(repo, commit, sourceHead))) {
    throw new GitEngineError('PROMOTION_NOT_ELIGIBLE', `${tag} is not on ${source}: ${index === 0 ? 'the first environment takes checkpoints of the base branch' : `promote it to ${(list[index - 1] as EnvironmentConfig).name} first`}`, { checkpoint: tag, environment: env.name, source, sourceHead });
  }
  const previous = await readRef(repo, `refs/heads/${releaseBranch(env.name)}`);
  if (previous && !(await isAncestor(repo, previous, commit))) {
    throw new GitEngineError('PROMOTION_NOT_FAST_FORWARD', `${tag} does not descend from what ${releaseBranch(env.name)} holds (${previous}); promotion is fast-forward only (roll the environment back instead)`, { checkpoint: tag, environment: env.name, commit, holds: previous });
  }
  return { environment: env.name, index, checkpoint: tag, commit, previous, gates: env.gates, approvals: env.approvals ?? null };
}

/** The detached checkout the environment's gates run in (one per session, reused). */
export async function preparePromotionCheckout(repo: Repo, p: { sessionId: string; worktreePath: string; commit: string }): Promise<void> {
  const worktreePath = validateWorktreePath(p.worktreePath, repo.repoPath, repo.gitdir);
  const wt = await ensureLinkedWorktree(repo, { name: `${p.sessionId}.promotion`, worktreePath, branch: null, commit: p.commit });
  await resetDetachedWorktree(repo, wt, p.commit);
}

/**
 * Moves `release/{environment}` from `previous` to `commit` by compare-and-swap: the plan is checked
 * again first (the config or the source may have changed while gates ran), then the ref moves only
 * if it still holds `previous` (else BRANCH_MOVED).
 */
export async function publishPromotion(repo: Repo, p: { checkpoint: string; environment: string; commit: string; previous: string | null }): Promise<PromotionPlan> {
  const plan = await planPromotion(repo, p);
  if (plan.commit !== p.commit || plan.previous !== p.previous) {
    throw new GitEngineError('BRANCH_MOVED', `${releaseBranch(p.environment)} or ${p.checkpoint} changed while the gates ran`, { expected: { commit: p.commit, previous: p.previous }, actual: { commit: plan.commit, previous: plan.previous } });
  }
  if (plan.previous === null) {
    await writeRefAtomic(repo, `refs/heads/${releaseBranch(plan.environment)}`, plan.commit, `thalogos: promote ${plan.checkpoint}`, { expectedOld: null });
  } else if (plan.previous !== plan.commit) {
    // Like `git merge --ff-only` where someone has release/{env} checked out: their files follow
    // the ref, and local changes in the way refuse the move (WORKTREE_DIRTY) before anything changes.
    await moveBranch(repo, releaseBranch(plan.environment), plan.previous, plan.commit, { reason: `thalogos: promote ${plan.checkpoint}`, dirtyCode: 'WORKTREE_DIRTY' });
  }
  return plan;
}

export interface EnvironmentRollbackResult { environment: string; checkpoint: string; commit: string; previous: string }

/**
 * Moves `release/{environment}` back to `checkpoint`, which must be an ancestor of what it holds
 * (a checkpoint it held, or one before it on the same line); anything else is PROMOTION_NOT_ELIGIBLE.
 */
export async function rollbackEnvironment(repo: Repo, p: { checkpoint: string; environment: string }): Promise<EnvironmentRollbackResult> {
  const { tag } = validateCheckpointName(p.checkpoint);
  await findEnvironment(repo, p.environment);
  const branch = releaseBranch(p.environment);
  const previous = await readRef(repo, `refs/heads/${branch}`);
  if (!previous) throw new GitEngineError('BRANCH_NOT_FOUND', `${branch} does not exist: nothing was promoted to ${p.environment}`, { branch });
  const commit = await checkpointCommit(repo, tag);
  if (commit === previous || !(await isAncestor(repo, commit, previous))) {
    throw new GitEngineError('PROMOTION_NOT_ELIGIBLE', `${tag} is not an earlier checkpoint of ${branch}`, { checkpoint: tag, environment: p.environment, holds: previous });
  }
  await moveBranch(repo, branch, previous, commit, { reason: `thalogos: roll ${p.environment} back to ${tag}`, dirtyCode: 'WORKTREE_DIRTY' });
  return { environment: p.environment, checkpoint: tag, commit, previous };
}
