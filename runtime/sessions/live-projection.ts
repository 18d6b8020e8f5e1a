import type { Logger } from 'pino';
import type { SyncServer } from '../../sync/index.js';
import type { LogEntry } from '../log/log-entry.js';
import type { SessionHost } from './session-host.js';

/** Where a task's setup output streams in the state document (the `agents` map's run id). */
export function setupStreamRunId(taskId: string): string {
  return `${taskId}.setup`;
}

/** How often at most a session's view is re-projected into its state document. */
const PROJECTION_INTERVAL_MS = 25;
const RETRY_MS = 1_000;
const MAX_RETRIES = 5;

/**
 * Keeps each session's `state` Yjs document in step with its actor. Agent events go in at once
 * (they are the live stream people watch); the session view is re-projected at most every 25 ms,
 * so a burst of agent output costs one view computation, not one per line.
 */
export class LiveProjection {
  private readonly pending = new Map<string, SessionHost>();
  /** Consecutive failed projections per session (retried up to MAX_RETRIES times). */
  private readonly failures = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly sync: SyncServer, private readonly logger: Logger) {}

  onApplied(host: SessionHost, entry: LogEntry): void {
    if (entry.type === 'AGENT.EVENT') {
      const data = entry.data as { taskId: string; runId: string; event: { type: string; seq: number; at: string } };
      this.sync.appendAgentEvent(host.id, data.taskId, data.runId, data.event);
    }
    if (entry.type === 'TASK.SETUP_OUTPUT') {
      // The task's setup streams beside its agent runs, as run `<task>.setup`; the log entry's seq
      // orders it (a setup run again after a restart continues the stream instead of restarting it).
      const data = entry.data as { taskId: string; index: number; stream: string; text: string; at: string };
      this.sync.appendAgentEvent(host.id, data.taskId, setupStreamRunId(data.taskId), { type: 'setup_output', seq: entry.seq, at: data.at, index: data.index, stream: data.stream, text: data.text });
    }
    this.schedule(host);
  }

  schedule(host: SessionHost): void {
    this.pending.set(host.id, host);
    this.timer ??= setTimeout(() => void this.flush(), PROJECTION_INTERVAL_MS);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const hosts = [...this.pending.values()].filter((host) => !host.isClosed);
    this.pending.clear();
    await Promise.all(
      hosts.map(async (host) => {
        // Called from a timer: nothing may escape as an unhandled rejection.
        try {
          await this.sync.projectSession(host.id, host.view());
          this.failures.delete(host.id);
        } catch (error) {
          // Nothing else would project this session again until its next event: a failure here
          // would leave every watcher on an old view. Try again a few times, a second apart.
          const failures = (this.failures.get(host.id) ?? 0) + 1;
          this.failures.set(host.id, failures);
          this.logger.error({ err: error, sessionId: host.id, attempt: failures }, 'could not project the session into its state document');
          if (failures <= MAX_RETRIES) setTimeout(() => this.schedule(host), RETRY_MS).unref();
          else this.failures.delete(host.id);
        }
      }),
    );
  }
}
