// The worker half of Save: merge task branches into a candidate (objects only), prepare the
// integration worktree, publish (journal first, then refs in order: integration, tag, main), record
// a gate failure, and recover an interrupted publish. The main thread (save.ts) sequences them and
// runs the gates in between.
import fs from 'node:fs';
import { isAncestor } from './ancestry.js';
import { GitEngineError } from './errors.js';
import { faultPoint } from './fault-injection.js';
import { readGateConfig } from './gate-config.js';
import { mergeCommits, type AutoResolution } from './merge/index.js';
import { WRITTEN_OBJECTS } from './merge/object-store.js';
import { assertCanMoveBranch, finishPendingMove, moveBranch } from './branch-move.js';
import { applyRest, isPublishRefusal, journalOwner, settleStaleJournal } from './save-recovery.js';
import { nextCheckpointName } from './checkpoints.js';
import { mustReadBranch, readRef, writeRefAtomic } from './refs.js';
import type { Repo } from './repo.js';
import { deleteJournal, readJournal, writeJournal, type SaveJournal } from './save-journal.js';
import type { GateResult, MergePhaseResult, SaveResult } from './save-types.js';
import { withTrailers } from './trailers.js';
import { integrationBranch, taskBranch, validateWorktreePath } from './validate-names.js';
import { ensureLinkedWorktree, resetDetachedWorktree } from './worktree.js';
import { syncObjects, writeAnnotatedTag, writeCommit, type ObjectContext } from './write-objects.js';

export interface EngineContext extends ObjectContext {
  orchestratorVersion: string;
  agent: string;
  /** This engine instance (journal owner): its own leftover journal is stale whenever it is seen. */
  engineId?: string;
}

export async function saveMerge(repo: Repo, ctx: EngineContext, p: { sessionId: string; saveId: string; taskIds: string[]; integrationWorktreePath: string; leaseEpoch?: number }): Promise<MergePhaseResult> {
  validateWorktreePath(p.integrationWorktreePath, repo.repoPath, repo.gitdir);
  // An earlier Save of the session that did not finish (killed, or refused after main moved) is
  // settled first when its writer is gone; one running in another process refuses this Save.
  await settleStaleJournal(repo, ctx.engineId, p.sessionId, p.leaseEpoch);
  const integration = integrationBranch(p.sessionId);
  // The merges' trees and blobs and the merge commits are fsynced together once merged
  // (syncObjects), not one by one.
  repo.deferredSyncs = [];
  (repo.cache as { [WRITTEN_OBJECTS]?: string[] })[WRITTEN_OBJECTS] = repo.deferredSyncs;
  // A rollback killed between main's files and main's ref is finished before main is read.
  await finishPendingMove(repo, repo.mainBranch);
  const mainBefore = await mustReadBranch(repo, repo.mainBranch);
  // The candidate is rebuilt from main at every Save (see README: a failed candidate never leaks
  // into the next Save; branches already contained in main are skipped).
  let candidate = mainBefore;
  const mergedTaskIds: string[] = [];
  const steps: Array<{ taskId: string; commit: string }> = [];
  const autoResolved: AutoResolution[] = [];
  for (const taskId of p.taskIds) {
    const branch = taskBranch(p.sessionId, taskId);
    const theirs = await mustReadBranch(repo, branch);
    if (await isAncestor(repo, theirs, candidate)) continue;
    const outcome = await mergeCommits({
      fs, gitdir: repo.gitdir, cache: repo.cache, ours: candidate, theirs,
      labels: { ours: integration, theirs: branch },
    });
    if (!outcome.clean) {
      const hunks = outcome.conflicts.reduce((n, f) => n + f.hunks.length, 0);
      return {
        status: 'conflict',
        report: { sessionId: p.sessionId, taskId, branch, ours: candidate, theirs, files: outcome.conflicts, autoResolved: outcome.autoResolved, summary: { files: outcome.conflicts.length, hunks } },
      };
    }
    const extra: Array<[string, string]> = [['Save', p.saveId]];
    for (const a of outcome.autoResolved) extra.push(['Auto-Resolved', `${a.path} (${a.rule})`.replace(/[\r\n]/g, ' ')]);
    const message = withTrailers(`Merge ${branch} into ${integration}`, { agent: ctx.agent, sessionId: p.sessionId, taskId, orchestratorVersion: ctx.orchestratorVersion }, extra);
    candidate = await writeCommit(repo, ctx, { tree: outcome.tree, parents: [candidate, theirs], message });
    mergedTaskIds.push(taskId);
    steps.push({ taskId, commit: candidate });
    autoResolved.push(...outcome.autoResolved);
  }
  if (mergedTaskIds.length === 0) return { status: 'nothing_to_save' };
  // Durable before the journal names the candidate and before any ref can point at it.
  await syncObjects(repo);
  repo.deferredSyncs = undefined;
  delete (repo.cache as { [WRITTEN_OBJECTS]?: string[] })[WRITTEN_OBJECTS];
  const config = await readGateConfig(repo, candidate);
  await writeJournal(repo.gitdir, {
    version: 1, sessionId: p.sessionId, saveId: p.saveId, phase: 'gating', mainBranch: repo.mainBranch,
    mainBefore, candidate, tag: '', updates: [], owner: journalOwner(ctx.engineId, p.leaseEpoch),
  }, true);
  faultPoint('save-after-merge');
  return { status: 'merged', mainBefore, candidate, mergedTaskIds, autoResolved, gates: config.gates, steps };
}

export async function prepareIntegrationWorktree(repo: Repo, p: { sessionId: string; worktreePath: string; commit: string }): Promise<void> {
  const worktreePath = validateWorktreePath(p.worktreePath, repo.repoPath, repo.gitdir);
  const wt = await ensureLinkedWorktree(repo, { name: `${p.sessionId}.integration`, worktreePath, branch: null, commit: p.commit });
  await resetDetachedWorktree(repo, wt, p.commit);
}

async function phaseJournal(repo: Repo, sessionId: string, phase: SaveJournal['phase']): Promise<SaveJournal> {
  const j = await readJournal(repo.gitdir, sessionId);
  if (!j || j.phase !== phase) throw new GitEngineError('JOURNAL_CONFLICT', `no save journal in phase ${phase}`, { sessionId });
  return j;
}

/**
 * The journal lives in the git dir, which the gates' worktree shares: gates are untrusted and could
 * rewrite it. The values the merge step returned are the truth; the journal must still agree.
 */
async function trustedJournal(repo: Repo, p: { sessionId: string; candidate: string; mainBefore: string; leaseEpoch?: number }): Promise<SaveJournal> {
  const j = await phaseJournal(repo, p.sessionId, 'gating');
  // Cluster mode: a journal written under another lease epoch belongs to the node that took the
  // session over; this writer was fenced and leaves it alone (no publish, no delete).
  if (p.leaseEpoch !== undefined && j.owner?.epoch !== p.leaseEpoch) {
    throw new GitEngineError('SESSION_FENCED', 'the session was taken over by another node while this Save ran', { sessionId: p.sessionId, epoch: p.leaseEpoch, journalEpoch: j.owner?.epoch ?? null });
  }
  if (j.candidate !== p.candidate || j.mainBefore !== p.mainBefore || j.mainBranch !== repo.mainBranch) {
    await deleteJournal(repo.gitdir, p.sessionId);
    throw new GitEngineError('JOURNAL_CONFLICT', 'the save journal was changed while the gates ran', {
      sessionId: p.sessionId, expected: { candidate: p.candidate, mainBefore: p.mainBefore }, actual: { candidate: j.candidate, mainBefore: j.mainBefore },
    });
  }
  return j;
}

export interface LogHead { seq: number; hash: string }

/**
 * Publishes a candidate whose gates passed. Order: main (fast-forward, the worktree on it updated
 * like `git merge --ff-only`), then the integration branch, then the checkpoint tag, so a tag never
 * names a commit that is not on main. A refused move of main (REF_LOCKED, MAIN_MOVED,
 * MAIN_WORKTREE_DIRTY) leaves nothing: no ref moved, no journal. A failure after main moved keeps
 * the journal; the next Save or recoverSave writes the rest.
 */
export async function publishSave(repo: Repo, ctx: EngineContext, p: { sessionId: string; candidate: string; mainBefore: string; mergedTaskIds: string[]; autoResolved: AutoResolution[]; gates: GateResult[]; logHead?: LogHead; leaseEpoch?: number }): Promise<SaveResult> {
  const j = await trustedJournal(repo, p);
  try {
    const mainNow = await mustReadBranch(repo, j.mainBranch);
    if (mainNow !== j.mainBefore) throw new GitEngineError('MAIN_MOVED', `${j.mainBranch} moved during the Save`, { expected: j.mainBefore, actual: mainNow });
    await assertCanMoveBranch(repo, j.mainBranch, j.mainBefore, j.candidate);
  } catch (err) {
    await deleteJournal(repo.gitdir, p.sessionId);
    throw err;
  }
  const tag = await nextCheckpointName(repo, ctx.nowMs);
  const extra: Array<[string, string]> = [['Save', j.saveId]];
  if (p.logHead) extra.push(['Log-Head', `${p.logHead.seq} ${p.logHead.hash}`]);
  const tagMessage = withTrailers(
    `Checkpoint ${tag}\n\nSession ${p.sessionId}, save ${j.saveId}: merged ${p.mergedTaskIds.join(', ')}`,
    { agent: ctx.agent, sessionId: p.sessionId, taskId: p.mergedTaskIds.join(','), orchestratorVersion: ctx.orchestratorVersion },
    extra,
  );
  // The tag object is written now (objects first); its ref comes last.
  const tagOid = await writeAnnotatedTag(repo, ctx, { name: tag, target: j.candidate, message: tagMessage });
  const integrationRef = `refs/heads/${integrationBranch(p.sessionId)}`;
  const result: SaveResult = {
    status: 'published', commit: j.candidate, tag, integrationCommit: j.candidate,
    mergedTaskIds: p.mergedTaskIds, autoResolved: p.autoResolved, gates: p.gates,
  };
  const publishing: SaveJournal = {
    ...j, phase: 'publishing', tag, result,
    updates: [
      { ref: `refs/heads/${j.mainBranch}`, old: j.mainBefore, new: j.candidate },
      { ref: integrationRef, old: await readRef(repo, integrationRef), new: j.candidate },
      { ref: `refs/tags/${tag}`, old: null, new: tagOid },
    ],
  };
  await writeJournal(repo.gitdir, publishing);
  faultPoint('publish-after-journal');
  try {
    await moveBranch(repo, j.mainBranch, j.mainBefore, j.candidate, false, `thalogos: save ${j.saveId} (fast-forward)`);
  } catch (err) {
    // Refused before anything changed: nothing is published, nothing is left to recover.
    if (isPublishRefusal(err) && (await readRef(repo, `refs/heads/${j.mainBranch}`)) === j.mainBefore) await deleteJournal(repo.gitdir, p.sessionId);
    throw err;
  }
  faultPoint('publish-after-ref-1');
  await applyRest(repo, publishing, false);
  await deleteJournal(repo.gitdir, p.sessionId);
  return result;
}

/** Gates failed: main stays; the integration branch is moved to the candidate for review. */
export async function recordGateFailure(repo: Repo, p: { sessionId: string; candidate: string; mainBefore: string; leaseEpoch?: number }): Promise<void> {
  const j = await trustedJournal(repo, p);
  const ref = `refs/heads/${integrationBranch(p.sessionId)}`;
  // Force-moved for review, but not over a concurrent writer: compare with what we read.
  await writeRefAtomic(repo, ref, j.candidate, `thalogos: save ${j.saveId} (gates failed)`, { expectedOld: await readRef(repo, ref) });
  await deleteJournal(repo.gitdir, p.sessionId);
}

/** Drops a journal that never reached publishing (no ref was moved, nothing to undo). */
export async function abortSave(repo: Repo, p: { sessionId: string; leaseEpoch?: number }): Promise<void> {
  const j = await readJournal(repo.gitdir, p.sessionId);
  // Not a journal of another lease epoch: that is the new owner's Save.
  if (p.leaseEpoch !== undefined && j?.owner?.epoch !== p.leaseEpoch) return;
  if (j && j.phase === 'gating') await deleteJournal(repo.gitdir, p.sessionId);
}
