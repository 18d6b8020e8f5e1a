// A dry run of the Save merge: the same merges in the same order as saveMerge, onto the base
// branch as it is now, reporting the combined diff and the first conflict a Save would stop on.
// Nothing moves: no ref, no journal, no worktree. The merges write their objects (blobs, trees
// and unsigned merge commits the next merge builds on) unreferenced, as a conflicted Save does.
import fs from 'node:fs';
import type { ConflictReport } from '../contracts/index.js';
import { isAncestor } from './ancestry.js';
import { diffCommits, type TaskDiff } from './inspect.js';
import { mergeCommits, type AutoResolution } from './merge/index.js';
import { mustReadBranch, readRef } from './refs.js';
import { readMoveJournal } from './save-journal.js';
import type { Repo } from './repo.js';
import type { EngineContext } from './save-ops.js';
import { commitTree } from './tree-util.js';
import { integrationBranch, taskBranch } from './validate-names.js';
import { writeCommit } from './write-objects.js';

export interface SavePreview {
  /** The base branch's head the preview merged onto. */
  base: string;
  status: 'clean' | 'conflict' | 'nothing_to_save';
  /** Tasks whose branches would be merged, in order (up to the conflict). */
  mergedTaskIds: string[];
  /** Tasks whose branches the base branch already contains. */
  alreadyMerged: string[];
  /** The tree a clean Save would publish (the candidate's); with a conflict, the tree before it. */
  tree: string;
  /** The first conflict the Save would stop on, as the Save would report it. */
  conflict: ConflictReport | null;
  autoResolved: AutoResolution[];
  /** From the base branch to the candidate. */
  diff: TaskDiff;
}

export async function savePreview(repo: Repo, ctx: EngineContext, p: { sessionId: string; taskIds: string[] }): Promise<SavePreview> {
  const base = await baseAsSaveSees(repo);
  const integration = integrationBranch(p.sessionId);
  // Never signed: these commits only carry the next merge and are never published.
  const unsigned: EngineContext = { ...ctx, signingKey: undefined };
  let candidate = base;
  const mergedTaskIds: string[] = [];
  const alreadyMerged: string[] = [];
  const autoResolved: AutoResolution[] = [];
  let conflict: ConflictReport | null = null;
  for (const taskId of p.taskIds) {
    const branch = taskBranch(p.sessionId, taskId);
    const theirs = await readRef(repo, `refs/heads/${branch}`);
    if (theirs === null) continue; // the Save reports a missing branch itself
    if (await isAncestor(repo, theirs, candidate)) {
      alreadyMerged.push(taskId);
      continue;
    }
    const outcome = await mergeCommits({ fs, gitdir: repo.gitdir, cache: repo.cache, ours: candidate, theirs, labels: { ours: integration, theirs: branch } });
    if (!outcome.clean) {
      const hunks = outcome.conflicts.reduce((n, f) => n + f.hunks.length, 0);
      conflict = { sessionId: p.sessionId, taskId, branch, ours: candidate, theirs, files: outcome.conflicts, autoResolved: outcome.autoResolved, summary: { files: outcome.conflicts.length, hunks } };
      break;
    }
    candidate = await writeCommit(repo, unsigned, { tree: outcome.tree, parents: [candidate, theirs], message: `Preview: merge ${branch} into ${integration}` });
    mergedTaskIds.push(taskId);
    autoResolved.push(...outcome.autoResolved);
  }
  const status = conflict ? 'conflict' : mergedTaskIds.length === 0 ? 'nothing_to_save' : 'clean';
  return { base, status, mergedTaskIds, alreadyMerged, tree: await commitTree(repo, candidate), conflict, autoResolved, diff: await diffCommits(repo, base, candidate) };
}

/** The base branch as a Save would find it: a restore killed halfway is finished first (save-ops). */
async function baseAsSaveSees(repo: Repo): Promise<string> {
  const head = await mustReadBranch(repo, repo.mainBranch);
  const pending = await readMoveJournal(repo.gitdir, repo.mainBranch);
  return pending && pending.old === head ? pending.new : head;
}
