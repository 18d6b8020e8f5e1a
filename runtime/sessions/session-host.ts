import { createActor, type Actor } from 'xstate';
import type { Logger } from 'pino';
import {
  canAccept,
  describeSession,
  provideEffects,
  type SessionEffects,
  type SessionEvent,
  type SessionInput,
  type SessionView,
} from '../../actors/index.js';
import { SessionEventSchema, type SessionDamage } from '../../contracts/index.js';
import { ApiError } from '../errors.js';
import type { SessionLog, SideWrite, SnapshotPort } from '../storage/ports.js';
import type { ActorRef, LogEntry } from '../log/log-entry.js';
import { damagedView, errorText, replayEntries, restoreOptions, startQuietly, type ReplayResult } from './replay.js';
import { SESSION_CREATED, type SessionMeta } from './session-meta.js';
import { SerialQueue } from './serial-queue.js';

type LiveMachine = ReturnType<typeof provideEffects>;

export interface SessionHostDeps {
  log: SessionLog;
  snapshots: SnapshotPort;
  logger: Logger;
  /** Called for every event the actor has applied, after it is durable (projections, metrics). */
  onApplied?: (host: SessionHost, entry: LogEntry) => void;
  /** Called when a live session is quarantined (metrics, projections). */
  onQuarantined?: (host: SessionHost) => void;
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
  /** Set while the session is quarantined: its log holds an entry its actor cannot apply. */
  private quarantine: { damage: SessionDamage; view: SessionView } | null = null;
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
    metaWrite: SideWrite[],
  ): Promise<SessionHost> {
    const host = new SessionHost(meta, deps);
    const entry = await deps.log.appendOne({ kind: 'audit', actor: by, sessionId: meta.id, type: SESSION_CREATED, data: { meta, input } }, metaWrite);
    host.actor = startQuietly(createActor(provideEffects(effects(host)), { input }));
    host.appliedSeq = entry.seq;
    deps.onApplied?.(host, entry);
    return host;
  }

  /**
   * Rebuilds a session from its latest snapshot plus the log after it, without running effects.
   * Never throws for a log it cannot apply: the session comes back quarantined instead (status
   * `damaged`, read-only), so one bad session never keeps the others from serving.
   */
  static async restore(meta: SessionMeta, deps: SessionHostDeps, effects: (host: SessionHost) => SessionEffects): Promise<SessionHost> {
    const host = new SessionHost(meta, deps);
    let replayed: ReplayResult;
    try {
      replayed = await replaySession(meta.id, deps);
    } catch (error) {
      host.quarantineAs({ seq: 1, type: SESSION_CREATED, reason: errorText(error) }, emptyView(meta));
      deps.logger.error({ sessionId: meta.id, err: error }, 'session quarantined: its log cannot be replayed');
      return host;
    }
    host.appliedSeq = replayed.seq;
    if (replayed.damage) {
      host.quarantineAs(replayed.damage, replayed.view);
      deps.logger.error({ sessionId: meta.id, damage: replayed.damage }, 'session quarantined: a log entry cannot be applied');
      return host;
    }
    host.actor = startQuietly(createActor(provideEffects(effects(host)), restoreOptions(replayed.persisted)));
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

  /** Why the session is quarantined, or null while it serves. */
  get damage(): SessionDamage | null {
    return this.quarantine?.damage ?? null;
  }

  view(): SessionView {
    if (this.quarantine) return structuredClone(this.quarantine.view);
    return describeSession(this.requireActor().getSnapshot());
  }

  /** The session state value, e.g. `active` or `saving` (read off the snapshot, no view built). */
  status(): string {
    if (this.quarantine) return 'damaged';
    return String(this.requireActor().getSnapshot().value);
  }

  /** Whether the machine would accept this event now (used by command validation). */
  can(event: SessionEvent): boolean {
    if (this.quarantine) return false;
    return canAccept(this.requireActor().getSnapshot(), event);
  }

  submit(event: SessionEvent, options: SubmitOptions): Promise<LogEntry> {
    return this.submitPrepared(async () => event, options);
  }

  /**
   * Like `submit`, but the event is made by `prepare` inside this session's queue: nothing else
   * reaches the actor between the check, the work `prepare` does (e.g. writing a conflict
   * resolution to git) and the append. `prepare` throwing refuses the command and logs nothing.
   */
  submitPrepared(prepare: () => Promise<SessionEvent>, options: SubmitOptions): Promise<LogEntry> {
    return this.queue.run(async () => {
      if (this.closed) throw new ApiError('SHUTTING_DOWN', 'the session is closing');
      this.refuseIfDamaged();
      const event = await prepare();
      // Whatever built it, an event that does not match its contract never reaches the log.
      const valid = SessionEventSchema.safeParse(event);
      if (!valid.success) {
        throw Object.assign(new Error(`refusing to log an invalid ${String(event.type)} event: ${valid.error.issues[0]?.message ?? ''}`), { code: 'INTERNAL' });
      }
      const actor = this.requireActor();
      if (options.command && !canAccept(actor.getSnapshot(), event)) {
        throw new ApiError('INVALID_STATE', `the session cannot accept ${event.type} while ${String(this.status())}`, {
          status: this.status(),
          event: event.type,
        });
      }
      const entry = await this.deps.log.appendOne({
        kind: 'actor',
        actor: options.actor,
        sessionId: this.meta.id,
        taskId: options.taskId ?? taskIdOf(event),
        type: event.type,
        data: event,
      });
      actor.send(event);
      this.appliedSeq = entry.seq;
      if (actor.getSnapshot().status === 'error') {
        // The entry is durable and a restart would meet it again: quarantine now, exactly as
        // replay will, and rebuild the view from the log as it was just before the entry.
        await this.quarantineAfterFailure(entry, actor.getSnapshot().error);
        return entry;
      }
      this.deps.onApplied?.(this, entry);
      this.sinceSnapshot += 1;
      if (this.sinceSnapshot >= (this.deps.snapshotEvery ?? 50)) await this.writeSnapshot();
      return entry;
    });
  }

  /**
   * Appends an audit record of this session (what the runtime did, e.g. pruned branches), in order
   * with its events. Never delivered to the actor: replay skips it, so live and replay stay equal.
   */
  audit(type: string, data: unknown, actor: ActorRef): Promise<LogEntry> {
    return this.queue.run(async () => {
      if (this.closed) throw new ApiError('SHUTTING_DOWN', 'the session is closing');
      return this.deps.log.appendOne({ kind: 'audit', actor, sessionId: this.meta.id, type, data });
    });
  }

  /** Waits for every queued submission; used by tests and shutdown. */
  settled(): Promise<void> {
    return this.queue.idle();
  }

  async writeSnapshot(): Promise<void> {
    this.sinceSnapshot = 0;
    // A quarantined session keeps its last good snapshot: the damaged entry stays after it.
    if (this.quarantine) return;
    await this.deps.snapshots.save(this.meta.id, this.appliedSeq, this.requireActor().getPersistedSnapshot());
  }

  /** Stops the actor; a snapshot is written unless `snapshot: false` (a host being replaced). */
  async close(options: { snapshot?: boolean } = {}): Promise<void> {
    await this.queue.run(async () => {
      if (this.closed) return;
      if (options.snapshot !== false) await this.writeSnapshot();
      this.closed = true;
      this.actor?.stop();
    });
  }

  private refuseIfDamaged(): void {
    if (!this.quarantine) return;
    const { damage } = this.quarantine;
    throw new ApiError('SESSION_DAMAGED', `session ${this.meta.id} is quarantined: log entry ${damage.seq} (${damage.type}) cannot be applied: ${damage.reason}`, damage);
  }

  private quarantineAs(damage: SessionDamage, view: SessionView): void {
    this.quarantine = { damage, view: damagedView(view, damage) };
  }

  private async quarantineAfterFailure(entry: LogEntry, error: unknown): Promise<void> {
    this.actor?.stop();
    this.actor = null;
    const damage: SessionDamage = { seq: entry.seq, type: entry.type, reason: `the session machine failed on it: ${errorText(error)}` };
    let view: SessionView;
    try {
      view = (await replaySession(this.meta.id, this.deps)).view;
    } catch {
      view = emptyView(this.meta);
    }
    this.quarantineAs(damage, view);
    this.deps.logger.error({ sessionId: this.meta.id, damage }, 'session quarantined: its actor failed on a logged event');
    this.deps.onQuarantined?.(this);
  }

  private requireActor(): Actor<LiveMachine> {
    if (!this.actor) throw new Error(`session ${this.meta.id} has no actor`);
    return this.actor;
  }
}

function taskIdOf(event: SessionEvent): string | null {
  const candidate = (event as { taskId?: unknown }).taskId;
  return typeof candidate === 'string' ? candidate : null;
}

/**
 * The session's replay from its latest snapshot (or from the start when the snapshot is missing
 * or unreadable) plus the log after it.
 */
async function replaySession(sessionId: string, deps: Pick<SessionHostDeps, 'log' | 'snapshots' | 'logger'>): Promise<ReplayResult> {
  const saved = await deps.snapshots.load(sessionId).catch(() => null);
  if (saved) {
    try {
      const tail = await deps.log.read({ sessionId, after: saved.seq });
      return replayEntries(tail, { seq: saved.seq, snapshot: saved.snapshot });
    } catch (error) {
      deps.logger.warn({ sessionId, err: error }, 'session snapshot unusable; replaying the whole log');
    }
  }
  return replayEntries(await deps.log.read({ sessionId }), null);
}

/** What a session shows when not even its creation can be replayed. */
function emptyView(meta: SessionMeta): SessionView {
  return {
    id: meta.id, title: meta.title, repoPath: meta.repoPath, baseBranch: meta.baseBranch ?? null, ciStatuses: {}, status: 'damaged', createdAt: meta.createdAt, createdBy: meta.createdBy,
    agentOrder: [], maxParallel: 1, requireApproval: false, tasks: [], checkpoints: [], timeline: [], lastSave: null, pendingSave: null, pendingRollback: null, pendingPromotions: [], damage: null,
  };
}

export { replayEntries };
