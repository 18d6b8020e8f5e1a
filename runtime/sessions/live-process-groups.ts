/**
 * The gate and setup processes this runtime has running, by session. An agent run is stopped
 * through its run table; a Save's gate or a task's setup has no such handle, so when this node
 * stops owning a session (cluster mode: a lost or released lease) their process groups are killed
 * here. The Save or setup that waited on them then fails, and its entries are refused by the fence:
 * the new owner settles it from the log.
 */
export class LiveProcessGroups {
  private readonly groups = new Map<string, { sessionId: string; pid: number }>();

  add(runId: string, sessionId: string, pid: number): void {
    this.groups.set(runId, { sessionId, pid });
  }

  remove(runId: string): void {
    this.groups.delete(runId);
  }

  /** SIGKILLs every recorded group of the session (the leader was spawned detached); returns how many. */
  killSession(sessionId: string): number {
    let killed = 0;
    for (const [runId, group] of this.groups) {
      if (group.sessionId !== sessionId) continue;
      try {
        process.kill(-group.pid, 'SIGKILL');
        killed += 1;
      } catch {
        // Already gone: the gate's own end removes it.
      }
      this.groups.delete(runId);
    }
    return killed;
  }
}
