// Read-only views for the console: a session's branches with ahead/behind counts against main, and
// a task's diff against its merge base with main (unified, per file, with stats).
import git from 'isomorphic-git';
import { mergeBasesOf } from './ancestry.js';
import { GitEngineError } from './errors.js';
import { listRefsUnder, mustReadBranch, readRef } from './refs.js';
import type { Repo } from './repo.js';
import { flattenCommit, readBlob, type FlatEntry } from './tree-util.js';
import { diffTexts } from './unified-diff.js';
import { taskBranch } from './validate-names.js';

export interface TaskDiffFile { path: string; status: 'added' | 'deleted' | 'modified' | 'mode' | 'typechange'; additions: number; deletions: number; binary: boolean; patch: string }
export interface TaskDiff { base: string; head: string; files: TaskDiffFile[]; stats: { files: number; additions: number; deletions: number }; unified: string }

async function ancestors(repo: Repo, start: string): Promise<Set<string>> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const oid = stack.pop() as string;
    if (seen.has(oid)) continue;
    seen.add(oid);
    const { commit } = await git.readCommit({ fs: repo.objectFs, gitdir: repo.gitdir, oid, cache: repo.cache });
    stack.push(...commit.parent);
  }
  return seen;
}

export async function listSessionBranches(repo: Repo, sessionId: string): Promise<Array<{ branch: string; head: string; ahead: number; behind: number }>> {
  const main = await mustReadBranch(repo, repo.mainBranch);
  const mainSet = await ancestors(repo, main);
  const out = [];
  for (const ref of await listRefsUnder(repo, `refs/heads/session/${sessionId}`)) {
    const branch = ref.slice('refs/heads/'.length);
    const head = await mustReadBranch(repo, branch);
    const set = await ancestors(repo, head);
    let ahead = 0;
    for (const c of set) if (!mainSet.has(c)) ahead++;
    let behind = 0;
    for (const c of mainSet) if (!set.has(c)) behind++;
    out.push({ branch, head, ahead, behind });
  }
  return out;
}

async function mustBeCommit(repo: Repo, oid: string, branch: string): Promise<string> {
  try {
    await git.readCommit({ fs: repo.objectFs, gitdir: repo.gitdir, oid, cache: repo.cache });
    return oid;
  } catch {
    throw new GitEngineError('BRANCH_NOT_FOUND', `branch ${branch} does not exist and ${oid} is no commit here`, { branch });
  }
}

const MAX_DIFF_BYTES = 2 * 1024 * 1024;

function isBinary(buf: Uint8Array): boolean {
  return buf.byteLength > MAX_DIFF_BYTES || buf.subarray(0, 8000).includes(0);
}

/**
 * A task's changes: from `base` (the commit its worktree started from, when the caller knows it)
 * or else the merge base with main, to the branch head. Once a Save has merged the task, its
 * merge base with main is the head itself, so callers that want the review diff pass `base`.
 */
export async function taskDiff(repo: Repo, p: { sessionId: string; taskId: string; base?: string; headIfPruned?: string }): Promise<TaskDiff> {
  const branch = taskBranch(p.sessionId, p.taskId);
  for (const [field, value] of [['base', p.base], ['headIfPruned', p.headIfPruned]] as const) {
    if (value !== undefined && !/^[0-9a-f]{40}$/.test(value)) throw new GitEngineError('INVALID_NAME', `${field} must be a full commit id`, { [field]: value });
  }
  // A merged task's branch is pruned after its Save; its commit is still on main (or a checkpoint).
  const head = (await readRef(repo, `refs/heads/${branch}`)) ?? (p.headIfPruned !== undefined ? await mustBeCommit(repo, p.headIfPruned, branch) : await mustReadBranch(repo, branch));
  let base = p.base;
  if (base === undefined) {
    const main = await mustReadBranch(repo, repo.mainBranch);
    const bases = await mergeBasesOf(repo, main, head);
    base = bases[0] as string | undefined;
  }
  if (!base) throw new GitEngineError('BRANCH_NOT_FOUND', `${branch} shares no history with ${repo.mainBranch}`, { branch });
  return diffCommits(repo, base, head);
}

/** What changes from commit `base` to commit `head`, file by file, as `git diff --histogram` shows it. */
export async function diffCommits(repo: Repo, base: string, head: string): Promise<TaskDiff> {
  const [before, after] = [await flattenCommit(repo, base), await flattenCommit(repo, head)];
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  const files: TaskDiffFile[] = [];
  for (const path of paths) {
    const a = before.get(path);
    const b = after.get(path);
    if (a && b && a.oid === b.oid && a.mode === b.mode) continue;
    files.push(await fileDiff(repo, path, a, b));
  }
  const stats = { files: files.length, additions: files.reduce((n, f) => n + f.additions, 0), deletions: files.reduce((n, f) => n + f.deletions, 0) };
  return { base, head, files, stats, unified: files.map((f) => f.patch).join('') };
}

async function fileDiff(repo: Repo, path: string, a: FlatEntry | undefined, b: FlatEntry | undefined): Promise<TaskDiffFile> {
  const short = (oid: string | undefined) => (oid ?? '0'.repeat(40)).slice(0, 7);
  const header = [`diff --git a/${path} b/${path}`];
  let status: TaskDiffFile['status'];
  if (!a && b) { status = 'added'; header.push(`new file mode ${b.mode}`, `index ${short(undefined)}..${short(b.oid)}`); }
  else if (a && !b) { status = 'deleted'; header.push(`deleted file mode ${a.mode}`, `index ${short(a.oid)}..${short(undefined)}`); }
  else {
    const x = a as FlatEntry;
    const y = b as FlatEntry;
    const typeChange = (x.mode === '120000') !== (y.mode === '120000');
    status = typeChange ? 'typechange' : x.oid === y.oid ? 'mode' : 'modified';
    if (x.mode !== y.mode) header.push(`old mode ${x.mode}`, `new mode ${y.mode}`);
    if (x.oid !== y.oid) header.push(`index ${short(x.oid)}..${short(y.oid)}${x.mode === y.mode ? ` ${x.mode}` : ''}`);
  }
  const load = async (e: FlatEntry | undefined) => (e && e.mode !== '160000' ? readBlob(repo, e.oid) : new Uint8Array());
  const [ca, cb] = [await load(a), await load(b)];
  if (a?.oid === b?.oid) return { path, status, additions: 0, deletions: 0, binary: false, patch: `${header.join('\n')}\n` };
  if (isBinary(ca) || isBinary(cb)) {
    header.push(`Binary files ${a ? `a/${path}` : '/dev/null'} and ${b ? `b/${path}` : '/dev/null'} differ`);
    return { path, status, additions: 0, deletions: 0, binary: true, patch: `${header.join('\n')}\n` };
  }
  const d = diffTexts(Buffer.from(ca).toString('utf8'), Buffer.from(cb).toString('utf8'));
  header.push(`--- ${a ? `a/${path}` : '/dev/null'}`, `+++ ${b ? `b/${path}` : '/dev/null'}`);
  return { path, status, additions: d.additions, deletions: d.deletions, binary: false, patch: `${header.join('\n')}\n${d.hunks}` };
}
