// The session-start checkpoint: main as it was when a session began, tagged like any Save's
// checkpoint (`checkpoint/{date}-{seq}`) so the first Save of the session can be rolled back too.
import { nextCheckpointName, listCheckpoints } from './checkpoints.js';
import { mustReadBranch, writeRefAtomic } from './refs.js';
import type { Repo } from './repo.js';
import type { EngineContext } from './save-ops.js';
import { writeAnnotatedTag } from './write-objects.js';

/** The trailer naming the session whose start a checkpoint records. */
export const SESSION_START_TRAILER = 'Session-Start';

/**
 * Tags main's current commit as the session's start. Idempotent: a session that already has its
 * start checkpoint gets that one back (a retried create never tags twice).
 */
export async function recordSessionStart(repo: Repo, ctx: EngineContext, p: { sessionId: string }): Promise<{ tag: string; commit: string }> {
  const existing = (await listCheckpoints(repo)).find((c) => c.sessionStart === p.sessionId);
  if (existing) return { tag: existing.tag, commit: existing.commit };
  const commit = await mustReadBranch(repo, repo.mainBranch);
  const tag = await nextCheckpointName(repo, ctx.nowMs);
  // No Task trailer: no task made this commit. The ids were validated on the main thread.
  const message = `Checkpoint ${tag}\n\nSession ${p.sessionId} started from ${repo.mainBranch} at ${commit}\n\n`
    + `Agent: ${ctx.agent}\nSession: ${p.sessionId}\nOrchestrator-Version: ${ctx.orchestratorVersion}\n${SESSION_START_TRAILER}: ${p.sessionId}\n`;
  const tagOid = await writeAnnotatedTag(repo, ctx, { name: tag, target: commit, message });
  // Compare-and-swap on absence: a concurrent Save taking the same name makes this refuse, not overwrite.
  await writeRefAtomic(repo, `refs/tags/${tag}`, tagOid, `thalogos: session ${p.sessionId} start`, { expectedOld: null });
  return { tag, commit };
}
