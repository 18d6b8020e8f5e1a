// The session-start checkpoint: the base branch as it was when a session began, so the session's
// first Save can be rolled back too. It is tagged `session-start/{sessionId}`, beside the Saves'
// `checkpoint/{date}-{seq}` tags rather than among them: `checkpoint/*` stays the list of what Saves
// published (scripts and people read the newest one as "what the last Save put on main").
import { readRef, mustReadBranch, writeRefAtomic } from './refs.js';
import type { Repo } from './repo.js';
import type { EngineContext } from './save-ops.js';
import { checkpointCommit } from './checkpoints.js';
import { validateId } from './validate-names.js';
import { writeAnnotatedTag } from './write-objects.js';

/** The trailer naming the session whose start a checkpoint records. */
export const SESSION_START_TRAILER = 'Session-Start';
export const SESSION_START_PREFIX = 'session-start/';

export function sessionStartTag(sessionId: string): string {
  return `${SESSION_START_PREFIX}${validateId('sessionId', sessionId)}`;
}

/**
 * Tags the base branch's current commit as the session's start. Idempotent: a session that already
 * has its start checkpoint gets that one back (a retried create never tags twice).
 */
export async function recordSessionStart(repo: Repo, ctx: EngineContext, p: { sessionId: string }): Promise<{ tag: string; commit: string }> {
  const tag = sessionStartTag(p.sessionId);
  if (await readRef(repo, `refs/tags/${tag}`)) return { tag, commit: await checkpointCommit(repo, tag) };
  const commit = await mustReadBranch(repo, repo.mainBranch);
  // No Task trailer: no task made this commit. The ids were validated on the main thread.
  const message = `Session ${p.sessionId} start\n\nSession ${p.sessionId} started from ${repo.mainBranch} at ${commit}\n\n`
    + `Agent: ${ctx.agent}\nSession: ${p.sessionId}\nOrchestrator-Version: ${ctx.orchestratorVersion}\n${SESSION_START_TRAILER}: ${p.sessionId}\n`;
  const tagOid = await writeAnnotatedTag(repo, ctx, { name: tag, target: commit, message });
  // Compare-and-swap on absence: a concurrent create of the same session makes this refuse, not overwrite.
  await writeRefAtomic(repo, `refs/tags/${tag}`, tagOid, `thalogos: session ${p.sessionId} start`, { expectedOld: null });
  return { tag, commit };
}
