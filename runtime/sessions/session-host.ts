import { createActor, type Actor, type Snapshot } from 'xstate';
import type { Logger } from 'pino';
import {
  canAccept,
  describeSession,
  provideEffects,
  sessionMachine,
  type SessionEffects,
  type SessionEvent,
  type SessionInput,
  type SessionView,
} from '../../actors/index.js';
import { ApiError } from '../errors.js';
import type { EventLog } from '../log/event-log.js';
import { AUDIT_ONLY_ENTRY_TYPES } from '../log/audit-only-types.js';
import type { ActorRef, LogEntry } from '../log/log-entry.js';
import { SESSION_CREATED, type SessionMeta } from './session-meta.js';
import { SerialQueue } from './serial-queue.js';
import type { SnapshotStore } from './snapshot-store.js';

type LiveMachine = ReturnType<typeof provideEffects>;

export interface SessionHostDeps {
  log: EventLog;
  snapshots: SnapshotStore;
  logger: Logger;
  /** Called for every event the actor has applied, after it is durable (projections, metrics). */
  onApplied?: (host: SessionHost, entry: LogEntry) => void;
  snapshotEvery?: number;
}

export interface SubmitOptions {
  actor: ActorRef;
  /** Commands are refused (and not logged) when the machine would not accept them. */
  command: boolean;
  taskId?: string | null;
}

/**
 * One live session: its XState actor, fed only with events that are already in the log.
 *
 * Every input (a person's command or the result of a side effect) goes through `submit`, which
 * appends it to the event log before the actor sees it. So the log alone rebuilds the actor
 * (replay), and a crash between append and apply only means the event is applied on restart.
 */
export class SessionHost {
  private readonly queue = new SerialQueue();
  private actor: Actor<LiveMachine> | null = null;
  private appliedSeq = 0;
  private sinceSnapshot = 0;
  private closed = false;

  private constructor(
    readonly meta: SessionMeta,
    private readonly deps: SessionHostDeps,
  ) {}

  /** A brand-new session: logs SESSION.CREATED (with the meta row, atomically), then starts. */
  static async create(
    meta: SessionMeta,
    input: SessionInput,
    by: ActorRef,
    deps: SessionHostDeps,
    effects: (host: SessionHost) => SessionEffects,
    metaWrite: Parameters<EventLog['append']>[1],
  ): Promise<SessionHost> {
    const host = new SessionHost(meta, deps);
    const entry = await deps.log.appendOne({ actor: by, sessionId: meta.id, type: SESSION_CREATED, data: { meta, input } }, metaWrite);
    host.actor = createActor(provideEffects(effects(host)), { input }).start();
    host.appliedSeq = entry.seq;
    deps.onApplied?.(host, entry);
    return host;
  }

  /** Rebuilds a session from its latest snapshot plus the log after it, without running effects. */
  static async restore(meta: SessionMeta, deps: SessionHostDeps, effects: (host: SessionHost) => SessionEffects): Promise<SessionHost> {
    const host = new SessionHost(meta, deps);
    const saved = await deps.snapshots.load(meta.id);
    const tail = await deps.log.read({ sessionId: meta.id, after: saved?.seq ?? 0 });
    const replayed = replayEntries(tail, saved ? { seq: saved.seq, snapshot: saved.snapshot } : null);
    host.actor = createActor(provideEffects(effects(host)), restoreOptions(replayed.persisted)).start();
    host.appliedSeq = replayed.seq;
    return host;
  }

  get id(): string {
    return this.meta.id;
  }

  /** A closed host has stopped its actor; its view can no longer be taken. */
  get isClosed(): boolean {
    return this.closed;
  }

  get lastAppliedSeq(): number {
    return this.appliedSeq;
  }

  view(): SessionView {
    return describeSession(this.requireActor().getSnapshot());
  }

  /** The session state value, e.g. `active` or `saving` (read off the snapshot, no view built). */
  status(): string {
    return String(this.requireActor().getSnapshot().value);
  }

  /** Whether the machine would accept this event now (used by command validation). */
  can(event: SessionEvent): boolean {
    return canAccept(this.requireActor().getSnapshot(), event);
  }

  submit(event: SessionEvent, options: SubmitOptions): Promise<LogEntry> {
    return this.queue.run(async () => {
      if (this.closed) throw Object.assign(new Error('session host is closed'), { code: 'SHUTTING_DOWN' });
      const actor = this.requireActor();
      if (options.command && !canAccept(actor.getSnapshot(), event)) {
        throw new ApiError('INVALID_STATE', `the session cannot accept ${event.type} while ${String(this.status())}`, {
          status: this.status(),
          event: event.type,
        });
      }
      const entry = await this.deps.log.appendOne({
        actor: options.actor,
        sessionId: this.meta.id,
        taskId: options.taskId ?? taskIdOf(event),
        type: event.type,
        data: event,
      });
      actor.send(event);
      this.appliedSeq = entry.seq;
      this.deps.onApplied?.(this, entry);
      this.sinceSnapshot += 1;
      if (this.sinceSnapshot >= (this.deps.snapshotEvery ?? 50)) await this.writeSnapshot();
      return entry;
    });
  }

  /** Waits for every queued submission; used by tests and shutdown. */
  settled(): Promise<void> {
    return this.queue.idle();
  }

  async writeSnapshot(): Promise<void> {
    this.sinceSnapshot = 0;
    await this.deps.snapshots.save(this.meta.id, this.appliedSeq, this.requireActor().getPersistedSnapshot());
  }

  async close(): Promise<void> {
    await this.queue.run(async () => {
      if (this.closed) return;
      await this.writeSnapshot();
      this.closed = true;
      this.actor?.stop();
    });
  }

  private requireActor(): Actor<LiveMachine> {
    if (!this.actor) throw new Error(`session ${this.meta.id} has no actor`);
    return this.actor;
  }
}

/**
 * Options that restore an actor from a persisted snapshot read back from storage. XState types the
 * options by the machine's input, which a restore does not use; the snapshot's shape is the
 * machine's own (written by `getPersistedSnapshot`), hence the cast at this one boundary.
 */
function restoreOptions(snapshot: unknown): { snapshot: Snapshot<unknown>; input: SessionInput } {
  return { snapshot: snapshot as Snapshot<unknown>, input: undefined as unknown as SessionInput };
}

function taskIdOf(event: SessionEvent): string | null {
  const candidate = (event as { taskId?: unknown }).taskId;
  return typeof candidate === 'string' ? candidate : null;
}

/**
 * Pure replay: machines with their default (no-op) effects, fed the logged events in order.
 * Used by restore, by `thalogos replay` and by tests that compare live and replayed state.
 */
export function replayEntries(
  entries: LogEntry[],
  from: { seq: number; snapshot: unknown } | null,
): { seq: number; persisted: unknown; view: SessionView } {
  let actor: Actor<typeof sessionMachine> | null = from ? createActor(sessionMachine, restoreOptions(from.snapshot)).start() : null;
  let seq = from?.seq ?? 0;
  for (const entry of entries) {
    if (AUDIT_ONLY_ENTRY_TYPES.has(entry.type)) {
      seq = entry.seq;
      continue;
    }
    if (entry.type === SESSION_CREATED) {
      const { input } = entry.data as { input: SessionInput };
      actor = createActor(sessionMachine, { input }).start();
    } else {
      if (!actor) throw new Error(`log entry ${entry.seq} precedes the session's creation`);
      actor.send(entry.data as SessionEvent);
    }
    seq = entry.seq;
  }
  if (!actor) throw new Error('no SESSION.CREATED entry for this session');
  const persisted = actor.getPersistedSnapshot();
  const view = describeSession(actor.getSnapshot());
  actor.stop();
  return { seq, persisted, view };
}
