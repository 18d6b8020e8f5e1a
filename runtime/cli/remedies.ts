/**
 * What a person can do about a Save or rollback that did not go through, by the stable code the
 * engine reported (or the result's status when there is no code). Shared by the CLI and the web
 * console (pure data, no Node imports), so both say the same thing.
 */
const REMEDIES: Record<string, string> = {
  PROMOTION_NOT_FAST_FORWARD: 'The environment holds a newer commit than this checkpoint; promotion only moves forward. Promote a newer checkpoint, or roll the environment back: thalogos environment rollback SESSION ENV CHECKPOINT.',
  PROMOTION_NOT_ELIGIBLE: 'Promote the checkpoint to the environment before this one first (thalogos environments SESSION shows what each holds); the first environment takes checkpoints of the base branch only.',
  ENVIRONMENT_NOT_FOUND: 'List the environment in .thalogos.json ("environments": [{"name": "dev"}, ...]) and commit it on the base branch.',
  SELF_APPROVAL: 'Ask another member with the required role to approve your promotion.',
  MAIN_WORKTREE_DIRTY:
    'Your checkout of the main branch has local changes the Save would overwrite. Commit or stash them (git stash), then Save again.',
  WORKTREE_DIRTY: "A task's worktree has local changes that would be overwritten. Commit or discard them there, then try again.",
  MAIN_MOVED: 'The main branch moved while the Save ran (someone committed or pushed). Save again: it starts from the new main.',
  BRANCH_MOVED: 'A task branch moved while the Save ran. Save again.',
  REF_LOCKED: 'Another git command holds a lock in the repository (a .lock file). Wait for it to finish, or remove the stale lock file named in the message, then Save again.',
  GATE_CONFIG_INVALID: 'The repository\'s .thalogos.json is invalid (the message names the key). Fix it (it must be {"gates"?: ["command", ...], "setup"?: [...], "copy"?: [...], "setupTimeoutMs"?: number, "environments"?: [{"name", "gates"?, "approvals"?}]}), commit it, and Save again.',
  SIGNING_FAILED: "Commits could not be signed. Check the runtime's signing key and its passphrase variable, then Save again.",
  JOURNAL_CONFLICT: 'An interrupted Save found refs moved by someone else; it will not guess. Check the branches named in the message, then Save again.',
  SAVE_IN_PROGRESS: 'Another Save is still running on this repository. Wait for it, then Save again.',
  NO_MAIN_BRANCH: 'The repository has neither a main nor a master branch. Create one with a first commit.',
  REPO_NOT_ALLOWED: 'Restart the server with that directory (or a parent) in THALOGOS_REPO_ROOTS or --repo-roots (":"-separated), e.g. THALOGOS_REPO_ROOTS=$HOME/code.',
  AGENT_UNAVAILABLE: 'Sign a coding agent in on the server\'s machine, then run `thalogos agents --refresh`; or use --agent command to run a shell command.',
  CHECKPOINT_NOT_FOUND: 'That checkpoint is not in the repository any more. Pick one from the list of checkpoints.',
  INTERRUPTED: 'The runtime restarted while this ran. Check the timeline, then try again.',
  WORKER_FAILED: "The git engine's worker failed. The runtime's log has the details; try again.",
  conflict: 'Two tasks changed the same lines. Resolve the conflict (pick a side per hunk, or hand it to an agent), then Save again.',
  gates_failed: 'A gate command failed, so the main branch was not moved. Read its output, fix the task (or reject it), then Save again.',
};

export function remedyFor(code: string | null | undefined): string | null {
  return code ? (REMEDIES[code] ?? null) : null;
}

/** The code, message and remedy of a failed Save result (`lastSave.result`), for people. */
export function saveFailure(result: { status: string; error?: { code?: string; message?: string }; [detail: string]: unknown }): {
  code: string;
  message: string;
  remedy: string | null;
} | null {
  if (result.status === 'published' || result.status === 'nothing_to_save') return null;
  if (result.status === 'error') {
    const code = result.error?.code ?? 'ERROR';
    return { code, message: result.error?.message ?? 'the Save failed', remedy: remedyFor(code) };
  }
  if (result.status === 'conflict') {
    const report = result.report as { taskId?: string; summary?: { files: number; hunks: number } } | undefined;
    const where = report?.summary ? ` (${report.summary.hunks} conflicting ${report.summary.hunks === 1 ? 'hunk' : 'hunks'} in ${report.summary.files} ${report.summary.files === 1 ? 'file' : 'files'})` : '';
    return { code: 'CONFLICT', message: `task ${report?.taskId ?? '?'} conflicts with the session's other work${where}`, remedy: remedyFor('conflict') };
  }
  if (result.status === 'gates_failed') {
    const gates = (result.gates as Array<{ command: string; exitCode: number | null; timedOut: boolean }> | undefined) ?? [];
    const failed = gates.find((gate) => gate.timedOut || gate.exitCode !== 0);
    const what = failed ? `gate \`${failed.command}\` ${failed.timedOut ? 'timed out' : `exited ${failed.exitCode}`}` : 'a gate failed';
    return { code: 'GATES_FAILED', message: `${what}${blameSentence(result.blame)}; the main branch was not moved`, remedy: remedyFor('gates_failed') };
  }
  return { code: result.status.toUpperCase(), message: `the Save ended ${result.status}`, remedy: null };
}

/** Which change broke the gate, when the Save could tell (see contracts GateBlame). */
function blameSentence(blame: unknown): string {
  const b = blame as { status?: string; taskId?: string } | undefined;
  if (b?.status === 'task') return ` (broken by task ${b.taskId}: it passes without that task's merge)`;
  if (b?.status === 'main') return ' (it already failed on main, before this Save\'s tasks)';
  return '';
}
