import type { DirectConnection, Document, Hocuspocus } from '@hocuspocus/server';
import {
  type AgentRun,
  STATE_SCHEMA_VERSION,
  appendEvents,
  stateRoots,
  syncRuns,
} from './state-document.js';
import type { Clock } from '../contracts/clock.js';
import { type JsonObject, syncMap } from './json-yjs.js';
import { unrefTimer } from './timers.js';

interface PendingEvent {
  taskId: string;
  runId: string;
  event: JsonObject;
}

/**
 * Writes one session's state document. It holds a Hocuspocus direct connection, so the document
 * stays loaded (and is the very instance watchers are synced with) whether or not anyone watches.
 * Every write goes through one promise chain, so projections, event batches and rebuilds apply in
 * call order. Events that arrive in the same tick are applied in one transaction: one update, one
 * frame per watcher.
 */
export class StateProjector {
  private chain: Promise<unknown> = Promise.resolve();
  private connection: Promise<DirectConnection> | null = null;
  private readonly pending: PendingEvent[] = [];
  private flushQueued = false;
  private idleTimer: unknown = null;

  constructor(
    private readonly hocuspocus: Hocuspocus,
    readonly documentName: string,
    private readonly maxLines: number,
    /** Resolves once every update produced so far for this document is in storage. */
    private readonly durable: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    /** Release the document after this long without writes (it reloads on the next write). */
    private readonly idleMs: number,
    private readonly clock: Clock,
  ) {}

  project(view: JsonObject): Promise<void> {
    return this.enqueue((doc) => {
      doc.transact(() => {
        const roots = stateRoots(doc);
        if (roots.meta.get('schema') !== STATE_SCHEMA_VERSION) roots.meta.set('schema', STATE_SCHEMA_VERSION);
        syncMap(roots.session, view);
      });
    });
  }

  append(taskId: string, runId: string, event: JsonObject): void {
    this.pending.push({ taskId, runId, event });
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.enqueue((doc) => {
      this.flushQueued = false;
      const batch = this.pending.splice(0);
      doc.transact(() => {
        const { agents } = stateRoots(doc);
        // One push per run per transaction: consecutive Yjs clocks, so trimmed lines merge into
        // one tombstone instead of one per event.
        const byRun = new Map<string, { taskId: string; events: JsonObject[] }>();
        for (const item of batch) {
          const run = byRun.get(item.runId) ?? { taskId: item.taskId, events: [] };
          run.events.push(item.event);
          byRun.set(item.runId, run);
        }
        for (const [runId, run] of byRun) appendEvents(agents, run.taskId, runId, run.events, this.maxLines);
      });
    }, false).catch(this.onError);
  }

  rebuild(view: JsonObject, runs: Map<string, AgentRun>): Promise<void> {
    return this.enqueue((doc) => {
      // Events appended live but not yet flushed belong to the old projection; the log replay
      // handed to us is the truth now.
      this.pending.splice(0);
      doc.transact(() => {
        const roots = stateRoots(doc);
        if (roots.meta.get('schema') !== STATE_SCHEMA_VERSION) roots.meta.set('schema', STATE_SCHEMA_VERSION);
        syncMap(roots.session, view);
        syncRuns(roots.agents, runs);
      });
    });
  }

  /** Finishes queued writes, then lets Hocuspocus unload the document. */
  async close(): Promise<void> {
    if (this.idleTimer !== null) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
    await this.chain.catch(() => undefined);
    const connection = await this.connection?.catch(() => null);
    await connection?.disconnect();
    this.connection = null;
  }

  /**
   * Why: a long-lived runtime projects many sessions; holding every state document forever would
   * grow memory with the number of sessions ever seen. Watchers keep a document loaded on their
   * own; the direct connection only needs to live while the runtime is writing.
   */
  private touch(): void {
    if (this.idleTimer !== null) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = null;
      const release = async () => {
        if (this.idleTimer !== null || this.pending.length > 0 || this.connection === null) return;
        const connection = await this.connection.catch(() => null);
        this.connection = null;
        await connection?.disconnect();
      };
      this.chain = this.chain.then(release, release).catch(this.onError);
    }, this.idleMs);
    unrefTimer(this.idleTimer);
  }

  private open(): Promise<DirectConnection> {
    if (this.connection === null) {
      const opening = this.hocuspocus.openDirectConnection(this.documentName, { projector: true });
      // A failed load must not poison every later write: the next one tries again.
      opening.catch(() => {
        if (this.connection === opening) this.connection = null;
      });
      this.connection = opening;
    }
    return this.connection;
  }

  private enqueue(write: (doc: Document) => void, waitDurable = true): Promise<void> {
    const run = async () => {
      await this.open();
      // The direct connection keeps the document loaded; Hocuspocus holds the instance.
      const doc = this.hocuspocus.documents.get(this.documentName);
      if (doc === undefined) throw new Error(`state document ${this.documentName} is closed`);
      write(doc);
      this.touch();
      // The update listener queued the write synchronously inside the transaction, so a barrier
      // taken now covers it. It is awaited outside the chain: later writes need not wait for disk.
      // (Wrapped in an object so the async function does not adopt, and wait for, the promise.)
      return { barrier: waitDurable ? this.durable() : undefined };
    };
    const written = this.chain.then(run, run);
    this.chain = written.then(
      () => undefined,
      () => undefined,
    );
    return written.then(({ barrier }) => barrier);
  }
}
